package io.kuberaft.cli;

import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.NodeBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.Watch;
import io.fabric8.kubernetes.client.Watcher;
import io.fabric8.kubernetes.client.WatcherException;
import io.fabric8.kubernetes.client.jdkhttp.JdkHttpClientFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * {@code kuberaft bench scheduler}: scheduler_perf's SchedulingBasic against kuberaft. N Node objects are
 * registered through the API, then M pods created as fast as a bounded number of concurrent clients can;
 * a watch sees each pod bound. Reports pods/s (first create → last bound) and p50/p99 of create → bound,
 * next to kube-scheduler's CI floor (680 pods/s with 5,000 nodes and 10k pods).
 */
@Command(name = "scheduler", mixinStandardHelpOptions = true,
        description = {"Scheduler throughput: nodes registered through the API, pods created as fast as possible on a "
                + "3-replica cluster (fresh, or --kubeconfig's), create -> bound measured through a watch."})
public final class SchedulerBenchCommand implements java.util.concurrent.Callable<Integer> {
    private static final String NS = "bench-scheduler";
    private static final String LABEL = "kuberaft.io/bench";

    @Option(names = "--nodes", defaultValue = "5000", description = "Node objects to register (default: ${DEFAULT-VALUE}).")
    int nodes;

    @Option(names = "--pods", defaultValue = "10000", description = "Pods to create (default: ${DEFAULT-VALUE}).")
    int pods;

    @Option(names = "--clients", defaultValue = "32", description = "Concurrent create requests (default: ${DEFAULT-VALUE}).")
    int clients;

    @Option(names = "--max-seconds", defaultValue = "600", description = "Give up after this long (default: ${DEFAULT-VALUE}).")
    int maxSeconds;

    @Option(names = "--algorithm-only", description = "Only the scheduling cycles in this process, no cluster (the scheduler's own cost).")
    boolean algorithmOnly;

    @Option(names = "--kubeconfig", description = "Use this running cluster instead of starting a fresh one.")
    Path kubeconfig;

    @Override
    public Integer call() throws Exception {
        if (nodes < 1 || pods < 1 || clients < 1) {
            System.err.println("kuberaft bench scheduler: --nodes, --pods and --clients must be positive");
            return 2;
        }
        if (algorithmOnly) {
            algorithm();
            return 0;
        }
        if (kubeconfig != null) {
            return run(kubeconfig);
        }
        System.out.println("kuberaft bench scheduler: starting a 3-replica kuberaft cluster...");
        // No node agents here: the registered nodes never renew a Lease, so the node lifecycle must not mark them
        // Unknown (and taint them) during the run.
        List<String> args = List.of("--node-monitor-grace-period", "1h", "--node-startup-grace-period", "1h");
        try (BenchCluster bc = BenchCluster.start(3, args, System.out)) {
            return run(Path.of(bc.file().kubeconfig));
        }
    }

    private int run(Path kc) throws Exception {
        Config config = Config.fromKubeconfig(null, Files.readString(kc), kc.toString());
        config.setRequestTimeout(60_000);
        config.setMaxConcurrentRequests(clients * 2);
        config.setMaxConcurrentRequestsPerHost(clients * 2);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(maxSeconds);
        ExecutorService pool = Executors.newFixedThreadPool(clients);
        try (KubernetesClient k = new KubernetesClientBuilder().withConfig(config).withHttpClientFactory(new JdkHttpClientFactory()).build()) {
            if (k.namespaces().withName(NS).get() == null) {
                k.namespaces().resource(new NamespaceBuilder().withNewMetadata().withName(NS).endMetadata().build()).create();
            }
            System.out.printf("  registering %d nodes...%n", nodes);
            long t0 = System.nanoTime();
            String now = Instant.now().truncatedTo(ChronoUnit.SECONDS).toString();
            runAll(pool, nodes, deadline, i -> k.nodes().resource(node(i, now)).create());
            System.out.printf("  %d nodes in %.1f s%n", nodes, (System.nanoTime() - t0) / 1e9);

            Map<String, Long> created = new ConcurrentHashMap<>();
            long[] latencies = new long[pods];
            AtomicInteger bound = new AtomicInteger();
            AtomicLong lastBound = new AtomicLong();
            Object done = new Object();
            Watch watch = k.pods().inNamespace(NS).watch(new Watcher<>() {
                @Override
                public void eventReceived(Action action, Pod p) {
                    String node = p.getSpec().getNodeName();
                    if (node == null || node.isEmpty()) {
                        return;
                    }
                    Long start = created.remove(p.getMetadata().getName());
                    if (start != null) {
                        long at = System.nanoTime();
                        int n = bound.getAndIncrement();
                        if (n < latencies.length) {
                            latencies[n] = at - start;
                        }
                        lastBound.accumulateAndGet(at, Math::max);
                        if (n + 1 >= pods) {
                            synchronized (done) {
                                done.notifyAll();
                            }
                        }
                    }
                }

                @Override
                public void onClose(WatcherException cause) {
                    System.err.println("  watch closed: " + cause);
                }
            });
            System.out.printf("  creating %d pods with %d concurrent clients...%n", pods, clients);
            long first = System.nanoTime();
            int made = runAll(pool, pods, deadline, i -> {
                Pod p = pod(i);
                created.put(p.getMetadata().getName(), System.nanoTime());
                k.pods().inNamespace(NS).resource(p).create();
            });
            long createdAt = System.nanoTime();
            synchronized (done) {
                while (bound.get() < made && System.nanoTime() < deadline) {
                    done.wait(200);
                }
            }
            watch.close();
            int b = Math.min(bound.get(), pods);
            long[] lat = Arrays.copyOf(latencies, b);
            Arrays.sort(lat);
            double elapsed = (Math.max(lastBound.get(), first) - first) / 1e9;
            System.out.println();
            System.out.printf("kuberaft bench scheduler: %d nodes, %d pods created (%.0f creates/s), %d bound%n", nodes, made,
                    made / ((createdAt - first) / 1e9), b);
            System.out.printf("  throughput  %8.0f pods/s   (first create -> last bound, %.1f s)%n", b / Math.max(elapsed, 1e-9), elapsed);
            if (b > 0) {
                System.out.printf("  latency     p50 %7.1f ms   p99 %7.1f ms   max %7.1f ms   (create -> bound, seen by a watch)%n",
                        lat[(int) (b * 0.50)] / 1e6, lat[Math.min(b - 1, (int) (b * 0.99))] / 1e6, lat[b - 1] / 1e6);
            }
            System.out.println("  reference   kube-scheduler scheduler_perf SchedulingBasic floor: 680 pods/s (5,000 nodes, 10k pods); "
                    + "moonshot 2,000 pods/s");
            if (kubeconfig != null) {
                System.out.println("  cleaning up (namespace " + NS + ", nodes labelled " + LABEL + "=scheduler)...");
                k.namespaces().withName(NS).delete();
                k.nodes().withLabel(LABEL, "scheduler").delete();
            }
            return b == made && made == pods ? 0 : 1;
        } finally {
            pool.shutdownNow();
        }
    }

