package io.kuberaft.apiserver.auth;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.kuberaft.apiserver.admission.Lookup;
import io.kuberaft.apiserver.registry.ResourceDefinition;
import io.kuberaft.raftstore.ReadConsistency;

import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/**
 * The RBAC authorizer: a request is allowed when a rule of a Role or ClusterRole bound to the user (directly, through
 * one of its groups, or as its ServiceAccount) matches it; everything else is denied. {@code system:masters} is allowed
 * everything without a lookup, as upstream's privileged-group authorizer, so admin traffic never reads policy.
 *
 * <p>Policy is read from this replica's own store (a serializable read, like upstream's informer cache: a binding
 * committed through another replica applies here once this replica has applied it, milliseconds later).
 */
public final class RbacAuthorizer {
    private final Lookup lookup;

    public RbacAuthorizer(Lookup lookup) {
        this.lookup = lookup;
    }

    public boolean allows(Attributes a) {
        if (a.user().isMaster()) {
            return true;
        }
        return ruleSets(a.user(), a.resourceRequest() ? a.namespace() : "").anyMatch(rules -> anyRuleAllows(rules, a));
    }

    /** The rules that apply to {@code user} in {@code namespace} (cluster-wide ones too), for SelfSubjectRulesReview. */
    public List<JsonNode> rulesFor(UserInfo user, String namespace) {
        List<JsonNode> out = new ArrayList<>();
        ruleSets(user, namespace == null ? "" : namespace).forEach(rules -> rules.forEach(out::add));
        return out;
    }

    /**
     * The rules of every role bound to {@code user}: ClusterRoleBindings first, then the RoleBindings of
     * {@code namespace} (none when empty). Lazy, so a check stops reading policy at the first binding that allows.
     */
    private Stream<JsonNode> ruleSets(UserInfo user, String namespace) {
        Stream<JsonNode> cluster = list("ClusterRoleBinding", null).stream().filter(b -> bound(b, user, "")).map(b -> roleOf(b, ""));
        Stream<JsonNode> local = Stream.of(namespace).filter(ns -> !ns.isEmpty())
                .flatMap(ns -> list("RoleBinding", ns).stream().filter(b -> bound(b, user, ns)).map(b -> roleOf(b, ns)));
        return Stream.concat(cluster, local);
    }

    private List<ObjectNode> list(String kind, String ns) {
        ResourceDefinition def = lookup.kind("rbac.authorization.k8s.io", kind);
        return lookup.list(def, ns, ReadConsistency.SERIALIZABLE).items();
    }

    /** The rules of the role a binding refers to; none when it is missing (a dangling binding grants nothing). */
    private JsonNode roleOf(ObjectNode binding, String namespace) {
        JsonNode ref = binding.path("roleRef");
        String kind = ref.path("kind").asText("");
        boolean cluster = kind.equals("ClusterRole");
        if (!cluster && !kind.equals("Role")) {
            return com.fasterxml.jackson.databind.node.MissingNode.getInstance();
        }
        ResourceDefinition def = lookup.kind("rbac.authorization.k8s.io", kind);
        ObjectNode role = lookup.get(def, cluster ? null : namespace, ref.path("name").asText(""), ReadConsistency.SERIALIZABLE);
        return role == null ? com.fasterxml.jackson.databind.node.MissingNode.getInstance() : role.path("rules");
    }

    static boolean bound(ObjectNode binding, UserInfo user, String bindingNamespace) {
        for (JsonNode s : binding.path("subjects")) {
            String name = s.path("name").asText("");
            switch (s.path("kind").asText("")) {
                case "User" -> {
                    if (name.equals(user.name())) {
                        return true;
                    }
                }
                case "Group" -> {
                    if (user.groups().contains(name)) {
                        return true;
                    }
                }
                case "ServiceAccount" -> {
                    String ns = s.path("namespace").asText(bindingNamespace);
                    if (user.name().equals(UserInfo.SERVICE_ACCOUNT_PREFIX + (ns.isEmpty() ? bindingNamespace : ns) + ":" + name)) {
                        return true;
                    }
                }
                default -> {
                }
            }
        }
        return false;
    }

    static boolean anyRuleAllows(Iterable<JsonNode> rules, Attributes a) {
        for (JsonNode r : rules) {
            if (ruleAllows(r, a)) {
                return true;
            }
        }
        return false;
    }

    /** upstream's RuleAllows: verbs, then API groups, resources and resource names, or non-resource URLs. */
    static boolean ruleAllows(JsonNode rule, Attributes a) {
        if (!contains(rule.path("verbs"), a.verb())) {
            return false;
        }
        if (!a.resourceRequest()) {
            for (JsonNode u : rule.path("nonResourceURLs")) {
                String url = u.asText();
                if (url.equals("*") || url.equals(a.path()) || (url.endsWith("*") && a.path().startsWith(url.substring(0, url.length() - 1)))) {
                    return true;
                }
            }
            return false;
        }
        if (!contains(rule.path("apiGroups"), a.group())) {
            return false;
        }
        String combined = a.subresource().isEmpty() ? a.resource() : a.resource() + "/" + a.subresource();
        boolean resourceMatch = false;
        for (JsonNode r : rule.path("resources")) {
            String res = r.asText();
            if (res.equals("*") || res.equals(combined)
                    || (!a.subresource().isEmpty() && res.equals("*/" + a.subresource()))) {
                resourceMatch = true;
                break;
            }
        }
        if (!resourceMatch) {
            return false;
        }
        JsonNode names = rule.path("resourceNames");
        if (names.isEmpty()) {
            return true;
        }
        for (JsonNode n : names) {
            if (n.asText().equals(a.name())) {
                return true;
            }
        }
        return false;
    }

    private static boolean contains(JsonNode values, String wanted) {
        for (JsonNode v : values) {
            if (v.asText().equals("*") || v.asText().equals(wanted)) {
                return true;
            }
        }
        return false;
    }
}
