package io.kuberaft.controllers.scheduler;

import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodCondition;
import io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudget;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.utils.Serialization;
import io.kuberaft.controllers.runtime.Controller;
import io.kuberaft.controllers.runtime.ControllerContext;
import io.kuberaft.controllers.runtime.Keys;
import io.kuberaft.controllers.runtime.WorkQueue;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
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
 * FailedScheduling event and is retried after a backoff (1 s doubling to 10 s), or sooner when the
 * cluster changes (a node added or updated, a pod deleted). Before that, {@link Preemption} looks for
 * lower-priority pods whose eviction would make it fit: the pod is nominated to that node and the victims
 * deleted (DisruptionTarget PreemptionByScheduler, a Preempted event). Pods with scheduling gates wait
 * outside the queue until the last gate is removed.
 */
public final class Scheduler implements Controller {
    private static final Logger LOG = LoggerFactory.getLogger(Scheduler.class);
    public static final String NAME = "default-scheduler";
    static final String CYCLE = "\u0000cycle";
    static final String RETRY = "\u0000retry/";
    static final long INITIAL_BACKOFF_MS = 1_000;
    static final long MAX_BACKOFF_MS = 10_000;
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

    /** Queue state, under {@code this}. */
    private final PriorityQueue<Queued> active = new PriorityQueue<>();
    private final Map<String, Queued> queued = new HashMap<>();
    private final Map<String, Queued> unschedulable = new HashMap<>();
    /** Nodes this scheduler nominated by preemption, until the informer shows them in the pods' status. */
    private final Map<String, String> nominations = new HashMap<>();

    private static final class Queued implements Comparable<Queued> {
        final String key;
        Pod pod;
        long seq;
        int attempts;
        long backoffUntil;

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
                cache.removePod(key);
                dequeue(key);
                clusterChanged();
            }
        });
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
                    unschedulable.remove(key);
                    active.add(q);
                    wake = true;
                }
            } else {
                q = new Queued(key, p, arrivals.incrementAndGet());
                queued.put(key, q);
                active.add(q);
                wake = true;
            }
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
            unschedulable.remove(key);
        }
    }

    /** upstream's MoveAllToActiveOrBackoffQueue: unschedulable pods past their backoff go back to the active queue. */
    private void clusterChanged() {
        boolean wake = false;
        synchronized (this) {
            long now = System.currentTimeMillis();
            for (var it = unschedulable.values().iterator(); it.hasNext(); ) {
                Queued q = it.next();
                if (q.backoffUntil <= now) {
                    it.remove();
                    active.add(q);
                    wake = true;
                }
            }
        }
        if (wake) {
            queue.add(CYCLE);
        }
    }

    @Override
    public void reconcile(String key) {
        if (key.startsWith(RETRY)) {
            String podKey = key.substring(RETRY.length());
            synchronized (this) {
                Queued q = unschedulable.remove(podKey);
                if (q != null) {
                    active.add(q);
                }
            }
            queue.add(CYCLE);
            return;
        }
        // a bounded batch per call keeps retries and shutdown responsive
        for (int i = 0; i < 256; i++) {
            Queued q;
            synchronized (this) {
                q = active.poll();
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
        Map<String, List<PodInfo>> out = new HashMap<>();
        for (Queued q : queued.values()) {
            String node = nominations.get(q.key);
            if (node == null && q.pod.getStatus() != null) {
                node = q.pod.getStatus().getNominatedNodeName();
            }
            if (node != null && !node.isEmpty()) {
                out.computeIfAbsent(node, n -> new ArrayList<>()).add(new PodInfo(q.pod));
            }
        }
        return out;
    }

    /** Nominates the node on the preemptor and deletes the victims, each with DisruptionTarget and a Preempted event. */
    private void preempt(PodInfo preemptor, Preemption.Candidate c) {
        Pod p = preemptor.pod;
        try {
            ctx.client().pods().inNamespace(p.getMetadata().getNamespace()).withName(p.getMetadata().getName()).subresource("status")
                    .patch(PatchContext.of(PatchType.STRATEGIC_MERGE), Serialization.asJson(Map.of("status", Map.of("nominatedNodeName", c.node()))));
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
                ctx.client().pods().inNamespace(ns).withName(name).subresource("status").patch(PatchContext.of(PatchType.STRATEGIC_MERGE),
                        Serialization.asJson(Map.of("status", Map.of("conditions", List.of(cond)))));
                ctx.client().pods().inNamespace(ns).withName(name).delete();
                ctx.events().normal(victim, "Preempted", "Preempted by pod " + p.getMetadata().getUid() + " on node " + c.node());
                LOG.info("preempted {} on {} for {}", v.key, c.node(), preemptor.key);
            } catch (KubernetesClientException e) {
                LOG.debug("preempting {}: {}", v.key, e.getMessage()); // already gone: fine
            }
        }
    }

    private void unschedulable(Queued q, String message) {
        long backoff;
        synchronized (this) {
            if (!queued.containsKey(q.key)) {
                return; // deleted or bound meanwhile
            }
            q.attempts++;
            backoff = Math.min(MAX_BACKOFF_MS, INITIAL_BACKOFF_MS << Math.min(10, q.attempts - 1));
            q.backoffUntil = System.currentTimeMillis() + backoff;
            unschedulable.put(q.key, q);
        }
        queue.addAfter(RETRY + q.key, backoff);
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
                ctx.client().pods().inNamespace(p.getMetadata().getNamespace()).withName(p.getMetadata().getName())
                        .subresource("status").patch(PatchContext.of(PatchType.STRATEGIC_MERGE), patch);
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
}
