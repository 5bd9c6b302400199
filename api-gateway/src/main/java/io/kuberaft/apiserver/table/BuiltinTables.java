package io.kuberaft.apiserver.table;

import java.util.Map;

import static java.util.Map.entry;

/**
 * The table columns of each built-in kind (server-side printing), keyed by "group/Kind" ("" group for
 * core), as Kubernetes 1.32 prints them (pkg/printers/internalversion). Kinds upstream has no printer
 * for (roles, cluster roles, limit ranges, CRDs) get the default NAME / CREATED AT table.
 */
public final class BuiltinTables {
    private BuiltinTables() {
    }

    private static final Map<String, TableConvertor> BY_KIND = Map.ofEntries(
            // core/v1
            entry("/Pod", PodTable.TABLE),
            entry("/Node", NodeTable.TABLE),
            entry("/Namespace", CoreTables.NAMESPACE),
            entry("/Service", CoreTables.SERVICE),
            entry("/Endpoints", CoreTables.ENDPOINTS),
            entry("/ConfigMap", CoreTables.CONFIG_MAP),
            entry("/Secret", CoreTables.SECRET),
            entry("/ServiceAccount", CoreTables.SERVICE_ACCOUNT),
            entry("/Event", EventTable.TABLE),
            entry("/LimitRange", RowTable.CREATED_AT),
            entry("/ResourceQuota", CoreTables.RESOURCE_QUOTA),
            entry("/PersistentVolume", StorageTables.PERSISTENT_VOLUME),
            entry("/PersistentVolumeClaim", StorageTables.PERSISTENT_VOLUME_CLAIM),
            entry("/ReplicationController", WorkloadTables.REPLICATION_CONTROLLER),
            entry("/PodTemplate", CoreTables.POD_TEMPLATE),
            entry("/ComponentStatus", CoreTables.COMPONENT_STATUS),
            // apps/v1
            entry("apps/Deployment", WorkloadTables.DEPLOYMENT),
            entry("apps/ReplicaSet", WorkloadTables.REPLICA_SET),
            entry("apps/StatefulSet", WorkloadTables.STATEFUL_SET),
            entry("apps/DaemonSet", WorkloadTables.DAEMON_SET),
            entry("apps/ControllerRevision", WorkloadTables.CONTROLLER_REVISION),
            // batch/v1
            entry("batch/Job", WorkloadTables.JOB),
            entry("batch/CronJob", WorkloadTables.CRON_JOB),
            // networking.k8s.io/v1, discovery.k8s.io/v1
            entry("networking.k8s.io/Ingress", NetworkTables.INGRESS),
            entry("networking.k8s.io/IngressClass", NetworkTables.INGRESS_CLASS),
            entry("networking.k8s.io/NetworkPolicy", NetworkTables.NETWORK_POLICY),
            entry("discovery.k8s.io/EndpointSlice", NetworkTables.ENDPOINT_SLICE),
            // policy/v1
            entry("policy/PodDisruptionBudget", MiscTables.POD_DISRUPTION_BUDGET),
            // rbac.authorization.k8s.io/v1
            entry("rbac.authorization.k8s.io/Role", RowTable.CREATED_AT),
            entry("rbac.authorization.k8s.io/ClusterRole", RowTable.CREATED_AT),
            entry("rbac.authorization.k8s.io/RoleBinding", RbacTables.ROLE_BINDING),
            entry("rbac.authorization.k8s.io/ClusterRoleBinding", RbacTables.CLUSTER_ROLE_BINDING),
            // storage.k8s.io/v1
            entry("storage.k8s.io/StorageClass", StorageTables.STORAGE_CLASS),
            // coordination.k8s.io/v1
            entry("coordination.k8s.io/Lease", MiscTables.LEASE),
            // events.k8s.io/v1 (printed like core events)
            entry("events.k8s.io/Event", EventTable.TABLE),
            // autoscaling/v1, v2
            entry("autoscaling/HorizontalPodAutoscaler", MiscTables.HORIZONTAL_POD_AUTOSCALER),
            // scheduling.k8s.io/v1
            entry("scheduling.k8s.io/PriorityClass", MiscTables.PRIORITY_CLASS),
            // node.k8s.io/v1
            entry("node.k8s.io/RuntimeClass", MiscTables.RUNTIME_CLASS),
            // certificates.k8s.io/v1
            entry("certificates.k8s.io/CertificateSigningRequest", MiscTables.CERTIFICATE_SIGNING_REQUEST),
            // apiextensions.k8s.io/v1
            entry("apiextensions.k8s.io/CustomResourceDefinition", RowTable.CREATED_AT));

    public static TableConvertor forKind(String group, String kind) {
        return BY_KIND.getOrDefault(group + "/" + kind, TableConvertor.DEFAULT);
    }
}
