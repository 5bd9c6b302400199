package io.kuberaft.apiserver.auth;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.kuberaft.apiserver.registry.Objects;
import io.kuberaft.kubeapi.LabelSelector;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

/**
 * The default RBAC policy every cluster starts with, as upstream's bootstrap policy names it: {@code cluster-admin}
 * (bound to {@code system:masters}), the user-facing {@code admin}, {@code edit} and {@code view} roles, and the
 * discovery, basic-user and public-info-viewer roles every authenticated (or, for the last, every) client has.
 * Ensured at every replica start as upstream's: created when missing, and reconciled with {@link #reconcile} (what is
 * missing added, what users added kept) unless annotated {@code rbac.authorization.kubernetes.io/autoupdate: "false"}.
 *
 * <p>{@code admin}, {@code edit} and {@code view} are aggregated as upstream's: each selects the ClusterRoles labelled
 * {@code rbac.authorization.k8s.io/aggregate-to-<name>: "true"}, and the controllers' ClusterRole aggregation keeps its
 * rules the union of theirs. The rules themselves live in {@code system:aggregate-to-admin}, {@code -edit} and
 * {@code -view}; {@code view} is labelled to aggregate into {@code edit}, and {@code edit} into {@code admin}, so
 * view ⊂ edit ⊂ admin. Upstream bootstraps the aggregated roles with no rules and lets the controller fill them; here
 * they are written with the union already computed (as the controller computes it), so that {@code edit} grants what it
 * should from the first moment, on an API server without controllers too.
 */
public final class BootstrapPolicy {
    private BootstrapPolicy() {
    }

    public static final String AGGREGATE_TO = "rbac.authorization.k8s.io/aggregate-to-";
    static final String AUTOUPDATE = "rbac.authorization.kubernetes.io/autoupdate";
    private static final List<String> READ = List.of("get", "list", "watch");
    private static final List<String> WRITE = List.of("create", "delete", "deletecollection", "patch", "update");

    public static List<ObjectNode> clusterRoles() {
        List<ObjectNode> out = new ArrayList<>();
        ObjectNode admin = role("cluster-admin");
        rule(admin, List.of("*"), List.of("*"), List.of("*"));
        nonResource(admin, List.of("*"), List.of("*"));
        out.add(admin);

        ObjectNode discovery = role("system:discovery");
        nonResource(discovery, List.of("get"), List.of("/api", "/api/*", "/apis", "/apis/*", "/healthz", "/livez", "/openapi", "/openapi/*",
                "/readyz", "/version", "/version/"));
        out.add(discovery);
        ObjectNode publicInfo = role("system:public-info-viewer");
        nonResource(publicInfo, List.of("get"), List.of("/healthz", "/livez", "/readyz", "/version", "/version/"));
        out.add(publicInfo);
        ObjectNode basic = role("system:basic-user");
        rule(basic, List.of("authorization.k8s.io"), List.of("selfsubjectaccessreviews", "selfsubjectrulesreviews"), List.of("create"));
        rule(basic, List.of("authentication.k8s.io"), List.of("selfsubjectreviews"), List.of("create"));
        out.add(basic);

        // the user-facing roles, aggregated (upstream's labels: view aggregates into edit, edit into admin)
        out.add(aggregated("admin", "admin", null));
        out.add(aggregated("edit", "edit", "admin"));
        out.add(aggregated("view", "view", "edit"));
        ObjectNode toAdmin = labelled(role("system:aggregate-to-admin"), "admin");
        rule(toAdmin, List.of("authorization.k8s.io"), List.of("localsubjectaccessreviews"), List.of("create"));
        rule(toAdmin, List.of("rbac.authorization.k8s.io"), List.of("roles", "rolebindings"), concat(READ, WRITE));
        out.add(toAdmin);
        ObjectNode toEdit = labelled(role("system:aggregate-to-edit"), "edit");
        editRules(toEdit);
        out.add(toEdit);
        ObjectNode toView = labelled(role("system:aggregate-to-view"), "view");
        viewRules(toView);
        out.add(toView);
        aggregate(out);
        return out;
    }

