package io.kuberaft.apiserver.admission;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.kuberaft.apiserver.registry.GenericRegistry;
import io.kuberaft.apiserver.registry.Objects;
import io.kuberaft.apiserver.registry.ResourceDefinition;
import io.kuberaft.kubeapi.StatusException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.List;
import java.util.UUID;

/**
 * What every cluster has from the start: the namespaces default, kube-system, kube-public and kube-node-lease,
 * the system PriorityClasses, the {@code kubernetes} service (first cluster IP) and the default RBAC policy. Every replica ensures them
 * at start; each is a plain create that tolerates AlreadyExists, so replicas racing each other are harmless.
 */
public final class SystemBootstrap {
    private static final Logger LOG = LoggerFactory.getLogger(SystemBootstrap.class);
    public static final List<String> SYSTEM_NAMESPACES = List.of("default", "kube-system", "kube-public", "kube-node-lease");
    private final Lookup lookup;
    private volatile boolean policyEnsured;
    private volatile Thread thread;

    public SystemBootstrap(Lookup lookup) {
        this.lookup = lookup;
    }

    /** Creates a system namespace if it does not exist (on demand, from NamespaceLifecycle, before the bootstrap got to it). */
    public void ensureNamespace(String name) {
        ResourceDefinition def = lookup.kind("", "Namespace");
        if (lookup.get(def, null, name, io.kuberaft.raftstore.ReadConsistency.SERIALIZABLE) != null) {
            return; // a local read: the periodic pass must not cost a Raft write per namespace
        }
        ObjectNode ns = Objects.JSON.createObjectNode();
        ns.put("apiVersion", "v1").put("kind", "Namespace");
        ns.putObject("metadata").put("name", name).put("uid", UUID.randomUUID().toString())
                .put("creationTimestamp", Objects.now());
        def.strategy().prepareForCreate(def, ns);
        try {
            lookup.store().create(def, null, name, ns);
            LOG.info("created namespace {}", name);
        } catch (StatusException e) {
            if (e.code() != 409) {
                throw e;
            }
        }
    }

    /** Ensures every system object; throws when the store cannot be reached. */
    public void ensureAll(GenericRegistry generic) {
        SYSTEM_NAMESPACES.forEach(this::ensureNamespace);
        ResourceDefinition pc = lookup.kind("scheduling.k8s.io", "PriorityClass");
        createIfMissing(generic, pc, null, priorityClass("system-node-critical", 2000001000,
                "Used for system critical pods that must not be moved from their current node."));
        createIfMissing(generic, pc, null, priorityClass("system-cluster-critical", 2000000000,
                "Used for system critical pods that must run in the cluster, but can be moved to another node if necessary."));
        ObjectNode svc = Objects.JSON.createObjectNode();
        svc.put("apiVersion", "v1").put("kind", "Service");
        ObjectNode meta = svc.putObject("metadata").put("name", "kubernetes").put("namespace", "default");
        meta.putObject("labels").put("component", "apiserver").put("provider", "kubernetes");
        ObjectNode spec = svc.putObject("spec");
        spec.put("type", "ClusterIP").put("clusterIP", ServiceAllocation.DEFAULT_CIDR_FIRST_IP).put("sessionAffinity", "None");
        spec.putArray("ports").addObject().put("name", "https").put("port", 443).put("protocol", "TCP").put("targetPort", 6443);
        createIfMissing(generic, lookup.kind("", "Service"), "default", svc);
        if (!policyEnsured) {
            // once per replica start, as upstream's bootstrap-roles hook: a default role a user deleted stays deleted until then
            ResourceDefinition clusterRole = lookup.kind("rbac.authorization.k8s.io", "ClusterRole");
            io.kuberaft.apiserver.auth.BootstrapPolicy.clusterRoles().forEach(r -> ensureClusterRole(generic, clusterRole, r));
            ResourceDefinition clusterRoleBinding = lookup.kind("rbac.authorization.k8s.io", "ClusterRoleBinding");
            io.kuberaft.apiserver.auth.BootstrapPolicy.clusterRoleBindings().forEach(b -> createIfMissing(generic, clusterRoleBinding, null, b));
            policyEnsured = true;
        }
    }

    private static ObjectNode priorityClass(String name, long value, String description) {
        ObjectNode pc = Objects.JSON.createObjectNode();
        pc.put("apiVersion", "scheduling.k8s.io/v1").put("kind", "PriorityClass");
        pc.putObject("metadata").put("name", name);
        pc.put("value", value).put("description", description);
        return pc;
    }

    private static void createIfMissing(GenericRegistry generic, ResourceDefinition def, String ns, ObjectNode obj) {
        if (generic.store().getOrNull(def, ns, Objects.name(obj), io.kuberaft.raftstore.ReadConsistency.LINEARIZABLE) == null) {
            create(generic, def, ns, obj);
        }
    }

    /** Creates {@code obj}; one made meanwhile (409) is fine, an invalid one (422) is logged. */
    private static void create(GenericRegistry generic, ResourceDefinition def, String ns, ObjectNode obj) {
        try {
            generic.create(def, ns, obj, GenericRegistry.WriteOptions.DEFAULT);
            LOG.info("created {} {}", def.plural(), Objects.name(obj));
        } catch (StatusException e) {
            if (e.code() == 422) {
                LOG.warn("cannot create {} {}: {}", def.plural(), Objects.name(obj), e.getMessage());
            } else if (e.code() != 409) {
                throw e;
            }
        }
    }

    /** A bootstrap ClusterRole created, or reconciled with today's policy (upstream's autoupdate). */
    private static void ensureClusterRole(GenericRegistry generic, ResourceDefinition def, ObjectNode expected) {
        ObjectNode existing = generic.store().getOrNull(def, null, Objects.name(expected), io.kuberaft.raftstore.ReadConsistency.LINEARIZABLE);
        if (existing == null) {
            create(generic, def, null, expected);
            return;
        }
        ObjectNode reconciled = io.kuberaft.apiserver.auth.BootstrapPolicy.reconcile(existing, expected);
        if (reconciled == null) {
            return;
        }
        try {
            generic.update(def, null, Objects.name(expected), reconciled, GenericRegistry.WriteOptions.DEFAULT);
            LOG.info("reconciled {} {} with the default policy", def.plural(), Objects.name(expected));
        } catch (StatusException e) {
            if (e.code() != 409 && e.code() != 404) { // changed or deleted meanwhile: the next start looks again
                throw e;
            }
        }
    }

    /**
     * Ensures the system objects on a daemon thread, retrying with backoff until the store answers (a replica
     * may start before the cluster has a quorum).
     */
    public void startAsync(GenericRegistry generic) {
        Thread t = new Thread(() -> {
            long delay = 100;
            while (!Thread.currentThread().isInterrupted()) {
                try {
                    ensureAll(generic);
                    return;
                } catch (RuntimeException e) {
                    LOG.debug("system objects not ensured yet: {}", e.toString());
                }
                try {
                    Thread.sleep(delay);
                } catch (InterruptedException e) {
                    return;
                }
                delay = Math.min(delay * 2, 5000);
            }
        }, "kuberaft-system-bootstrap");
        t.setDaemon(true);
        thread = t;
        t.start();
    }

    /** Stops the background pass and waits for it (at most 5 s): it must not write once the store is closed. */
    public void stop() {
        Thread t = thread;
        if (t == null) {
            return;
        }
        t.interrupt();
        try {
            t.join(5_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
