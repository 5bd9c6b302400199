package io.kuberaft.controllers.gc;

import io.fabric8.kubernetes.api.model.APIGroup;
import io.fabric8.kubernetes.api.model.APIResource;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.OwnerReference;
import io.fabric8.kubernetes.api.model.DeletionPropagation;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.base.ResourceDefinitionContext;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import io.kuberaft.controllers.runtime.Controller;
import io.kuberaft.controllers.runtime.ControllerContext;
import io.kuberaft.controllers.runtime.WorkQueue;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * upstream's garbage collector, over every resource the API serves (found through discovery, rechecked
 * every 30 s so custom resources join): a graph of ownerReferences kept from metadata informers; an
 * object whose owners are all gone is deleted (Background: after its owner), an owner deleted with
 * {@code foregroundDeletion} loses that finalizer once no dependent with blockOwnerDeletion remains
 * (its dependents are deleted first, in foreground too when they have dependents of their own), and an
 * owner with the {@code orphan} finalizer has its dependents' references to it removed, then the
 * finalizer. Work keys are object uids; the special key {@link #DISCOVER} (re)starts the informers.
 */
public final class GarbageCollector implements Controller {
    private static final Logger LOG = LoggerFactory.getLogger(GarbageCollector.class);
    static final String DISCOVER = "#discover";
    static final String FOREGROUND = "foregroundDeletion";
    static final String ORPHAN = "orphan";
    private static final long REDISCOVER_MS = 30_000;
    /** upstream's ignoredResources: events are never owners or dependents worth watching. */
    private static final Set<String> IGNORED = Set.of("events", "events.events.k8s.io");

    private ControllerContext ctx;
    private WorkQueue queue;
    /** group/version/kind → how to reach it. */
    private final Map<String, ResourceDefinitionContext> kinds = new ConcurrentHashMap<>();
    private final Map<String, SharedIndexInformer<? extends HasMetadata>> informers = new ConcurrentHashMap<>();
    private final Graph graph = new Graph();

    /** The ownership graph: every observed object by uid, and the dependents of every uid (observed or not). */
    static final class Graph {
        final Map<String, Node> nodes = new HashMap<>();
        final Map<String, Set<String>> dependents = new HashMap<>();

        synchronized Node get(String uid) {
            return nodes.get(uid);
        }

        synchronized List<Node> dependentsOf(String uid) {
            List<Node> out = new ArrayList<>();
            for (String d : dependents.getOrDefault(uid, Set.of())) {
                Node n = nodes.get(d);
                if (n != null) {
                    out.add(n);
                }
            }
            return out;
        }

        /** Records {@code n}; returns the owners whose dependents changed (to look at again). */
        synchronized Set<String> put(Node n) {
            Node old = nodes.put(n.uid, n);
            Set<String> touched = new HashSet<>();
            if (old != null) {
                for (OwnerReference r : old.owners) {
                    removeDependent(r.getUid(), n.uid);
                    touched.add(r.getUid());
                }
            }
            for (OwnerReference r : n.owners) {
                dependents.computeIfAbsent(r.getUid(), k -> new HashSet<>()).add(n.uid);
                touched.add(r.getUid());
            }
            return touched;
        }

        synchronized Node remove(String uid) {
            Node old = nodes.remove(uid);
            if (old != null) {
                for (OwnerReference r : old.owners) {
                    removeDependent(r.getUid(), uid);
                }
            }
            return old;
        }

        private void removeDependent(String owner, String dep) {
            Set<String> s = dependents.get(owner);
            if (s != null) {
                s.remove(dep);
                if (s.isEmpty()) {
                    dependents.remove(owner);
                }
            }
        }
    }

    /** One observed object: identity, owners, deletion state. */
    record Node(String uid, ResourceDefinitionContext rd, String namespace, String name, List<OwnerReference> owners,
                boolean deleting, List<String> finalizers) {
        boolean deletingDependents() {
            return deleting && finalizers.contains(FOREGROUND);
        }
    }

    @Override
    public String name() {
        return "garbage-collector-controller";
    }

    @Override
    public int workers() {
        return 4;
    }

    @Override
    public void register(ControllerContext ctx, WorkQueue queue) {
        this.ctx = ctx;
        this.queue = queue;
        queue.add(DISCOVER); // the workers start once the API answers: discovery then
    }

    @Override
    public void reconcile(String key) {
        if (DISCOVER.equals(key)) {
            discover();
            queue.addAfter(DISCOVER, REDISCOVER_MS);
            return;
        }
        if (informers.isEmpty() || informers.values().stream().anyMatch(i -> !i.hasSynced())) {
            // as upstream, no decision before every resource is listed: a dependent not yet seen would
            // let a foreground owner go too early, or an orphaning owner leave it behind
            queue.addAfter(key, 200);
            return;
        }
        Node n = graph.get(key);
        if (n == null) {
            return;
        }
        if (n.deleting()) {
            if (n.finalizers().contains(ORPHAN)) {
                orphanDependents(n);
                return;
            }
            if (n.finalizers().contains(FOREGROUND)) {
                processDeletingDependents(n);
            }
            return;
        }
        if (!n.owners().isEmpty()) {
            attemptToDelete(n);
        }
    }

    // ---------------------------------------------------------------- informers

    private void discover() {
        KubernetesClient client = ctx.client();
        List<ResourceDefinitionContext> found = new ArrayList<>();
        addResources(found, client, "", "v1");
        for (APIGroup g : client.getApiGroups().getGroups()) {
            for (var v : g.getVersions()) {
                addResources(found, client, g.getName(), v.getVersion());
            }
        }
        for (ResourceDefinitionContext rd : found) {
            kinds.putIfAbsent(gvk(apiVersion(rd), rd.getKind()), rd);
        }
        // watch each resource once, at its group's preferred version
        Map<String, ResourceDefinitionContext> preferred = new HashMap<>();
        addPreferred(preferred, client);
        for (var e : preferred.entrySet()) {
            informers.computeIfAbsent(e.getKey(), k -> start(e.getValue()));
        }
    }

    private void addPreferred(Map<String, ResourceDefinitionContext> out, KubernetesClient client) {
        List<ResourceDefinitionContext> list = new ArrayList<>();
        addResources(list, client, "", "v1");
        for (APIGroup g : client.getApiGroups().getGroups()) {
            addResources(list, client, g.getName(), g.getPreferredVersion().getVersion());
        }
        for (ResourceDefinitionContext rd : list) {
            String id = rd.getGroup() == null || rd.getGroup().isEmpty() ? rd.getPlural() : rd.getPlural() + "." + rd.getGroup();
            if (!IGNORED.contains(id)) {
                out.putIfAbsent(id, rd);
            }
        }
    }

    private static void addResources(List<ResourceDefinitionContext> out, KubernetesClient client, String group, String version) {
        var list = client.getApiResources(group.isEmpty() ? version : group + "/" + version);
        if (list == null) {
            return;
        }
        for (APIResource r : list.getResources()) {
            if (!r.getName().contains("/") && r.getVerbs().contains("list") && r.getVerbs().contains("watch")
                    && r.getVerbs().contains("delete")) {
                out.add(new ResourceDefinitionContext.Builder().withGroup(group).withVersion(version)
                        .withPlural(r.getName()).withKind(r.getKind()).withNamespaced(Boolean.TRUE.equals(r.getNamespaced())).build());
            }
        }
    }

    /**
     * The informer of {@code rd}: the typed one another controller already runs for the same kind and version when there
     * is one (upstream's garbage collector shares the controller manager's informers too), else a generic one. Sharing
     * matters for pods and ConfigMaps: a second watch would make the server encode, and this leader decode, every
     * event twice.
     */
    private SharedIndexInformer<? extends HasMetadata> start(ResourceDefinitionContext rd) {
        ResourceEventHandler<HasMetadata> handler = new ResourceEventHandler<>() {
            @Override
            public void onAdd(HasMetadata o) {
                observed(rd, o);
            }

            @Override
            public void onUpdate(HasMetadata o, HasMetadata n) {
                observed(rd, n);
            }

            @Override
            public void onDelete(HasMetadata o, boolean unknown) {
                if (o != null) {
                    gone(o.getMetadata().getUid());
                }
            }
        };
        var shared = ctx.informers().existing(apiVersion(rd), rd.getKind());
        if (shared.isPresent()) {
            shared.get().addEventHandler(handler); // running: replays its cache as adds
            return shared.get();
        }
        var op = ctx.client().genericKubernetesResources(rd);
        SharedIndexInformer<GenericKubernetesResource> inf = rd.isNamespaceScoped()
                ? op.inAnyNamespace().runnableInformer(0) : op.runnableInformer(0);
        inf.addEventHandler(handler);
        ctx.informers().track(inf);
        inf.start();
        return inf;
    }

    private void observed(ResourceDefinitionContext rd, HasMetadata o) {
        var m = o.getMetadata();
        List<OwnerReference> owners = m.getOwnerReferences() == null ? List.of() : List.copyOf(m.getOwnerReferences());
        List<String> finalizers = m.getFinalizers() == null ? List.of() : List.copyOf(m.getFinalizers());
        Node n = new Node(m.getUid(), rd, m.getNamespace(), m.getName(), owners, m.getDeletionTimestamp() != null, finalizers);
        Set<String> touched = graph.put(n);
        if (!owners.isEmpty() || n.deleting()) {
            queue.add(n.uid());
        }
        // an owner waiting in foreground for its dependents looks again when one changes
        for (String owner : touched) {
            Node on = graph.get(owner);
            if (on != null && on.deletingDependents()) {
                queue.add(owner);
            }
        }
        // dependents that were waiting for this owner to appear (or to be deleted) look again
        for (Node d : graph.dependentsOf(n.uid())) {
            if (n.deleting()) {
                queue.add(d.uid());
            }
        }
    }

    private void gone(String uid) {
        Node old = graph.remove(uid);
        for (Node d : graph.dependentsOf(uid)) {
            queue.add(d.uid()); // their owner is gone
        }
        if (old != null) {
            for (OwnerReference r : old.owners()) {
                Node owner = graph.get(r.getUid());
                if (owner != null && owner.deletingDependents()) {
                    queue.add(owner.uid());
                }
            }
        }
    }

    // ---------------------------------------------------------------- decisions

    private enum OwnerState { SOLID, DANGLING, WAITING }

    /** upstream's attemptToDeleteItem for an object with owners. */
    private void attemptToDelete(Node n) {
        List<OwnerReference> dangling = new ArrayList<>();
        List<OwnerReference> waiting = new ArrayList<>();
        boolean solid = false;
        for (OwnerReference r : n.owners()) {
            switch (ownerState(n, r)) {
                case SOLID -> solid = true;
                case DANGLING -> dangling.add(r);
                case WAITING -> waiting.add(r);
            }
        }
        if (solid) {
            if (dangling.isEmpty() && waiting.isEmpty()) {
                return;
            }
            // other owners remain: only the references to the gone or deleting ones go
            Set<String> drop = new HashSet<>();
            dangling.forEach(r -> drop.add(r.getUid()));
            waiting.forEach(r -> drop.add(r.getUid()));
            removeOwnerRefs(n, drop);
            return;
        }
        DeletionPropagation policy;
        if (!waiting.isEmpty() && !graph.dependentsOf(n.uid()).isEmpty()) {
            policy = DeletionPropagation.FOREGROUND; // the owner waits for us, so we wait for ours
        } else if (n.finalizers().contains(ORPHAN)) {
            policy = DeletionPropagation.ORPHAN;
        } else if (n.finalizers().contains(FOREGROUND)) {
            policy = DeletionPropagation.FOREGROUND;
        } else {
            policy = DeletionPropagation.BACKGROUND;
        }
        delete(n, policy);
    }

    private OwnerState ownerState(Node n, OwnerReference r) {
        Node owner = graph.get(r.getUid());
        if (owner != null) {
            return owner.deletingDependents() ? OwnerState.WAITING : OwnerState.SOLID;
        }
        // not (yet) in the graph: ask the API, the cache may be behind
        ResourceDefinitionContext rd = kinds.get(gvk(r.getApiVersion(), r.getKind()));
        if (rd == null) {
            throw new IllegalStateException("unknown owner kind " + r.getApiVersion() + "/" + r.getKind() + " of " + n.name());
        }
        var op = ctx.client().genericKubernetesResources(rd);
        GenericKubernetesResource live = rd.isNamespaceScoped()
                ? op.inNamespace(n.namespace()).withName(r.getName()).get() : op.withName(r.getName()).get();
        if (live == null || !Objects.equals(live.getMetadata().getUid(), r.getUid())) {
            return OwnerState.DANGLING;
        }
        boolean fg = live.getMetadata().getDeletionTimestamp() != null && live.getMetadata().getFinalizers() != null
                && live.getMetadata().getFinalizers().contains(FOREGROUND);
        return fg ? OwnerState.WAITING : OwnerState.SOLID;
    }

    /** An owner deleted in foreground: delete its dependents; drop the finalizer once none blocks. */
    private void processDeletingDependents(Node n) {
        boolean blocked = false;
        for (Node d : graph.dependentsOf(n.uid())) {
            OwnerReference ref = d.owners().stream().filter(r -> r.getUid().equals(n.uid())).findFirst().orElse(null);
            if (ref == null) {
                continue;
            }
            if (Boolean.TRUE.equals(ref.getBlockOwnerDeletion())) {
                blocked = true;
            }
            if (!d.deleting()) {
                queue.add(d.uid()); // attemptToDelete: its owner is WAITING
            }
        }
        if (!blocked) {
            removeFinalizer(n, FOREGROUND);
        }
    }

    /** An owner deleted with the orphan finalizer: its dependents lose the reference, then it loses the finalizer. */
    private void orphanDependents(Node n) {
        for (Node d : graph.dependentsOf(n.uid())) {
            removeOwnerRefs(d, Set.of(n.uid()));
        }
        removeFinalizer(n, ORPHAN);
    }

    // ---------------------------------------------------------------- writes

    private void delete(Node n, DeletionPropagation policy) {
        var op = ctx.client().genericKubernetesResources(n.rd());
        try {
            var res = n.rd().isNamespaceScoped() ? op.inNamespace(n.namespace()).withName(n.name()) : op.withName(n.name());
            // only this very object (a new one of the same name is not ours to delete)
            GenericKubernetesResource live = res.get();
            if (live == null || !Objects.equals(live.getMetadata().getUid(), n.uid())) {
                return;
            }
            res.withPropagationPolicy(policy).delete();
            LOG.debug("deleted {} {}/{} ({})", n.rd().getKind(), n.namespace(), n.name(), policy);
        } catch (KubernetesClientException e) {
            if (e.getCode() != 404) {
                throw e;
            }
        }
    }

    private void removeOwnerRefs(Node n, Set<String> uids) {
        edit(n, o -> {
            List<OwnerReference> refs = o.getMetadata().getOwnerReferences();
            if (refs == null || refs.stream().noneMatch(r -> uids.contains(r.getUid()))) {
                return false;
            }
            List<OwnerReference> rest = new ArrayList<>(refs);
            rest.removeIf(r -> uids.contains(r.getUid()));
            o.getMetadata().setOwnerReferences(rest);
            return true;
        });
    }

    private void removeFinalizer(Node n, String finalizer) {
        edit(n, o -> {
            List<String> f = o.getMetadata().getFinalizers();
            if (f == null || !f.contains(finalizer)) {
                return false;
            }
            List<String> rest = new ArrayList<>(f);
            rest.remove(finalizer);
            o.getMetadata().setFinalizers(rest);
            return true;
        });
    }

    /** Read, change, write with the read's resourceVersion (a conflict retries the key). */
    private void edit(Node n, java.util.function.Predicate<GenericKubernetesResource> change) {
        var op = ctx.client().genericKubernetesResources(n.rd());
        var res = n.rd().isNamespaceScoped() ? op.inNamespace(n.namespace()).withName(n.name()) : op.withName(n.name());
        GenericKubernetesResource live = res.get();
        if (live == null || !Objects.equals(live.getMetadata().getUid(), n.uid())) {
            return;
        }
        if (change.test(live)) {
            try {
                var w = n.rd().isNamespaceScoped() ? op.inNamespace(n.namespace()).resource(live) : op.resource(live);
                w.update();
            } catch (KubernetesClientException e) {
                if (e.getCode() != 404) {
                    throw e;
                }
            }
        }
    }

    private static String apiVersion(ResourceDefinitionContext rd) {
        return rd.getGroup() == null || rd.getGroup().isEmpty() ? rd.getVersion() : rd.getGroup() + "/" + rd.getVersion();
    }

    private static String gvk(String apiVersion, String kind) {
        return apiVersion + "/" + kind;
    }
}
