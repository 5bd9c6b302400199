package io.kuberaft.apiserver.auth;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.kuberaft.apiserver.admission.AdmissionPlugin;
import io.kuberaft.apiserver.admission.Lookup;
import io.kuberaft.apiserver.registry.ResourceDefinition;
import io.kuberaft.kubeapi.StatusException;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;

/**
 * RBAC's escalation prevention (upstream's policy-based storage of Roles, ClusterRoles and their bindings): a user may
 * write a Role or ClusterRole only if it already holds every permission in it where the role applies, or may
 * {@code escalate} that role there; and may bind a role only if it holds every permission of the role in the binding's
 * scope, or may {@code bind} that role there. Without it, whoever may create a RoleBinding could bind cluster-admin to
 * itself. {@code system:masters} and the server's own writes are not checked; an update that only touches what the
 * garbage collector changes (owner references, finalizers) is not either.
 */
public final class RbacEscalationCheck implements AdmissionPlugin {
    static final String GROUP = "rbac.authorization.k8s.io";
    /** Metadata the garbage collector writes (upstream's IsOnlyMutatingGCFields), and what the server keeps. */
    private static final Set<String> GC_FIELDS = Set.of("ownerReferences", "finalizers", "resourceVersion", "managedFields", "generation");

    private final Lookup lookup;
    private final RbacAuthorizer authorizer;

    public RbacEscalationCheck(Lookup lookup, RbacAuthorizer authorizer) {
        this.lookup = lookup;
        this.authorizer = authorizer;
    }

    @Override
    public String name() {
        return "RBACEscalationPrevention";
    }

    @Override
    public Set<Operation> operations() {
        return Set.of(Operation.CREATE, Operation.UPDATE);
    }

    @Override
    public boolean mutating() {
        return false;
    }

    @Override
    public void admit(Attributes a) {
        UserInfo user = RequestUser.current();
        if (user == null || user.isMaster() || !a.def().group().equals(GROUP)) {
            return;
        }
        if (a.operation() == Operation.UPDATE && onlyGcFieldsChanged(a.old(), a.object())) {
            return;
        }
        String name = a.name();
        switch (a.def().kind()) {
            case "Role", "ClusterRole" -> {
                String ns = a.def().kind().equals("Role") ? a.namespace() : "";
                if (authorizer.allows(io.kuberaft.apiserver.auth.Attributes.resource(user, "escalate", GROUP, a.def().plural(), "", ns, name))) {
                    return;
                }
                JsonNode aggregation = a.object().path("aggregationRule");
                if (!aggregation.isMissingNode() && !aggregation.isNull()) {
                    throw Lookup.forbidden(a.def(), name, "must have cluster-admin privileges to write aggregated cluster roles");
                }
                confirmNoEscalation(user, ns, a.object().path("rules"), a.def(), name);
            }
            case "RoleBinding", "ClusterRoleBinding" -> {
                String ns = a.def().kind().equals("RoleBinding") ? a.namespace() : "";
                JsonNode ref = a.object().path("roleRef");
                String refKind = ref.path("kind").asText("");
                String refName = ref.path("name").asText("");
                if (!refKind.equals("ClusterRole") && !refKind.equals("Role")) {
                    return; // validation refuses it
                }
                String refPlural = refKind.equals("ClusterRole") ? "clusterroles" : "roles";
                if (authorizer.allows(io.kuberaft.apiserver.auth.Attributes.resource(user, "bind", GROUP, refPlural, "", ns, refName))) {
                    return;
                }
                ObjectNode role = lookup.get(lookup.kind(GROUP, refKind), refKind.equals("ClusterRole") ? null : ns, refName, a.reads());
                if (role == null) {
                    throw StatusException.notFound(GROUP, refPlural, refName);
                }
                confirmNoEscalation(user, ns, role.path("rules"), a.def(), name);
            }
            default -> {
            }
        }
    }

    /** upstream's ConfirmNoEscalation: every permission in {@code rules} is held by {@code user} in {@code namespace}. */
    private void confirmNoEscalation(UserInfo user, String namespace, JsonNode rules, ResourceDefinition def, String name) {
        List<JsonNode> held = authorizer.rulesFor(user, namespace);
        // missing permissions, one verb at a time, merged per resource for the message as upstream's CompactRules
        Map<String, TreeSet<String>> missing = new LinkedHashMap<>();
        for (JsonNode rule : rules) {
            for (JsonNode v : rule.path("verbs")) {
                String verb = v.asText();
                if (!rule.path("nonResourceURLs").isEmpty()) {
                    for (JsonNode u : rule.path("nonResourceURLs")) {
                        var want = new io.kuberaft.apiserver.auth.Attributes(user, verb, false, "", "", "", "", "", u.asText());
                        if (!RbacAuthorizer.anyRuleAllows(held, want)) {
                            missing.computeIfAbsent("NonResourceURLs:" + quoted(List.of(u.asText())), k -> new TreeSet<>()).add(verb);
                        }
                    }
                    continue;
                }
                List<String> names = new ArrayList<>();
                rule.path("resourceNames").forEach(n -> names.add(n.asText()));
                for (JsonNode g : rule.path("apiGroups")) {
                    for (JsonNode r : rule.path("resources")) {
                        String[] parts = r.asText().split("/", 2);
                        for (String n : names.isEmpty() ? List.of("") : names) {
                            var want = io.kuberaft.apiserver.auth.Attributes.resource(user, verb, g.asText(), parts[0],
                                    parts.length > 1 ? parts[1] : "", namespace, n);
                            if (!RbacAuthorizer.anyRuleAllows(held, want)) {
                                String key = "APIGroups:" + quoted(List.of(g.asText())) + ", Resources:" + quoted(List.of(r.asText()))
                                        + (n.isEmpty() ? "" : ", ResourceNames:" + quoted(List.of(n)));
                                missing.computeIfAbsent(key, k -> new TreeSet<>()).add(verb);
                            }
                        }
                    }
                }
            }
        }
        if (missing.isEmpty()) {
            return;
        }
        String lines = missing.entrySet().stream().map(e -> "{" + e.getKey() + ", Verbs:" + quoted(List.copyOf(e.getValue())) + "}")
                .sorted().collect(Collectors.joining("\n"));
        throw Lookup.forbidden(def, name, "user \"" + user.name() + "\" (groups=" + quoted(user.groups())
                + ") is attempting to grant RBAC permissions not currently held:\n" + lines);
    }

    /** Go's %q of a []string: {@code ["a" "b"]}. */
    private static String quoted(List<String> values) {
        return values.stream().map(v -> "\"" + v.replace("\\", "\\\\").replace("\"", "\\\"") + "\"").collect(Collectors.joining(" ", "[", "]"));
    }

    private static boolean onlyGcFieldsChanged(ObjectNode old, ObjectNode cur) {
        if (old == null) {
            return false;
        }
        return withoutGcFields(old).equals(withoutGcFields(cur));
    }

    private static ObjectNode withoutGcFields(ObjectNode o) {
        ObjectNode copy = o.deepCopy();
        if (copy.get("metadata") instanceof ObjectNode meta) {
            meta.remove(GC_FIELDS);
        }
        return copy;
    }
}
