package io.kuberaft.controllers.rbac;

import io.fabric8.kubernetes.api.model.LabelSelector;
import io.fabric8.kubernetes.api.model.rbac.ClusterRole;
import io.fabric8.kubernetes.api.model.rbac.ClusterRoleBuilder;
import io.fabric8.kubernetes.api.model.rbac.PolicyRule;
import io.fabric8.kubernetes.api.model.rbac.PolicyRuleBuilder;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import io.kuberaft.controllers.runtime.Controller;
import io.kuberaft.controllers.runtime.ControllerContext;
import io.kuberaft.controllers.runtime.Keys;
import io.kuberaft.controllers.runtime.Selectors;
import io.kuberaft.controllers.runtime.WorkQueue;

import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * Upstream's clusterrole-aggregation controller: a ClusterRole with an {@code aggregationRule} gets as its rules the union
 * of the rules of every other ClusterRole whose labels match one of the rule's {@code clusterRoleSelectors}: selector by
 * selector, the matching roles by name, each rule added once. The set of ClusterRoles is small and who aggregates whom is
 * not known in advance, so any ClusterRole change queues every aggregated ClusterRole, as upstream does; a role whose rules
 * are already the union is not written.
 */
public final class ClusterRoleAggregationController implements Controller {
    private ControllerContext ctx;
    private SharedIndexInformer<ClusterRole> roles;

    @Override
    public String name() {
        return "clusterrole-aggregation-controller";
    }

    /** Upstream runs five workers. */
    @Override
    public int workers() {
        return 5;
    }

    @Override
    public void register(ControllerContext ctx, WorkQueue queue) {
        this.ctx = ctx;
        this.roles = ctx.informers().of(ClusterRole.class);
        roles.addEventHandler(Keys.on(changed -> {
            for (ClusterRole r : roles.getStore().list()) {
                if (r.getAggregationRule() != null) {
                    queue.add(Keys.of(r));
                }
            }
        }));
    }

    @Override
    public void reconcile(String key) {
        ClusterRole role = roles.getStore().getByKey(key);
        if (role == null || role.getAggregationRule() == null) {
            return;
        }
        List<PolicyRule> rules = aggregate(role, roles.getStore().list());
        if (sameRules(rules, role.getRules())) {
            return;
        }
        // an update conditional on the cached resourceVersion: on a conflict the key is retried from a fresher cache
        ClusterRole updated = new ClusterRoleBuilder(role).withRules(rules).build();
        try {
            ctx.client().rbac().clusterRoles().resource(updated).update();
        } catch (KubernetesClientException e) {
            if (e.getCode() != 404) { // 404: deleted meanwhile, nothing to aggregate into
                throw e;
            }
        }
    }

    /**
     * The rules {@code role} aggregates from {@code all}: for each selector in order, the matching ClusterRoles other than
     * {@code role} sorted by name, and each of their rules unless an equal one is already in. An invalid selector throws
     * (the key is retried, as upstream's sync returns the error).
     */
    static List<PolicyRule> aggregate(ClusterRole role, Collection<ClusterRole> all) {
        List<PolicyRule> out = new ArrayList<>();
        Set<RuleKey> seen = new HashSet<>();
        List<ClusterRole> byName = all.stream().sorted(Comparator.comparing(r -> r.getMetadata().getName())).toList();
        for (LabelSelector s : nullToEmpty(role.getAggregationRule().getClusterRoleSelectors())) {
            io.kuberaft.kubeapi.LabelSelector selector = Selectors.of(s);
            for (ClusterRole other : byName) {
                if (other.getMetadata().getName().equals(role.getMetadata().getName()) || !selector.matches(labels(other))) {
                    continue;
                }
                for (PolicyRule r : nullToEmpty(other.getRules())) {
                    RuleKey k = RuleKey.of(r);
                    if (seen.add(k)) {
                        out.add(new PolicyRuleBuilder(r).build());
                    }
                }
            }
        }
        return out;
    }

    /** Upstream's semantic equality: the same rules in the same order, a missing list the same as an empty one. */
    static boolean sameRules(List<PolicyRule> a, List<PolicyRule> b) {
        return nullToEmpty(a).stream().map(RuleKey::of).toList().equals(nullToEmpty(b).stream().map(RuleKey::of).toList());
    }

    private static Map<String, String> labels(ClusterRole r) {
        return r.getMetadata().getLabels() == null ? Map.of() : r.getMetadata().getLabels();
    }

    private static <T> List<T> nullToEmpty(List<T> l) {
        return l == null ? List.of() : l;
    }

    /** A PolicyRule's fields as compared (order kept, null lists as empty ones). */
    private record RuleKey(List<String> verbs, List<String> apiGroups, List<String> resources, List<String> resourceNames,
                           List<String> nonResourceURLs) {
        static RuleKey of(PolicyRule r) {
            return new RuleKey(list(r.getVerbs()), list(r.getApiGroups()), list(r.getResources()), list(r.getResourceNames()),
                    list(r.getNonResourceURLs()));
        }

        private static List<String> list(List<String> l) {
            return l == null ? List.of() : l.stream().map(Objects::toString).toList();
        }
    }
}
