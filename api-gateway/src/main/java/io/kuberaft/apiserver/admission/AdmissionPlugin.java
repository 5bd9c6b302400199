package io.kuberaft.apiserver.admission;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.kuberaft.apiserver.registry.ResourceDefinition;

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

    /** {@code old} is null on create; {@code obj} is the object being written (mutable when mutating). */
    void admit(Operation op, ResourceDefinition def, String namespace, ObjectNode obj, ObjectNode old);
}
