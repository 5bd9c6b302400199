package io.kuberaft.apiserver.auth;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.kuberaft.apiserver.registry.Objects;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;

/** The default ClusterRoles: admin, edit and view aggregated as upstream's, bootstrapped with their union already filled. */
class BootstrapPolicyTest {
    static final Map<String, ObjectNode> ROLES = BootstrapPolicy.clusterRoles().stream()
            .collect(Collectors.toMap(Objects::name, Function.identity()));

    private static List<JsonNode> rules(String role) {
        List<JsonNode> out = new ArrayList<>();
        ROLES.get(role).path("rules").forEach(out::add);
        return out;
    }

    private static String labels(String role) {
        return ROLES.get(role).path("metadata").path("labels").toString();
    }

    @Test
    void adminEditAndViewAggregateTheirLabelAsUpstream() {
        for (String name : List.of("admin", "edit", "view")) {
            ObjectNode role = ROLES.get(name);
            assertThat(role.path("aggregationRule").toString())
                    .isEqualTo("{\"clusterRoleSelectors\":[{\"matchLabels\":{\"rbac.authorization.k8s.io/aggregate-to-" + name + "\":\"true\"}}]}");
            assertThat(role.path("metadata").path("annotations").toString()).isEqualTo("{\"rbac.authorization.kubernetes.io/autoupdate\":\"true\"}");
        }
        assertThat(labels("admin")).isEqualTo("{\"kubernetes.io/bootstrapping\":\"rbac-defaults\"}");
        assertThat(labels("edit")).isEqualTo("{\"kubernetes.io/bootstrapping\":\"rbac-defaults\",\"rbac.authorization.k8s.io/aggregate-to-admin\":\"true\"}");
        assertThat(labels("view")).isEqualTo("{\"kubernetes.io/bootstrapping\":\"rbac-defaults\",\"rbac.authorization.k8s.io/aggregate-to-edit\":\"true\"}");
        for (String to : List.of("admin", "edit", "view")) {
            assertThat(labels("system:aggregate-to-" + to)).isEqualTo("{\"kubernetes.io/bootstrapping\":\"rbac-defaults\","
                    + "\"rbac.authorization.k8s.io/aggregate-to-" + to + "\":\"true\"}");
            assertThat(ROLES.get("system:aggregate-to-" + to).has("aggregationRule")).isFalse();
        }
    }

    @Test
    void anOlderFlatEditIsReconciledIntoTheAggregatedOneAndWhatAUserAddedStays() throws Exception {
        ObjectNode old = (ObjectNode) Objects.JSON.readTree("""
                {"apiVersion":"rbac.authorization.k8s.io/v1","kind":"ClusterRole","metadata":{"name":"edit","resourceVersion":"12",
                 "annotations":{"rbac.authorization.kubernetes.io/autoupdate":"true"}},
                 "rules":[{"apiGroups":[""],"resources":["pods"],"verbs":["get"]},{"apiGroups":["example.com"],"resources":["widgets"],"verbs":["get"]}]}""");
        ObjectNode r = BootstrapPolicy.reconcile(old, ROLES.get("edit"));
        assertThat(r.path("aggregationRule")).isEqualTo(ROLES.get("edit").path("aggregationRule"));
        assertThat(r.path("metadata").path("labels").toString()).isEqualTo(labels("edit"));
        assertThat(r.path("metadata").path("resourceVersion").asText()).isEqualTo("12");
        assertThat(r.path("rules")).isEqualTo(old.path("rules")); // the aggregation controller's from now on
        assertThat(BootstrapPolicy.reconcile(r, ROLES.get("edit"))).as("nothing more to do").isNull();

        ObjectNode basic = ROLES.get("system:basic-user").deepCopy();
        ((com.fasterxml.jackson.databind.node.ArrayNode) basic.path("rules")).remove(0);
        ((com.fasterxml.jackson.databind.node.ArrayNode) basic.path("rules")).addObject().putArray("verbs").add("get");
        ObjectNode fixed = BootstrapPolicy.reconcile(basic, ROLES.get("system:basic-user"));
        assertThat(fixed.path("rules")).hasSize(ROLES.get("system:basic-user").path("rules").size() + 1).contains(ROLES.get("system:basic-user").path("rules").get(0));

        ObjectNode pinned = basic.deepCopy();
        ((ObjectNode) pinned.path("metadata").path("annotations")).put("rbac.authorization.kubernetes.io/autoupdate", "false");
        assertThat(BootstrapPolicy.reconcile(pinned, ROLES.get("system:basic-user"))).as("autoupdate false: left alone").isNull();
    }

    @Test
    void theAggregatedRulesAreTheUnionInTheControllersOrder() {
        // view: its one source; edit: system:aggregate-to-edit then view (by name); admin: edit then system:aggregate-to-admin
        assertThat(rules("view")).isEqualTo(rules("system:aggregate-to-view"));
        List<JsonNode> edit = new ArrayList<>(rules("system:aggregate-to-edit"));
        edit.addAll(rules("view"));
        assertThat(rules("edit")).isEqualTo(edit);
        List<JsonNode> admin = new ArrayList<>(rules("edit"));
        admin.addAll(rules("system:aggregate-to-admin"));
        assertThat(rules("admin")).isEqualTo(admin);
        assertThat(rules("admin")).doesNotHaveDuplicates();
    }

    @Test
    void eachRoleGrantsWhatUpstreamsDoes() {
        assertThat(allows("view", "apps", "deployments", "list")).isTrue();
        assertThat(allows("view", "", "secrets", "get")).isFalse();
        assertThat(allows("view", "apps", "deployments", "create")).isFalse();
        assertThat(allows("view", "metrics.k8s.io", "pods", "list")).isTrue();
        assertThat(allows("edit", "apps", "deployments", "create")).isTrue();
        assertThat(allows("edit", "", "secrets", "get")).isTrue();
        assertThat(allows("edit", "", "pods/exec", "create")).isTrue();
        assertThat(allows("edit", "", "serviceaccounts", "impersonate")).isTrue();
        assertThat(allows("edit", "", "endpoints", "update")).as("upstream dropped endpoints writes from edit").isFalse();
        assertThat(allows("edit", "rbac.authorization.k8s.io", "roles", "create")).isFalse();
        assertThat(allows("admin", "rbac.authorization.k8s.io", "rolebindings", "create")).isTrue();
        assertThat(allows("admin", "authorization.k8s.io", "localsubjectaccessreviews", "create")).isTrue();
        assertThat(allows("admin", "", "pods", "delete")).isTrue();
        assertThat(allows("admin", "", "nodes", "list")).isFalse();
    }

    @Test
    void rulesAreSortedAsUpstreamStoresThem() {
        JsonNode adminRbac = rules("system:aggregate-to-admin").get(1);
        assertThat(adminRbac.toString()).isEqualTo("{\"apiGroups\":[\"rbac.authorization.k8s.io\"],\"resources\":[\"rolebindings\",\"roles\"],"
                + "\"verbs\":[\"create\",\"delete\",\"deletecollection\",\"get\",\"list\",\"patch\",\"update\",\"watch\"]}");
    }

    private static boolean allows(String role, String group, String resource, String verb) {
        for (JsonNode r : rules(role)) {
            if (has(r.path("apiGroups"), group) && has(r.path("resources"), resource) && has(r.path("verbs"), verb)) {
                return true;
            }
        }
        return false;
    }

    private static boolean has(JsonNode list, String v) {
        for (JsonNode x : list) {
            if (x.asText().equals(v) || x.asText().equals("*")) {
                return true;
            }
        }
        return false;
    }
}
