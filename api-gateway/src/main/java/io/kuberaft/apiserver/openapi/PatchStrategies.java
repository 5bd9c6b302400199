package io.kuberaft.apiserver.openapi;

import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The strategic-merge-patch and server-side-apply metadata of the built-in types: the one thing the
 * {@code client-java-api} model classes do not carry (they lose upstream's {@code +patchMergeKey},
 * {@code +patchStrategy}, {@code +listType}, {@code +listMapKey} and {@code +mapType} markers).
 *
 * <p>Keys are upstream definition names ({@code io.k8s.api.core.v1.PodSpec}) and JSON field names. The
 * values follow Kubernetes 1.32 ({@code k8s.io/api/.../types.go}); lists not named here are left without
 * a list type, which kubectl treats as atomic (replace the whole list) — the same as upstream's
 * {@code atomic}. kubectl uses these for {@code apply} (three-way strategic merge patch: merge
 * {@code containers} by {@code name} instead of replacing the list) and server-side apply uses the list
 * types. Extend this table when a kind is added.
 *
 * <ul>
 *   <li>{@code x-kubernetes-patch-strategy}: {@code merge}, {@code retainKeys} or {@code merge,retainKeys}
 *   <li>{@code x-kubernetes-patch-merge-key}: the element field that identifies list elements
 *   <li>{@code x-kubernetes-list-type}: {@code atomic}, {@code set} or {@code map}
 *   <li>{@code x-kubernetes-list-map-keys}: the keys of a {@code map} list
 *   <li>{@code x-kubernetes-map-type} (type level): {@code atomic} for structs replaced as a whole
 * </ul>
 */
public final class PatchStrategies {
    /** The extensions of one field; null members are not emitted. */
    public record FieldMeta(String patchStrategy, String patchMergeKey, String listType, List<String> listMapKeys) {
    }

    static final String CORE = "io.k8s.api.core.v1.";
    static final String APPS = "io.k8s.api.apps.v1.";
    static final String BATCH = "io.k8s.api.batch.v1.";
    static final String NET = "io.k8s.api.networking.v1.";
    static final String POLICY = "io.k8s.api.policy.v1.";
    static final String RBAC = "io.k8s.api.rbac.v1.";
    static final String STORAGE = "io.k8s.api.storage.v1.";
    static final String DISCOVERY = "io.k8s.api.discovery.v1.";
    static final String HPA2 = "io.k8s.api.autoscaling.v2.";
    static final String META = "io.k8s.apimachinery.pkg.apis.meta.v1.";
    static final String CRD = "io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.v1.";

    private static final Map<String, Map<String, FieldMeta>> FIELDS = new HashMap<>();
    private static final Map<String, String> MAP_TYPES = new HashMap<>();

