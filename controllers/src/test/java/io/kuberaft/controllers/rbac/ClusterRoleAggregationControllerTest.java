package io.kuberaft.controllers.rbac;

import io.fabric8.kubernetes.api.model.rbac.ClusterRole;
import io.fabric8.kubernetes.api.model.rbac.ClusterRoleBuilder;
import io.fabric8.kubernetes.api.model.rbac.PolicyRule;
import io.fabric8.kubernetes.api.model.rbac.PolicyRuleBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.kuberaft.controllers.ApiFixture;
import io.kuberaft.controllers.ControllerOptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import static io.kuberaft.controllers.ApiFixture.await;
import static org.assertj.core.api.Assertions.assertThat;

class ClusterRoleAggregationControllerTest {
    static final Duration DEADLINE = Duration.ofSeconds(20);
    static final String TO_EDIT = "rbac.authorization.k8s.io/aggregate-to-edit";
    static final PolicyRule CRONTABS = rule("stable.example.com", "crontabs", "get", "list", "create");
    static final String CRONTABS_KEY = key(CRONTABS);
    @TempDir
    Path tmp;

    static PolicyRule rule(String group, String resource, String... verbs) {
        return new PolicyRuleBuilder().withApiGroups(group).withResources(resource).withVerbs(verbs).build();
    }

    static ClusterRole role(String name, Map<String, String> labels, PolicyRule... rules) {
        return new ClusterRoleBuilder().withNewMetadata().withName(name).withLabels(labels).endMetadata().withRules(rules).build();
    }

    private static ClusterRole get(KubernetesClient k, String name) {
        return k.rbac().clusterRoles().withName(name).get();
    }

    /** A rule as compared here: a list the server leaves out and an empty one are the same. */
    static String key(PolicyRule r) {
        return "" + nz(r.getApiGroups()) + nz(r.getResources()) + nz(r.getResourceNames()) + nz(r.getNonResourceURLs()) + nz(r.getVerbs());
    }

    private static List<String> nz(List<String> l) {
        return l == null ? List.of() : l;
    }

    static List<String> keys(PolicyRule... rules) {
        return Stream.of(rules).map(ClusterRoleAggregationControllerTest::key).toList();
    }

    /** The rules of ClusterRole {@code name} by {@link #key}; none when it does not exist. */
    private static List<String> rules(KubernetesClient k, String name) {
        ClusterRole r = get(k, name);
        return r == null || r.getRules() == null ? List.of() : r.getRules().stream().map(ClusterRoleAggregationControllerTest::key).toList();
    }

    /** The API server bootstraps the default policy in the background. */
    private static void awaitBootstrap(KubernetesClient k) {
        await(DEADLINE, "the default ClusterRoles", () -> get(k, "admin") != null && get(k, "system:aggregate-to-admin") != null);
    }

    @Test
    void aRoleLabelledAggregateToEditReachesEditAndAdminAndLeavesWithIt() {
        try (ApiFixture api = new ApiFixture(tmp, ControllerOptions.defaults(), List.of(ClusterRoleAggregationController::new))) {
            KubernetesClient k = api.client();
            awaitBootstrap(k);
            int editBefore = rules(k, "edit").size();
            assertThat(rules(k, "edit")).doesNotContain(CRONTABS_KEY);
            k.rbac().clusterRoles().resource(role("crontab-edit", Map.of(TO_EDIT, "true"), CRONTABS)).create();
            await(DEADLINE, "crontabs in edit and admin", () -> rules(k, "edit").contains(CRONTABS_KEY) && rules(k, "admin").contains(CRONTABS_KEY));
            // "crontab-edit" sorts before "system:aggregate-to-edit": its rule comes first, the rest keep their order
            assertThat(rules(k, "edit").get(0)).isEqualTo(CRONTABS_KEY);
            assertThat(rules(k, "edit")).hasSize(editBefore + 1);
            assertThat(rules(k, "view")).doesNotContain(CRONTABS_KEY);

            k.rbac().clusterRoles().withName("crontab-edit").delete();
            await(DEADLINE, "crontabs gone from edit and admin",
                    () -> !rules(k, "edit").contains(CRONTABS_KEY) && !rules(k, "admin").contains(CRONTABS_KEY));
            assertThat(rules(k, "edit")).hasSize(editBefore);
        }
    }

    @Test
    void aCustomAggregatedRoleWithMatchExpressionsFollowsItsSelection() {
        try (ApiFixture api = new ApiFixture(tmp, ControllerOptions.defaults(), List.of(ClusterRoleAggregationController::new))) {
            KubernetesClient k = api.client();
            awaitBootstrap(k);
            PolicyRule pods = rule("", "pods", "get", "list", "watch");
            PolicyRule services = rule("", "services", "get", "list", "watch");
            PolicyRule secrets = rule("", "secrets", "get");
            k.rbac().clusterRoles().resource(role("mon-b-services", Map.of("example.com/monitoring", "yes"), services, pods)).create();
            k.rbac().clusterRoles().resource(role("mon-a-pods", Map.of("example.com/monitoring", "true"), pods)).create();
            k.rbac().clusterRoles().resource(role("mon-c-secrets", Map.of("example.com/monitoring", "no"), secrets)).create();
            k.rbac().clusterRoles().resource(new ClusterRoleBuilder().withNewMetadata().withName("monitoring")
                    // the aggregated role matches its own selector: it is skipped, as upstream skips it
                    .withLabels(Map.of("example.com/monitoring", "true")).endMetadata()
                    .withNewAggregationRule().addNewClusterRoleSelector().addNewMatchExpression().withKey("example.com/monitoring")
                    .withOperator("In").withValues("true", "yes").endMatchExpression().endClusterRoleSelector().endAggregationRule()
                    .build()).create();
            // by name (mon-a before mon-b), each rule once
            await(DEADLINE, "monitoring aggregates mon-a and mon-b", () -> rules(k, "monitoring").equals(keys(pods, services)));

            k.rbac().clusterRoles().withName("mon-c-secrets").edit(r -> {
                r.getMetadata().getLabels().put("example.com/monitoring", "true");
                return r;
            });
            await(DEADLINE, "mon-c joins", () -> rules(k, "monitoring").equals(keys(pods, services, secrets)));
            k.rbac().clusterRoles().withName("mon-a-pods").edit(r -> {
                r.getMetadata().getLabels().remove("example.com/monitoring");
                return r;
            });
            // pods still comes from mon-b, after services now
            await(DEADLINE, "mon-a leaves", () -> rules(k, "monitoring").equals(keys(services, pods, secrets)));
            k.rbac().clusterRoles().withName("mon-b-services").edit(r -> new ClusterRoleBuilder(r).withRules(services).build());
            await(DEADLINE, "mon-b's rules change", () -> rules(k, "monitoring").equals(keys(services, secrets)));
        }
    }

