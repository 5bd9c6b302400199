package io.kuberaft.chaos.checker;

import com.fasterxml.jackson.databind.JsonNode;
import io.kuberaft.chaos.history.Op;
import io.kuberaft.chaos.history.Pairing;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The node-lifecycle workload's checker. It replays what the reflectors recorded of nodes, Leases and
 * pods (see {@link Timeline}) and judges, on the servers' timestamps (taint {@code timeAdded},
 * {@code deletionTimestamp} minus the grace period, Lease {@code renewTime}, Ready's
 * {@code lastHeartbeatTime}) and the agent faults' wall-clock intervals:
 * <ul>
 * <li>{@code healthy-node-tainted}: an {@code unreachable} NoExecute taint needs a heartbeat silence of
 * the grace period (less the timestamps' one-second precision): up to the taint, or just before the
 * heartbeat that ended it if that heartbeat came within {@link #LAG_MS} of the taint (a controller that
 * decided on a cache a moment older than the renewal, as upstream's can);</li>
 * <li>{@code eviction-from-healthy-node}: a pod is only ever deleted (the workload never scales) while its
 * node carries a NoExecute {@code unreachable} or {@code not-ready} taint;</li>
 * <li>{@code late-taint}, {@code late-eviction}: an agent fault that lasted past
 * {@code renew interval + grace + monitor period + election} got its node tainted by then, and the pods
 * on it at that moment evicted within {@code tolerationSeconds + election} of the taint; each deadline
 * is pushed back by a master fault that may change the leader ({@link #mayChangeLeader}) inside it: a new
 * leader trusts a heartbeat time at most grace/2 back, so its taint may come grace/2 after its election;</li>
 * <li>{@code not-recovered}: after the heal every node is Ready and untainted again.</li>
 * </ul>
 */
public final class NodeLifecycleChecker {
    static final String UNREACHABLE = "node.kubernetes.io/unreachable";
    static final String NOT_READY = "node.kubernetes.io/not-ready";
    static final long RENEW_MS = 2_000;
    static final long MONITOR_MS = 1_000;
    /** An election, the new leader's informers and the taint queue: the slack every deadline gets. */
    static final long ELECTION_MS = 6_000;
    /** timeAdded and deletionTimestamp have second precision. */
    static final long PRECISION_MS = 1_000;
    static final long LAG_MS = 2_000;

    private final long graceMs;
    private final long tolerationMs;

    public NodeLifecycleChecker(int graceSeconds, int tolerationSeconds) {
        this.graceMs = graceSeconds * 1000L;
        this.tolerationMs = tolerationSeconds * 1000L;
    }

    record Fault(String node, String kind, long startMs, long endMs) {
    }

    record TaintAdd(long addedMs, long rv, List<String> pods) {
    }

    /** One recorded version of a node: its revision and its unreachable NoExecute taint's timeAdded (0: none). */
    record NodeVersion(long rv, long unreachableSinceMs) {
    }

    /**
     * Lease renewals (of any node) as a clock of the commit order: a renewal with renewTime T is committed after T,
     * so every revision from the first renewal at or after T on was committed after T. Node objects carry no commit
     * time of their own (their heartbeat is the agent's clock when it built the status, which may be committed much
     * later, e.g. when its agent was cut off right after building it).
     */
    record Renewal(long rv, long renewMs) {
    }

    public CheckResult check(List<Op> history) {
        CheckResult r = new CheckResult("node-lifecycle");
        Pairing ops = Pairing.of(history);
        JsonNode clock = null;
        JsonNode fin = null;
        List<Fault> faults = new ArrayList<>();
        for (Pairing.Completed c : ops.completed()) {
            JsonNode v = c.completion().value();
            boolean ok = c.completion().type() == Op.Type.ok;
            switch (c.invoke().f()) {
                case "clock" -> clock = ok ? v : clock;
                case "final" -> fin = ok ? v : null;
                case "agent-fault" -> {
                    if (ok) {
                        faults.add(new Fault(v.path("node").asText(), v.path("kind").asText(), v.path("startMs").asLong(), v.path("endMs").asLong()));
                    }
                }
                default -> {
                }
            }
        }
        if (clock == null) {
            return r.unknown("no clock reference");
        }
        long wall0 = clock.path("wallMs").asLong();
        long at0 = clock.path("atNs").asLong();
        List<Long> disturbances = history.stream().filter(NodeLifecycleChecker::mayChangeLeader).map(o -> wall0 + (o.time() - at0) / 1_000_000).sorted().toList();
        Timeline timeline = Timeline.of(ops.completed(), List.of("node", "lease", "pod"));
        r.stats.put("horizon-rv", timeline.horizon);
        Map<String, List<TaintAdd>> taints = new HashMap<>();
        Map<String, Long> evictedAt = new HashMap<>();
        Map<String, List<NodeVersion>> versions = new HashMap<>();
        List<Renewal> renewals = new ArrayList<>();
        replay(timeline, r, taints, evictedAt, versions, renewals);
        judgeFaults(faults, disturbances, taints, evictedAt, versions, renewals, r);
        if (fin == null) {
            return r.unknown("no final state");
        }
        if (!fin.path("healthy").asBoolean()) {
            r.anomaly("not-recovered", null, "after the heal: " + fin);
        }
        return r;
    }

    /**
     * Nemesis events after which a new leader may be elected: every fault's start (a killed, paused or cut-off
     * leader, a majority gone), and the end of a majority's loss; not the restart of a minority.
     */
    static boolean mayChangeLeader(Op o) {
        if (o.process() >= 0 || o.f().equals("none")) {
            return false;
        }
        String what = o.value() == null ? "" : o.value().asText();
        return what.startsWith("start") || what.startsWith("all healed") || o.f().endsWith("majority") || o.f().equals("rolling-restart");
    }

    private void replay(Timeline timeline, CheckResult r, Map<String, List<TaintAdd>> taintAdds, Map<String, Long> evictedAt,
                        Map<String, List<NodeVersion>> versions, List<Renewal> renewals) {
        Map<String, JsonNode> nodes = new HashMap<>();
        Map<String, JsonNode> pods = new HashMap<>();
        // the last two distinct heartbeats of each node (Lease renewals and Ready heartbeats)
        Map<String, long[]> beats = new HashMap<>();
        int taintsChecked = 0;
        int evictionsChecked = 0;
        for (Timeline.Entry e : timeline.entries) {
            List<JsonNode> objects = new ArrayList<>();
            if (e.isList()) {
                e.items().forEach(objects::add);
            } else {
                objects.add(e.object());
            }
            if (e.isList() && e.kind().equals("pod")) {
                pods.clear();
            }
            for (JsonNode o : objects) {
                String name = o.path("name").asText();
                boolean deleted = "DELETED".equals(e.type());
                switch (e.kind()) {
                    case "lease" -> {
                        beat(beats, name, o.path("renewMs").asLong());
                        if (!e.isList()) {
                            renewals.add(new Renewal(e.rv(), o.path("renewMs").asLong()));
                        }
                    }
                    case "node" -> {
                        beat(beats, name, o.path("heartbeatMs").asLong());
                        long since = 0;
                        for (JsonNode t : o.path("taints")) {
                            if (t.path("key").asText().equals(UNREACHABLE) && t.path("effect").asText().equals("NoExecute")) {
                                since = Math.max(1, t.path("addedMs").asLong());
                            }
                        }
                        versions.computeIfAbsent(name, k -> new ArrayList<>()).add(new NodeVersion(e.rv(), deleted ? 0 : since));
                        JsonNode before = nodes.get(name);
                        for (JsonNode t : o.path("taints")) {
                            if (!t.path("key").asText().equals(UNREACHABLE) || !t.path("effect").asText().equals("NoExecute") || hasTaint(before, UNREACHABLE)) {
                                continue;
                            }
                            taintsChecked++;
                            long added = t.path("addedMs").asLong();
                            long[] b = beats.getOrDefault(name, new long[] {0, 0});
                            boolean silentUpToTaint = added + PRECISION_MS - b[1] >= graceMs - PRECISION_MS;
                            boolean silentJustBefore = b[1] >= added - LAG_MS && b[1] - b[0] >= graceMs - PRECISION_MS;
                            if (b[1] > 0 && !silentUpToTaint && !silentJustBefore) {
                                r.anomaly("healthy-node-tainted", name, "unreachable taint added at " + added + " (revision " + e.rv()
                                        + "), the node's last heartbeats were at " + b[0] + " and " + b[1] + " (grace " + graceMs + " ms)");
                            }
                            List<String> onNode = pods.values().stream().filter(p -> p.path("node").asText().equals(name) && !p.path("deleting").asBoolean())
                                    .map(p -> p.path("name").asText()).toList();
                            taintAdds.computeIfAbsent(name, k -> new ArrayList<>()).add(new TaintAdd(added, e.rv(), onNode));
                        }
                        if (deleted) {
                            nodes.remove(name);
                        } else {
                            nodes.put(name, o);
                        }
                    }
                    default -> {
                        JsonNode before = pods.get(name);
                        if (!e.isList() && o.path("deleting").asBoolean() && (before == null || !before.path("deleting").asBoolean())) {
                            evictionsChecked++;
                            String node = o.path("node").asText();
                            JsonNode n = nodes.get(node);
                            if (!hasTaint(n, UNREACHABLE) && !hasTaint(n, NOT_READY)) {
                                r.anomaly("eviction-from-healthy-node", name, "deleted at revision " + e.rv() + " while its node " + node
                                        + " had no NoExecute unreachable/not-ready taint: " + n);
                            }
                            evictedAt.putIfAbsent(name, o.path("deletionMs").asLong() - o.path("grace").asLong() * 1000);
                        }
                        if (deleted) {
                            pods.remove(name);
                        } else {
                            pods.put(name, o);
                        }
                    }
                }
            }
        }
        r.stats.put("taints-checked", taintsChecked);
        r.stats.put("evictions-checked", evictionsChecked);
    }

    private static void beat(Map<String, long[]> beats, String node, long at) {
        long[] b = beats.computeIfAbsent(node, k -> new long[] {0, 0});
        if (at > b[1]) {
            b[0] = b[1];
            b[1] = at;
        }
    }

    private static boolean hasTaint(JsonNode node, String key) {
        if (node == null) {
            return false;
        }
        for (JsonNode t : node.path("taints")) {
            if (t.path("key").asText().equals(key) && t.path("effect").asText().equals("NoExecute")) {
                return true;
            }
        }
        return false;
    }

    /** {@code t}, pushed back to {@code d + extension} by each disturbance {@code d} after {@code from} that falls before it. */
    private static long deadline(long from, long t, List<Long> disturbances, long extension) {
        long out = t;
        for (long d : disturbances) {
            if (d > from && d <= out) {
                out = Math.max(out, d + extension);
            }
        }
        return out;
    }

    /**
     * Whether {@code node} still carried an unreachable NoExecute taint added before {@code startMs} when {@code byMs}
     * had passed: its last version committed before the first Lease renewal at or after {@code byMs}. A node that never
     * got healthy again between two faults keeps the first one's taint (upstream removes it only once the node is
     * Ready), so the second fault needs no taint of its own.
     */
    private static boolean taintedSinceBefore(List<NodeVersion> versions, List<Renewal> renewals, long startMs, long byMs) {
        long bound = renewals.stream().filter(x -> x.renewMs() >= byMs).mapToLong(Renewal::rv).min().orElse(Long.MAX_VALUE);
        NodeVersion at = null;
        for (NodeVersion v : versions) {
            if (v.rv() < bound && (at == null || v.rv() >= at.rv())) {
                at = v;
            }
        }
        return at != null && at.unreachableSinceMs() > 0 && at.unreachableSinceMs() < startMs - PRECISION_MS;
    }

    private void judgeFaults(List<Fault> faults, List<Long> disturbances, Map<String, List<TaintAdd>> taintAdds, Map<String, Long> evictedAt,
                             Map<String, List<NodeVersion>> versions, List<Renewal> renewals, CheckResult r) {
        List<Long> taintLatency = new ArrayList<>();
        List<Long> evictionLatency = new ArrayList<>();
        int due = 0;
        int stillTainted = 0;
        for (Fault f : faults) {
            // a new leader continues the old one's wait, but trusts a heartbeat time no further back than grace/2 (HeartbeatProbes)
            long taintBy = deadline(f.startMs(), f.startMs() + RENEW_MS + graceMs + MONITOR_MS + ELECTION_MS, disturbances, graceMs / 2 + MONITOR_MS + ELECTION_MS);
            if (f.endMs() < taintBy) {
                continue; // too short to require a taint (the safety checks still judged whatever happened)
            }
            due++;
            TaintAdd taint = taintAdds.getOrDefault(f.node(), List.of()).stream().filter(t -> t.addedMs() >= f.startMs() - PRECISION_MS).findFirst().orElse(null);
            if (taint == null && taintedSinceBefore(versions.getOrDefault(f.node(), List.of()), renewals, f.startMs(), taintBy)) {
                stillTainted++; // its pods went with the earlier taint
                continue;
            }
            if (taint == null || taint.addedMs() > taintBy) {
                r.anomaly("late-taint", f.node(), f.kind() + " from " + f.startMs() + " to " + f.endMs() + ": "
                        + (taint == null ? "never tainted unreachable" : "tainted at " + taint.addedMs()) + ", due by " + taintBy);
                continue;
            }
            taintLatency.add(taint.addedMs() - f.startMs());
            long evictBy = deadline(taint.addedMs(), taint.addedMs() + PRECISION_MS + tolerationMs + ELECTION_MS, disturbances, tolerationMs + ELECTION_MS);
            if (f.endMs() < evictBy) {
                continue;
            }
            for (String pod : taint.pods()) {
                Long at = evictedAt.get(pod);
                if (at == null || at > evictBy) {
                    r.anomaly("late-eviction", pod, "on " + f.node() + ", tainted at " + taint.addedMs() + ": "
                            + (at == null ? "never evicted" : "evicted at " + at) + ", due by " + evictBy);
                } else {
                    evictionLatency.add(at - taint.addedMs());
                }
            }
        }
        r.stats.put("faults", faults.size());
        r.stats.put("faults-due-a-taint", due);
        r.stats.put("faults-on-a-still-tainted-node", stillTainted);
        r.stats.put("taint-latency-ms", taintLatency);
        r.stats.put("eviction-after-taint-ms", evictionLatency);
    }
}
