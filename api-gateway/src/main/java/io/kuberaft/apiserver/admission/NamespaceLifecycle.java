package io.kuberaft.apiserver.admission;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.kuberaft.apiserver.registry.Objects;
import io.kuberaft.apiserver.registry.ResourceDefinition;
import io.kuberaft.apiserver.registry.ResourceStore;
import io.kuberaft.kubeapi.StatusException;
import io.kuberaft.raftstore.ReadConsistency;

import java.util.List;
import java.util.Set;

/**
 * Upstream's NamespaceLifecycle: nothing is written into a namespace that does not exist (404) or is being
 * terminated (403); default, kube-system and kube-public may not be deleted. The namespace read is pinned by
 * a compare on its revision in the create's txn, so a namespace that starts terminating (or goes away)
 * concurrently, on any replica, is noticed. The system namespaces are created when missing.
 */
public final class NamespaceLifecycle implements AdmissionPlugin {
    static final Set<String> IMMORTAL = Set.of("default", "kube-system", "kube-public");
    private final Lookup lookup;
    private final SystemBootstrap system;

    public NamespaceLifecycle(Lookup lookup, SystemBootstrap system) {
        this.lookup = lookup;
        this.system = system;
    }

    @Override
    public String name() {
        return "NamespaceLifecycle";
    }

    @Override
    public Set<Operation> operations() {
        return Set.of(Operation.CREATE, Operation.UPDATE, Operation.DELETE);
    }

    /** Runs first (upstream registers it as the first mutating plugin), though it changes nothing. */
    @Override
    public boolean mutating() {
        return true;
    }

    @Override
    public void admit(Attributes a) {
        if (a.is("", "Namespace")) {
            if (a.operation() == Operation.DELETE && IMMORTAL.contains(a.name())) {
                throw Lookup.forbidden(a.def(), a.name(), "this namespace may not be deleted");
            }
            return;
        }
        String ns = a.namespace();
        if (ns == null || ns.isEmpty() || !a.def().namespaced() || a.operation() == Operation.DELETE) {
            return;
        }
        ResourceDefinition nsDef = lookup.kind("", "Namespace");
        ObjectNode namespace = lookup.getFresh(nsDef, null, ns, a.reads());
        if (namespace == null && SystemBootstrap.SYSTEM_NAMESPACES.contains(ns)) {
            system.ensureNamespace(ns);
            namespace = lookup.get(nsDef, null, ns, ReadConsistency.LINEARIZABLE);
        }
        if (namespace == null) {
            throw StatusException.notFound("", "namespaces", ns);
        }
        if (a.operation() == Operation.CREATE) {
            if ("Terminating".equals(namespace.path("status").path("phase").asText())) {
                throw Lookup.forbidden(a.def(), a.name(), "unable to create new content in namespace " + ns + " because it is being terminated",
                        List.of(new StatusException.Cause("NamespaceTerminating", "namespace " + ns + " is being terminated", "metadata.namespace")));
            }
            a.ops().requireModRevision(ResourceStore.key(nsDef, null, ns), Objects.resourceVersion(namespace));
        }
    }
}
