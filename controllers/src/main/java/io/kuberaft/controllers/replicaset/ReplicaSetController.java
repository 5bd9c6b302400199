package io.kuberaft.controllers.replicaset;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.OwnerReference;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.ReplicationController;
import io.fabric8.kubernetes.api.model.apps.ReplicaSet;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import io.fabric8.kubernetes.client.utils.Serialization;
import io.kuberaft.controllers.runtime.Controller;
import io.kuberaft.controllers.runtime.ControllerContext;
import io.kuberaft.controllers.runtime.ControllerRefs;
import io.kuberaft.controllers.runtime.Informers;
import io.kuberaft.controllers.runtime.Keys;
import io.kuberaft.controllers.runtime.PodControl;
import io.kuberaft.controllers.runtime.PodControllerRefManager;
import io.kuberaft.controllers.runtime.WorkQueue;
import io.kuberaft.kubeapi.LabelSelector;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * upstream's ReplicaSetController (and, over {@link ReplicaWorkload#REPLICATION_CONTROLLERS}, its
 * ReplicationManager): claims the pods its selector matches (adopting orphans, releasing pods whose
 * labels no longer match), creates or deletes pods to match {@code spec.replicas} — at most 500 per
 * sync, creations in slow-start batches of 1, 2, 4, …, guarded by {@link Expectations} so a stale
 * cache never creates duplicates — and writes the status (replicas, fullyLabeledReplicas,
 * readyReplicas, availableReplicas, observedGeneration, the ReplicaFailure condition).
 */