    static {
        // metadata
        put(META + "ObjectMeta", "finalizers", "merge", null, "set");
        put(META + "ObjectMeta", "ownerReferences", "merge", "uid", "map", "uid");
        atomic(META + "ObjectMeta", "managedFields");
        atomic(META + "LabelSelector", "matchExpressions");
        atomic(META + "LabelSelectorRequirement", "values");
        atomicType(META + "LabelSelector", META + "OwnerReference");

        // pods
        for (String f : List.of("containers", "initContainers", "ephemeralContainers", "imagePullSecrets", "schedulingGates")) {
            put(CORE + "PodSpec", f, "merge", "name", "map", "name");
        }
        put(CORE + "PodSpec", "volumes", "merge,retainKeys", "name", "map", "name");
        put(CORE + "PodSpec", "resourceClaims", "merge,retainKeys", "name", "map", "name");
        put(CORE + "PodSpec", "hostAliases", "merge", "ip", "map", "ip");
        put(CORE + "PodSpec", "topologySpreadConstraints", "merge", "topologyKey", "map", "topologyKey", "whenUnsatisfiable");
        atomic(CORE + "PodSpec", "tolerations", "readinessGates");
        for (String c : List.of("Container", "EphemeralContainer")) {
            put(CORE + c, "env", "merge", "name", "map", "name");
            put(CORE + c, "ports", "merge", "containerPort", "map", "containerPort", "protocol");
            put(CORE + c, "volumeMounts", "merge", "mountPath", "map", "mountPath");
            put(CORE + c, "volumeDevices", "merge", "devicePath", "map", "devicePath");
            atomic(CORE + c, "command", "args", "envFrom", "resizePolicy");
        }
        put(CORE + "ResourceRequirements", "claims", null, null, "map", "name");
        put(CORE + "PodStatus", "conditions", "merge", "type", "map", "type");
        put(CORE + "PodStatus", "podIPs", "merge", "ip", "map", "ip");
        put(CORE + "PodStatus", "hostIPs", "merge", "ip", "map", "ip");
        put(CORE + "PodStatus", "resourceClaimStatuses", "merge,retainKeys", "name", "map", "name");
        atomic(CORE + "PodStatus", "containerStatuses", "initContainerStatuses", "ephemeralContainerStatuses");
        atomic(CORE + "PodSecurityContext", "supplementalGroups", "sysctls");
        atomic(CORE + "Capabilities", "add", "drop");
        atomic(CORE + "ExecAction", "command");
        atomic(CORE + "HTTPGetAction", "httpHeaders");
        atomic(CORE + "NodeSelector", "nodeSelectorTerms");
        atomic(CORE + "NodeSelectorTerm", "matchExpressions", "matchFields");
        atomic(CORE + "NodeSelectorRequirement", "values");
        atomic(CORE + "NodeAffinity", "preferredDuringSchedulingIgnoredDuringExecution");
        for (String a : List.of("PodAffinity", "PodAntiAffinity")) {
            atomic(CORE + a, "requiredDuringSchedulingIgnoredDuringExecution", "preferredDuringSchedulingIgnoredDuringExecution");
        }
        atomic(CORE + "PodAffinityTerm", "namespaces", "matchLabelKeys", "mismatchLabelKeys");
        atomic(CORE + "TopologySpreadConstraint", "matchLabelKeys");
        for (String v : List.of("ConfigMapVolumeSource", "SecretVolumeSource", "ConfigMapProjection", "SecretProjection")) {
            atomic(CORE + v, "items");
        }
        atomic(CORE + "DownwardAPIVolumeSource", "items");
        atomic(CORE + "ProjectedVolumeSource", "sources");
        atomicType(CORE + "ObjectReference", CORE + "LocalObjectReference", CORE + "TypedLocalObjectReference",
                CORE + "ConfigMapKeySelector", CORE + "SecretKeySelector", CORE + "ObjectFieldSelector",
                CORE + "ResourceFieldSelector", CORE + "NodeSelector", CORE + "NodeSelectorTerm", CORE + "TopologySelectorTerm");

        // services, endpoints, nodes, namespaces, volumes, service accounts, controllers
        put(CORE + "ServiceSpec", "ports", "merge", "port", "map", "port", "protocol");
        atomic(CORE + "ServiceSpec", "clusterIPs", "externalIPs", "ipFamilies", "loadBalancerSourceRanges");
        put(CORE + "ServiceStatus", "conditions", "merge", "type", "map", "type");
        atomic(CORE + "LoadBalancerStatus", "ingress");
        atomic(CORE + "Endpoints", "subsets");
        atomic(CORE + "EndpointSubset", "addresses", "notReadyAddresses", "ports");
        put(CORE + "NodeSpec", "podCIDRs", "merge", null, "set");
        atomic(CORE + "NodeSpec", "taints");
        put(CORE + "NodeStatus", "addresses", "merge", "type", "map", "type");
        put(CORE + "NodeStatus", "conditions", "merge", "type", "map", "type");
        atomic(CORE + "NodeStatus", "images", "volumesAttached", "volumesInUse");
        put(CORE + "NamespaceStatus", "conditions", "merge", "type", "map", "type");
        atomic(CORE + "NamespaceSpec", "finalizers");
        put(CORE + "PersistentVolumeClaimStatus", "conditions", "merge", "type", "map", "type");
        atomic(CORE + "PersistentVolumeClaimStatus", "accessModes");
        atomic(CORE + "PersistentVolumeClaimSpec", "accessModes");
        atomic(CORE + "PersistentVolumeSpec", "accessModes", "mountOptions");
        put(CORE + "ServiceAccount", "secrets", "merge", "name", "map", "name");
        atomic(CORE + "ServiceAccount", "imagePullSecrets");
        put(CORE + "ReplicationControllerStatus", "conditions", "merge", "type", "map", "type");
        atomic(CORE + "LimitRangeSpec", "limits");
        atomic(CORE + "ResourceQuotaSpec", "scopes");
        atomic(CORE + "ScopeSelector", "matchExpressions");

        // apps
        put(APPS + "DeploymentSpec", "strategy", "retainKeys", null, null);
        for (String s : List.of("DeploymentStatus", "ReplicaSetStatus", "StatefulSetStatus", "DaemonSetStatus")) {
            put(APPS + s, "conditions", "merge", "type", "map", "type");
        }
        atomic(APPS + "StatefulSetSpec", "volumeClaimTemplates");

        // batch
        put(BATCH + "JobStatus", "conditions", "merge", "type", "atomic");
        atomic(BATCH + "CronJobStatus", "active");
        atomic(BATCH + "PodFailurePolicy", "rules");

        // networking
        atomic(NET + "IngressSpec", "rules", "tls");
        atomic(NET + "IngressTLS", "hosts");
        atomic(NET + "HTTPIngressRuleValue", "paths");
        atomic(NET + "NetworkPolicySpec", "ingress", "egress", "policyTypes");
        atomic(NET + "NetworkPolicyIngressRule", "from", "ports");
        atomic(NET + "NetworkPolicyEgressRule", "to", "ports");

        // policy, rbac, storage, discovery, autoscaling, apiextensions
        put(POLICY + "PodDisruptionBudgetStatus", "conditions", "merge", "type", "map", "type");
        atomic(RBAC + "Role", "rules");
        atomic(RBAC + "ClusterRole", "rules");
        atomic(RBAC + "RoleBinding", "subjects");
        atomic(RBAC + "ClusterRoleBinding", "subjects");
        atomic(RBAC + "PolicyRule", "apiGroups", "resources", "resourceNames", "verbs", "nonResourceURLs");
        atomicType(RBAC + "RoleRef", RBAC + "Subject");
        atomic(STORAGE + "StorageClass", "mountOptions", "allowedTopologies");
        atomic(DISCOVERY + "EndpointSlice", "endpoints", "ports");
        put(DISCOVERY + "Endpoint", "addresses", null, null, "set");
        atomic(HPA2 + "HorizontalPodAutoscalerSpec", "metrics");
        put(HPA2 + "HorizontalPodAutoscalerStatus", "conditions", "merge", "type", "map", "type");
        atomic(HPA2 + "HorizontalPodAutoscalerStatus", "currentMetrics");
        atomic(HPA2 + "HPAScalingRules", "policies");
        atomic(CRD + "CustomResourceDefinitionSpec", "versions");
        atomic(CRD + "CustomResourceDefinitionNames", "shortNames", "categories");
        put(CRD + "CustomResourceDefinitionStatus", "conditions", null, null, "map", "type");
    }

