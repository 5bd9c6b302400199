package io.kuberaft.chaos.workload;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.kuberaft.chaos.checker.CheckResult;
import io.kuberaft.chaos.checker.DeploymentChecker;
import io.kuberaft.chaos.client.ApiClient;
import io.kuberaft.chaos.client.OpException;
import io.kuberaft.chaos.cluster.ChaosCluster;
import io.kuberaft.chaos.history.History;
import io.kuberaft.chaos.history.Op;

import java.time.Duration;
import java.util.List;
import java.util.Random;

/**
 * {@code controllers}: a Deployment scaled and rolled while the masters fail, its pods run by real node
 * agents (simulated runtime) that reach the API through a load balancer. One operator process, through
 * a different replica each time, every 2–4 s (seeded) either scales the Deployment to 1–5 replicas or
 * rolls it (a new value of the template annotation {@code chaos/rev}). Three reflectors (pods,
 * ReplicaSets, the Deployment; see {@link ObjectWatcher}) record every revision of the namespace. After
 * the nemesis healed, {@link #finish} waits until the rollout converged and records the final state.
 * {@link DeploymentChecker} then replays the recorded revisions: no ReplicaSet ever has more live pods
 * than its spec allowed, the ReplicaSets' replicas never add up to more than the Deployment's plus
 * maxSurge, the last acknowledged scale and roll are what the cluster converged to, and it converged.
 */
public final class DeploymentWorkload implements ChaosWorkload {
    public static final String NAMESPACE = "chaos-deploy";
    public static final String DEPLOYMENT = "web";
    public static final int MAX_SURGE = 1;
    static final int INITIAL_REPLICAS = 3;
    private static final Duration TIMEOUT = Duration.ofSeconds(5);

    private final int base;
    private final Reflectors reflectors = new Reflectors();

    public DeploymentWorkload(int index) {
        this.base = index * 1_000_000;
    }

    @Override
    public String name() {
        return "controllers";
    }

    @Override
    public Agents agents() {
        // one agent container hosting three simulated nodes; short watch timings so that an agent whose
        // watch went to a frozen replica notices it (NodeFailureIT does the same)
        return new Agents(1, 3, List.of("--watch-idle-timeout", "6s"));
    }

    @Override
    public List<String> serverArgs() {
        return List.of("--watch-bookmark-interval", "2s");
    }

    static String deploymentPath() {
        return "/apis/apps/v1/namespaces/" + NAMESPACE + "/deployments";
    }

    static String deployment(int replicas) {
        return """
                {"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"%s","namespace":"%s"},
                 "spec":{"replicas":%d,"selector":{"matchLabels":{"app":"chaos-web"}},
                  "strategy":{"type":"RollingUpdate","rollingUpdate":{"maxSurge":%d,"maxUnavailable":1}},
                  "template":{"metadata":{"labels":{"app":"chaos-web"},"annotations":{"chaos/rev":"0"}},
                   "spec":{"terminationGracePeriodSeconds":1,"containers":[{"name":"web","image":"nginx"}]}}}}
                """.formatted(DEPLOYMENT, NAMESPACE, replicas, MAX_SURGE);
    }

    @Override
    public void run(ChaosCluster cluster, History h, int concurrency, double rate, long deadline, long seed) throws InterruptedException {
        List<ChaosCluster.Node> nodes = cluster.nodes();
        ApiClient.createAll(nodes.stream().map(ChaosCluster.Node::apiUrl).toList(), Duration.ofSeconds(60),
                "/api/v1/namespaces", "{\"apiVersion\":\"v1\",\"kind\":\"Namespace\",\"metadata\":{\"name\":\"" + NAMESPACE + "\"}}",
                deploymentPath(), deployment(INITIAL_REPLICAS));
        String ns = "/namespaces/" + NAMESPACE;
        reflectors.start(new ObjectWatcher(cluster, h, base + 500_000, 0, "pod", "/api/v1" + ns + "/pods", DeploymentWorkload::podSummary));
        reflectors.start(new ObjectWatcher(cluster, h, base + 500_001, 1, "rs", "/apis/apps/v1" + ns + "/replicasets", DeploymentWorkload::rsSummary));
        reflectors.start(new ObjectWatcher(cluster, h, base + 500_002, 2, "deploy", deploymentPath(), DeploymentWorkload::deploySummary));
        Random rnd = new Random(seed * 13 + 7);
        int process = base;
        int rev = 0;
        for (int i = 0; System.nanoTime() < deadline; i++) {
            Thread.sleep(2_000 + rnd.nextInt(2_000));
            if (System.nanoTime() >= deadline) {
                break;
            }
            ChaosCluster.Node node = nodes.get(i % nodes.size());
            ApiClient c = new ApiClient(node.apiUrl(), TIMEOUT);
            String path = deploymentPath() + "/" + DEPLOYMENT;
            Op.Type t;
            if (rnd.nextBoolean()) {
                int replicas = 1 + rnd.nextInt(5);
                t = Workload.invoke(h, null, node, process, "scale", null, History.v(replicas), () -> {
                    c.mergePatch(path, "{\"spec\":{\"replicas\":" + replicas + "}}");
                    return History.v(replicas);
                });
            } else {
                int next = ++rev;
                t = Workload.invoke(h, null, node, process, "roll", null, History.v(next), () -> {
                    c.mergePatch(path, "{\"spec\":{\"template\":{\"metadata\":{\"annotations\":{\"chaos/rev\":\"" + next + "\"}}}}}");
                    return History.v(next);
                });
            }
            if (t == Op.Type.info) {
                process++; // Jepsen: a process whose op is indeterminate is replaced
            }
        }
    }

