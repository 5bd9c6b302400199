package io.kuberaft.apiserver.admission;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.kuberaft.apiserver.registry.Objects;
import io.kuberaft.apiserver.registry.ResourceDefinition;
import io.kuberaft.apiserver.registry.StoreOps;
import io.kuberaft.raftstore.ReadConsistency;

import java.util.Set;

/**
 * One admission plugin (NamespaceLifecycle, LimitRanger, ServiceAccount, …). Mutating plugins run
 * first, then validating ones; the first error stops the request (a StatusException).
 */
public interface AdmissionPlugin {
    enum Operation { CREATE, UPDATE, DELETE, CONNECT }

    String name();

    Set<Operation> operations();

    /** Whether it changes the object (runs in the mutating phase) or only checks it. */
    boolean mutating();

    void admit(Attributes a);

    /**
     * The object leaves the store for good (deleted at once, or its last finalizer removed): what to
     * release in the same txn (quota usage, a service's cluster IP and node ports). Not an upstream
     * admission phase: it is how kuberaft keeps that state exact without a separate repair loop.
     */
    default void onRemove(Attributes a) {
    }

    /**
     * One write as plugins see it. {@code object} is the object being written (mutable in the mutating
     * phase), {@code old} the stored one (null on create). {@code ops} collects compares and writes that
     * commit in the same txn as the object; when one fails, the registry runs admission again with
     * {@code reads} = LINEARIZABLE. First attempts read SERIALIZABLE (the local replica): whatever a plugin
     * relies on must then be pinned by a compare in {@code ops}.
     */
    record Attributes(Operation operation, ResourceDefinition def, String namespace, ObjectNode object, ObjectNode old,
                      StoreOps ops, ReadConsistency reads) {
        public String name() {
            return Objects.name(object != null ? object : old);
        }

        public boolean is(String group, String kind) {
            return def.group().equals(group) && def.kind().equals(kind);
        }
    }
}