    /** The scheduler's cycles on the same nodes and pods, in this JVM (a warm-up round first). */
    private void algorithm() {
        String now = Instant.now().truncatedTo(ChronoUnit.SECONDS).toString();
        List<Node> ns = new ArrayList<>();
        for (int i = 0; i < nodes; i++) {
            ns.add(node(i, now));
        }
        List<Pod> ps = new ArrayList<>();
        for (int i = 0; i < pods; i++) {
            Pod p = pod(i);
            p.getMetadata().setUid(java.util.UUID.randomUUID().toString());
            ps.add(p);
        }
        io.kuberaft.controllers.scheduler.Simulation.run(ns, ps);
        long[] r = io.kuberaft.controllers.scheduler.Simulation.run(ns, ps);
        System.out.printf("kuberaft bench scheduler --algorithm-only: %d nodes, %d of %d pods placed in %.2f s: %.0f pods/s "
                + "(scheduling cycles alone, one thread; reference 680 pods/s end to end)%n", nodes, r[0], pods, r[1] / 1e9, r[0] / (r[1] / 1e9));
    }

    private interface Task {
        void run(int i) throws Exception;
    }

    /** Runs {@code n} tasks on the pool, at most the pool's size at once; stops at the deadline. Returns how many succeeded. */
    private int runAll(ExecutorService pool, int n, long deadline, Task task) throws InterruptedException {
        Semaphore slots = new Semaphore(clients);
        AtomicInteger ok = new AtomicInteger();
        AtomicInteger failures = new AtomicInteger();
        for (int i = 0; i < n && System.nanoTime() < deadline; i++) {
            slots.acquire();
            int idx = i;
            pool.execute(() -> {
                try {
                    task.run(idx);
                    ok.incrementAndGet();
                } catch (Exception e) {
                    if (failures.getAndIncrement() < 5) {
                        System.err.println("  request failed: " + e.getMessage());
                    }
                } finally {
                    slots.release();
                }
            });
        }
        slots.acquire(clients);
        slots.release(clients);
        return ok.get();
    }

    private static Node node(int i, String now) {
        String name = String.format("bench-node-%05d", i);
        return new NodeBuilder().withNewMetadata().withName(name)
                .withLabels(Map.of(LABEL, "scheduler", "kubernetes.io/hostname", name, "topology.kubernetes.io/zone", "zone-" + (i % 3)))
                .endMetadata().withNewSpec().endSpec()
                .withNewStatus()
                .addToCapacity("cpu", new Quantity("32")).addToCapacity("memory", new Quantity("256Gi")).addToCapacity("pods", new Quantity("110"))
                .addNewCondition().withType("Ready").withStatus("True").withReason("KubeletReady").withMessage("kubelet is posting ready status")
                .withLastHeartbeatTime(now).withLastTransitionTime(now).endCondition()
                .endStatus().build();
    }

    private static Pod pod(int i) {
        return new PodBuilder().withNewMetadata().withName(String.format("pod-%06d", i)).withNamespace(NS).endMetadata()
                .withNewSpec().addNewContainer().withName("pause").withImage("registry.k8s.io/pause:3.10")
                .withNewResources().addToRequests("cpu", new Quantity("100m")).addToRequests("memory", new Quantity("128Mi")).endResources()
                .endContainer().endSpec().build();
    }
}