    public static List<ObjectNode> clusterRoleBindings() {
        return List.of(
                binding("cluster-admin", "cluster-admin", UserInfo.MASTERS),
                binding("system:discovery", "system:discovery", UserInfo.AUTHENTICATED),
                binding("system:basic-user", "system:basic-user", UserInfo.AUTHENTICATED),
                binding("system:public-info-viewer", "system:public-info-viewer", UserInfo.AUTHENTICATED, UserInfo.UNAUTHENTICATED));
    }

    /** What {@code view} reads (upstream's system:aggregate-to-view): the namespaced kinds that do not escalate (not Secrets, not RBAC). */
    private static void viewRules(ObjectNode role) {
        rule(role, List.of(""), List.of("pods", "replicationcontrollers", "replicationcontrollers/scale", "serviceaccounts", "services",
                "services/status", "endpoints", "persistentvolumeclaims", "persistentvolumeclaims/status", "configmaps"), READ);
        rule(role, List.of(""), List.of("limitranges", "resourcequotas", "bindings", "events", "pods/status", "resourcequotas/status",
                "namespaces/status", "replicationcontrollers/status", "pods/log"), READ);
        // read access to namespaces at the namespace scope means you can read *this* namespace
        rule(role, List.of(""), List.of("namespaces"), READ);
        rule(role, List.of("discovery.k8s.io"), List.of("endpointslices"), READ);
        rule(role, List.of("apps"), List.of("controllerrevisions", "statefulsets", "statefulsets/status", "statefulsets/scale", "daemonsets",
                "daemonsets/status", "deployments", "deployments/status", "deployments/scale", "replicasets", "replicasets/status",
                "replicasets/scale"), READ);
        rule(role, List.of("autoscaling"), List.of("horizontalpodautoscalers", "horizontalpodautoscalers/status"), READ);
        rule(role, List.of("batch"), List.of("jobs", "cronjobs", "cronjobs/status", "jobs/status"), READ);
        rule(role, List.of("extensions"), List.of("daemonsets", "daemonsets/status", "deployments", "deployments/scale", "deployments/status",
                "ingresses", "ingresses/status", "replicasets", "replicasets/scale", "replicasets/status", "replicationcontrollers/scale",
                "networkpolicies"), READ);
        rule(role, List.of("policy"), List.of("poddisruptionbudgets", "poddisruptionbudgets/status"), READ);
        rule(role, List.of("networking.k8s.io"), List.of("networkpolicies", "ingresses", "ingresses/status"), READ);
        // kuberaft serves metrics.k8s.io itself: what metrics-server's system:aggregated-metrics-reader adds to view
        rule(role, List.of("metrics.k8s.io"), List.of("pods", "nodes"), READ);
    }

    /**
     * What {@code edit} adds (upstream's system:aggregate-to-edit): writes to those kinds, Secrets, exec/attach/port-forward/proxy,
     * impersonating ServiceAccounts. Not Endpoints or EndpointSlices: upstream took those writes out of edit in 1.22
     * (CVE-2021-25740, they can point a Service anywhere).
     */
    private static void editRules(ObjectNode role) {
        // read on the escalating resources
        rule(role, List.of(""), List.of("pods/attach", "pods/proxy", "pods/exec", "pods/portforward", "secrets", "services/proxy"), READ);
        rule(role, List.of(""), List.of("serviceaccounts"), List.of("impersonate"));
        rule(role, List.of(""), List.of("pods", "pods/attach", "pods/proxy", "pods/exec", "pods/portforward"), WRITE);
        rule(role, List.of(""), List.of("pods/eviction"), List.of("create"));
        rule(role, List.of(""), List.of("replicationcontrollers", "replicationcontrollers/scale", "serviceaccounts", "services",
                "services/proxy", "persistentvolumeclaims", "configmaps", "secrets", "events"), WRITE);
        rule(role, List.of(""), List.of("serviceaccounts/token"), List.of("create"));
        rule(role, List.of("apps"), List.of("statefulsets", "statefulsets/scale", "daemonsets", "deployments", "deployments/scale",
                "deployments/rollback", "replicasets", "replicasets/scale"), WRITE);
        rule(role, List.of("autoscaling"), List.of("horizontalpodautoscalers"), WRITE);
        rule(role, List.of("batch"), List.of("jobs", "cronjobs"), WRITE);
        rule(role, List.of("extensions"), List.of("daemonsets", "deployments", "deployments/scale", "deployments/rollback", "ingresses",
                "replicasets", "replicasets/scale", "replicationcontrollers/scale", "networkpolicies"), WRITE);
        rule(role, List.of("policy"), List.of("poddisruptionbudgets"), WRITE);
        rule(role, List.of("networking.k8s.io"), List.of("networkpolicies", "ingresses"), WRITE);
    }

