package io.kuberaft.controllers.scheduler;

import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodCondition;
import io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudget;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.utils.Serialization;
import io.kuberaft.controllers.runtime.Controller;
import io.kuberaft.controllers.runtime.ControllerContext;
import io.kuberaft.controllers.runtime.Keys;
import io.kuberaft.controllers.runtime.DirectRequests;
import io.kuberaft.controllers.runtime.WorkQueue;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.PriorityQueue;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * kube-scheduler's {@code default-scheduler}, run as one more controller of the leader's session. Pods
 * without a node whose schedulerName is {@code default-scheduler} wait in an active queue ordered by
 * priority (then arrival); one scheduling cycle at a time takes the first, runs {@link Algorithm} on the
 * in-memory {@link SchedulerCache}, assumes the pod on the chosen node and binds it asynchronously through
 * {@code pods/binding}. An unschedulable pod gets upstream's PodScheduled=False/Unschedulable condition and
 * FailedScheduling event and waits, as upstream's unschedulablePods, until the cluster changes in a way that
 * may let it fit (a node added or its spec, labels or allocatable changed, a pod deleted or finished; for a pod
 * with required pod affinity or a hard topology spread, also a pod bound), or at the latest 5 minutes
 * (upstream's podMaxInUnschedulablePodsDuration); it is then tried again once its backoff (1 s doubling to
 * 10 s per attempt) is over. A pod that failed for another reason (an error, a rejected binding) only backs
 * off. Before that, {@link Preemption} looks for
 * lower-priority pods whose eviction would make it fit: the pod is nominated to that node and the victims
 * deleted (DisruptionTarget PreemptionByScheduler, a Preempted event). Pods with scheduling gates wait
 * outside the queue until the last gate is removed.
 */
public final class Scheduler implements Controller {
    private static final Logger LOG = LoggerFactory.getLogger(Scheduler.class);
    public static final String NAME = "default-scheduler";
    static final String CYCLE = "\u0000cycle";
    /** The backoff queue's pods whose backoff is over go to the active queue (upstream's flushBackoffQCompleted). */
    static final String BACKOFF = "\u0000backoff";
    /** Pods unschedulable for too long go back to be tried (upstream's flushUnschedulablePodsLeftover). */
    static final String FLUSH = "\u0000flush";
    static final long INITIAL_BACKOFF_MS = 1_000;
    static final long MAX_BACKOFF_MS = 10_000;
    static final long MAX_IN_UNSCHEDULABLE_MS = 5 * 60_000;
    /** Concurrent binding writes: each is a Raft round trip, so throughput needs many in flight. */
    static final int BINDERS = 32;
    private final SchedulerCache cache = new SchedulerCache();
    private final Random random = new Random();
    private final AtomicLong arrivals = new AtomicLong();
    private ControllerContext ctx;
    private WorkQueue queue;
    private ExecutorService binder;
    private io.fabric8.kubernetes.client.informers.SharedIndexInformer<PodDisruptionBudget> budgets;
    private int nextStart;
    private final long maxInUnschedulableNanos;

    /** Queue state, under {@code this}: every pending pod is in {@code queued} and at most one of the three queues. */
    private final PriorityQueue<Queued> active = new PriorityQueue<>();
    private final PriorityQueue<Queued> backoff = new PriorityQueue<>(Comparator.comparingLong((Queued q) -> q.backoffUntil)
            .thenComparingLong(q -> q.seq));
    private final Map<String, Queued> queued = new HashMap<>();
    /** Pods no node fits, waiting for a cluster change (or the flush). */
    private final Map<String, Queued> unschedulable = new HashMap<>();
    /** The unschedulable pods that {@link #dependsOnOtherPods}: a binding looks at these only, not at every waiting pod. */
    private final Map<String, Queued> unschedulableOnPods = new HashMap<>();
    /** Scheduling cycles started, and the last cycle during which the cluster changed for all pods or for pod-affinity ones. */
    private long cycles;
    private long moveRequestCycle = -1;
    private long podMoveRequestCycle = -1;
    /** System.nanoTime() at which the pending BACKOFF flush is due; 0 when none. */
    private long backoffFlushDue;
    /** Nodes this scheduler nominated by preemption, until the informer shows them in the pods' status. */
    private final Map<String, String> nominations = new HashMap<>();
    /** The queued pods with a nominated node (ours, else their status's), by node: kept by {@link #renominate}. */
    private final NominatedPods nominatedPods = new NominatedPods();

