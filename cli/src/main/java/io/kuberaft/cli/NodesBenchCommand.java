package io.kuberaft.cli;

import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.coordination.v1.Lease;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.Watch;
import io.fabric8.kubernetes.client.Watcher;
import io.fabric8.kubernetes.client.WatcherException;
import io.kuberaft.bench.Machine;
import io.kuberaft.nodeagent.AgentClient;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Node scale: one agent process hosting N simulated nodes against a fresh 3-replica cluster (through its load
 * balancer). Measures Lease heartbeat writes/s, API latency seen by a probe client during the run, pod startup
 * latency (created with spec.nodeName preset → Running seen through a watch) and the replicas' CPU and RSS.
 */
@Command(name = "nodes", mixinStandardHelpOptions = true,
        description = {"Node scale: one agent JVM hosting N simulated nodes against a fresh 3-replica cluster.",
                "Reports Lease writes/s, API p99 during the run, pod startup p50/p99 and control-plane CPU and RSS.",
                "Upstream SLOs: API call latency p99 <= 1 s, pod startup p99 <= 5 s."})
public final class NodesBenchCommand implements Callable<Integer> {
    @Option(names = "--nodes", defaultValue = "5000", description = "Simulated nodes (default: ${DEFAULT-VALUE}).")
    int nodes;

    @Option(names = "--pods-per-node", defaultValue = "30", description = "Pods per node (default: ${DEFAULT-VALUE}), capped by --max-pods.")
    int podsPerNode;

    @Option(names = "--max-pods", defaultValue = "3000", description = "At most this many pods in all (default: ${DEFAULT-VALUE}).")
    int maxPods;

    @Option(names = "--pod-rate", defaultValue = "20", description = "Pods created per second (upstream's density test: 20) (default: ${DEFAULT-VALUE}).")
    int podRate;

    @Option(names = "--heartbeat-window-s", defaultValue = "30", description = "Lease writes are counted over this window before pods are created (default: ${DEFAULT-VALUE}).")
    int windowS;

    @Option(names = "--lease-renew-ms", defaultValue = "10000", description = "Agent Lease renewal period (upstream 10 s) (default: ${DEFAULT-VALUE}).")
    long leaseRenewMs;

    @Option(names = "--register-timeout-s", defaultValue = "600", description = "Give up when the nodes are not registered by then (default: ${DEFAULT-VALUE}).")
    int registerTimeoutS;

    @Option(names = "--agent-heap", defaultValue = "2g", description = "-Xmx of the agent JVM (default: ${DEFAULT-VALUE}).")
    String agentHeap;

    @Option(names = "--agent-log", description = "Write the agent's log to this file, kept after the run (default: in the cluster directory, deleted with it).")
    Path agentLogFile;

