package io.kuberaft.apiserver.patch;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.TextNode;

import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The patch tags of the built-in types (upstream's {@code patchStrategy}/{@code patchMergeKey} struct tags and
 * the list-type markers that differ from them), as a compact static table keyed by "group/Kind" and JSON path.
 * Shared structures (ObjectMeta, PodSpec, Container, PodTemplateSpec) are written once and mounted under
 * every path where they occur. Fields not listed have no strategy: their lists are replaced, their maps merged.
 */
public final class BuiltinPatchMeta implements PatchMeta {
    public static final BuiltinPatchMeta INSTANCE = new BuiltinPatchMeta();

    /** The groups served by the API server itself; any other group is a custom resource. */
    private static final Set<String> BUILTIN_GROUPS = Set.of("", "apps", "batch", "autoscaling", "policy",
            "networking.k8s.io", "rbac.authorization.k8s.io", "storage.k8s.io", "coordination.k8s.io", "events.k8s.io",
            "discovery.k8s.io", "scheduling.k8s.io", "apiextensions.k8s.io", "admissionregistration.k8s.io",
            "certificates.k8s.io", "node.k8s.io", "flowcontrol.apiserver.k8s.io", "resource.k8s.io",
            "authentication.k8s.io", "authorization.k8s.io", "apiregistration.k8s.io", "internal.apiserver.k8s.io",
            "storagemigration.k8s.io");

    /** One field's tags. {@code keys} overrides the list-map keys where upstream's list markers differ from the merge key. */
    record Tag(String strategy, String mergeKey, List<String> keys, boolean atomicMap) {
        static Tag merge(String key) {
            return new Tag("merge", key, null, false);
        }

        static Tag mergeRetainKeys(String key) {
            return new Tag("merge,retainKeys", key, null, false);
        }

        static Tag mergeKeys(String key, String... listMapKeys) {
            return new Tag("merge", key, List.of(listMapKeys), false);
        }

        static final Tag PRIMITIVE_MERGE = new Tag("merge", "", null, false);
        static final Tag RETAIN_KEYS = new Tag("retainKeys", "", null, false);
        static final Tag ATOMIC_MAP = new Tag("", "", null, true);
    }

    private static final Tag CONDITIONS = Tag.merge("type");

    private static final Map<String, Tag> OBJECT_META = Map.of(
            "ownerReferences", Tag.merge("uid"),
            "finalizers", Tag.PRIMITIVE_MERGE);

    private static final Map<String, Tag> CONTAINER = Map.of(
            "ports", Tag.mergeKeys("containerPort", "containerPort", "protocol"),
            "env", Tag.merge("name"),
            "volumeMounts", Tag.merge("mountPath"),
            "volumeDevices", Tag.merge("devicePath"));

    private static final Map<String, Tag> POD_SPEC = new Table()
            .put("volumes", Tag.mergeRetainKeys("name"))
            .put("initContainers", Tag.merge("name")).mount("initContainers", CONTAINER)
            .put("containers", Tag.merge("name")).mount("containers", CONTAINER)
            .put("ephemeralContainers", Tag.merge("name")).mount("ephemeralContainers", CONTAINER)
            .put("imagePullSecrets", Tag.merge("name"))
            .put("hostAliases", Tag.merge("ip"))
            .put("topologySpreadConstraints", Tag.mergeKeys("topologyKey", "topologyKey", "whenUnsatisfiable"))
            .put("schedulingGates", Tag.merge("name"))
            .put("resourceClaims", Tag.mergeRetainKeys("name"))
            .build();

    private static final Map<String, Tag> POD_STATUS = Map.of(
            "conditions", CONDITIONS,
            "podIPs", Tag.merge("ip"),
            "hostIPs", Tag.merge("ip"),
            "resourceClaimStatuses", Tag.mergeRetainKeys("name"));

    private static final Map<String, Tag> POD_TEMPLATE_SPEC = new Table()
            .mount("metadata", OBJECT_META).mount("spec", POD_SPEC).build();

    /** A workload with a pod template at spec.template, a label selector and status conditions. */
    private static Table workload() {
        return new Table().mount("spec.template", POD_TEMPLATE_SPEC).put("spec.selector", Tag.ATOMIC_MAP)
                .put("status.conditions", CONDITIONS);
    }

