package io.kuberaft.apiserver.auth;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.kuberaft.apiserver.registry.Objects;

import java.util.ArrayList;
import java.util.List;

/**
 * The default RBAC policy every cluster starts with, as upstream's bootstrap policy names it: {@code cluster-admin}
 * (bound to {@code system:masters}), the user-facing {@code admin}, {@code edit} and {@code view} roles, and the
 * discovery, basic-user and public-info-viewer roles every authenticated (or, for the last, every) client has.
 * Created once if missing; users may change them afterwards, as upstream's {@code autoupdate: "false"} allows.
 */
public final class BootstrapPolicy {
    private BootstrapPolicy() {
    }

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

        ObjectNode view = role("view");
        viewRules(view);
        out.add(view);
        ObjectNode edit = role("edit");
        editRules(edit);
        viewRules(edit);
        out.add(edit);
        ObjectNode nsAdmin = role("admin");
        rule(nsAdmin, List.of("rbac.authorization.k8s.io"), List.of("roles", "rolebindings"), concat(READ, WRITE));
        rule(nsAdmin, List.of("authorization.k8s.io"), List.of("localsubjectaccessreviews"), List.of("create"));
        editRules(nsAdmin);
        viewRules(nsAdmin);
        out.add(nsAdmin);
        return out;
    }

    public static List<ObjectNode> clusterRoleBindings() {
        return List.of(
                binding("cluster-admin", "cluster-admin", UserInfo.MASTERS),
                binding("system:discovery", "system:discovery", UserInfo.AUTHENTICATED),
                binding("system:basic-user", "system:basic-user", UserInfo.AUTHENTICATED),
                binding("system:public-info-viewer", "system:public-info-viewer", UserInfo.AUTHENTICATED, UserInfo.UNAUTHENTICATED));
    }

    /** What {@code view} reads: the namespaced workload, service and config kinds (not Secrets, not RBAC). */
    private static void viewRules(ObjectNode role) {
        rule(role, List.of(""), List.of("configmaps", "endpoints", "persistentvolumeclaims", "persistentvolumeclaims/status", "pods", "pods/log",
                "pods/status", "replicationcontrollers", "replicationcontrollers/scale", "replicationcontrollers/status", "serviceaccounts",
                "services", "services/status", "bindings", "events", "limitranges", "namespaces/status", "resourcequotas",
                "resourcequotas/status", "namespaces"), READ);
        rule(role, List.of("apps"), List.of("controllerrevisions", "daemonsets", "daemonsets/status", "deployments", "deployments/scale",
                "deployments/status", "replicasets", "replicasets/scale", "replicasets/status", "statefulsets", "statefulsets/scale",
                "statefulsets/status"), READ);
        rule(role, List.of("autoscaling"), List.of("horizontalpodautoscalers", "horizontalpodautoscalers/status"), READ);
        rule(role, List.of("batch"), List.of("cronjobs", "cronjobs/status", "jobs", "jobs/status"), READ);
        rule(role, List.of("policy"), List.of("poddisruptionbudgets", "poddisruptionbudgets/status"), READ);
        rule(role, List.of("networking.k8s.io"), List.of("ingresses", "ingresses/status", "networkpolicies"), READ);
        rule(role, List.of("discovery.k8s.io"), List.of("endpointslices"), READ);
        rule(role, List.of("metrics.k8s.io"), List.of("pods", "nodes"), READ);
    }

    /** What {@code edit} adds: writes to those kinds, Secrets, exec/attach/port-forward/proxy. */
    private static void editRules(ObjectNode role) {
        rule(role, List.of(""), List.of("pods/attach", "pods/exec", "pods/portforward", "pods/proxy", "secrets", "services/proxy"), concat(READ, WRITE));
        rule(role, List.of(""), List.of("serviceaccounts/token"), List.of("create"));
        rule(role, List.of(""), List.of("configmaps", "events", "persistentvolumeclaims", "pods", "pods/eviction", "replicationcontrollers",
                "replicationcontrollers/scale", "serviceaccounts", "services", "endpoints"), WRITE);
        rule(role, List.of("apps"), List.of("daemonsets", "deployments", "deployments/rollback", "deployments/scale", "replicasets",
                "replicasets/scale", "statefulsets", "statefulsets/scale"), WRITE);
        rule(role, List.of("autoscaling"), List.of("horizontalpodautoscalers"), WRITE);
        rule(role, List.of("batch"), List.of("cronjobs", "jobs"), WRITE);
        rule(role, List.of("policy"), List.of("poddisruptionbudgets"), WRITE);
        rule(role, List.of("networking.k8s.io"), List.of("ingresses", "networkpolicies"), WRITE);
        rule(role, List.of("discovery.k8s.io"), List.of("endpointslices"), WRITE);
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
        meta.putObject("annotations").put("rbac.authorization.kubernetes.io/autoupdate", "true");
    }

    private static void rule(ObjectNode role, List<String> groups, List<String> resources, List<String> verbs) {
        ObjectNode r = ((ArrayNode) role.get("rules")).addObject();
        groups.forEach(r.putArray("apiGroups")::add);
        resources.forEach(r.putArray("resources")::add);
        verbs.forEach(r.putArray("verbs")::add);
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
