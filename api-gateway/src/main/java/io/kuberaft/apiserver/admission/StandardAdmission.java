package io.kuberaft.apiserver.admission;

import io.kuberaft.apiserver.registry.GenericRegistry;
import io.kuberaft.apiserver.registry.ResourceRegistry;
import io.kuberaft.apiserver.registry.ResourceStore;

/**
 * The admission chain every replica runs, in upstream's order: NamespaceLifecycle, LimitRanger,
 * ServiceAccount, Priority, DefaultTolerationSeconds, DefaultStorageClass, StorageObjectInUseProtection, RuntimeClass,
 * DefaultIngressClass, then kuberaft's
 * ServiceIPAllocation (cluster IPs and node ports through the store), and ResourceQuota last.
 */
public final class StandardAdmission {
    private StandardAdmission() {
    }

    public static AdmissionChain chain(ResourceRegistry registry, ResourceStore store) {
        Lookup lookup = new Lookup(registry, store);
        return chain(lookup, new SystemBootstrap(lookup));
    }

    static AdmissionChain chain(Lookup lookup, SystemBootstrap system) {
        return new AdmissionChain()
                .register(new NamespaceLifecycle(lookup, system))
                .register(new LimitRanger(lookup))
                .register(new ServiceAccountAdmission(lookup))
                .register(new ClassDefaults.Priority(lookup))
                .register(new DefaultTolerationSeconds(300))
                .register(new ClassDefaults.DefaultStorageClass(lookup))
                .register(new StorageObjectInUseProtection())
                .register(new RuntimeClassAdmission(lookup))
                .register(new ClassDefaults.DefaultIngressClass(lookup))
                .register(ServiceAllocation.defaults(lookup))
                .register(new PodSecurityAdmission(lookup))
                .register(new ResourceQuotaAdmission(lookup))
                .register(new io.kuberaft.apiserver.crd.CustomResourceCleanup());
    }

    /** The generic registry and the bootstrap that fills the store in the background (stopped with the server). */
    public record Started(GenericRegistry generic, SystemBootstrap bootstrap) {
    }

    /**
     * The generic registry with this chain, and the system namespaces, PriorityClasses, {@code kubernetes}
     * service and default RBAC policy ensured in the background (retried until the store has a quorum).
     */
    public static Started startRegistry(ResourceRegistry registry, ResourceStore store) {
        Lookup lookup = new Lookup(registry, store);
        SystemBootstrap system = new SystemBootstrap(lookup);
        GenericRegistry generic = new GenericRegistry(store, chain(lookup, system));
        system.startAsync(generic);
        return new Started(generic, system);
    }
}
