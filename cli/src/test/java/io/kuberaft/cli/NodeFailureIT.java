package io.kuberaft.cli;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static io.kuberaft.cli.E2eCluster.await;
import static io.kuberaft.cli.E2eCluster.condition;
import static io.kuberaft.cli.E2eCluster.conditionNode;
import static io.kuberaft.cli.E2eCluster.name;
import static io.kuberaft.cli.E2eCluster.runningReady;
import static io.kuberaft.cli.E2eCluster.taint;
import static io.kuberaft.cli.E2eCluster.terminating;
import static io.kuberaft.cli.E2eCluster.time;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Issues 4 and 5 end to end, with real processes: `./kuberaft up --masters 3 --agents 2` (short node timings),
 * real kubectl 1.32, and SIGKILL of a node agent or of the Raft leader. Scenarios share the cluster; each starts
 * by bringing back what the previous one killed (`up` restarts dead replicas and agents) and waiting until both
 * nodes are Ready and untainted.
 *
 * <ol>
 *   <li>node loss: the node goes NotReady (Ready=Unknown), gets the unreachable NoExecute + NoSchedule taints, its
 *   pods are evicted tolerationSeconds after the taint (TaintManagerEviction) and come back on the other node, which
 *   is never tainted;</li>
 *   <li>the same with the Raft leader SIGKILLed during the countdown: the new leader continues it from the taint's
 *   timeAdded;</li>
 *   <li>drain: refused without flags for a DaemonSet pod and a pod with no controller (kubectl's messages); then
 *   with --ignore-daemonsets --force through a PodDisruptionBudget (429s retried by kubectl) while the Raft leader is
 *   SIGKILLed mid-drain; uncordon;</li>
 *   <li>the leader SIGKILLed mid rolling update: maxSurge/maxUnavailable hold at every state a watch delivers
 *   ({@link RolloutWatch}) and the rollout finishes; a
 *   Job running across the same kill never has more pods active than its parallelism and completes with exactly one
 *   Succeeded pod per completion;</li>
 *   <li>a SIGSTOPped leader resumed after its eviction deadline lands no write (fenced), while the cluster elects a new
 *   leader and the healthy node stays healthy. Two things made this pass: the agent's Lease renewals go through a
 *   heartbeat client that times out within the renew interval and drops its connections after a failure, as the
 *   kubelet's (HeartbeatFailoverTest); and its pod watch, an HTTP/1.1 stream the load balancer had pinned to the
 *   frozen replica, is reconnected when nothing, not even a bookmark, arrived for --watch-idle-timeout
 *   (WatchIdleTimeoutTest) — client-go notices such connections with HTTP/2 pings.</li>
 * </ol>
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
@Timeout(value = 240, unit = TimeUnit.SECONDS)
class NodeFailureIT {
    static final Duration GRACE = Duration.ofSeconds(10);
    static final Duration PERIOD = Duration.ofSeconds(1);
    static final Duration RENEW = Duration.ofMillis(1000);
    static final String UNREACHABLE = "node.kubernetes.io/unreachable";
    static final String UNSCHEDULABLE = "node.kubernetes.io/unschedulable";
    static final List<String> NODES = List.of("node-1", "node-2");

    @TempDir
    static Path tmp;
    E2eCluster c;

    @BeforeAll
    void up() throws Exception {
        Assumptions.assumeTrue(Files.isExecutable(E2eCluster.KUBECTL), "NodeFailureIT skipped: /usr/bin/kubectl (v1.32) is not installed");
        c = new E2eCluster(tmp);
        E2eCluster.Result up = c.kuberaft("up", "--masters", "3", "--agents", "2",
                "--node-monitor-period", PERIOD.toSeconds() + "s", "--node-monitor-grace-period", GRACE.toSeconds() + "s",
                "--node-startup-grace-period", GRACE.toSeconds() + "s",
                "--agent-arg=--node-lease-renew-interval-ms=" + RENEW.toMillis(),
                // node timings are compressed (grace 10 s), so are the watch ones: bookmarks every 2 s, and an agent
                // watch silent for 6 s is taken as pinned to a frozen replica (defaults 10 s / 30 s: with those the
                // replacement pod of the SIGSTOP scenario started 19 s after its 35 s deadline in a CI run)
                "--server-arg=--watch-bookmark-interval=2s", "--agent-arg=--watch-idle-timeout=6s");
        assertThat(up.code()).as(up.out()).isZero();
        assertThat(up.out()).as("up waits for the agents' nodes").doesNotContain("not all Ready");
        // up returned only once the agents' nodes were Ready: the first kubectl after it lists them
        JsonNode nodes = c.json("get", "nodes").orElseThrow();
        assertThat(nodes.path("items").findValuesAsText("name")).containsAll(NODES);
        for (JsonNode n : nodes.path("items")) {
            assertThat(condition(n, "Ready")).as("node %s right after up", name(n)).isEqualTo("True");
        }
        c.phase("cluster up");
    }

    @AfterAll
    void down() throws Exception {
        if (c == null) {
            return;
        }
        // a SIGSTOPped replica would ignore down's SIGTERM
        for (ClusterFile.Master m : c.file().masters) {
            if (LocalCluster.alive(m.pid)) {
                c.run(List.of("kill", "-CONT", Long.toString(m.pid)), 10);
            }
        }
        E2eCluster.Result down = c.kuberaft("down", "--grace-ms", "3000");
        // the replicas' and agents' logs outlive the cluster, for whoever looks into a failed scenario
        Path kept = Path.of("target", "node-failure-logs");
        try (var logs = Files.list(c.dir.resolve("logs"))) {
            Files.createDirectories(kept);
            for (Path log : logs.toList()) {
                Files.copy(log, kept.resolve(log.getFileName()), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
            }
        }
        System.out.println("down: " + down.out().strip() + "; logs kept in " + kept.toAbsolutePath() + "; "
                + c.kuberaft("down", "--purge").out().strip());
    }

    /** Brings back whatever the previous scenario killed; waits for one leader and both nodes Ready without taints. */
    @BeforeEach
    void healthy() throws Exception {
        E2eCluster.Result up = c.kuberaft("up", "--agents", "2");
        assertThat(up.code()).as(up.out()).isZero();
        await("one leader, both nodes Ready and untainted", 120_000, () -> {
            if (c.leader() == null) {
                return false;
            }
            JsonNode nodes = c.json("get", "nodes").orElse(null);
            if (nodes == null) {
                return false;
            }
            int good = 0;
            for (JsonNode n : nodes.path("items")) {
                if (NODES.contains(name(n)) && "True".equals(condition(n, "Ready")) && n.path("spec").path("taints").isEmpty()
                        && !n.path("spec").path("unschedulable").asBoolean()) {
                    good++;
                }
            }
            return good == NODES.size();
        });
        c.phase("healthy: both nodes Ready");
    }

    // ---------------------------------------------------------------- manifests

    static String deployment(String ns, String name, int replicas, Integer tolerationSeconds, String extraSpec) {
        String tolerations = tolerationSeconds == null ? "" : """
                      tolerations:
                      - {key: node.kubernetes.io/unreachable, operator: Exists, effect: NoExecute, tolerationSeconds: %d}
                      - {key: node.kubernetes.io/not-ready, operator: Exists, effect: NoExecute, tolerationSeconds: %d}
                """.formatted(tolerationSeconds, tolerationSeconds);
        return """
                apiVersion: apps/v1
                kind: Deployment
                metadata: {name: %s, namespace: %s}
                spec:
                  replicas: %d
                %s  selector:
                    matchLabels: {app: %s}
                  template:
                    metadata:
                      labels: {app: %s}
                    spec:
                      terminationGracePeriodSeconds: 5
                %s      containers:
                      - name: c
                        image: nginx:1.27
                """.formatted(name, ns, replicas, extraSpec, name, name, tolerations);
    }

    List<JsonNode> pods(String ns, String app) {
        JsonNode l = c.json("get", "pods", "-n", ns, "-l", "app=" + app).orElse(null);
        if (l == null) {
            return null;
        }
        List<JsonNode> out = new ArrayList<>();
        l.path("items").forEach(out::add);
        return out;
    }

    void awaitAvailable(String ns, String deploy, int replicas, long timeoutMs) throws Exception {
        await("deployment " + ns + "/" + deploy + " with " + replicas + " available replicas", timeoutMs, () -> {
            JsonNode d = c.json("get", "deployment", "-n", ns, deploy).orElse(null);
            return d != null && d.path("status").path("availableReplicas").asInt() == replicas
                    && d.path("status").path("updatedReplicas").asInt() == replicas
                    && d.path("status").path("replicas").asInt() == replicas;
        });
    }

    /** node name → names of the pods (not terminating) on it */
    static Map<String, List<String>> byNode(List<JsonNode> pods) {
        Map<String, List<String>> out = new LinkedHashMap<>();
        NODES.forEach(n -> out.put(n, new ArrayList<>()));
        for (JsonNode p : pods) {
            if (!terminating(p)) {
                out.computeIfAbsent(p.path("spec").path("nodeName").asText(), k -> new ArrayList<>()).add(name(p));
            }
        }
        return out;
    }

    static String other(String node) {
        return node.equals("node-1") ? "node-2" : "node-1";
    }

    /** Samples the surviving node: it must stay Ready with no taint the whole time. */
    E2eCluster.Sampler survivorWatch(String survivor, List<String> violations) {
        return new E2eCluster.Sampler("survivor-" + survivor, s -> {
            c.json("get", "node", survivor).ifPresent(n -> {
                if (!"True".equals(condition(n, "Ready")) || !n.path("spec").path("taints").isEmpty()) {
                    violations.add(Instant.now() + " " + survivor + " Ready=" + condition(n, "Ready") + " taints=" + n.path("spec").path("taints"));
                }
            });
            sleep(300);
        });
    }

    static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** The node after its agent died: NotReady (Ready=Unknown) with both unreachable taints; returns it. */
    JsonNode awaitUnreachable(String victim, Instant killed) throws Exception {
        c.phase("SIGKILLed the agent of " + victim + " at " + killed);
        JsonNode[] seen = new JsonNode[1];
        try {
            await(victim + " Ready=Unknown with the unreachable NoSchedule and NoExecute taints",
                    GRACE.plus(PERIOD).toMillis() + 30_000, () -> {
                        JsonNode n = c.json("get", "node", victim).orElse(null);
                        seen[0] = n == null ? seen[0] : n;
                        return n != null && "Unknown".equals(condition(n, "Ready")) && taint(n, UNREACHABLE, "NoExecute") != null
                                && taint(n, UNREACHABLE, "NoSchedule") != null;
                    });
        } catch (AssertionError e) {
            // what the node looked like, and who led: a failure here must say which half (conditions, taints) was missing
            throw new AssertionError(e.getMessage() + " (killed at " + killed + "); last seen: " + (seen[0] == null ? "nothing"
                    : seen[0].path("spec") + " " + seen[0].path("status").path("conditions")) + "; leader: " + c.leader(), e);
        }
        JsonNode n = seen[0];
        c.phase(victim + " unreachable: " + n.path("spec").path("taints"));
        assertThat(conditionNode(n, "Ready").path("reason").asText()).isEqualTo("NodeStatusUnknown");
        assertThat(conditionNode(n, "Ready").path("message").asText()).isEqualTo("Kubelet stopped posting node status.");
        assertThat(c.ok("get", "node", victim)).containsPattern("(?m)^" + victim + " +NotReady +<none> ");
        Instant added = time(taint(n, UNREACHABLE, "NoExecute").path("timeAdded"));
        assertThat(added).as("the NoExecute taint's timeAdded").isNotNull();
        // not before the grace period since the last heartbeat (renewed every RENEW), and not much after it
        assertThat(added).as("taint added %s after the kill", Duration.between(killed, added))
                .isAfterOrEqualTo(killed.plus(GRACE).minus(RENEW).minusSeconds(2))
                .isBeforeOrEqualTo(killed.plus(GRACE).plus(PERIOD).plusSeconds(10));
        return n;
    }

    /**
     * Waits until every pod in {@code victims} carries the taint manager's DisruptionTarget condition and is
     * terminating (or gone); returns pod → eviction time (the condition's lastTransitionTime).
     */
    Map<String, Instant> awaitEvicted(String ns, List<String> victims, long timeoutMs) throws Exception {
        Map<String, Instant> evicted = new LinkedHashMap<>();
        await("pods " + victims + " evicted by the taint manager", timeoutMs, () -> {
            for (String p : victims) {
                if (evicted.containsKey(p)) {
                    continue;
                }
                JsonNode pod = c.json("get", "pod", "-n", ns, p).orElse(null);
                if (pod == null) {
                    continue; // deleted, or kubectl failed: looked at again below
                }
                JsonNode dt = conditionNode(pod, "DisruptionTarget");
                if (dt != null && terminating(pod)) {
                    assertThat(dt.path("reason").asText()).isEqualTo("DeletionByTaintManager");
                    assertThat(dt.path("status").asText()).isEqualTo("True");
                    evicted.put(p, time(dt.path("lastTransitionTime")));
                }
            }
            return evicted.size() == victims.size();
        });
        // upstream's event, one per evicted pod
        JsonNode events = c.json("get", "events", "-n", ns).orElseThrow();
        List<String> marked = new ArrayList<>();
        for (JsonNode e : events.path("items")) {
            if (e.path("reason").asText().equals("TaintManagerEviction")) {
                assertThat(e.path("type").asText()).isEqualTo("Normal");
                marked.add(e.path("involvedObject").path("name").asText());
                assertThat(e.path("message").asText()).isEqualTo("Marking for deletion Pod " + ns + "/" + e.path("involvedObject").path("name").asText());
            }
        }
        assertThat(marked).as("TaintManagerEviction events").containsExactlyInAnyOrderElementsOf(victims);
        return evicted;
    }

    /** The Deployment's replicas all Running and Ready, on {@code node} only. */
    void awaitAllOn(String ns, String app, int replicas, String node, long timeoutMs) throws Exception {
        await(replicas + " pods of " + app + " Running on " + node, timeoutMs, () -> {
            List<JsonNode> pods = pods(ns, app);
            if (pods == null) {
                return false;
            }
            List<JsonNode> live = pods.stream().filter(p -> !terminating(p)).toList();
            return live.size() == replicas && live.stream().allMatch(p -> runningReady(p) && p.path("spec").path("nodeName").asText().equals(node));
        });
        awaitAvailable(ns, app, replicas, 30_000);
    }

    // ---------------------------------------------------------------- 1. node loss

    @Test
    @Order(1)
    void nodeLossTaintsTheNodeAndEvictsItsPodsAfterTolerationSeconds() throws Exception {
        String ns = "node-loss";
        int tolerationS = 5;
        c.ok("create", "namespace", ns);
        assertThat(c.apply(deployment(ns, "lossy", 4, tolerationS, "")).out()).contains("deployment.apps/lossy created");
        awaitAvailable(ns, "lossy", 4, 90_000);
        Map<String, List<String>> placed = byNode(pods(ns, "lossy"));
        String victim = placed.get("node-1").size() >= placed.get("node-2").size() ? "node-1" : "node-2";
        String survivor = other(victim);
        List<String> victims = placed.get(victim);
        c.phase("pods by node " + placed + "; killing the agent of " + victim);
        assertThat(victims).isNotEmpty();

        List<String> violations = Collections.synchronizedList(new ArrayList<>());
        Instant killed;
        try (E2eCluster.Sampler s = survivorWatch(survivor, violations)) {
            killed = Instant.now();
            E2eCluster.sigkill(c.agentPid(victim));
            JsonNode n = awaitUnreachable(victim, killed);
            Instant added = time(taint(n, UNREACHABLE, "NoExecute").path("timeAdded"));

            Map<String, Instant> evicted = awaitEvicted(ns, victims, tolerationS * 1000L + 30_000);
            c.phase("evicted " + evicted + " (taint added " + added + ")");
            for (var e : evicted.entrySet()) {
                assertThat(e.getValue()).as("eviction of %s: not before timeAdded + tolerationSeconds", e.getKey())
                        .isAfterOrEqualTo(added.plusSeconds(tolerationS))
                        .isBeforeOrEqualTo(added.plusSeconds(tolerationS + 5));
            }
            awaitAllOn(ns, "lossy", 4, survivor, 60_000);
            Duration total = Duration.between(killed, Instant.now());
            c.phase("4 replicas Running on " + survivor + " " + total.toMillis() + " ms after the kill");
            // bound: grace + tolerationSeconds + monitor period + slack for scheduling and start on a loaded machine
            assertThat(total).isLessThan(GRACE.plusSeconds(tolerationS).plus(PERIOD).plusSeconds(45));
            System.out.println("survivor samples: " + s.samples);
        }
        assertThat(violations).as("the healthy node is never tainted nor NotReady").isEmpty();
    }

    // ---------------------------------------------------------------- 2. leader killed during the countdown

    @Test
    @Order(2)
    void leaderKilledDuringTheEvictionCountdownDoesNotRestartIt() throws Exception {
        String ns = "countdown";
        int tolerationS = 20;
        c.ok("create", "namespace", ns);
        assertThat(c.apply(deployment(ns, "patient", 4, tolerationS, "")).out()).contains("deployment.apps/patient created");
        awaitAvailable(ns, "patient", 4, 90_000);
        Map<String, List<String>> placed = byNode(pods(ns, "patient"));
        String victim = placed.get("node-1").size() >= placed.get("node-2").size() ? "node-1" : "node-2";
        String survivor = other(victim);
        List<String> victims = placed.get(victim);
        assertThat(victims).isNotEmpty();

        List<String> violations = Collections.synchronizedList(new ArrayList<>());
        try (E2eCluster.Sampler s = survivorWatch(survivor, violations)) {
            JsonNode old = c.awaitLeader(); // before the agent: `status` is a JVM start, seconds on a loaded machine
            Instant killed = Instant.now();
            E2eCluster.sigkill(c.agentPid(victim));
            JsonNode n = awaitUnreachable(victim, killed);
            Instant added = time(taint(n, UNREACHABLE, "NoExecute").path("timeAdded"));

            Instant leaderKilled = Instant.now();
            assertThat(leaderKilled).as("the leader is killed inside the countdown").isBefore(added.plusSeconds(tolerationS - 5));
            E2eCluster.sigkill(c.masterPid(old));
            c.phase("SIGKILLed leader " + old.path("id").asText() + " " + Duration.between(added, leaderKilled).toMillis()
                    + " ms after the taint's timeAdded " + added);
            JsonNode[] now = new JsonNode[1];
            await("a new leader", 30_000, () -> {
                now[0] = c.leader();
                return now[0] != null && !now[0].path("id").asText().equals(old.path("id").asText());
            });
            c.phase("new leader " + now[0].path("id").asText() + " in term " + now[0].path("term").asText());

            Map<String, Instant> evicted = awaitEvicted(ns, victims, tolerationS * 1000L + 45_000);
            // when the new leader's controllers ran (its log): upstream would evict tolerationSeconds after that
            long newTerm = now[0].path("term").asLong();
            Instant running = c.controllersRunning(now[0].path("id").asText(), newTerm);
            Instant due = added.plusSeconds(tolerationS);
            c.phase("evicted " + evicted + "; due " + due + ", controllers of term " + newTerm + " running since " + running);
            // The deadline ± 2 s (the bar) once the new leader's controllers ran before it; a leader whose
            // controllers started late (a loaded machine) evicts when they start: that plus slack.
            Instant latest = running.isBefore(due.minusSeconds(2)) ? due.plusSeconds(2) : running.plusSeconds(10);
            for (var e : evicted.entrySet()) {
                assertThat(e.getValue()).as("eviction of %s: not before timeAdded + tolerationSeconds", e.getKey())
                        .isAfterOrEqualTo(due)
                        .isBeforeOrEqualTo(latest)
                        // upstream restarts the countdown on a new leader (kubernetes#108268); kuberaft must not
                        .isBefore(running.plusSeconds(tolerationS));
            }
            awaitAllOn(ns, "patient", 4, survivor, 60_000);
            System.out.println("survivor samples: " + s.samples);
        }
        assertThat(violations).as("the healthy node is never tainted nor NotReady, across the failover").isEmpty();
    }

    // ---------------------------------------------------------------- 3. drain with a PodDisruptionBudget

    @Test
    @Order(3)
    @Timeout(value = 360, unit = TimeUnit.SECONDS)
    void drainEvictsThroughThePdbAndUncordon() throws Exception {
        String ns = "drain";
        c.ok("create", "namespace", ns);
        assertThat(c.apply(deployment(ns, "web", 4, null, "")).out()).contains("deployment.apps/web created");
        assertThat(c.apply("""
                apiVersion: policy/v1
                kind: PodDisruptionBudget
                metadata: {name: web, namespace: drain}
                spec:
                  minAvailable: 3
                  selector:
                    matchLabels: {app: web}
                ---
                apiVersion: apps/v1
                kind: DaemonSet
                metadata: {name: agentd, namespace: drain}
                spec:
                  selector:
                    matchLabels: {app: agentd}
                  template:
                    metadata:
                      labels: {app: agentd}
                    spec:
                      containers:
                      - name: c
                        image: busybox
                """).out()).contains("poddisruptionbudget.policy/web created", "daemonset.apps/agentd created");
        awaitAvailable(ns, "web", 4, 90_000);
        await("daemon set pods on both nodes", 60_000, () -> {
            List<JsonNode> ds = pods(ns, "agentd");
            return ds != null && ds.stream().filter(E2eCluster::runningReady).count() == 2;
        });
        await("PDB allows one disruption", 30_000, () -> c.json("get", "pdb", "-n", ns, "web")
                .map(p -> p.path("status").path("disruptionsAllowed").asInt() == 1 && p.path("status").path("currentHealthy").asInt() == 4)
                .orElse(false));
        Map<String, List<String>> placed = byNode(pods(ns, "web"));
        String node = placed.get("node-1").size() >= placed.get("node-2").size() ? "node-1" : "node-2";
        String rest = other(node);
        List<String> drained = placed.get(node);
        c.phase("web pods by node " + placed + "; draining " + node);
        assertThat(drained).hasSizeGreaterThanOrEqualTo(2); // 4 replicas on 2 nodes: the PDB must refuse one eviction

        // A pod no controller owns, on the drained node: kubectl refuses to drain without --force (and without
        // --ignore-daemonsets, because of the DaemonSet pod), after cordoning.
        assertThat(c.apply("""
                apiVersion: v1
                kind: Pod
                metadata: {name: bare, namespace: drain}
                spec:
                  nodeName: %s
                  containers:
                  - name: c
                    image: busybox
                """.formatted(node)).out()).contains("pod/bare created");
        await("pod bare Running", 60_000, () -> c.json("get", "pod", "-n", ns, "bare").map(E2eCluster::runningReady).orElse(false));
        E2eCluster.Result refused = c.kubectl("drain", node, "--timeout=30s");
        c.phase("kubectl drain without flags exited " + refused.code() + ":\n" + refused.out());
        assertThat(refused.code()).isNotZero();
        assertThat(refused.out()).containsPattern("(?m)^node/" + node + " cordoned$")
                .contains("error: unable to drain node \"" + node + "\" due to error: ")
                .containsPattern("cannot delete DaemonSet-managed Pods \\(use --ignore-daemonsets to ignore\\): drain/agentd-\\S+")
                // kubectl 1.32 prints "cannot delete cannot delete Pods that declare no controller ..." itself
                .contains("cannot delete Pods that declare no controller (use --force to override): drain/bare");
        assertThat(c.json("get", "pod", "-n", ns, "bare").map(p -> !terminating(p)).orElse(false))
                .as("a refused drain deletes nothing").isTrue();

        // the PDB's promise, sampled while kubectl drains: never fewer than 3 web pods Running and Ready
        List<String> violations = Collections.synchronizedList(new ArrayList<>());
        E2eCluster.Result drain;
        try (E2eCluster.Sampler s = new E2eCluster.Sampler("pdb", x -> {
            List<JsonNode> pods = pods(ns, "web");
            if (pods != null) {
                long ready = pods.stream().filter(E2eCluster::runningReady).count();
                if (ready < 3) {
                    violations.add(Instant.now() + " only " + ready + " web pods ready");
                }
            }
            sleep(200);
        })) {
            JsonNode leader = c.awaitLeader();
            java.util.concurrent.CompletableFuture<E2eCluster.Result> running = java.util.concurrent.CompletableFuture.supplyAsync(() -> {
                try {
                    return c.kubectl("drain", node, "--ignore-daemonsets", "--delete-emptydir-data", "--force", "--timeout=150s");
                } catch (Exception e) {
                    throw new java.util.concurrent.CompletionException(e);
                }
            });
            // mid-drain: once the first web pod is evicted (the PDB then holds the next one back until a replacement
            // is Ready, which needs the controllers, the scheduler and the PDB status of the next leader)
            await("the first eviction of the drain", 60_000, () -> {
                List<JsonNode> pods = pods(ns, "web");
                return pods != null && drained.stream().anyMatch(d -> pods.stream().noneMatch(x -> name(x).equals(d) && !terminating(x)));
            });
            E2eCluster.sigkill(c.masterPid(leader));
            c.phase("SIGKILLed leader " + leader.path("id").asText() + " mid-drain");
            drain = running.get(200, TimeUnit.SECONDS);
            c.phase("kubectl drain exited " + drain.code() + ":\n" + drain.out());
            if (drain.code() != 0 && drain.out().contains("Unable to connect to the server")) {
                // one request of kubectl's timed out (20 s) on the overloaded machine: drain is idempotent, run it again
                E2eCluster.Result again = c.kubectl("drain", node, "--ignore-daemonsets", "--delete-emptydir-data", "--force", "--timeout=150s");
                c.phase("kubectl drain (again) exited " + again.code() + ":\n" + again.out());
                drain = new E2eCluster.Result(again.code(), drain.out() + again.out());
            }
            System.out.println("pdb samples: " + s.samples);
        }
        assertThat(drain.code()).as(drain.out()).isZero();
        String out = drain.out();
        assertThat(out).containsPattern("(?m)^node/" + node + " already cordoned$") // by the refused drain
                // kubectl joins its warnings in map order
                .containsPattern("(?m)^Warning: .*deleting Pods that declare no controller: drain/bare")
                .containsPattern("(?m)^Warning: .*ignoring DaemonSet-managed Pods: drain/agentd-\\S+")
                .containsPattern("(?m)^evicting pod drain/bare$").containsPattern("(?m)^pod/bare evicted$")
                .containsPattern("(?m)^node/" + node + " drained$");
        for (String p : drained) {
            assertThat(out).containsPattern("(?m)^evicting pod drain/" + p + "$").containsPattern("(?m)^pod/" + p + " evicted$");
        }
        // the PDB refused at least one eviction (429), which kubectl retried
        assertThat(out).containsPattern("(?m)^error when evicting pods/\"web-\\S+\" -n \"drain\" \\(will retry after 5s\\): "
                + "Cannot evict pod as it would violate the pod's disruption budget\\.$");
        assertThat(violations).as("the PDB held during the drain").isEmpty();

        assertThat(c.ok("get", "node", node)).containsPattern("(?m)^" + node + " +Ready,SchedulingDisabled +<none> ");
        JsonNode n = c.json("get", "node", node).orElseThrow();
        assertThat(n.path("spec").path("unschedulable").asBoolean()).isTrue();
        await("the unschedulable taint on " + node, 20_000, () -> c.json("get", "node", node)
                .map(x -> taint(x, UNSCHEDULABLE, "NoSchedule") != null).orElse(false));
        awaitAllOn(ns, "web", 4, rest, 60_000);
        // the daemon set pod stays (ignored by the drain, and tolerates unschedulable)
        assertThat(pods(ns, "agentd").stream().filter(p -> p.path("spec").path("nodeName").asText().equals(node)
                && !terminating(p))).hasSize(1);

        assertThat(c.ok("uncordon", node)).containsPattern("(?m)^node/" + node + " uncordoned$");
        assertThat(c.ok("get", "node", node)).containsPattern("(?m)^" + node + " +Ready +<none> ");
        await("the unschedulable taint gone from " + node, 20_000, () -> c.json("get", "node", node)
                .map(x -> x.path("spec").path("taints").isEmpty()).orElse(false));
        assertThat(c.ok("uncordon", node)).containsPattern("(?m)^node/" + node + " already uncordoned$");
    }

    // ---------------------------------------------------------------- 4. leader killed mid rolling update

    @Test
    @Order(4)
    void leaderKilledMidRollingUpdateKeepsSurgeAndFinishes() throws Exception {
        String ns = "rollout";
        int replicas = 4;
        int maxSurge = 1;
        c.ok("create", "namespace", ns);
        assertThat(c.apply(deployment(ns, "roll", replicas, null, """
                  minReadySeconds: 5
                  strategy:
                    type: RollingUpdate
                    rollingUpdate: {maxSurge: 1, maxUnavailable: 0}
                """)).out()).contains("deployment.apps/roll created");
        awaitAvailable(ns, "roll", replicas, 90_000);
        // A Job runs across the same leader kill: the new leader's JobController must neither run more than
        // `parallelism` pods at once nor create a completion twice (its expectations start empty).
        int completions = 6;
        int parallelism = 2;
        assertThat(c.apply("""
                apiVersion: batch/v1
                kind: Job
                metadata: {name: batch, namespace: %s}
                spec:
                  completions: %d
                  parallelism: %d
                  template:
                    metadata:
                      labels: {app: batch}
                      annotations: {sim.kuberaft.io/run-seconds: "8"}
                    spec:
                      restartPolicy: Never
                      containers:
                      - name: c
                        image: busybox
                """.formatted(ns, completions, parallelism)).out()).contains("job.batch/batch created");

        List<String> violations = Collections.synchronizedList(new ArrayList<>());
        try (E2eCluster.Sampler jobs = new E2eCluster.Sampler("job", x -> {
            List<JsonNode> pods = pods(ns, "batch");
            if (pods != null) {
                long active = pods.stream().filter(p -> !terminating(p) && p.path("status").path("phase").asText().matches("Pending|Running|")).count();
                if (active > parallelism) {
                    violations.add(Instant.now() + " job pods active=" + active + " > parallelism " + parallelism);
                }
            }
        }); RolloutWatch rollout = new RolloutWatch(c.dir.resolve("kubeconfig"), ns, "roll", replicas, maxSurge, 0)) {
            JsonNode old = c.awaitLeader(); // before the rollout: `status` is a JVM start, seconds on a loaded machine
            assertThat(c.ok("set", "image", "-n", ns, "deployment/roll", "c=nginx:1.28")).contains("deployment.apps/roll image updated");
            // mid-rollout: a new ReplicaSet with a ready pod while the old one still has pods
            String[] last = new String[1];
            E2eCluster.Check underWay = () -> c.json("get", "replicasets", "-n", ns, "-l", "app=roll").map(l -> {
                int oldSpec = 0;
                int newReady = 0;
                last[0] = l.path("items").findValues("status").toString();
                for (JsonNode rs : l.path("items")) {
                    boolean isNew = rs.path("spec").path("template").path("spec").path("containers").path(0).path("image").asText().equals("nginx:1.28");
                    if (isNew) {
                        newReady = rs.path("status").path("readyReplicas").asInt();
                    } else {
                        oldSpec += rs.path("spec").path("replicas").asInt();
                    }
                }
                if (newReady >= 1 && oldSpec == 0) {
                    throw new AssertionError("the rollout finished before the leader could be killed mid-way: " + last[0]);
                }
                return newReady >= 1 && oldSpec >= 1;
            }).orElse(false);
            try {
                await("the rollout under way", 90_000, underWay);
            } catch (AssertionError e) {
                throw new AssertionError(e.getMessage() + "; ReplicaSet statuses last seen: " + last[0], e);
            }
            E2eCluster.sigkill(c.masterPid(old));
            c.phase("SIGKILLed leader " + old.path("id").asText() + " mid rollout: " + last[0]);
            E2eCluster.Result status = c.kubectl("rollout", "status", "-n", ns, "deployment/roll", "--timeout=150s");
            c.phase("rollout status exited " + status.code() + ": " + status.out().strip().replace('\n', '|'));
            assertThat(status.code()).as(status.out()).isZero();
            assertThat(status.out()).contains("deployment \"roll\" successfully rolled out");
            System.out.println("rollout: " + rollout.events + " watch events, most pods seen " + rollout.mostPods);
            violations.addAll(rollout.violations);
        }
        JsonNode rss = c.json("get", "replicasets", "-n", ns, "-l", "app=roll").orElseThrow();
        assertThat(rss.path("items").size()).isEqualTo(2);
        for (JsonNode rs : rss.path("items")) {
            boolean isNew = rs.path("spec").path("template").path("spec").path("containers").path(0).path("image").asText().equals("nginx:1.28");
            assertThat(rs.path("spec").path("replicas").asInt()).as(name(rs)).isEqualTo(isNew ? replicas : 0);
            assertThat(rs.path("status").path("replicas").asInt()).as(name(rs)).isEqualTo(isNew ? replicas : 0);
            if (isNew) {
                assertThat(rs.path("status").path("readyReplicas").asInt()).isEqualTo(replicas);
                assertThat(rs.path("status").path("availableReplicas").asInt()).isEqualTo(replicas);
            }
        }
        await("only the new pods left", 30_000, () -> {
            List<JsonNode> pods = pods(ns, "roll");
            return pods != null && pods.size() == replicas && pods.stream().allMatch(p -> runningReady(p)
                    && p.path("spec").path("containers").path(0).path("image").asText().equals("nginx:1.28"));
        });
        await("job batch Complete", 120_000, () -> c.json("get", "job", "-n", ns, "batch")
                .map(j -> j.path("status").path("succeeded").asInt() == completions && conditionNode(j, "Complete") != null
                        && conditionNode(j, "Complete").path("status").asText().equals("True")).orElse(false));
        List<JsonNode> batch = pods(ns, "batch");
        assertThat(batch.stream().filter(p -> p.path("status").path("phase").asText().equals("Succeeded")).count())
                .as("exactly one pod per completion: %s", batch.stream().map(E2eCluster::name).toList()).isEqualTo(completions);
        assertThat(c.ok("describe", "job", "-n", ns, "batch")).containsPattern("Pods Statuses: +0 Active .*/ " + completions + " Succeeded / 0 Failed");
        assertThat(violations).as("never more than replicas + maxSurge pods nor fewer than replicas ready, nor more job pods than parallelism").isEmpty();
    }

    // ---------------------------------------------------------------- 5. a SIGSTOPped leader's late writes are fenced

    /**
     * The old leader holds a due eviction when it is frozen: a bare pod on the lost node, tolerating the unreachable
     * taint for 25 s. While it is stopped a new leader takes over and the pod is replaced by a pod of the same name on
     * the healthy node. When the old leader resumes after the deadline, its stale cache still shows the old pod on the
     * tainted node: its eviction (a status patch and a delete, both by name) would hit the new pod. The fence term on
     * its requests must make every such write fail, so the new pod stays untouched.
     */
    @Test
    @Order(5)
    void stoppedLeaderResumingAfterANewLeaderLandsNoWrite() throws Exception {
        String ns = "fence";
        int tolerationS = 35; // the stop lasts about this long: under Ratis' 60 s JVM-pause close threshold
        c.ok("create", "namespace", ns);
        String victim = "node-1";
        String survivor = other(victim);
        assertThat(c.apply(barePod(ns, "twin", victim, tolerationS)).out()).contains("pod/twin created");
        await("twin Running on " + victim, 60_000, () -> c.json("get", "pod", "-n", ns, "twin").map(E2eCluster::runningReady).orElse(false));

        JsonNode old = c.awaitLeader(); // before the agent: `status` is a JVM start, seconds on a loaded machine
        Instant killed = Instant.now();
        E2eCluster.sigkill(c.agentPid(victim));
        JsonNode n = awaitUnreachable(victim, killed);
        Instant deadline = time(taint(n, UNREACHABLE, "NoExecute").path("timeAdded")).plusSeconds(tolerationS);
        long oldPid = c.masterPid(old);
        String oldId = old.path("id").asText();
        long oldTerm = old.path("term").asLong();
        assertThat(Instant.now()).as("the old leader is stopped inside the countdown").isBefore(deadline.minusSeconds(12));
        List<String> violations = Collections.synchronizedList(new ArrayList<>());
        E2eCluster.Sampler sampler = survivorWatch(survivor, violations);
        c.signal("STOP", oldPid);
        boolean resumed = false;
        try {
            c.phase("SIGSTOPped leader " + oldId + " (term " + oldTerm + "); eviction of twin due at " + deadline);
            JsonNode[] now = new JsonNode[1];
            JsonNode[] status = new JsonNode[1];
            try {
                await("a new leader", 60_000, () -> {
                    status[0] = c.status();
                    now[0] = c.leader();
                    return now[0] != null && !now[0].path("id").asText().equals(oldId) && now[0].path("term").asLong() > oldTerm;
                });
            } catch (AssertionError e) {
                throw new AssertionError(e.getMessage() + "; last status " + status[0], e);
            }
            c.phase("new leader " + now[0].path("id").asText() + " in term " + now[0].path("term").asText());
            // replace twin by a pod of the same name on the healthy node
            JsonNode before = c.json("get", "pod", "-n", ns, "twin").orElse(null);
            assertThat(before).as("twin before the replacement; events: %s", c.kubectl("get", "events", "-n", ns).out()).isNotNull();
            assertThat(terminating(before)).as("twin is not evicted before its deadline: %s", before).isFalse();
            forceDelete(ns, "twin");
            await("twin gone", 30_000, () -> c.kubectl("get", "pod", "-n", ns, "twin").out().contains("NotFound"));
            assertThat(c.apply(barePod(ns, "twin", survivor, tolerationS)).out()).contains("pod/twin created");
            await("the new twin Running on " + survivor, 60_000, () -> c.json("get", "pod", "-n", ns, "twin")
                    .map(p -> runningReady(p) && p.path("spec").path("nodeName").asText().equals(survivor)).orElse(false));
            String uid = c.json("get", "pod", "-n", ns, "twin").orElseThrow().path("metadata").path("uid").asText();
            assertThat(Instant.now()).as("the replacement is in place before the old deadline").isBefore(deadline);
            await("the old deadline passed", deadline.toEpochMilli() - System.currentTimeMillis() + 10_000,
                    () -> Instant.now().isAfter(deadline.plusSeconds(2)));
            c.signal("CONT", oldPid);
            resumed = true;
            Instant cont = Instant.now();
            c.phase("SIGCONT " + oldId);
            Path log = Path.of(c.file().master(oldId).logFile);
            await(oldId + " stops its controllers of term " + oldTerm, 60_000,
                    () -> Files.readString(log).contains("stopping controllers of term " + oldTerm));
            c.phase(oldId + " stopped its controllers " + Duration.between(cont, Instant.now()).toMillis() + " ms after SIGCONT");
            // let anything in flight land (or not)
            await("5 s after the old leader stepped down", 10_000, () -> Duration.between(cont, Instant.now()).toSeconds() >= 5);
            String since = Files.readString(log);
            since.lines().filter(l -> l.contains("fenced") || l.contains("taint-eviction")).forEach(l -> System.out.println("old leader: " + l));

            JsonNode twin = c.json("get", "pod", "-n", ns, "twin").orElseThrow();
            assertThat(twin.path("metadata").path("uid").asText()).isEqualTo(uid);
            assertThat(terminating(twin)).as("the new twin is not being deleted").isFalse();
            assertThat(conditionNode(twin, "DisruptionTarget")).as("the new twin got no DisruptionTarget condition").isNull();
            JsonNode events = c.json("get", "events", "-n", ns).orElseThrow();
            // The new leader scheduled the old twin's eviction and, when it was force-deleted, cancelled it with a
            // "Cancelling deletion" event as upstream's taint manager does; no eviction may ever have been started.
            for (JsonNode e : events.path("items")) {
                if (e.path("reason").asText().equals("TaintManagerEviction")) {
                    assertThat(e.path("message").asText()).as("event %s", e).startsWith("Cancelling deletion of Pod");
                    assertThat(e.path("involvedObject").path("uid").asText()).as("event %s", e).isNotEqualTo(uid);
                }
            }
        } finally {
            if (!resumed) {
                c.signal("CONT", oldPid);
            }
            sampler.close();
        }
        // the resumed leader judged every node by its frozen cache and a clock 30 s ahead of it: none of that may land
        assertThat(violations).as("the healthy node is never marked Unknown nor tainted, across the stop and the resume").isEmpty();
    }

    /**
     * `kubectl delete --force` during a leader change: a write that times out may still be applied (504 Timeout, no
     * Retry-After), so it is sent again, and then NotFound means the first one went through.
     */
    void forceDelete(String ns, String pod) throws Exception {
        boolean unknown = false;
        for (int i = 0; i < 4; i++) {
            E2eCluster.Result r = c.kubectl("delete", "pod", "-n", ns, pod, "--force", "--grace-period=0");
            if (r.code() == 0 || (unknown && r.out().contains("Error from server (NotFound)"))) {
                return;
            }
            assertThat(r.out()).as("kubectl delete --force %s: a timeout is the only error expected", pod)
                    .containsAnyOf("Error from server (Timeout)", "Unable to connect to the server");
            c.phase("delete of " + pod + " timed out (outcome unknown): " + r.out().strip());
            unknown = true;
        }
        throw new AssertionError("could not delete " + pod);
    }

    static String barePod(String ns, String name, String node, int tolerationS) {
        return """
                apiVersion: v1
                kind: Pod
                metadata: {name: %s, namespace: %s, labels: {app: %s}}
                spec:
                  nodeName: %s
                  terminationGracePeriodSeconds: 5
                  tolerations:
                  - {key: node.kubernetes.io/unreachable, operator: Exists, effect: NoExecute, tolerationSeconds: %d}
                  - {key: node.kubernetes.io/not-ready, operator: Exists, effect: NoExecute, tolerationSeconds: %d}
                  containers:
                  - name: c
                    image: nginx:1.27
                """.formatted(name, ns, name, node, tolerationS, tolerationS);
    }
}