    @Override
    public Integer call() throws Exception {
        if (nodes < 1 || nodes > 20_000 || podsPerNode < 0 || maxPods < 0 || podRate < 1 || windowS < 1) {
            System.err.println("kuberaft bench nodes: --nodes must be 1..20000, --pod-rate and --heartbeat-window-s positive");
            return 2;
        }
        int pods = (int) Math.min((long) nodes * podsPerNode, maxPods);
        System.out.printf(Locale.ROOT, "kuberaft bench nodes: %d nodes, %d pods (%d per node, capped at %d), 3 replicas%n", nodes, pods, podsPerNode, maxPods);
        System.out.println("  load average: " + Machine.loadAverage());
        try (BenchCluster bc = BenchCluster.start(3, System.out)) {
            ClusterFile f = bc.file();
            Path agentLog = agentLogFile != null ? agentLogFile.toAbsolutePath() : bc.cluster().dir().resolve("logs").resolve("bench-agent.log");
            List<String> cmd = new ArrayList<>(bc.cluster().baseCommand());
            // The agent JVM gets its own heap (many nodes' informers).
            for (int i = 0; i < cmd.size(); i++) {
                if (cmd.get(i).startsWith("-Xmx")) {
                    cmd.set(i, "-Xmx" + agentHeap);
                }
            }
            cmd.addAll(List.of("agent", "--kubeconfig", f.kubeconfig, "--name", "bench", "--nodes", String.valueOf(nodes), "--runtime", "simulated",
                    "--agent-port", "0", "--root-dir", bc.cluster().dir().resolve("agent").toString(),
                    "--node-lease-renew-interval-ms", String.valueOf(leaseRenewMs)));
            Process agent = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.appendTo(agentLog.toFile()))
                    .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null"))).start();
            System.out.println("  agent pid " + agent.pid() + ", log " + agentLog);
            try (KubernetesClient client = AgentClient.fromKubeconfig(Path.of(f.kubeconfig), null)) {
                return run(bc, f, client, agent, pods);
            } finally {
                agent.destroy();
                if (!agent.waitFor(10, TimeUnit.SECONDS)) {
                    agent.destroyForcibly();
                }
            }
        }
    }

    private int run(BenchCluster bc, ClusterFile f, KubernetesClient client, Process agent, int pods) throws Exception {
        long t0 = System.nanoTime();
        long deadline = t0 + TimeUnit.SECONDS.toNanos(registerTimeoutS);
        int registered = 0;
        while (registered < nodes) {
            if (!agent.isAlive()) {
                System.err.println("kuberaft bench nodes: the agent exited; see its log (--agent-log keeps it)");
                return 1;
            }
            if (System.nanoTime() > deadline) {
                System.err.printf(Locale.ROOT, "kuberaft bench nodes: only %d of %d nodes registered after %d s%n", registered, nodes, registerTimeoutS);
                return 1;
            }
            Thread.sleep(2000);
            registered = client.nodes().list().getItems().size();
            System.out.printf(Locale.ROOT, "  %5.0f s: %d nodes registered%n", (System.nanoTime() - t0) / 1e9, registered);
        }
        System.out.printf(Locale.ROOT, "  all %d nodes registered in %.1f s%n", nodes, (System.nanoTime() - t0) / 1e9);

        List<Long> pids = f.masters.stream().map(m -> m.pid).toList();
        ApiLatencyProbe probe = new ApiLatencyProbe(client).start();
        // Every Lease exists and has been renewed once before the window starts.
        Thread.sleep(leaseRenewMs + 5000);
        // Heartbeats: Lease updates seen through a watch over the window.
        AtomicLong leaseWrites = new AtomicLong();
        AtomicLong leaseCreates = new AtomicLong();
        var leaseList = client.leases().inNamespace("kube-node-lease").list();
        int leasesAtStart = leaseList.getItems().size();
        // From the list's resourceVersion: only writes after it are counted (no initial ADDED per existing Lease).
        Watch leaseWatch = client.leases().inNamespace("kube-node-lease").watch(
                new io.fabric8.kubernetes.api.model.ListOptionsBuilder().withResourceVersion(leaseList.getMetadata().getResourceVersion()).build(), new Watcher<>() {
            @Override
            public void eventReceived(Action action, Lease resource) {
                if (action == Action.MODIFIED) {
                    leaseWrites.incrementAndGet();
                } else if (action == Action.ADDED) {
                    leaseCreates.incrementAndGet();
                }
            }

            @Override
            public void onClose(WatcherException cause) {
            }
        });
        ReplicaCpu before = ReplicaCpu.of(pids);
        Thread.sleep(windowS * 1000L);
        leaseWatch.close();
        double leaseRate = leaseWrites.get() / (double) windowS;
        ReplicaCpu afterHeartbeats = ReplicaCpu.of(pids);
        System.out.printf(Locale.ROOT, "  heartbeats: %.0f Lease writes/s over %d s (expected %.0f/s = nodes / renew period); API probe so far p99 %.0f ms%n",
                leaseRate, windowS, nodes * 1000.0 / leaseRenewMs, probe.pct(99) / 1e6);
        System.out.printf(Locale.ROOT, "  Leases: %d of %d existed when the window opened, %d created during it%n", leasesAtStart, nodes, leaseCreates.get());

        // Pod startup: spec.nodeName preset, created at --pod-rate, Running seen through a watch.
        Map<String, Long> created = new ConcurrentHashMap<>();
        List<Long> startup = Collections.synchronizedList(new ArrayList<>());
        Map<String, Boolean> done = new ConcurrentHashMap<>();
        Watch podWatch = client.pods().inNamespace("default").watch(new Watcher<>() {
            @Override
            public void eventReceived(Action action, Pod p) {
                String name = p.getMetadata().getName();
                Long c = created.get(name);
                if (c != null && p.getStatus() != null && "Running".equals(p.getStatus().getPhase()) && done.putIfAbsent(name, true) == null) {
                    startup.add(System.nanoTime() - c);
                }
            }

            @Override
            public void onClose(WatcherException cause) {
            }
        });
        ExecutorService creators = Executors.newFixedThreadPool(8);
        AtomicInteger failures = new AtomicInteger();
        long podsStart = System.nanoTime();
        for (int i = 0; i < pods; i++) {
            long due = podsStart + (long) (i * 1e9 / podRate);
            long wait = due - System.nanoTime();
            if (wait > 0) {
                TimeUnit.NANOSECONDS.sleep(wait);
            }
            String name = "bench-" + i;
            String node = nodes == 1 ? "bench" : "bench-" + (i % nodes);
            creators.execute(() -> {
                Pod p = new PodBuilder().withNewMetadata().withName(name).withNamespace("default").endMetadata()
                        .withNewSpec().withNodeName(node).addNewContainer().withName("c").withImage("registry.k8s.io/pause:3.9").endContainer()
                        .endSpec().build();
                created.put(name, System.nanoTime());
                try {
                    client.pods().inNamespace("default").resource(p).create();
                } catch (RuntimeException e) {
                    created.remove(name);
                    failures.incrementAndGet();
                }
            });
        }
        creators.shutdown();
        creators.awaitTermination(5, TimeUnit.MINUTES);
        long waitUntil = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
        while (done.size() < created.size() && System.nanoTime() < waitUntil) {
            Thread.sleep(200);
        }
        podWatch.close();
        double podSeconds = (System.nanoTime() - podsStart) / 1e9;
        ReplicaCpu end = ReplicaCpu.of(pids);
        probe.close();

        List<Long> sorted = new ArrayList<>(startup);
        Collections.sort(sorted);
        System.out.printf(Locale.ROOT, "  pods: %d created (%d failed), %d seen Running; startup p50 %.2f s, p99 %.2f s, max %.2f s (SLO p99 <= 5 s)%n",
                created.size(), failures.get(), sorted.size(), pct(sorted, 50) / 1e9, pct(sorted, 99) / 1e9,
                sorted.isEmpty() ? 0 : sorted.get(sorted.size() - 1) / 1e9);
        System.out.printf(Locale.ROOT, "  API probe (GET a node, LIST 1 pod, every 250 ms): %d calls, %d errors, p50 %.0f ms, p99 %.0f ms, max %.0f ms (SLO p99 <= 1 s)%n",
                probe.count(), probe.errors(), probe.pct(50) / 1e6, probe.pct(99) / 1e6, probe.pct(100) / 1e6);
        System.out.printf(Locale.ROOT, "  control plane CPU (3 replicas, of %d cores): heartbeats only %.0f%%, with pod creation %.0f%%%n",
                Runtime.getRuntime().availableProcessors(), before.cpuPercent(afterHeartbeats), afterHeartbeats.cpuPercent(end));
        System.out.printf(Locale.ROOT, "  control plane RSS: %s MiB (per replica)%n", end.rssMiB());
        System.out.println("  load average: " + Machine.loadAverage());
        return 0;
    }

    private static long pct(List<Long> sorted, int p) {
        if (sorted.isEmpty()) {
            return 0;
        }
        int i = (int) Math.ceil(p / 100.0 * sorted.size()) - 1;
        return sorted.get(Math.max(0, Math.min(sorted.size() - 1, i)));
    }

    /** A client calling the API every 250 ms (alternating a GET of a node and a LIST of one pod) and keeping the latencies. */
    static final class ApiLatencyProbe implements AutoCloseable {
        private final KubernetesClient client;
        private final List<Long> latencies = Collections.synchronizedList(new ArrayList<>());
        private final AtomicInteger errors = new AtomicInteger();
        private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor();
        private int n;

        ApiLatencyProbe(KubernetesClient client) {
            this.client = client;
        }

        ApiLatencyProbe start() {
            timer.scheduleAtFixedRate(() -> {
                long s = System.nanoTime();
                try {
                    if (n++ % 2 == 0) {
                        client.nodes().withName("bench-0").get();
                    } else {
                        client.pods().inNamespace("default").list(new io.fabric8.kubernetes.api.model.ListOptionsBuilder().withLimit(1L).build());
                    }
                    latencies.add(System.nanoTime() - s);
                } catch (RuntimeException e) {
                    errors.incrementAndGet();
                }
            }, 0, 250, TimeUnit.MILLISECONDS);
            return this;
        }

        int count() {
            return latencies.size();
        }

        int errors() {
            return errors.get();
        }

        long pct(int p) {
            List<Long> s = new ArrayList<>(latencies);
            Collections.sort(s);
            return NodesBenchCommand.pct(s, p);
        }

        @Override
        public void close() {
            timer.shutdownNow();
        }
    }
}