    static ObjectNode podSummary(JsonNode pod) {
        ObjectNode s = History.JSON.createObjectNode();
        JsonNode md = pod.path("metadata");
        s.put("name", md.path("name").asText());
        s.put("owner", controllerOf(md));
        s.put("deleting", md.hasNonNull("deletionTimestamp"));
        s.put("phase", pod.path("status").path("phase").asText(""));
        boolean ready = false;
        for (JsonNode c : pod.path("status").path("conditions")) {
            ready |= c.path("type").asText().equals("Ready") && c.path("status").asText().equals("True");
        }
        s.put("ready", ready);
        s.put("node", pod.path("spec").path("nodeName").asText(""));
        return s;
    }

    static ObjectNode rsSummary(JsonNode rs) {
        ObjectNode s = History.JSON.createObjectNode();
        JsonNode md = rs.path("metadata");
        s.put("name", md.path("name").asText());
        s.put("owner", controllerOf(md));
        s.put("replicas", rs.path("spec").path("replicas").asInt(1));
        s.put("chaosRev", rs.path("spec").path("template").path("metadata").path("annotations").path("chaos/rev").asText(""));
        return s;
    }

    static ObjectNode deploySummary(JsonNode d) {
        ObjectNode s = History.JSON.createObjectNode();
        s.put("name", d.path("metadata").path("name").asText());
        s.put("replicas", d.path("spec").path("replicas").asInt(1));
        s.put("chaosRev", d.path("spec").path("template").path("metadata").path("annotations").path("chaos/rev").asText(""));
        return s;
    }

    private static String controllerOf(JsonNode md) {
        for (JsonNode o : md.path("ownerReferences")) {
            if (o.path("controller").asBoolean(false)) {
                return o.path("name").asText();
            }
        }
        return null;
    }

    /**
     * Waits (at most {@code timeout}) until the rollout converged, records the last state read as the op
     * {@code final}, then lets the reflectors catch up with that state's revision.
     */
    @Override
    public void finish(ChaosCluster cluster, History h, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        ObjectNode last = null;
        ChaosCluster.Node lastNode = null;
        for (int i = 0; System.nanoTime() < deadline; i++) {
            ChaosCluster.Node n = cluster.nodes().get(i % cluster.nodes().size());
            try {
                last = state(new ApiClient(n.apiUrl(), TIMEOUT));
                lastNode = n;
                if (last.path("converged").asBoolean()) {
                    break;
                }
            } catch (OpException e) {
                // that replica cannot answer yet: the next one
            }
            Thread.sleep(1000);
        }
        int process = base + 900_000;
        h.add(new Op(process, Op.Type.invoke, "final", null, null, h.now(), lastNode == null ? null : lastNode.id, null));
        h.add(new Op(process, last == null ? Op.Type.fail : Op.Type.ok, "final", null, last, h.now(), lastNode == null ? null : lastNode.id,
                last == null ? "no replica answered" : null));
        reflectors.catchUp(last == null ? 0 : last.path("rv").asLong());
    }

    /** The Deployment, its ReplicaSets and pods (three linearizable reads), and whether the rollout converged. */
    static ObjectNode state(ApiClient c) throws OpException {
        String ns = "/namespaces/" + NAMESPACE;
        JsonNode d = c.get(deploymentPath() + "/" + DEPLOYMENT);
        JsonNode rss = c.get("/apis/apps/v1" + ns + "/replicasets");
        JsonNode pods = c.get("/api/v1" + ns + "/pods");
        if (d == null || rss == null || pods == null) {
            throw OpException.definite("not found");
        }
        ObjectNode s = deploySummary(d);
        JsonNode st = d.path("status");
        int want = d.path("spec").path("replicas").asInt(1);
        s.put("observedGeneration", st.path("observedGeneration").asLong()).put("generation", d.path("metadata").path("generation").asLong());
        for (String f : new String[] {"replicas", "updatedReplicas", "readyReplicas", "availableReplicas"}) {
            s.put("status." + f, st.path(f).asInt(0));
        }
        s.put("rv", Math.max(rss.path("metadata").path("resourceVersion").asLong(), pods.path("metadata").path("resourceVersion").asLong()));
        String wantRev = s.path("chaosRev").asText();
        ArrayNode rsOut = s.putArray("replicaSets");
        String newest = null;
        for (JsonNode rs : rss.path("items")) {
            ObjectNode r = rsSummary(rs);
            rsOut.add(r);
            if (r.path("chaosRev").asText().equals(wantRev)) {
                newest = r.path("name").asText();
            }
        }
        ArrayNode podOut = s.putArray("pods");
        int liveNew = 0;
        int other = 0;
        for (JsonNode p : pods.path("items")) {
            ObjectNode ps = podSummary(p);
            podOut.add(ps);
            if (!ps.path("deleting").asBoolean() && ps.path("ready").asBoolean() && ps.path("owner").asText().equals(newest)) {
                liveNew++;
            } else {
                other++;
            }
        }
        boolean converged = s.path("observedGeneration").asLong() >= s.path("generation").asLong()
                && liveNew == want && other == 0
                && s.path("status.replicas").asInt() == want && s.path("status.updatedReplicas").asInt() == want
                && s.path("status.availableReplicas").asInt() == want;
        s.put("converged", converged);
        return s;
    }

    @Override
    public boolean owns(Op o) {
        return o.process() >= base && o.process() < base + 1_000_000;
    }

    @Override
    public CheckResult check(List<Op> history) {
        return new DeploymentChecker(MAX_SURGE, INITIAL_REPLICAS).check(history.stream().filter(o -> o.process() >= 0).toList());
    }
}