    @Test
    void rolesWithoutAnAggregationRuleAndRolesInStepAreNotWritten() {
        try (ApiFixture api = new ApiFixture(tmp, ControllerOptions.defaults(), List.of(ClusterRoleAggregationController::new))) {
            KubernetesClient k = api.client();
            awaitBootstrap(k);
            // labelled like an aggregate source, but not aggregated itself: its rules are its own
            PolicyRule nodes = rule("", "nodes", "get");
            k.rbac().clusterRoles().resource(role("plain", Map.of(TO_EDIT, "true", "example.com/x", "y"), nodes)).create();
            await(DEADLINE, "plain in edit", () -> rules(k, "edit").contains(key(nodes)));
            String plain = get(k, "plain").getMetadata().getResourceVersion();
            String view = get(k, "view").getMetadata().getResourceVersion();
            String clusterAdmin = get(k, "cluster-admin").getMetadata().getResourceVersion();
            String toEdit = get(k, "system:aggregate-to-edit").getMetadata().getResourceVersion();
            // another change, aggregated by a role of its own: every aggregated role is looked at again
            k.rbac().clusterRoles().resource(role("other-source", Map.of("example.com/other", "true"), CRONTABS)).create();
            k.rbac().clusterRoles().resource(new ClusterRoleBuilder().withNewMetadata().withName("other").endMetadata()
                    .withNewAggregationRule().addNewClusterRoleSelector().addToMatchLabels("example.com/other", "true")
                    .endClusterRoleSelector().endAggregationRule().build()).create();
            await(DEADLINE, "other aggregated", () -> rules(k, "other").equals(keys(CRONTABS)));
            assertThat(get(k, "plain").getMetadata().getResourceVersion()).isEqualTo(plain);
            assertThat(rules(k, "plain")).isEqualTo(keys(nodes));
            assertThat(get(k, "cluster-admin").getMetadata().getResourceVersion()).isEqualTo(clusterAdmin);
            assertThat(get(k, "system:aggregate-to-edit").getMetadata().getResourceVersion()).isEqualTo(toEdit);
            // view's rules were bootstrapped as the controller computes them: it is never rewritten
            assertThat(get(k, "view").getMetadata().getResourceVersion()).isEqualTo(view);
            assertThat(rules(k, "other")).isEqualTo(keys(CRONTABS));
        }
    }

    @Test
    void theUnionIsBySelectorThenByNameWithoutDuplicatesOrItself() {
        PolicyRule a = rule("", "pods", "get");
        PolicyRule b = rule("", "services", "get");
        PolicyRule c = rule("apps", "deployments", "get");
        ClusterRole agg = new ClusterRoleBuilder().withNewMetadata().withName("agg").withLabels(Map.of("x", "1")).endMetadata()
                .withNewAggregationRule()
                .addNewClusterRoleSelector().addToMatchLabels("y", "1").endClusterRoleSelector()
                .addNewClusterRoleSelector().addToMatchLabels("x", "1").endClusterRoleSelector()
                .endAggregationRule().withRules(rule("", "secrets", "get")).build();
        List<ClusterRole> all = List.of(agg, role("z", Map.of("x", "1"), a, b), role("m", Map.of("x", "1"), c),
                role("q", Map.of("y", "1"), b), role("none", Map.of(), rule("", "nodes", "get")));
        // selector y first (q: b), then selector x by name (m: c, z: a and b again); agg's own rule not taken
        assertThat(ClusterRoleAggregationController.aggregate(agg, all).stream().map(ClusterRoleAggregationControllerTest::key)).containsExactly(key(b), key(c), key(a));
        // a rule with a null list equals one with an empty list
        PolicyRule withNull = new PolicyRuleBuilder().withApiGroups("").withResources("pods").withVerbs("get").build();
        withNull.setResourceNames(null);
        PolicyRule withEmpty = new PolicyRuleBuilder().withApiGroups("").withResources("pods").withVerbs("get").withResourceNames(List.of()).build();
        assertThat(ClusterRoleAggregationController.sameRules(List.of(withNull), List.of(withEmpty))).isTrue();
        assertThat(ClusterRoleAggregationController.sameRules(List.of(), null)).isTrue();
        assertThat(ClusterRoleAggregationController.sameRules(List.of(a, b), List.of(b, a))).isFalse();
    }
}
