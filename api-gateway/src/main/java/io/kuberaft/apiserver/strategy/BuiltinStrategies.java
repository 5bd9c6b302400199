package io.kuberaft.apiserver.strategy;

import io.kuberaft.apiserver.registry.ResourceStrategy;

import java.util.Map;

/** The strategy (defaults, validation, field selectors) of each built-in kind, keyed by "group/Kind". */
public final class BuiltinStrategies {
    private BuiltinStrategies() {
    }

    private static final Map<String, ResourceStrategy> BY_KIND = Map.ofEntries(
            // core/v1
            Map.entry("/Namespace", new NamespaceStrategy()),
            Map.entry("/Pod", new PodStrategy()),
            Map.entry("/Node", new NodeStrategy()),
            Map.entry("/Service", new ServiceStrategy()),
            Map.entry("/Endpoints", new EndpointsStrategy(false)),
            Map.entry("/ConfigMap", new ConfigMapStrategy()),
            Map.entry("/Secret", new SecretStrategy()),
            Map.entry("/Event", new EventStrategy(false)),
            Map.entry("/LimitRange", new LimitRangeStrategy()),
            Map.entry("/ResourceQuota", new ResourceQuotaStrategy()),
            Map.entry("/PersistentVolume", new PersistentVolumeStrategy()),
            Map.entry("/PersistentVolumeClaim", new PersistentVolumeClaimStrategy()),
            Map.entry("/ReplicationController", new ReplicationControllerStrategy()),
            Map.entry("/PodTemplate", new PodTemplateStrategy()),
            Map.entry("/ServiceAccount", new MetadataKindStrategies.ServiceAccountStrategy()),
            // apps/v1
            Map.entry("apps/Deployment", new DeploymentStrategy()),
            Map.entry("apps/ReplicaSet", new ReplicaSetStrategy()),
            Map.entry("apps/StatefulSet", new StatefulSetStrategy()),
            Map.entry("apps/DaemonSet", new DaemonSetStrategy()),
            Map.entry("apps/ControllerRevision", new MetadataKindStrategies.ControllerRevisionStrategy()),
            // batch/v1
            Map.entry("batch/Job", new JobStrategy()),
            Map.entry("batch/CronJob", new CronJobStrategy()),
            // networking, policy, autoscaling
            Map.entry("networking.k8s.io/Ingress", new NetworkingStrategies.IngressStrategy()),
            Map.entry("networking.k8s.io/IngressClass", new NetworkingStrategies.IngressClassStrategy()),
            Map.entry("networking.k8s.io/NetworkPolicy", new NetworkingStrategies.NetworkPolicyStrategy()),
            Map.entry("policy/PodDisruptionBudget", new AutoscalingPolicyStrategies.PodDisruptionBudgetStrategy()),
            Map.entry("autoscaling/HorizontalPodAutoscaler", new AutoscalingPolicyStrategies.HorizontalPodAutoscalerStrategy()),
            // rbac
            Map.entry("rbac.authorization.k8s.io/Role", new RbacStrategy(false, false)),
            Map.entry("rbac.authorization.k8s.io/ClusterRole", new RbacStrategy(false, true)),
            Map.entry("rbac.authorization.k8s.io/RoleBinding", new RbacStrategy(true, false)),
            Map.entry("rbac.authorization.k8s.io/ClusterRoleBinding", new RbacStrategy(true, true)),
            // storage, scheduling, events, discovery
            Map.entry("storage.k8s.io/StorageClass", new StorageStrategies.StorageClassStrategy()),
            Map.entry("scheduling.k8s.io/PriorityClass", new StorageStrategies.PriorityClassStrategy()),
            Map.entry("node.k8s.io/RuntimeClass", new RuntimeClassStrategy()),
            Map.entry("coordination.k8s.io/Lease", new MetadataKindStrategies.LeaseStrategy()),
            Map.entry("events.k8s.io/Event", new EventStrategy(true)),
            Map.entry("discovery.k8s.io/EndpointSlice", new EndpointsStrategy(true)),
            Map.entry("certificates.k8s.io/CertificateSigningRequest", new CertificateSigningRequestStrategy()),
            Map.entry("apiextensions.k8s.io/CustomResourceDefinition", new io.kuberaft.apiserver.crd.CustomResourceDefinitionStrategy()));

    public static ResourceStrategy forKind(String group, String kind, ResourceStrategy fallback) {
        return BY_KIND.getOrDefault(group + "/" + kind, fallback);
    }
}