    /**
     * Fills the rules of every aggregated role in {@code roles} from the others, as the ClusterRole aggregation controller
     * does (the matching roles by name, each rule once, the role itself skipped), until nothing changes: edit's rules
     * include view's, so admin's are computed again once edit's are.
     */
    static void aggregate(List<ObjectNode> roles) {
        boolean changed = true;
        for (int pass = 0; changed && pass < roles.size(); pass++) {
            changed = false;
            for (ObjectNode role : roles) {
                JsonNode rule = role.path("aggregationRule");
                if (!rule.isObject()) {
                    continue;
                }
                ArrayNode union = Objects.JSON.createArrayNode();
                for (JsonNode sel : rule.path("clusterRoleSelectors")) {
                    LabelSelector selector = LabelSelector.fromSpec(sel);
                    roles.stream().filter(r -> r != role && selector.matches(labels(r)))
                            .sorted(Comparator.comparing(Objects::name))
                            .forEach(r -> r.path("rules").forEach(x -> {
                                if (!contains(union, x)) {
                                    union.add(x.deepCopy());
                                }
                            }));
                }
                if (!union.equals(role.path("rules"))) {
                    role.set("rules", union);
                    changed = true;
                }
            }
        }
    }

    /**
     * Upstream's reconciliation of a bootstrap ClusterRole at start ({@code rbac.authorization.kubernetes.io/autoupdate},
     * unless it is "false"): missing labels and annotations are added, an aggregated role gets the expected selectors
     * added to its aggregationRule (its rules are the aggregation controller's), any other role the expected rules it
     * lacks; what a user added is kept. So a cluster made by an older version gets today's default policy. Returns the
     * updated role, or null when {@code existing} needs nothing.
     */
    public static ObjectNode reconcile(ObjectNode existing, ObjectNode expected) {
        if ("false".equals(existing.path("metadata").path("annotations").path(AUTOUPDATE).asText(""))) {
            return null;
        }
        ObjectNode out = existing.deepCopy();
        ObjectNode meta = (ObjectNode) out.path("metadata");
        for (String field : List.of("labels", "annotations")) {
            JsonNode want = expected.path("metadata").path(field);
            if (!want.isObject() || want.isEmpty()) {
                continue;
            }
            ObjectNode have = meta.path(field).isObject() ? (ObjectNode) meta.get(field) : meta.putObject(field);
            want.fields().forEachRemaining(e -> {
                if (!have.has(e.getKey())) {
                    have.set(e.getKey(), e.getValue());
                }
            });
        }
        if (expected.path("aggregationRule").isObject()) {
            ObjectNode rule = out.path("aggregationRule").isObject() ? (ObjectNode) out.get("aggregationRule") : out.putObject("aggregationRule");
            ArrayNode selectors = rule.path("clusterRoleSelectors").isArray() ? (ArrayNode) rule.get("clusterRoleSelectors")
                    : rule.putArray("clusterRoleSelectors");
            expected.path("aggregationRule").path("clusterRoleSelectors").forEach(sel -> {
                if (!contains(selectors, sel)) {
                    selectors.add(sel.deepCopy());
                }
            });
            if (!out.path("rules").isArray() || out.path("rules").isEmpty()) {
                out.set("rules", expected.path("rules").deepCopy()); // a flat role becoming aggregated keeps working meanwhile
            }
        } else {
            ArrayNode rules = out.path("rules").isArray() ? (ArrayNode) out.get("rules") : out.putArray("rules");
            expected.path("rules").forEach(r -> {
                if (!contains(rules, r)) {
                    rules.add(r.deepCopy());
                }
            });
        }
        return out.equals(existing) ? null : out;
    }