    private static final Map<String, Map<String, Tag>> KINDS = new HashMap<>();

    static {
        kind("", "Pod", new Table().mount("spec", POD_SPEC).mount("status", POD_STATUS));
        kind("", "PodTemplate", new Table().mount("template", POD_TEMPLATE_SPEC));
        kind("", "ReplicationController", workload());
        kind("", "Node", new Table().put("spec.podCIDRs", Tag.PRIMITIVE_MERGE).put("status.conditions", CONDITIONS)
                .put("status.addresses", Tag.merge("type")));
        kind("", "Service", new Table().put("spec.ports", Tag.mergeKeys("port", "port", "protocol"))
                .put("spec.selector", Tag.ATOMIC_MAP).put("status.conditions", CONDITIONS));
        kind("", "Namespace", new Table().put("status.conditions", CONDITIONS));
        kind("", "PersistentVolumeClaim", new Table().put("status.conditions", CONDITIONS));
        kind("", "ServiceAccount", new Table().put("secrets", Tag.merge("name")));
        kind("", "ComponentStatus", new Table().put("conditions", CONDITIONS));
        kind("apps", "Deployment", workload().put("spec.strategy", Tag.RETAIN_KEYS));
        kind("apps", "ReplicaSet", workload());
        kind("apps", "StatefulSet", workload());
        kind("apps", "DaemonSet", workload());
        kind("batch", "Job", workload());
        kind("batch", "CronJob", new Table().mount("spec.jobTemplate.metadata", OBJECT_META)
                .mount("spec.jobTemplate.spec.template", POD_TEMPLATE_SPEC)
                .put("spec.jobTemplate.spec.selector", Tag.ATOMIC_MAP));
        kind("autoscaling", "HorizontalPodAutoscaler", new Table().put("status.conditions", CONDITIONS));
        kind("policy", "PodDisruptionBudget", new Table().put("spec.selector", Tag.ATOMIC_MAP).put("status.conditions", CONDITIONS));
        kind("networking.k8s.io", "NetworkPolicy", new Table().put("spec.podSelector", Tag.ATOMIC_MAP));
    }

    private static void kind(String group, String kind, Table t) {
        KINDS.put(group + "/" + kind, t.mount("metadata", OBJECT_META).build());
    }

    /** Kinds without entries still have ObjectMeta's tags. */
    private static final Map<String, Tag> DEFAULT = new Table().mount("metadata", OBJECT_META).build();

    private static final class Table {
        private final Map<String, Tag> tags = new LinkedHashMap<>();

        Table put(String path, Tag t) {
            tags.put(path, t);
            return this;
        }

        Table mount(String prefix, Map<String, Tag> sub) {
            sub.forEach((p, t) -> tags.put(prefix + "." + p, t));
            return this;
        }

        Map<String, Tag> build() {
            return Map.copyOf(tags);
        }
    }

    private BuiltinPatchMeta() {
    }

    private static Tag tag(String group, String kind, String path) {
        if (!BUILTIN_GROUPS.contains(group)) {
            return null;
        }
        return KINDS.getOrDefault(group + "/" + kind, DEFAULT).get(path);
    }

    @Override
    public boolean supportsStrategicMerge(String group, String kind) {
        return BUILTIN_GROUPS.contains(group);
    }

    @Override
    public String strategy(String group, String kind, String path) {
        Tag t = tag(group, kind, path);
        return t == null ? "" : t.strategy();
    }

    @Override
    public String mergeKey(String group, String kind, String path) {
        Tag t = tag(group, kind, path);
        return t == null ? "" : t.mergeKey();
    }

    @Override
    public List<String> listMapKeys(String group, String kind, String path) {
        Tag t = tag(group, kind, path);
        if (t != null && t.keys() != null) {
            return t.keys();
        }
        return PatchMeta.super.listMapKeys(group, kind, path);
    }

    @Override
    public JsonNode listMapKeyDefault(String group, String kind, String path, String key) {
        // Container and service ports: protocol defaults to TCP (upstream's schema default makes the key complete).
        return key.equals("protocol") ? TextNode.valueOf("TCP") : null;
    }

    @Override
    public boolean atomicMap(String group, String kind, String path) {
        Tag t = tag(group, kind, path);
        return t != null && t.atomicMap();
    }
}
