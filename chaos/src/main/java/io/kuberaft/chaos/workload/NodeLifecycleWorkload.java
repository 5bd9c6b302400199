package io.kuberaft.chaos.workload;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.kuberaft.chaos.checker.CheckResult;
import io.kuberaft.chaos.checker.NodeLifecycleChecker;
import io.kuberaft.chaos.client.ApiClient;
import io.kuberaft.chaos.client.OpException;
import io.kuberaft.chaos.cluster.ChaosCluster;
import io.kuberaft.chaos.history.History;
import io.kuberaft.chaos.history.Op;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Random;

/**
 * {@code node-lifecycle}: three node agents (one container each, nodes a1, a2, a3) run a Deployment
 * of six pods that tolerate {@code unreachable} and {@code not-ready} for {@link #TOLERATION_SECONDS}.
 * While the master nemesis runs, this workload's own agent faults hit one agent at a time (seeded): a
 * SIGKILL of its JVM or an iptables cut from the load balancer and the replicas, held either long
 * enough that the node must be tainted and its pods evicted, or briefly (below the grace period). Node
 * timings are compressed (grace {@link #GRACE_SECONDS} s, monitor period 1 s, lease renewals every 2 s).
 * Reflectors record nodes, Leases and pods; {@link NodeLifecycleChecker} judges the taints and evictions
 * against the heartbeats and the fault intervals. Server timestamps (taint timeAdded, deletionTimestamp,
 * renewTime) and the faults' wall-clock times share the host's clock: not meaningful with clock-skew.
 */
public final class NodeLifecycleWorkload implements ChaosWorkload {
    public static final String NAMESPACE = "chaos-nodes";
    static final int GRACE_SECONDS = 10;
    static final int TOLERATION_SECONDS = 4;
    static final int AGENTS = 3;
    private static final Duration TIMEOUT = Duration.ofSeconds(5);

    private final int base;
    private final Reflectors reflectors = new Reflectors();

    public NodeLifecycleWorkload(int index) {
        this.base = index * 1_000_000;
    }

    @Override
    public String name() {
        return "node-lifecycle";
    }

    @Override
    public Agents agents() {
        return new Agents(AGENTS, 1, List.of("--node-lease-renew-interval-ms", "2000", "--watch-idle-timeout", "6s"));
    }

    @Override
    public List<String> serverArgs() {
        return List.of("--node-monitor-grace-period", GRACE_SECONDS + "s", "--node-monitor-period", "1s", "--watch-bookmark-interval", "2s");
    }

    static String deployment() {
        String tolerations = "[" + String.join(",", List.of("unreachable", "not-ready").stream().map(k ->
                "{\"key\":\"node.kubernetes.io/" + k + "\",\"operator\":\"Exists\",\"effect\":\"NoExecute\",\"tolerationSeconds\":" + TOLERATION_SECONDS + "}").toList()) + "]";
        return """
                {"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"spread","namespace":"%s"},
                 "spec":{"replicas":6,"selector":{"matchLabels":{"app":"chaos-spread"}},
                  "template":{"metadata":{"labels":{"app":"chaos-spread"}},
                   "spec":{"terminationGracePeriodSeconds":1,"tolerations":%s,"containers":[{"name":"c","image":"nginx"}]}}}}
                """.formatted(NAMESPACE, tolerations);
    }

    @Override
    public void run(ChaosCluster cluster, History h, int concurrency, double rate, long deadline, long seed) throws InterruptedException {
        List<ChaosCluster.Node> nodes = cluster.nodes();
        ApiClient.createAll(nodes.stream().map(ChaosCluster.Node::apiUrl).toList(), Duration.ofSeconds(60),
                "/api/v1/namespaces", "{\"apiVersion\":\"v1\",\"kind\":\"Namespace\",\"metadata\":{\"name\":\"" + NAMESPACE + "\"}}",
                "/apis/apps/v1/namespaces/" + NAMESPACE + "/deployments", deployment());
        // the checker maps the servers' wall-clock timestamps onto the history's clock with this pair
        h.add(new Op(base + 800_000, Op.Type.invoke, "clock", null, null, h.now(), null, null));
        h.add(new Op(base + 800_000, Op.Type.ok, "clock", null, History.JSON.createObjectNode().put("wallMs", System.currentTimeMillis())
                .put("atNs", h.now()), h.now(), null, null));
        reflectors.start(new ObjectWatcher(cluster, h, base + 500_000, 0, "node", "/api/v1/nodes", NodeLifecycleWorkload::nodeSummary));
        reflectors.start(new ObjectWatcher(cluster, h, base + 500_001, 1, "lease", "/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases",
                NodeLifecycleWorkload::leaseSummary));
        reflectors.start(new ObjectWatcher(cluster, h, base + 500_002, 2, "pod", "/api/v1/namespaces/" + NAMESPACE + "/pods", NodeLifecycleWorkload::podSummary));
        Random rnd = new Random(seed * 7 + 3);
        int process = base;
        while (System.nanoTime() < deadline) {
            Thread.sleep(3_000 + rnd.nextInt(3_000));
            long left = (deadline - System.nanoTime()) / 1_000_000;
            if (left < 3_000) {
                break;
            }
            ChaosCluster.Node agent = cluster.agents().get(rnd.nextInt(cluster.agents().size()));
            boolean kill = rnd.nextBoolean();
            // long: past grace + tolerationSeconds + election slack, so taint and evictions are due; short: below grace
            long hold = rnd.nextInt(3) > 0 ? 27_000 + rnd.nextInt(4_000) : 2_000 + rnd.nextInt(3_000);
            hold = Math.min(hold, left);
            ObjectNode v = History.JSON.createObjectNode().put("agent", agent.id).put("node", agent.id).put("kind", kill ? "kill" : "isolate")
                    .put("holdMs", hold);
            h.add(new Op(process, Op.Type.invoke, "agent-fault", null, v, h.now(), agent.id, null));
            long start = System.currentTimeMillis();
            if (kill) {
                cluster.kill(agent);
            } else {
                cluster.isolate(agent);
            }
            Thread.sleep(hold);
            long end = System.currentTimeMillis();
            if (kill) {
                cluster.restart(agent);
            } else {
                cluster.rejoin(agent);
            }
            h.add(new Op(process, Op.Type.ok, "agent-fault", null, v.deepCopy().put("startMs", start).put("endMs", end), h.now(), agent.id, null));
        }
    }