    private PatchStrategies() {
    }

    private static void put(String type, String field, String strategy, String mergeKey, String listType, String... mapKeys) {
        FIELDS.computeIfAbsent(type, t -> new HashMap<>())
                .put(field, new FieldMeta(strategy, mergeKey, listType, mapKeys.length == 0 ? null : List.of(mapKeys)));
    }

    private static void atomic(String type, String... fields) {
        for (String f : fields) {
            put(type, f, null, null, "atomic");
        }
    }

    private static void atomicType(String... types) {
        for (String t : types) {
            MAP_TYPES.put(t, "atomic");
        }
    }

    /** The patch/list metadata of {@code field} in the definition named {@code definition}, or null. */
    public static FieldMeta field(String definition, String field) {
        Map<String, FieldMeta> m = FIELDS.get(definition);
        return m == null ? null : m.get(field);
    }

    /** {@code x-kubernetes-map-type} of a definition, or null. */
    public static String mapType(String definition) {
        return MAP_TYPES.get(definition);
    }

    /** The fields of a definition named in the table. */
    static java.util.Set<String> fieldsOf(String definition) {
        return FIELDS.getOrDefault(definition, Map.of()).keySet();
    }

    /** Every definition named in the table (tests check each one is generated). */
    static java.util.Set<String> definitions() {
        java.util.Set<String> s = new java.util.TreeSet<>(FIELDS.keySet());
        s.addAll(MAP_TYPES.keySet());
        return s;
    }
}