    private static boolean contains(ArrayNode rules, JsonNode rule) {
        for (JsonNode r : rules) {
            if (r.equals(rule)) {
                return true;
            }
        }
        return false;
    }

    private static Map<String, String> labels(ObjectNode o) {
        Map<String, String> out = new LinkedHashMap<>();
        o.path("metadata").path("labels").fields().forEachRemaining(e -> out.put(e.getKey(), e.getValue().asText()));
        return out;
    }

    /** A role aggregating those labelled {@code aggregate-to-<selects>}, itself labelled {@code aggregate-to-<into>} (null: none). */
    private static ObjectNode aggregated(String name, String selects, String into) {
        ObjectNode r = role(name);
        r.putObject("aggregationRule").putArray("clusterRoleSelectors").addObject().putObject("matchLabels").put(AGGREGATE_TO + selects, "true");
        return into == null ? r : labelled(r, into);
    }

    private static ObjectNode labelled(ObjectNode role, String aggregateTo) {
        ((ObjectNode) role.path("metadata").path("labels")).put(AGGREGATE_TO + aggregateTo, "true");
        return role;
    }

    private static List<String> concat(List<String> a, List<String> b) {
        List<String> out = new ArrayList<>(a);
        out.addAll(b);
        return out;
    }

    private static ObjectNode role(String name) {
        ObjectNode r = Objects.JSON.createObjectNode();
        r.put("apiVersion", "rbac.authorization.k8s.io/v1").put("kind", "ClusterRole");
        bootstrapMeta(r, name);
        r.putArray("rules");
        return r;
    }

    private static void bootstrapMeta(ObjectNode o, String name) {
        ObjectNode meta = o.putObject("metadata").put("name", name);
        meta.putObject("labels").put("kubernetes.io/bootstrapping", "rbac-defaults");
        meta.putObject("annotations").put(AUTOUPDATE, "true");
    }

    private static void rule(ObjectNode role, List<String> groups, List<String> resources, List<String> verbs) {
        // sorted, as upstream's rule builder stores them
        ObjectNode r = ((ArrayNode) role.get("rules")).addObject();
        groups.forEach(r.putArray("apiGroups")::add);
        new TreeSet<>(resources).forEach(r.putArray("resources")::add);
        new TreeSet<>(verbs).forEach(r.putArray("verbs")::add);
    }

    private static void nonResource(ObjectNode role, List<String> verbs, List<String> urls) {
        ObjectNode r = ((ArrayNode) role.get("rules")).addObject();
        urls.forEach(r.putArray("nonResourceURLs")::add);
        verbs.forEach(r.putArray("verbs")::add);
    }

    private static ObjectNode binding(String name, String clusterRole, String... groups) {
        ObjectNode b = Objects.JSON.createObjectNode();
        b.put("apiVersion", "rbac.authorization.k8s.io/v1").put("kind", "ClusterRoleBinding");
        bootstrapMeta(b, name);
        b.putObject("roleRef").put("apiGroup", "rbac.authorization.k8s.io").put("kind", "ClusterRole").put("name", clusterRole);
        ArrayNode subjects = b.putArray("subjects");
        for (String g : groups) {
            subjects.addObject().put("apiGroup", "rbac.authorization.k8s.io").put("kind", "Group").put("name", g);
        }
        return b;
    }
}
