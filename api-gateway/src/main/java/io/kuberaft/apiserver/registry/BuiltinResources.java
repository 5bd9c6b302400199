package io.kuberaft.apiserver.registry;

import io.kuberaft.apiserver.strategy.BuiltinStrategies;
import io.kuberaft.apiserver.strategy.HorizontalPodAutoscalerConversion;
import io.kuberaft.apiserver.table.BuiltinTables;

import java.util.List;
import java.util.Set;

/** The built-in kinds, with upstream's names, scopes, short names, categories and subresources. */
public final class BuiltinResources {
    private BuiltinResources() {
    }

    private static final Set<String> ALL = ResourceDefinition.ALL_VERBS;
    private static final List<String> ALL_CATEGORY = List.of("all");

    private static ResourceDefinition def(String group, String version, String plural, String kind, boolean namespaced,
                                          List<String> shortNames, List<String> categories, List<String> subresources,
                                          ResourceStrategy strategy) {
        String singular = kind.toLowerCase();
        return new ResourceDefinition(group, version, plural, singular, kind, namespaced, shortNames, categories, ALL,
                subresources, BuiltinStrategies.forKind(group, kind, strategy), BuiltinTables.forKind(group, kind));
    }

    private static ResourceDefinition ns(String group, String plural, String kind, String... shortNames) {
        return def(group, "v1", plural, kind, true, List.of(shortNames), List.of(), List.of(), DefaultStrategy.INSTANCE);
    }

    private static ResourceDefinition review(String group, String plural, String kind, boolean namespaced) {
        return new ResourceDefinition(group, "v1", plural, kind.toLowerCase(), kind, namespaced, List.of(), List.of(), Set.of("create"),
                List.of(), DefaultStrategy.INSTANCE, BuiltinTables.forKind(group, kind));
    }