    private static final class Queued implements Comparable<Queued> {
        final String key;
        Pod pod;
        long seq;
        int attempts;
        /** System.nanoTime() until which it backs off, and since which it is unschedulable. */
        long backoffUntil;
        long unschedulableSince;
        /** The scheduling cycle of its last attempt. */
        long cycle;

        Queued(String key, Pod pod, long seq) {
            this.key = key;
            this.pod = pod;
            this.seq = seq;
        }

        int priority() {
            return pod.getSpec().getPriority() == null ? 0 : pod.getSpec().getPriority();
        }

        @Override
        public int compareTo(Queued o) {
            int c = Integer.compare(o.priority(), priority());
            return c != 0 ? c : Long.compare(seq, o.seq);
        }
    }

    public Scheduler() {
        this(MAX_IN_UNSCHEDULABLE_MS);
    }

    /** With {@code maxInUnschedulableMs} instead of upstream's 5 minutes (tests). */
    Scheduler(long maxInUnschedulableMs) {
        this.maxInUnschedulableNanos = TimeUnit.MILLISECONDS.toNanos(maxInUnschedulableMs);
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public int workers() {
        return 1; // scheduling cycles are sequential, as upstream's; binding is asynchronous
    }

    @Override
    public void register(ControllerContext ctx, WorkQueue queue) {
        this.ctx = ctx;
        this.queue = queue;
        // idle threads end by themselves: nothing of a finished term lingers (the controller has no stop hook)
        var pool = new ThreadPoolExecutor(BINDERS, BINDERS, 10, TimeUnit.SECONDS, new LinkedBlockingQueue<>(), r -> {
            Thread t = new Thread(r, "scheduler-binder-term" + ctx.term());
            t.setDaemon(true);
            return t;
        });
        pool.allowCoreThreadTimeOut(true);
        this.binder = pool;
        this.budgets = ctx.informers().of(PodDisruptionBudget.class);
        ctx.informers().of(Node.class).addEventHandler(new ResourceEventHandler<>() {
            @Override
            public void onAdd(Node n) {
                cache.upsertNode(n);
                clusterChanged();
            }

            @Override
            public void onUpdate(Node o, Node n) {
                cache.upsertNode(n);
                if (!Objects.equals(o.getSpec(), n.getSpec()) || !Objects.equals(o.getMetadata().getLabels(), n.getMetadata().getLabels())
                        || !Objects.equals(o.getStatus() == null ? null : o.getStatus().getAllocatable(),
                                n.getStatus() == null ? null : n.getStatus().getAllocatable())) {
                    clusterChanged();
                }
            }

            @Override
            public void onDelete(Node n, boolean unknown) {
                cache.removeNode(n.getMetadata().getName());
            }
        });
        ctx.informers().of(Pod.class).addEventHandler(new ResourceEventHandler<>() {
            @Override
            public void onAdd(Pod p) {
                onPod(null, p);
            }

            @Override
            public void onUpdate(Pod o, Pod p) {
                onPod(o, p);
            }

            @Override
            public void onDelete(Pod p, boolean unknown) {
                String key = Keys.of(p);
                // upstream's AssignedPodDelete: only a pod that held a node's resources frees anything
                boolean assigned = cache.isAssumedOrBound(key) || (p.getSpec() != null && p.getSpec().getNodeName() != null
                        && !p.getSpec().getNodeName().isEmpty());
                cache.removePod(key);
                dequeue(key);
                if (assigned) {
                    clusterChanged();
                }
            }
        });
        queue.addAfter(FLUSH, flushPeriodMs());
    }

    /** upstream checks every 30 s for pods unschedulable longer than the limit; a shorter limit (tests) is checked as often. */
    private long flushPeriodMs() {
        return Math.max(10, Math.min(30_000, TimeUnit.NANOSECONDS.toMillis(maxInUnschedulableNanos)));
    }

    private static boolean terminal(Pod p) {
        String phase = p.getStatus() == null ? null : p.getStatus().getPhase();
        return "Succeeded".equals(phase) || "Failed".equals(phase);
    }

    private void onPod(Pod old, Pod p) {
        String key = Keys.of(p);
        String node = p.getSpec().getNodeName();
        if (node != null && !node.isEmpty()) {
            dequeue(key);
            if (terminal(p)) {
                cache.removePod(key);
                clusterChanged(); // its resources are free again
            } else {
                cache.addOrUpdatePod(p);
                boolean newlyAssigned = old == null || old.getSpec().getNodeName() == null || old.getSpec().getNodeName().isEmpty();
                if (newlyAssigned || !Objects.equals(old.getMetadata().getLabels(), p.getMetadata().getLabels())) {
                    podsChanged(); // upstream's AssignedPodAdd/Update: may satisfy a pod's affinity or spread
                }
            }
            return;
        }
        String scheduler = p.getSpec().getSchedulerName();
        if ((scheduler != null && !scheduler.isEmpty() && !scheduler.equals(NAME)) || p.getMetadata().getDeletionTimestamp() != null
                || terminal(p) || cache.isAssumedOrBound(key)) {
            return;
        }
        if (p.getSpec().getSchedulingGates() != null && !p.getSpec().getSchedulingGates().isEmpty()) {
            // upstream's SchedulingGates PreEnqueue: not tried until the last gate is removed (an update, enqueued then)
            dequeue(key);
            return;
        }
        // only a change of what scheduling looks at (not our own status writes) makes an unschedulable pod active again
        boolean relevant = old == null || !Objects.equals(old.getSpec(), p.getSpec())
                || !Objects.equals(old.getMetadata().getLabels(), p.getMetadata().getLabels());
        enqueue(key, p, relevant);
    }

    private void enqueue(String key, Pod p, boolean activate) {
        boolean wake = false;
        synchronized (this) {
            Queued q = queued.get(key);
            if (q != null) {
                q.pod = p;
                if (unschedulable.containsKey(key) && activate) {
                    unpark(key);
                    wake = requeue(q, System.nanoTime());
                }
            } else {
                q = new Queued(key, p, arrivals.incrementAndGet());
                queued.put(key, q);
                active.add(q);
                wake = true;
            }
            renominate(key);
        }
        if (wake) {
            queue.add(CYCLE);
        }
    }

    private synchronized void dequeue(String key) {
        nominations.remove(key);
        Queued q = queued.remove(key);
        if (q != null) {
            active.remove(q);
            backoff.remove(q);
            unpark(key);
        }
        renominate(key);
    }

    /** Brings the nominated index up to date for {@code key}, after its pod, its queue entry or our nomination changed. */
    private void renominate(String key) {
        assert Thread.holdsLock(this);
        Queued q = queued.get(key);
        if (q == null) {
            nominatedPods.remove(key);
            return;
        }
        String node = nominations.get(key);
        if (node == null && q.pod.getStatus() != null) {
            node = q.pod.getStatus().getNominatedNodeName();
        }
        nominatedPods.set(key, q.pod, node);
    }

    /**
     * upstream's MoveAllToActiveOrBackoffQueue: every unschedulable pod goes back, to the active queue or, while its
     * backoff lasts, to the backoff queue; a pod in its scheduling cycle now is not parked when that cycle fails.
     */
    private void clusterChanged() {
        move(false);
    }

    /** A pod was bound or relabelled: only pods whose fit depends on other pods' placement may fit now. */
    private void podsChanged() {
        move(true);
    }

    private void move(boolean onlyPodDependent) {
        boolean wake = false;
        synchronized (this) {
            if (onlyPodDependent) {
                podMoveRequestCycle = cycles;
            } else {
                moveRequestCycle = cycles;
            }
            Map<String, Queued> moved = onlyPodDependent ? unschedulableOnPods : unschedulable;
            if (moved.isEmpty()) {
                return;
            }
            long now = System.nanoTime();
            for (Queued q : new ArrayList<>(moved.values())) {
                unpark(q.key);
                wake |= requeue(q, now);
            }
        }
        if (wake) {
            queue.add(CYCLE);
        }
    }

    /** Required pod affinity or a DoNotSchedule topology spread: the pods bound elsewhere decide whether it fits. */
    static boolean dependsOnOtherPods(Pod p) {
        var spec = p.getSpec();
        boolean affinity = spec.getAffinity() != null && spec.getAffinity().getPodAffinity() != null
                && spec.getAffinity().getPodAffinity().getRequiredDuringSchedulingIgnoredDuringExecution() != null
                && !spec.getAffinity().getPodAffinity().getRequiredDuringSchedulingIgnoredDuringExecution().isEmpty();
        boolean spread = spec.getTopologySpreadConstraints() != null && spec.getTopologySpreadConstraints().stream()
                .anyMatch(c -> c.getWhenUnsatisfiable() == null || "DoNotSchedule".equals(c.getWhenUnsatisfiable()));
        return affinity || spread;
    }

    /** Into the unschedulable pods. Under {@code this}. */
    private void park(Queued q, long now) {
        q.unschedulableSince = now;
        unschedulable.put(q.key, q);
        if (dependsOnOtherPods(q.pod)) {
            unschedulableOnPods.put(q.key, q);
        }
    }

    /** Out of the unschedulable pods, if there. Under {@code this}. */
    private void unpark(String key) {
        unschedulable.remove(key);
        unschedulableOnPods.remove(key);
    }

    /** Into the active queue (true: a cycle is needed) or, while it backs off, the backoff queue. Under {@code this}. */
    private boolean requeue(Queued q, long now) {
        if (q.backoffUntil - now > 0) {
            backoff.add(q);
            armBackoffFlush(q.backoffUntil, now);
            return false;
        }
        active.add(q);
        return true;
    }

    /** One BACKOFF timer, at the earliest backoff end. Under {@code this}. */
    private void armBackoffFlush(long due, long now) {
        if (backoffFlushDue == 0 || due - backoffFlushDue < 0) {
            backoffFlushDue = due;
            queue.addAfter(BACKOFF, Math.max(1, TimeUnit.NANOSECONDS.toMillis(due - now) + 1));
        }
    }

    /** The backoff queue's pods whose backoff is over go to the active queue. */
    private void flushBackoff() {
        boolean wake = false;
        synchronized (this) {
            long now = System.nanoTime();
            backoffFlushDue = 0;
            while (!backoff.isEmpty() && backoff.peek().backoffUntil - now <= 0) {
                active.add(backoff.poll());
                wake = true;
            }
            if (!backoff.isEmpty()) {
                armBackoffFlush(backoff.peek().backoffUntil, now);
            }
        }
        if (wake) {
            queue.add(CYCLE);
        }
    }

    /** Pods unschedulable for longer than the limit are tried again even though nothing changed. */
    private void flushUnschedulable() {
        boolean wake = false;
        synchronized (this) {
            long now = System.nanoTime();
            for (Queued q : new ArrayList<>(unschedulable.values())) {
                if (now - q.unschedulableSince >= maxInUnschedulableNanos) {
                    unpark(q.key);
                    wake |= requeue(q, now);
                }
            }
        }
        if (wake) {
            queue.add(CYCLE);
        }
        queue.addAfter(FLUSH, flushPeriodMs());
    }

    @Override
    public void reconcile(String key) {
        if (key.equals(BACKOFF)) {
            flushBackoff();
            return;
        }
        if (key.equals(FLUSH)) {
            flushUnschedulable();
            return;
        }
        // a bounded batch per call keeps retries and shutdown responsive
        for (int i = 0; i < 256; i++) {
            Queued q;
            synchronized (this) {
                q = active.poll();
                if (q != null) {
                    q.cycle = ++cycles;
                }
            }
            if (q == null) {
                return;
            }
            try {
                scheduleOne(q);
            } catch (RuntimeException e) {
                // never lose a pod: it goes back with backoff like an unschedulable one
                LOG.warn("scheduling {} failed: {}", q.key, e.toString(), e);
                unschedulable(q, null);
            }
        }
        queue.add(CYCLE);
    }

    private void scheduleOne(Queued q) {
        if (cache.isAssumedOrBound(q.key)) {
            dequeue(q.key);
            return;
        }
        PodInfo pod = new PodInfo(q.pod);
        Algorithm.Result r;
        Preemption.Candidate preempt = null;
        String notEligible = null;
        Map<String, List<PodInfo>> nominated = nominated(); // before the cache's lock: never this under the cache
        synchronized (cache) {
            List<NodeInfo> nodes = cache.nodeList();
            int start = nodes.isEmpty() ? 0 : nextStart % nodes.size();
            r = Algorithm.schedule(pod, nodes, start, random, nominated);
            if (!nodes.isEmpty()) {
                nextStart = (start + r.processed()) % nodes.size();
            }
            if (r.node() != null) {
                cache.assume(pod, r.node());
            } else if (!nodes.isEmpty()) {
                notEligible = Preemption.notEligible(pod, nodes);
                preempt = notEligible == null ? Preemption.find(pod, nodes, budgets.getStore().list()) : null;
            }
        }
        if (r.node() == null && preempt != null) {
            // as upstream after a successful PostFilter: the FitError without the preemption summary, and the pod
            // waits (nominated) until its victims are gone, which wakes it like any pod deletion
            unschedulable(q, postFilter(r.message(), null));
            Preemption.Candidate c = preempt;
            synchronized (this) {
                nominations.put(q.key, c.node());
                renominate(q.key);
            }
            binder.execute(() -> preempt(pod, c));
            return;
        }
        if (r.node() == null) {
            unschedulable(q, notEligible == null ? r.message() : postFilter(r.message(), notEligible));
            return;
        }
        synchronized (this) {
            queued.remove(q.key);
            nominations.remove(q.key);
            renominate(q.key);
        }
        String node = r.node();
        binder.execute(() -> bind(pod, node));
    }

    private void bind(PodInfo pod, String node) {
        Pod p = pod.pod;
        String ns = p.getMetadata().getNamespace();
        String name = p.getMetadata().getName();
        Map<String, Object> binding = Map.of("apiVersion", "v1", "kind", "Binding",
                "metadata", Map.of("name", name, "namespace", ns, "uid", p.getMetadata().getUid()),
                "target", Map.of("apiVersion", "v1", "kind", "Node", "name", node));
        try {
            ctx.client().raw("/api/v1/namespaces/" + ns + "/pods/" + name + "/binding", "POST", binding);
            ctx.events().normal(p, "Scheduled", "Successfully assigned " + ns + "/" + name + " to " + node);
        } catch (KubernetesClientException e) {
            cache.forget(pod.key);
            if (e.getCode() == 404 || e.getCode() == 409) {
                LOG.debug("binding {} to {}: {}", pod.key, node, e.getMessage());
                clusterChanged();
                return; // gone, bound by someone else, or being deleted: the informer tells the rest
            }
            LOG.info("binding {} to {} failed: {}", pod.key, node, e.toString());
            ctx.events().warning(p, "FailedScheduling", "Binding rejected: " + e.getMessage());
            Queued q = new Queued(pod.key, p, arrivals.incrementAndGet());
            synchronized (this) {
                queued.putIfAbsent(pod.key, q);
                renominate(pod.key);
            }
            unschedulable(queued.getOrDefault(pod.key, q), null);
        } catch (RuntimeException e) {
            cache.forget(pod.key);
            LOG.info("binding {} to {} failed: {}", pod.key, node, e.toString());
        }
    }

    /** The FitError with DefaultPreemption's summary replaced: none after a preemption, or why none was tried. */
    private static String postFilter(String fitError, String summary) {
        int at = fitError.indexOf(" preemption:");
        String base = at < 0 ? fitError : fitError.substring(0, at);
        return summary == null ? base : base + " preemption: " + summary + ".";
    }

    /**
     * Waiting pods with a nominated node (their own status, or a preemption of this scheduler not yet seen back):
     * others fit there only next to them, so the room their victims leave is theirs.
     */
    private synchronized Map<String, List<PodInfo>> nominated() {
        return nominatedPods.snapshot();
    }

    /** Nominates the node on the preemptor and deletes the victims, each with DisruptionTarget and a Preempted event. */
    private void preempt(PodInfo preemptor, Preemption.Candidate c) {
        Pod p = preemptor.pod;
        try {
            DirectRequests.patch(ctx.client(),
                    ctx.client().pods().inNamespace(p.getMetadata().getNamespace())
                            .withName(p.getMetadata().getName()).subresource("status"),
                    PatchType.STRATEGIC_MERGE, Serialization.asJson(Map.of("status", Map.of("nominatedNodeName", c.node()))), null);
        } catch (KubernetesClientException e) {
            LOG.debug("nominating {} for {}: {}", c.node(), preemptor.key, e.getMessage());
            return; // gone or changed: the next cycle decides again
        }
        String now = ctx.clock().instant().truncatedTo(ChronoUnit.SECONDS).toString();
        for (PodInfo v : c.victims()) {
            Pod victim = v.pod;
            String ns = victim.getMetadata().getNamespace();
            String name = victim.getMetadata().getName();
            Map<String, Object> cond = new HashMap<>();
            cond.put("type", "DisruptionTarget");
            cond.put("status", "True");
            cond.put("reason", "PreemptionByScheduler");
            cond.put("message", NAME + ": preempting to accommodate a higher priority pod");
            cond.put("lastProbeTime", null);
            cond.put("lastTransitionTime", now);
            try {
                DirectRequests.patch(ctx.client(), ctx.client().pods().inNamespace(ns).withName(name).subresource("status"),
                        PatchType.STRATEGIC_MERGE, Serialization.asJson(Map.of("status", Map.of("conditions", List.of(cond)))), null);
                ctx.client().pods().inNamespace(ns).withName(name).delete();
                ctx.events().normal(victim, "Preempted", "Preempted by pod " + p.getMetadata().getUid() + " on node " + c.node());
                LOG.info("preempted {} on {} for {}", v.key, c.node(), preemptor.key);
            } catch (KubernetesClientException e) {
                LOG.debug("preempting {}: {}", v.key, e.getMessage()); // already gone: fine
            }
        }
    }

    /**
     * After a failed attempt: with a {@code message} (no node fits) the pod waits for a cluster change, unless one
     * came during its cycle (upstream's moveRequestCycle); without one (an error) it only backs off.
     */
    private void unschedulable(Queued q, String message) {
        synchronized (this) {
            if (queued.get(q.key) != q) {
                return; // deleted or bound meanwhile
            }
            q.attempts++;
            long now = System.nanoTime();
            long backoffMs = Math.min(MAX_BACKOFF_MS, INITIAL_BACKOFF_MS << Math.min(10, q.attempts - 1));
            q.backoffUntil = now + TimeUnit.MILLISECONDS.toNanos(backoffMs);
            boolean missedAChange = moveRequestCycle >= q.cycle || (podMoveRequestCycle >= q.cycle && dependsOnOtherPods(q.pod));
            if (message != null && !missedAChange) {
                park(q, now);
            } else {
                backoff.add(q);
                armBackoffFlush(q.backoffUntil, now);
            }
        }
        if (message == null) {
            return;
        }
        Pod p = q.pod;
        ctx.events().warning(p, "FailedScheduling", message);
        PodCondition current = p.getStatus() == null || p.getStatus().getConditions() == null ? null
                : p.getStatus().getConditions().stream().filter(c -> "PodScheduled".equals(c.getType())).findFirst().orElse(null);
        if (current != null && "False".equals(current.getStatus()) && message.equals(current.getMessage())) {
            return;
        }
        Map<String, Object> cond = new HashMap<>();
        cond.put("type", "PodScheduled");
        cond.put("status", "False");
        cond.put("reason", "Unschedulable");
        cond.put("message", message);
        cond.put("lastProbeTime", null);
        cond.put("lastTransitionTime", ctx.clock().instant().truncatedTo(ChronoUnit.SECONDS).toString());
        String patch = Serialization.asJson(Map.of("status", Map.of("conditions", List.of(cond))));
        binder.execute(() -> {
            try {
                DirectRequests.patch(ctx.client(),
                        ctx.client().pods().inNamespace(p.getMetadata().getNamespace())
                                .withName(p.getMetadata().getName()).subresource("status"),
                        PatchType.STRATEGIC_MERGE, patch, null);
            } catch (KubernetesClientException e) {
                LOG.debug("status of {}: {}", q.key, e.getMessage());
            }
        });
    }

    /** For tests and the benchmark: pods waiting (active or backing off). */
    public synchronized int pending() {
        return queued.size();
    }

    List<String> unschedulableKeys() {
        synchronized (this) {
            return new ArrayList<>(unschedulable.keySet());
        }
    }

    /** For tests: pods in the backoff queue. */
    synchronized List<String> backoffKeys() {
        return backoff.stream().map(q -> q.key).toList();
    }
}