public final class ReplicaSetController<T extends HasMetadata> implements Controller {
    private static final Logger LOG = LoggerFactory.getLogger(ReplicaSetController.class);
    /** upstream's BurstReplicas: the most pods one sync creates or deletes. */
    static final int BURST_REPLICAS = 500;
    private static final ExecutorService PARALLEL = Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "replica-writes");
        t.setDaemon(true);
        return t;
    });

    private final ReplicaWorkload<T> kind;
    private ControllerContext ctx;
    private WorkQueue queue;
    private SharedIndexInformer<T> owners;
    private SharedIndexInformer<Pod> pods;
    private PodControl podControl;
    private Expectations expectations;

    public ReplicaSetController(ReplicaWorkload<T> kind) {
        this.kind = kind;
    }

    public static Controller replicaSets() {
        return new ReplicaSetController<>(ReplicaWorkload.REPLICA_SETS);
    }

    public static Controller replicationControllers() {
        return new ReplicaSetController<>(ReplicaWorkload.REPLICATION_CONTROLLERS);
    }

    @Override
    public String name() {
        return kind.controllerName();
    }

    @Override
    public int workers() {
        return 5; // upstream's --concurrent-replicaset-syncs
    }

    @Override
    public void register(ControllerContext ctx, WorkQueue queue) {
        this.ctx = ctx;
        this.queue = queue;
        this.expectations = new Expectations(ctx.clock());
        this.podControl = new PodControl(ctx.client(), ctx.events());
        this.owners = ctx.informers().of(kind.type());
        this.pods = ctx.informers().of(Pod.class);
        owners.addEventHandler(new ResourceEventHandler<>() {
            @Override
            public void onAdd(T o) {
                queue.add(Keys.of(o));
            }

            @Override
            public void onUpdate(T o, T n) {
                queue.add(Keys.of(n));
            }

            @Override
            public void onDelete(T o, boolean unknown) {
                expectations.delete(Keys.of(o));
                queue.add(Keys.of(o));
            }
        });
        pods.addEventHandler(new ResourceEventHandler<>() {
            @Override
            public void onAdd(Pod p) {
                if (p.getMetadata().getDeletionTimestamp() != null) {
                    podDeleted(p); // seen for the first time already terminating (a relist)
                    return;
                }
                Optional<T> owner = resolve(p);
                if (owner.isPresent()) {
                    String key = Keys.of(owner.get());
                    expectations.creationObserved(key);
                    queue.add(key);
                } else if (ControllerRefs.controllerOf(p).isEmpty()) {
                    matching(p).forEach(o -> queue.add(Keys.of(o)));
                }
            }

            @Override
            public void onUpdate(Pod old, Pod cur) {
                if (Objects.equals(old.getMetadata().getResourceVersion(), cur.getMetadata().getResourceVersion())) {
                    return;
                }
                boolean labelsChanged = !Objects.equals(old.getMetadata().getLabels(), cur.getMetadata().getLabels());
                if (cur.getMetadata().getDeletionTimestamp() != null) {
                    // graceful deletion: the pod is as good as gone for the replica count
                    podDeleted(cur);
                    if (labelsChanged) {
                        podDeleted(old);
                    }
                    return;
                }
                Optional<OwnerReference> oldRef = ControllerRefs.controllerOf(old);
                Optional<OwnerReference> curRef = ControllerRefs.controllerOf(cur);
                if (!oldRef.map(OwnerReference::getUid).equals(curRef.map(OwnerReference::getUid))) {
                    resolve(old).ifPresent(o -> queue.add(Keys.of(o)));
                }
                Optional<T> owner = resolve(cur);
                if (owner.isPresent()) {
                    String key = Keys.of(owner.get());
                    queue.add(key);
                    int minReady = kind.minReadySeconds(owner.get());
                    if (minReady > 0 && !Pods.isReady(old) && Pods.isReady(cur)) {
                        queue.addAfter(key, minReady * 1000L + 100);
                    }
                } else if (curRef.isEmpty() && (labelsChanged || oldRef.isPresent())) {
                    matching(cur).forEach(o -> queue.add(Keys.of(o)));
                }
            }

            @Override
            public void onDelete(Pod p, boolean unknown) {
                if (p != null) {
                    podDeleted(p);
                }
            }
        });
    }

    private void podDeleted(Pod p) {
        resolve(p).ifPresent(o -> {
            String key = Keys.of(o);
            expectations.deletionObserved(key, Keys.of(p));
            queue.add(key);
        });
    }

    /** The owner of kind T the pod's controller reference names, if it exists with that uid. */
    private Optional<T> resolve(Pod p) {
        Optional<OwnerReference> ref = ControllerRefs.controllerOf(p);
        if (ref.isEmpty() || !kind.kind().equals(ref.get().getKind())) {
            return Optional.empty();
        }
        T o = owners.getStore().getByKey(Keys.of(p.getMetadata().getNamespace(), ref.get().getName()));
        if (o == null || !Objects.equals(o.getMetadata().getUid(), ref.get().getUid())) {
            return Optional.empty();
        }
        return Optional.of(o);
    }

    /** Owners in the pod's namespace whose selector matches it (orphans: who may adopt it). */
    private List<T> matching(Pod p) {
        List<T> out = new ArrayList<>();
        Map<String, String> labels = p.getMetadata().getLabels() == null ? Map.of() : p.getMetadata().getLabels();
        for (T o : owners.getIndexer().byIndex(Informers.namespaceIndex(), p.getMetadata().getNamespace())) {
            LabelSelector sel = kind.selector(o);
            if (!sel.isEverything() && sel.matches(labels)) {
                out.add(o);
            }
        }
        return out;
    }

    @Override
    public void reconcile(String key) throws Exception {
        T owner = owners.getStore().getByKey(key);
        if (owner == null) {
            expectations.delete(key);
            return;
        }
        boolean needsSync = expectations.satisfied(key);
        List<Pod> active = new ArrayList<>();
        for (Pod p : pods.getIndexer().byIndex(Informers.namespaceIndex(), owner.getMetadata().getNamespace())) {
            if (Pods.isActive(p)) {
                active.add(p);
            }
        }
        List<Pod> owned = claim(owner, active);
        Exception manageError = null;
        if (needsSync && owner.getMetadata().getDeletionTimestamp() == null) {
            try {
                manage(key, owner, owned);
            } catch (Exception e) {
                manageError = e;
            }
        }
        long recheck = updateStatus(owner, owned, manageError);
        if (manageError != null) {
            throw manageError;
        }
        if (recheck > 0) {
            queue.addAfter(key, recheck);
        }
    }

    /** upstream's PodControllerRefManager.ClaimPods over the namespace's active pods. */
    private List<Pod> claim(T owner, List<Pod> candidates) {
        T typed = ownerWithType(owner);
        return new PodControllerRefManager(ctx.client(), typed, ControllerRefs.controllerRef(typed), kind.selector(owner),
                () -> ctx.client().resources(kind.type()).inNamespace(owner.getMetadata().getNamespace())
                        .withName(owner.getMetadata().getName()).get())
                .claim(candidates, p -> true);
    }

    /** upstream's manageReplicas. */
    private void manage(String key, T owner, List<Pod> owned) throws Exception {
        int diff = owned.size() - kind.replicas(owner);
        if (diff < 0) {
            int n = Math.min(-diff, BURST_REPLICAS);
            expectations.expectCreations(key, n);
            int created = slowStart(n, () -> {
                Pod pod = PodControl.fromTemplate(kind.template(owner), ownerWithType(owner),
                        owner.getMetadata().getName() + "-", null, Map.of());
                try {
                    podControl.create(ownerWithType(owner), pod);
                } catch (KubernetesClientException e) {
                    if (namespaceTerminating(e)) {
                        return; // upstream: not an error, the namespace is going away
                    }
                    throw e;
                }
            }, key);
            if (created < n) {
                LOG.debug("{}: {} of {} creations skipped", key, n - created, n);
            }
        } else if (diff > 0) {
            int n = Math.min(diff, BURST_REPLICAS);
            List<Pod> victims = Pods.toDelete(owned, owned, n, ctx.clock().instant());
            List<String> victimKeys = victims.stream().map(Keys::of).toList();
            expectations.expectDeletions(key, victimKeys);
            List<Future<?>> done = new ArrayList<>();
            for (Pod v : victims) {
                done.add(PARALLEL.submit(() -> {
                    try {
                        podControl.delete(ownerWithType(owner), v.getMetadata().getNamespace(), v.getMetadata().getName());
                    } catch (RuntimeException e) {
                        expectations.deletionObserved(key, Keys.of(v)); // never to be seen: don't wait for it
                        throw e;
                    }
                }));
            }
            Exception first = null;
            for (Future<?> f : done) {
                try {
                    f.get();
                } catch (java.util.concurrent.ExecutionException e) {
                    first = first == null ? (Exception) e.getCause() : first;
                }
            }
            if (first != null) {
                throw first;
            }
        }
    }

    /**
     * upstream's slowStartBatch: batches of 1, 2, 4, … run in parallel; stops after the first batch
     * with a failure. Every creation that is not made lowers the expectations at once.
     */
    private int slowStart(int count, Runnable create, String key) throws Exception {
        int remaining = count;
        int successes = 0;
        for (int batch = Math.min(remaining, 1); batch > 0; batch = Math.min(2 * batch, remaining)) {
            List<Future<?>> fs = new ArrayList<>();
            for (int i = 0; i < batch; i++) {
                fs.add(PARALLEL.submit(create));
            }
            Exception first = null;
            for (Future<?> f : fs) {
                try {
                    f.get();
                    successes++;
                } catch (java.util.concurrent.ExecutionException e) {
                    first = first == null ? (Exception) e.getCause() : first;
                }
            }
            remaining -= batch;
            if (first != null) {
                for (int i = successes; i < count; i++) {
                    expectations.creationObserved(key);
                }
                throw first;
            }
        }
        return successes;
    }

    private static boolean namespaceTerminating(KubernetesClientException e) {
        return e.getCode() == 403 && e.getStatus() != null && e.getStatus().getDetails() != null
                && e.getStatus().getDetails().getCauses() != null
                && e.getStatus().getDetails().getCauses().stream().anyMatch(c -> "NamespaceTerminating".equals(c.getReason()));
    }

    /** Cached items may lack apiVersion/kind; events and owner references need them. */
    private T ownerWithType(T owner) {
        if (owner.getApiVersion() == null || owner.getKind() == null) {
            T copy = Serialization.clone(owner);
            copy.setApiVersion(kind.apiVersion());
            setKind(copy, kind.kind());
            return copy;
        }
        return owner;
    }

    /**
     * upstream's calculateStatus + updateReplicaSetStatus; returns when to look again (ms) for pods
     * that are ready but not yet available for minReadySeconds, 0 if never.
     */
    private long updateStatus(T owner, List<Pod> owned, Exception manageError) {
        Instant now = ctx.clock().instant();
        int minReady = kind.minReadySeconds(owner);
        Map<String, String> templateLabels = kind.template(owner).getMetadata() == null
                || kind.template(owner).getMetadata().getLabels() == null ? Map.of() : kind.template(owner).getMetadata().getLabels();
        int fullyLabeled = 0;
        int ready = 0;
        int available = 0;
        long recheck = 0;
        for (Pod p : owned) {
            Map<String, String> labels = p.getMetadata().getLabels() == null ? Map.of() : p.getMetadata().getLabels();
            if (labels.entrySet().containsAll(templateLabels.entrySet())) {
                fullyLabeled++;
            }
            if (Pods.isReady(p)) {
                ready++;
                if (Pods.isAvailable(p, minReady, now)) {
                    available++;
                } else {
                    long wait = Pods.millisUntilAvailable(p, minReady, now) + 100;
                    recheck = recheck == 0 ? wait : Math.min(recheck, wait);
                }
            }
        }
        ObjectNode current = kind.status(owner);
        ObjectNode next = Serialization.jsonMapper().createObjectNode();
        next.put("replicas", owned.size());
        // omitempty upstream: a count of 0 is left out (replicas is not)
        putIfNotZero(next, "fullyLabeledReplicas", fullyLabeled);
        putIfNotZero(next, "readyReplicas", ready);
        putIfNotZero(next, "availableReplicas", available);
        Long generation = owner.getMetadata().getGeneration();
        next.put("observedGeneration", generation == null ? 0 : generation);

        ArrayNode conditions = current.path("conditions").isArray() ? ((ArrayNode) current.get("conditions")).deepCopy()
                : Serialization.jsonMapper().createArrayNode();
        int failureAt = -1;
        for (int i = 0; i < conditions.size(); i++) {
            if ("ReplicaFailure".equals(conditions.get(i).path("type").asText())) {
                failureAt = i;
            }
        }
        boolean conditionsChanged = false;
        if (manageError != null && failureAt < 0) {
            int diff = owned.size() - kind.replicas(owner);
            ObjectNode c = conditions.addObject();
            c.put("type", "ReplicaFailure");
            c.put("status", "True");
            c.put("lastTransitionTime", now.truncatedTo(ChronoUnit.SECONDS).toString());
            c.put("reason", diff < 0 ? "FailedCreate" : "FailedDelete");
            c.put("message", message(manageError));
            conditionsChanged = true;
        } else if (manageError == null && failureAt >= 0) {
            conditions.remove(failureAt);
            conditionsChanged = true;
        }
        boolean same = !conditionsChanged;
        for (var it = next.fields(); it.hasNext(); ) {
            var f = it.next();
            if (current.path(f.getKey()).asLong(0) != f.getValue().asLong()) {
                same = false;
            }
        }
        if (same) {
            return recheck;
        }
        if (conditionsChanged) {
            if (conditions.isEmpty()) {
                next.putNull("conditions");
            } else {
                next.set("conditions", conditions);
            }
        }
        ObjectNode patch = Serialization.jsonMapper().createObjectNode();
        patch.set("status", next);
        try {
            kind.patchStatus(ctx.client(), owner, patch.toString());
        } catch (KubernetesClientException e) {
            if (e.getCode() != 404) {
                throw e;
            }
        }
        return recheck;
    }

    private static void setKind(HasMetadata o, String k) {
        if (o instanceof ReplicaSet rs) {
            rs.setKind(k);
        } else if (o instanceof ReplicationController rc) {
            rc.setKind(k);
        }
    }

    private static String message(Exception e) {
        if (e instanceof KubernetesClientException k && k.getStatus() != null && k.getStatus().getMessage() != null) {
            return k.getStatus().getMessage();
        }
        return String.valueOf(e.getMessage());
    }

    // for tests
    Expectations expectations() {
        return expectations;
    }

    /** The status goes as a merge patch: null removes a count that dropped to 0. */
    private static void putIfNotZero(ObjectNode o, String field, int value) {
        if (value != 0) {
            o.put(field, value);
        } else {
            o.putNull(field);
        }
    }
}