    public static void registerAll(ResourceRegistry r) {
        ResourceStrategy d = DefaultStrategy.INSTANCE;
        ResourceStrategy label = new DefaultStrategy.LabelNamed();
        // core/v1
        // upstream serves no deletecollection of namespaces
        r.register(new ResourceDefinition("", "v1", "namespaces", "namespace", "Namespace", false, List.of("ns"), List.of(),
                Set.of("create", "delete", "get", "list", "patch", "update", "watch"), List.of("status", "finalize"),
                BuiltinStrategies.forKind("", "Namespace", label), BuiltinTables.forKind("", "Namespace")));
        r.register(def("", "v1", "pods", "Pod", true, List.of("po"), ALL_CATEGORY,
                List.of("status", "binding", "eviction", "log", "exec", "attach", "portforward", "proxy", "ephemeralcontainers"), d));
        r.register(def("", "v1", "nodes", "Node", false, List.of("no"), List.of(), List.of("status", "proxy"), d));
        r.register(def("", "v1", "services", "Service", true, List.of("svc"), ALL_CATEGORY, List.of("status", "proxy"), label));
        r.register(ns("", "endpoints", "Endpoints", "ep"));
        r.register(ns("", "configmaps", "ConfigMap", "cm"));
        r.register(ns("", "secrets", "Secret"));
        r.register(def("", "v1", "serviceaccounts", "ServiceAccount", true, List.of("sa"), List.of(), List.of("token"), d));
        r.register(ns("", "events", "Event", "ev"));
        r.register(ns("", "limitranges", "LimitRange", "limits"));
        r.register(def("", "v1", "resourcequotas", "ResourceQuota", true, List.of("quota"), List.of(), List.of("status"), d));
        r.register(def("", "v1", "persistentvolumes", "PersistentVolume", false, List.of("pv"), List.of(), List.of("status"), d));
        r.register(def("", "v1", "persistentvolumeclaims", "PersistentVolumeClaim", true, List.of("pvc"), List.of(), List.of("status"), d));
        r.register(def("", "v1", "replicationcontrollers", "ReplicationController", true, List.of("rc"), ALL_CATEGORY,
                List.of("scale", "status"), d));
        r.register(ns("", "podtemplates", "PodTemplate"));
        // the legacy top-level binding of a pod to a node (POST namespaces/{ns}/bindings): create only, never stored
        // (SubresourceHandler binds the pod named by the Binding)
        r.register(new ResourceDefinition("", "v1", "bindings", "binding", "Binding", true, List.of(), List.of(), Set.of("create"),
                List.of(), d, BuiltinTables.forKind("", "Binding")));
        r.register(new ResourceDefinition("", "v1", "componentstatuses", "componentstatus", "ComponentStatus", false,
                List.of("cs"), List.of(), Set.of("get", "list"), List.of(), d, BuiltinTables.forKind("", "ComponentStatus")));
        // apps/v1
        r.register(def("apps", "v1", "deployments", "Deployment", true, List.of("deploy"), ALL_CATEGORY, List.of("scale", "status"), d));
        r.register(def("apps", "v1", "replicasets", "ReplicaSet", true, List.of("rs"), ALL_CATEGORY, List.of("scale", "status"), d));
        r.register(def("apps", "v1", "statefulsets", "StatefulSet", true, List.of("sts"), ALL_CATEGORY, List.of("scale", "status"), d));
        r.register(def("apps", "v1", "daemonsets", "DaemonSet", true, List.of("ds"), ALL_CATEGORY, List.of("status"), d));
        r.register(ns("apps", "controllerrevisions", "ControllerRevision"));
        // batch/v1
        r.register(def("batch", "v1", "jobs", "Job", true, List.of(), ALL_CATEGORY, List.of("status"), d));
        r.register(def("batch", "v1", "cronjobs", "CronJob", true, List.of("cj"), ALL_CATEGORY, List.of("status"), d));
        // networking.k8s.io/v1
        r.register(def("networking.k8s.io", "v1", "ingresses", "Ingress", true, List.of("ing"), List.of(), List.of("status"), d));
        r.register(def("networking.k8s.io", "v1", "ingressclasses", "IngressClass", false, List.of(), List.of(), List.of(), d));
        r.register(ns("networking.k8s.io", "networkpolicies", "NetworkPolicy", "netpol"));
        // policy/v1
        r.register(def("policy", "v1", "poddisruptionbudgets", "PodDisruptionBudget", true, List.of("pdb"), List.of(), List.of("status"), d));
        // rbac.authorization.k8s.io/v1
        r.register(ns("rbac.authorization.k8s.io", "roles", "Role"));
        r.register(ns("rbac.authorization.k8s.io", "rolebindings", "RoleBinding"));
        r.register(def("rbac.authorization.k8s.io", "v1", "clusterroles", "ClusterRole", false, List.of(), List.of(), List.of(), d));
        r.register(def("rbac.authorization.k8s.io", "v1", "clusterrolebindings", "ClusterRoleBinding", false, List.of(), List.of(), List.of(), d));
        // storage.k8s.io/v1
        r.register(def("storage.k8s.io", "v1", "storageclasses", "StorageClass", false, List.of("sc"), List.of(), List.of(), d));
        // coordination.k8s.io/v1
        r.register(ns("coordination.k8s.io", "leases", "Lease"));
        // events.k8s.io/v1
        r.register(ns("events.k8s.io", "events", "Event", "ev"));
        // discovery.k8s.io/v1
        r.register(ns("discovery.k8s.io", "endpointslices", "EndpointSlice"));
        // autoscaling: stored in v2, v1 converted
        VersionConversion hpa = HorizontalPodAutoscalerConversion.INSTANCE;
        r.register(def("autoscaling", "v2", "horizontalpodautoscalers", "HorizontalPodAutoscaler", true, List.of("hpa"), ALL_CATEGORY,
                List.of("status"), d).withConversion(hpa));
        r.register(def("autoscaling", "v1", "horizontalpodautoscalers", "HorizontalPodAutoscaler", true, List.of("hpa"), ALL_CATEGORY,
                List.of("status"), d).withConversion(hpa));
        // scheduling.k8s.io/v1
        r.register(def("scheduling.k8s.io", "v1", "priorityclasses", "PriorityClass", false, List.of("pc"), List.of(), List.of(), d));
        // node.k8s.io/v1
        r.register(def("node.k8s.io", "v1", "runtimeclasses", "RuntimeClass", false, List.of(), List.of(), List.of(), d));
        // the reviews: create-only questions to the server, never stored (auth.AccessReviews)
        r.register(review("authorization.k8s.io", "selfsubjectaccessreviews", "SelfSubjectAccessReview", false));
        r.register(review("authorization.k8s.io", "subjectaccessreviews", "SubjectAccessReview", false));
        r.register(review("authorization.k8s.io", "localsubjectaccessreviews", "LocalSubjectAccessReview", true));
        r.register(review("authorization.k8s.io", "selfsubjectrulesreviews", "SelfSubjectRulesReview", false));
        r.register(review("authentication.k8s.io", "selfsubjectreviews", "SelfSubjectReview", false));
        r.register(review("authentication.k8s.io", "tokenreviews", "TokenReview", false));
        // certificates.k8s.io/v1
        r.register(def("certificates.k8s.io", "v1", "certificatesigningrequests", "CertificateSigningRequest", false, List.of("csr"),
                List.of(), List.of("status", "approval"), d));
        // apiextensions.k8s.io/v1
        r.register(def("apiextensions.k8s.io", "v1", "customresourcedefinitions", "CustomResourceDefinition", false,
                List.of("crd", "crds"), List.of(), List.of("status"), d));
    }
}