    static long millis(String timestamp) {
        return timestamp == null || timestamp.isEmpty() ? 0 : Instant.parse(timestamp).toEpochMilli();
    }

    static ObjectNode nodeSummary(JsonNode node) {
        ObjectNode s = History.JSON.createObjectNode().put("name", node.path("metadata").path("name").asText());
        for (JsonNode c : node.path("status").path("conditions")) {
            if (c.path("type").asText().equals("Ready")) {
                s.put("ready", c.path("status").asText()).put("heartbeatMs", millis(c.path("lastHeartbeatTime").asText(null)));
            }
        }
        ArrayNode taints = s.putArray("taints");
        for (JsonNode t : node.path("spec").path("taints")) {
            taints.addObject().put("key", t.path("key").asText()).put("effect", t.path("effect").asText())
                    .put("addedMs", millis(t.path("timeAdded").asText(null)));
        }
        return s;
    }

    static ObjectNode leaseSummary(JsonNode lease) {
        return History.JSON.createObjectNode().put("name", lease.path("metadata").path("name").asText())
                .put("renewMs", millis(lease.path("spec").path("renewTime").asText(null)));
    }

    static ObjectNode podSummary(JsonNode pod) {
        JsonNode md = pod.path("metadata");
        return History.JSON.createObjectNode().put("name", md.path("name").asText()).put("node", pod.path("spec").path("nodeName").asText(""))
                .put("deleting", md.hasNonNull("deletionTimestamp")).put("deletionMs", millis(md.path("deletionTimestamp").asText(null)))
                .put("grace", md.path("deletionGracePeriodSeconds").asLong(0)).put("phase", pod.path("status").path("phase").asText(""));
    }

    /** After the heal: every node Ready again and untainted (at most {@code timeout}), recorded as {@code final}; the reflectors catch up. */
    @Override
    public void finish(ChaosCluster cluster, History h, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        ObjectNode last = null;
        for (int i = 0; System.nanoTime() < deadline; i++) {
            ChaosCluster.Node n = cluster.nodes().get(i % cluster.nodes().size());
            try {
                JsonNode list = new ApiClient(n.apiUrl(), TIMEOUT).get("/api/v1/nodes");
                if (list != null) {
                    last = History.JSON.createObjectNode().put("rv", list.path("metadata").path("resourceVersion").asLong());
                    ArrayNode items = last.putArray("nodes");
                    boolean healthy = true;
                    for (JsonNode node : list.path("items")) {
                        ObjectNode s = nodeSummary(node);
                        items.add(s);
                        healthy &= s.path("ready").asText().equals("True") && s.path("taints").isEmpty();
                    }
                    last.put("healthy", healthy && items.size() == AGENTS);
                    if (last.path("healthy").asBoolean()) {
                        break;
                    }
                }
            } catch (OpException e) {
                // that replica cannot answer yet
            }
            Thread.sleep(1000);
        }
        int process = base + 900_000;
        h.add(new Op(process, Op.Type.invoke, "final", null, null, h.now(), null, null));
        h.add(new Op(process, last == null ? Op.Type.fail : Op.Type.ok, "final", null, last, h.now(), null, null));
        reflectors.catchUp(last == null ? 0 : last.path("rv").asLong());
    }

    @Override
    public boolean owns(Op o) {
        return o.process() >= base && o.process() < base + 1_000_000;
    }

    @Override
    public CheckResult check(List<Op> history) {
        return new NodeLifecycleChecker(GRACE_SECONDS, TOLERATION_SECONDS).check(history);
    }
}
