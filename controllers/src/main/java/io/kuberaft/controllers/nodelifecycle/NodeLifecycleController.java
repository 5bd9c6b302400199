package io.kuberaft.controllers.nodelifecycle;

import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.NodeBuilder;
import io.fabric8.kubernetes.api.model.NodeCondition;
import io.fabric8.kubernetes.api.model.NodeConditionBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.Taint;
import io.fabric8.kubernetes.api.model.TaintBuilder;
import io.fabric8.kubernetes.api.model.coordination.v1.Lease;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import io.kuberaft.controllers.ControllerOptions;
import io.kuberaft.controllers.runtime.Controller;
import io.kuberaft.controllers.runtime.ControllerContext;
import io.kuberaft.controllers.runtime.WorkQueue;
import io.kuberaft.controllers.scheduler.Predicates;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * kube-controller-manager's node-lifecycle-controller. Every {@code --node-monitor-period} it checks each
 * node's last heartbeat — the newer of its Lease's {@code renewTime} and its Ready condition's
 * {@code lastHeartbeatTime} — and after {@code --node-monitor-grace-period} without one (the startup grace
 * for a node that never posted a Ready condition) sets every condition to Unknown as upstream does. From
 * the conditions it keeps the taints: NoSchedule ones at once (upstream's TaintNodesByCondition, plus
 * {@code unschedulable} for a cordoned node) and the NoExecute {@code not-ready}/{@code unreachable} ones
 * at the zone's eviction rate, with upstream's zone disruption modes: a partially disrupted zone slows to
 * the secondary rate (or stops when small), and when every zone is fully disrupted no node is tainted and
 * existing NoExecute taints are lifted (upstream's "master disruption mode").
 *
 * <p>Clocks and failover (ARCHITECTURE.md decision 6): a heartbeat's age is measured on this leader's clock,
 * trusting the agent-written heartbeat time for at most half the grace period ({@link HeartbeatProbes}, after
 * upstream's probeTimestamp): a new leader continues the previous one's wait, and an agent's clock skew cannot
 * make a renewing node Unknown. The NoExecute countdown runs from the taint's replicated
 * {@code timeAdded}, written by a leader: that assumes the control-plane replicas' clocks agree (NTP) well
 * within tolerationSeconds. The eviction rate limiter is in memory and starts full on a new leader, as upstream's.
 *
 * <p>When it turns a Ready node Unknown it records {@code NodeNotReady} on the node and marks the node's pods not
 * ready ({@link PodsNotReady}), as upstream's monitorNodeHealth; it records {@code RegisteredNode} for each node it
 * first sees (every node, on a new leader, as upstream after a restart) and {@code RemovingNode} when one is gone.
 */
public final class NodeLifecycleController implements Controller {
    private static final Logger LOG = LoggerFactory.getLogger(NodeLifecycleController.class);
    public static final String NOT_READY = "node.kubernetes.io/not-ready";
    public static final String UNREACHABLE = "node.kubernetes.io/unreachable";
    public static final String UNSCHEDULABLE = "node.kubernetes.io/unschedulable";
    static final String LEASE_NAMESPACE = "kube-node-lease";
    static final String MONITOR = "monitor";
    static final String ZONE_LABEL = "topology.kubernetes.io/zone";
    static final String REGION_LABEL = "topology.kubernetes.io/region";
    /** Condition → the NoSchedule taint it brings (upstream's nodeConditionToTaintKeyStatusMap). */
    private static final Map<String, Map<String, String>> CONDITION_TAINTS = Map.of(
            "Ready", Map.of("False", NOT_READY, "Unknown", UNREACHABLE),
            "MemoryPressure", Map.of("True", "node.kubernetes.io/memory-pressure"),
            "DiskPressure", Map.of("True", "node.kubernetes.io/disk-pressure"),
            "NetworkUnavailable", Map.of("True", "node.kubernetes.io/network-unavailable"),
            "PIDPressure", Map.of("True", "node.kubernetes.io/pid-pressure"));
    private static final Set<String> NO_SCHEDULE_MANAGED = Set.of(NOT_READY, UNREACHABLE, UNSCHEDULABLE,
            "node.kubernetes.io/memory-pressure", "node.kubernetes.io/disk-pressure",
            "node.kubernetes.io/network-unavailable", "node.kubernetes.io/pid-pressure");
    private static final List<String> NODE_CONDITIONS = List.of("Ready", "MemoryPressure", "DiskPressure", "PIDPressure");

    public enum ZoneState { NORMAL, PARTIAL_DISRUPTION, FULL_DISRUPTION }

    private ControllerContext ctx;
    private NoExecuteTaintFence fence;
    private WorkQueue queue;
    private SharedIndexInformer<Node> nodes;
    private SharedIndexInformer<Lease> leases;
    private SharedIndexInformer<Pod> pods;
    /** The nodes seen by the last pass (upstream's knownNodeSet), for the RegisteredNode and RemovingNode events. */
    private final Map<String, Node> known = new HashMap<>();
    /** Nodes whose pods could not all be marked not ready: tried again each pass while the node stays not Ready. */
    private final Set<String> podsToRetry = new HashSet<>();
    private final Map<String, TokenBucket> limiters = new HashMap<>();
    private final Map<String, ZoneState> zoneStates = new HashMap<>();
    private final HeartbeatProbes probes = new HeartbeatProbes();
    private boolean masterDisruption;
    /** System.nanoTime() at which the pending periodic pass is due; 0 when none (one worker: no lock needed). */
    private long timerDue;

    @Override
    public String name() {
        return "node-lifecycle-controller";
    }

    /** upstream's node lifecycle controller records its events as {@code node-controller}. */
    @Override
    public String eventSource() {
        return "node-controller";
    }

    @Override
    public int workers() {
        return 1; // one monitor pass at a time, as upstream's single monitorNodeHealth loop
    }

    @Override
    public void register(ControllerContext ctx, WorkQueue queue) {
        this.ctx = ctx;
        this.fence = ctx.shared(NoExecuteTaintFence.class, NoExecuteTaintFence::new);
        this.queue = queue;
        this.nodes = ctx.informers().of(Node.class);
        this.leases = ctx.informers().of(Lease.class);
        ctx.informers().index(Pod.class, TaintEvictionController.BY_NODE, p -> p.getSpec() == null || p.getSpec().getNodeName() == null
                ? List.of() : List.of(p.getSpec().getNodeName()));
        this.pods = ctx.informers().of(Pod.class);
        nodes.addEventHandler(new ResourceEventHandler<>() {
            @Override
            public void onAdd(Node obj) {
                queue.add(MONITOR);
            }

            @Override
            public void onUpdate(Node oldObj, Node newObj) {
                // Heartbeats through the status come every few seconds per node: only changes that move taints count.
                if (!Objects.equals(conditionStatuses(oldObj), conditionStatuses(newObj))
                        || !Objects.equals(oldObj.getSpec(), newObj.getSpec())
                        || !Objects.equals(oldObj.getMetadata().getLabels(), newObj.getMetadata().getLabels())) {
                    queue.add(MONITOR);
                }
            }

            @Override
            public void onDelete(Node obj, boolean deletedFinalStateUnknown) {
                queue.add(MONITOR);
            }
        });
        queue.add(MONITOR);
    }

    @Override
    public void reconcile(String key) {
        long now = System.nanoTime();
        if (timerDue != 0 && now - timerDue >= 0) {
            timerDue = 0; // the pending timer is this pass (or about to be)
        }
        long nextMs = ctx.options().nodeMonitorPeriod().toMillis();
        try {
            nextMs = monitor();
        } catch (RuntimeException e) {
            // not rethrown: the work queue's retry would start a second periodic chain next to ours
            LOG.warn("node health pass failed, next in {} ms: {}", nextMs, e.toString());
        }
        // one periodic chain only: event-triggered passes do not add timers when one is due sooner
        long due = now + nextMs * 1_000_000;
        if (timerDue == 0 || timerDue - due > 5_000_000) {
            timerDue = due;
            queue.addAfter(MONITOR, nextMs);
        }
    }

    /** One pass over every node; returns the delay until the next pass. */
    long monitor() {
        ControllerOptions o = ctx.options();
        Instant now = ctx.clock().instant();
        long next = o.nodeMonitorPeriod().toMillis();
        Map<String, List<Node>> byZone = new LinkedHashMap<>();
        List<Node> current = new ArrayList<>();
        List<Node> all = nodes.getStore().list();
        Set<String> names = all.stream().map(n -> n.getMetadata().getName()).collect(java.util.stream.Collectors.toSet());
        probes.retain(names);
        podsToRetry.retainAll(names);
        classify(all);
        for (Node n : all) {
            String name = n.getMetadata().getName();
            boolean retry = podsToRetry.contains(name); // failed on an earlier pass (not on this one's transition)
            Node updated = checkHealth(n, now);
            if (retry) {
                NodeCondition r = condition(updated, "Ready");
                if (r != null && "True".equals(r.getStatus())) {
                    podsToRetry.remove(name); // Ready again: its kubelet reports its pods itself
                } else {
                    markPodsNotReady(name);
                }
            }
            current.add(updated);
            byZone.computeIfAbsent(zone(updated), z -> new ArrayList<>()).add(updated);
        }
        // zone states and rate limits
        boolean allFull = !byZone.isEmpty();
        Map<String, ZoneState> states = new HashMap<>();
        for (var e : byZone.entrySet()) {
            ZoneState s = zoneState(e.getValue(), o.unhealthyZoneThreshold());
            states.put(e.getKey(), s);
            allFull &= s == ZoneState.FULL_DISRUPTION;
        }
        if (allFull != masterDisruption) {
            if (allFull) {
                LOG.info("Controller detected that all Nodes are not-Ready. Entering master disruption mode.");
            } else {
                LOG.info("Controller detected that some Nodes are Ready. Exiting master disruption mode.");
                limiters.clear();
            }
            masterDisruption = allFull;
        }
        for (var e : states.entrySet()) {
            double qps = switch (e.getValue()) {
                case NORMAL, FULL_DISRUPTION -> o.nodeEvictionRate();
                case PARTIAL_DISRUPTION -> byZone.get(e.getKey()).size() > o.largeClusterSizeThreshold() ? o.secondaryNodeEvictionRate() : 0;
            };
            ZoneState before = zoneStates.put(e.getKey(), e.getValue());
            TokenBucket b = limiters.get(e.getKey());
            if (b == null || b.qps != qps) {
                limiters.put(e.getKey(), new TokenBucket(qps, b == null ? 1 : Math.min(1, b.tokens)));
            }
            if (before != null && before != e.getValue()) {
                LOG.info("zone {} is now in state {}", e.getKey().isEmpty() ? "<default>" : e.getKey(), e.getValue());
            }
        }
        zoneStates.keySet().retainAll(states.keySet());
        for (Node n : current) {
            long wait = reconcileTaints(n, now);
            if (wait > 0) {
                next = Math.min(next, wait);
            }
        }
        return Math.max(10, next);
    }

    /** upstream's classifyNodes: RegisteredNode for a node not seen before, RemovingNode for one gone since the last pass. */
    private void classify(List<Node> all) {
        Set<String> gone = new HashSet<>(known.keySet());
        for (Node n : all) {
            String name = n.getMetadata().getName();
            gone.remove(name);
            if (known.put(name, n) == null) {
                LOG.info("observed a new node {}", name);
                nodeEvent(n, "RegisteredNode", "Registered Node " + name + " in Controller");
            }
        }
        for (String name : gone) {
            LOG.info("observed the deletion of node {}", name);
            nodeEvent(known.remove(name), "RemovingNode", "Removing Node " + name + " from Controller");
        }
    }

    /** upstream's RecordNodeEvent: the message says which node, then what happened to it. */
    private void nodeEvent(Node node, String reason, String event) {
        ctx.events().normal(node, reason, "Node " + node.getMetadata().getName() + " event: " + event);
    }

    /** Marks the node's pods not ready; a failure leaves the node for the next pass to try again. */
    private void markPodsNotReady(String node) {
        List<Pod> onNode = pods.getIndexer().byIndex(TaintEvictionController.BY_NODE, node);
        if (PodsNotReady.mark(ctx, onNode, node)) {
            podsToRetry.remove(node);
        } else {
            podsToRetry.add(node);
        }
    }

    /** Marks {@code node}'s conditions Unknown when its heartbeat is older than the grace period; returns the node as it now is. */
    private Node checkHealth(Node node, Instant now) {
        return checkHealth(node, now, true);
    }

    /**
     * As upstream's monitorNodeHealth, a conflicting update is retried once from a node read from the API server: the
     * cached node may be behind (a lagging or stuck watch), and retrying from it on every pass would never land.
     */
    private Node checkHealth(Node node, Instant now, boolean mayRetry) {
        NodeCondition ready = condition(node, "Ready");
        Lease lease = leases.getStore().getByKey(LEASE_NAMESPACE + "/" + node.getMetadata().getName());
        Duration grace = ready == null ? ctx.options().nodeStartupGracePeriod() : ctx.options().nodeMonitorGracePeriod();
        String name = node.getMetadata().getName();
        Instant heartbeat = heartbeat(node, ready, lease);
        if (heartbeat == null || !now.isAfter(probes.silentSince(name, heartbeat, now, grace).plus(grace))) {
            return node;
        }
        // The Lease informer may lag the Node informer (each watch runs on its own; a new leader's first pass
        // comes right after its lists): a stale cached Lease must not make a healthy node Unknown, so the
        // verdict is confirmed with a read of the Lease itself. Rare (only nodes about to turn Unknown).
        try {
            lease = ctx.client().leases().inNamespace(LEASE_NAMESPACE).withName(node.getMetadata().getName()).get();
        } catch (KubernetesClientException e) {
            // Unconfirmed, the cache is not enough to call a node dead: judged again on the next pass.
            LOG.info("node {}: lease read failed ({}); judged again on the next pass", node.getMetadata().getName(), e.toString());
            return node;
        }
        heartbeat = heartbeat(node, ready, lease);
        if (heartbeat == null || !now.isAfter(probes.silentSince(name, heartbeat, now, grace).plus(grace))) {
            return node;
        }
        String ts = now.truncatedTo(ChronoUnit.SECONDS).toString();
        Node copy = new NodeBuilder(node).build();
        if (copy.getStatus() == null) {
            copy.setStatus(new io.fabric8.kubernetes.api.model.NodeStatus());
        }
        List<NodeCondition> conds = new ArrayList<>(copy.getStatus().getConditions() == null ? List.of() : copy.getStatus().getConditions());
        boolean changed = false;
        boolean wasReady = ready != null && "True".equals(ready.getStatus());
        for (String type : NODE_CONDITIONS) {
            NodeCondition c = conds.stream().filter(x -> type.equals(x.getType())).findFirst().orElse(null);
            if (c == null) {
                conds.add(new NodeConditionBuilder().withType(type).withStatus("Unknown").withReason("NodeStatusNeverUpdated")
                        .withMessage("Kubelet never posted node status.").withLastHeartbeatTime(node.getMetadata().getCreationTimestamp())
                        .withLastTransitionTime(ts).build());
                changed = true;
            } else if (!"Unknown".equals(c.getStatus())) {
                c.setStatus("Unknown");
                c.setReason("NodeStatusUnknown");
                c.setMessage("Kubelet stopped posting node status.");
                c.setLastTransitionTime(ts);
                changed = true;
            }
        }
        if (!changed) {
            return node;
        }
        copy.getStatus().setConditions(conds);
        try {
            Node out = ctx.client().nodes().resource(copy).updateStatus();
            LOG.info("node {}: no heartbeat since {} (lease {}): conditions Unknown", node.getMetadata().getName(), heartbeat,
                    lease == null ? "missing" : lease.getSpec().getRenewTime());
            if (wasReady) {
                // upstream reports the change only when it moved Ready off True (a node that never posted Ready gets none)
                ctx.events().normal(node, "NodeNotReady", "Node " + node.getMetadata().getName() + " status is now: NodeNotReady");
                markPodsNotReady(node.getMetadata().getName());
            }
            return out;
        } catch (KubernetesClientException e) {
            if (e.getCode() == 409 && mayRetry) {
                Node fresh = fresh(node);
                return fresh == null ? node : checkHealth(fresh, now, false);
            }
            if (e.getCode() == 409 || e.getCode() == 404) {
                return node; // raced again, or gone: look again next pass
            }
            throw e;
        }
    }

    /** The node as the API server has it now (null when gone), after a conflict showed the cached one is behind. */
    private Node fresh(Node cached) {
        Node fresh = ctx.client().nodes().withName(cached.getMetadata().getName()).get();
        LOG.info("node {}: update conflicted at cached resourceVersion {}; retrying from the current {}", cached.getMetadata().getName(),
                cached.getMetadata().getResourceVersion(), fresh == null ? "(gone)" : fresh.getMetadata().getResourceVersion());
        return fresh;
    }

    /** The newer of the Lease's renewTime and the Ready condition's heartbeat (the creation time before the first Ready). */
    private static Instant heartbeat(Node node, NodeCondition ready, Lease lease) {
        Instant heartbeat = null;
        if (lease != null && lease.getSpec() != null && lease.getSpec().getRenewTime() != null) {
            heartbeat = lease.getSpec().getRenewTime().toInstant();
        }
        if (ready != null && ready.getLastHeartbeatTime() != null) {
            heartbeat = max(heartbeat, parse(ready.getLastHeartbeatTime()));
        }
        if (ready == null) {
            heartbeat = max(heartbeat, parse(node.getMetadata().getCreationTimestamp()));
        }
        return heartbeat;
    }

    static ZoneState zoneState(List<Node> zoneNodes, double unhealthyThreshold) {
        int notReady = 0;
        for (Node n : zoneNodes) {
            NodeCondition r = condition(n, "Ready");
            if (r == null || !"True".equals(r.getStatus())) {
                notReady++;
            }
        }
        int ready = zoneNodes.size() - notReady;
        if (ready == 0 && notReady > 0) {
            return ZoneState.FULL_DISRUPTION;
        }
        if (notReady > 2 && (double) notReady / zoneNodes.size() >= unhealthyThreshold) {
            return ZoneState.PARTIAL_DISRUPTION;
        }
        return ZoneState.NORMAL;
    }

    /** Brings the node's managed taints to what its conditions say; returns ms until a rate-limited taint may go on (0: none waits). */
    private long reconcileTaints(Node node, Instant now) {
        return reconcileTaints(node, now, false, true);
    }

    /**
     * @param granted a rate-limiter token was already taken for this node in this pass (by the attempt that conflicted)
     * @param mayRetry a conflict is retried once from a fresh read, as upstream's taint updates (cache first, then the API server)
     */
    private long reconcileTaints(Node node, Instant now, boolean granted, boolean mayRetry) {
        List<Taint> taints = new ArrayList<>(Predicates.taints(node));
        List<Taint> want = new ArrayList<>();
        for (Taint t : taints) {
            boolean managedNoSchedule = "NoSchedule".equals(t.getEffect()) && NO_SCHEDULE_MANAGED.contains(t.getKey());
            boolean managedNoExecute = "NoExecute".equals(t.getEffect()) && (NOT_READY.equals(t.getKey()) || UNREACHABLE.equals(t.getKey()));
            if (!managedNoSchedule && !managedNoExecute) {
                want.add(t);
            }
        }
        // NoSchedule taints from conditions and spec.unschedulable, kept as they are when already present
        List<String> noSchedule = new ArrayList<>();
        if (node.getStatus() != null && node.getStatus().getConditions() != null) {
            for (NodeCondition c : node.getStatus().getConditions()) {
                String key = CONDITION_TAINTS.getOrDefault(c.getType(), Map.of()).get(c.getStatus());
                if (key != null) {
                    noSchedule.add(key);
                }
            }
        }
        if (node.getSpec() != null && Boolean.TRUE.equals(node.getSpec().getUnschedulable())) {
            noSchedule.add(UNSCHEDULABLE);
        }
        for (String key : noSchedule) {
            want.add(existing(taints, key, "NoSchedule").orElse(new TaintBuilder().withKey(key).withEffect("NoSchedule").build()));
        }
        // NoExecute: the not-ready or unreachable taint while the node is not Ready, at the zone's rate
        long wait = 0;
        NodeCondition ready = condition(node, "Ready");
        String status = ready == null ? "Unknown" : ready.getStatus();
        if (!"True".equals(status) && !masterDisruption) {
            String key = "False".equals(status) ? NOT_READY : UNREACHABLE;
            var has = existing(taints, key, "NoExecute");
            var other = existing(taints, key.equals(NOT_READY) ? UNREACHABLE : NOT_READY, "NoExecute");
            if (has.isPresent()) {
                want.add(has.get());
            } else if (other.isPresent()) {
                // swapped as upstream's SwapNodeControllerTaint: the node was already marked, no new token
                want.add(new TaintBuilder().withKey(key).withEffect("NoExecute").withTimeAdded(ts(now)).build());
            } else {
                TokenBucket b = limiters.get(zone(node));
                long w = granted || b == null ? 0 : b.tryTake(System.nanoTime());
                if (w == 0) {
                    granted = true;
                    want.add(new TaintBuilder().withKey(key).withEffect("NoExecute").withTimeAdded(ts(now)).build());
                } else {
                    wait = w;
                }
            }
        }
        if (sameTaints(taints, want)) {
            return wait;
        }
        Node copy = new NodeBuilder(node).build();
        if (copy.getSpec() == null) {
            copy.setSpec(new io.fabric8.kubernetes.api.model.NodeSpec());
        }
        copy.getSpec().setTaints(want);
        boolean lifts = taints.stream().anyMatch(t -> "NoExecute".equals(t.getEffect())
                && want.stream().noneMatch(w -> Objects.equals(w.getKey(), t.getKey()) && "NoExecute".equals(w.getEffect())));
        try {
            if (!lifts) {
                ctx.client().nodes().resource(copy).update();
            } else if (!fence.lift(node.getMetadata().getName(),
                    () -> NoExecuteTaintFence.resourceVersion(ctx.client().nodes().resource(copy).update()))) {
                return 100; // an eviction from this node is being written: lift the taint after it
            }
        } catch (KubernetesClientException e) {
            if (e.getCode() == 409 && mayRetry) {
                Node fresh = fresh(node);
                return fresh == null ? 0 : reconcileTaints(fresh, now, granted, false);
            }
            if (e.getCode() != 409 && e.getCode() != 404) {
                throw e;
            }
            return 100; // changed meanwhile: soon again, from the new version
        }
        return wait;
    }

    private static java.util.Optional<Taint> existing(List<Taint> taints, String key, String effect) {
        return taints.stream().filter(t -> key.equals(t.getKey()) && effect.equals(t.getEffect())).findFirst();
    }

    private static boolean sameTaints(List<Taint> a, List<Taint> b) {
        if (a.size() != b.size()) {
            return false;
        }
        for (Taint t : b) {
            if (a.stream().noneMatch(x -> Objects.equals(x.getKey(), t.getKey()) && Objects.equals(x.getEffect(), t.getEffect())
                    && Objects.equals(x.getValue(), t.getValue()))) {
                return false;
            }
        }
        return true;
    }

    private static Map<String, String> conditionStatuses(Node n) {
        Map<String, String> out = new HashMap<>();
        if (n.getStatus() != null && n.getStatus().getConditions() != null) {
            n.getStatus().getConditions().forEach(c -> out.put(c.getType(), c.getStatus()));
        }
        return out;
    }

    static NodeCondition condition(Node n, String type) {
        if (n.getStatus() == null || n.getStatus().getConditions() == null) {
            return null;
        }
        return n.getStatus().getConditions().stream().filter(c -> type.equals(c.getType())).findFirst().orElse(null);
    }

    /** upstream's zone key: region and zone labels. */
    static String zone(Node n) {
        Map<String, String> l = n.getMetadata().getLabels() == null ? Map.of() : n.getMetadata().getLabels();
        String region = l.getOrDefault(REGION_LABEL, l.getOrDefault("failure-domain.beta.kubernetes.io/region", ""));
        String zone = l.getOrDefault(ZONE_LABEL, l.getOrDefault("failure-domain.beta.kubernetes.io/zone", ""));
        return region.isEmpty() && zone.isEmpty() ? "" : region + ":\u0000:" + zone;
    }

    static Instant parse(String ts) {
        if (ts == null || ts.isEmpty()) {
            return null;
        }
        try {
            return Instant.parse(ts);
        } catch (RuntimeException e) {
            return java.time.OffsetDateTime.parse(ts).toInstant();
        }
    }

    private static Instant max(Instant a, Instant b) {
        return a == null ? b : b == null ? a : a.isAfter(b) ? a : b;
    }

    private static String ts(Instant now) {
        return now.truncatedTo(ChronoUnit.SECONDS).toString();
    }

    /** upstream's flowcontrol token bucket with burst 1; qps 0 never gives a token. */
    static final class TokenBucket {
        final double qps;
        double tokens;
        long lastNanos = System.nanoTime();

        TokenBucket(double qps, double tokens) {
            this.qps = qps;
            this.tokens = tokens;
        }

        /** 0 and a token taken, or the ms until one is due. */
        long tryTake(long nowNanos) {
            if (qps <= 0) {
                return Long.MAX_VALUE; // stopped: the next regular pass looks again
            }
            tokens = Math.min(1, tokens + (nowNanos - lastNanos) / 1e9 * qps);
            lastNanos = nowNanos;
            if (tokens >= 1) {
                tokens -= 1;
                return 0;
            }
            return Math.max(1, (long) Math.ceil((1 - tokens) / qps * 1000));
        }
    }
}
