package io.kuberaft.nodeagent;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.kuberaft.nodeagent.runtime.ContainerRuntime;
import io.kuberaft.nodeagent.runtime.ProcessRuntime;
import io.kuberaft.nodeagent.runtime.SimulatedRuntime;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * One agent process: the nodes it hosts (each with its registration, Lease and pods), the container runtime
 * they share, and the agent API (logs) on one port for all of them. Work runs on a small shared scheduler
 * so one JVM can host many simulated nodes; each node's pod sync is one task, never run concurrently.
 * Without a client (no kubeconfig) it is standalone, as a kubelet without one: it runs its static pods and nothing
 * else, registers no node and posts nothing.
 */
public final class NodeAgent implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(NodeAgent.class);
    private final KubernetesClient client;
    private final HeartbeatClient heartbeatClient;
    private final AgentConfig config;
    private final Clock clock;
    private final ContainerRuntime runtime;
    private final ScheduledExecutorService scheduler;
    /** Heartbeats apart from pod work, so that slow pod status writes never delay a Lease renewal: a timer ... */
    private final ScheduledExecutorService heartbeats;
    /** ... handing each due renewal to a thread of its own pool (see {@link #renewThreads}). */
    private final java.util.concurrent.ThreadPoolExecutor renewers;
    private final ExecutorService background;
    /** The events of every node here, aggregated as client-go's recorder does; a few writers for thousands of nodes. */
    private final io.kuberaft.controllers.runtime.EventRecorder eventWriter;
    private final List<NodeSession> nodes = new ArrayList<>();
    private PodSource podSource;
    private ServiceSource serviceSource;
    private RootCaSource rootCaSource;
    private AgentApiServer api;

    /** What one hosted node is made of. */
    record NodeSession(String name, NodeStatusReporter status, LeaseHeartbeat lease, PodManager pods, StatsSummary stats) {
    }

    public NodeAgent(KubernetesClient client, AgentConfig config, Clock clock) {
        this.client = client;
        this.heartbeatClient = client == null ? null : new HeartbeatClient(client.getConfiguration(), config.leaseRenewInterval());
        this.config = config;
        this.clock = clock;
        this.runtime = switch (config.runtime()) {
            case "simulated" -> new SimulatedRuntime(clock, config.simulatedRunTime());
            case "process" -> new ProcessRuntime(config.rootDir(), clock, config.containerLogMaxBytes(), config.containerLogMaxFiles());
            default -> throw new IllegalArgumentException("--runtime must be simulated or process, got " + config.runtime());
        };
        // Syncs and Lease renewals mostly wait on the API: many hosted nodes need more threads than cores.
        int threads = Math.max(2, Math.min(32, Runtime.getRuntime().availableProcessors() * 2 + config.nodeNames().size() / 25));
        AtomicInteger n = new AtomicInteger();
        this.scheduler = Executors.newScheduledThreadPool(threads, r -> daemon(r, "agent-sync-" + n.incrementAndGet()));
        this.heartbeats = Executors.newSingleThreadScheduledExecutor(r -> daemon(r, "agent-lease-timer"));
        int renewThreads = renewThreads(config.nodeNames().size(), config.leaseRenewInterval());
        this.renewers = new java.util.concurrent.ThreadPoolExecutor(renewThreads, renewThreads, 30, TimeUnit.SECONDS,
                new java.util.concurrent.LinkedBlockingQueue<>(), r -> daemon(r, "agent-lease-" + n.incrementAndGet()));
        renewers.allowCoreThreadTimeOut(true); // threads only while renewals wait on the API
        this.background = Executors.newCachedThreadPool(r -> daemon(r, "agent-io-" + n.incrementAndGet()));
        this.eventWriter = client == null ? null
                : new io.kuberaft.controllers.runtime.EventRecorder(client, clock, Math.min(8, 1 + config.nodeNames().size() / 50));
    }

    /**
     * Renewals that may be in flight at once: a renewal blocks its thread for one request, so N nodes renewing every
     * interval at a latency L need N × L / interval threads, and the API's latency under load is what it is (hundreds
     * of ms, seconds when saturated). Sized for 1 s per request: 200 threads for 2,000 nodes at 10 s. The earlier
     * min(16, N / 50) sustained 16 renewals/s at 1 s — 2,000 nodes need 200/s — and the Leases starved.
     */
    static int renewThreads(int nodes, Duration renewInterval) {
        long perSecond = (long) Math.ceil(nodes * 1000.0 / Math.max(1, renewInterval.toMillis()));
        return (int) Math.max(2, Math.min(Math.min(256, nodes), perSecond));
    }

    private static Thread daemon(Runnable r, String name) {
        Thread t = new Thread(r, name);
        t.setDaemon(true);
        return t;
    }

    /** Starts the agent API, registers every node and starts their heartbeats and pod syncs. */
    public NodeAgent start() throws IOException {
        boolean standalone = client == null;
        if (standalone && config.podManifestPath() == null) {
            throw new IllegalStateException("without an API server (no kubeconfig) the agent runs static pods only: give --pod-manifest-path");
        }
        api = AgentApiServer.start(config.bindAddress(), config.agentPort(), config.enableServer(), config.readOnlyPort(), this,
                config.clientCaPem(), clock);
        Prober prober = new Prober(runtime);
        Map<String, NodeStatusReporter> reporters = new java.util.LinkedHashMap<>();
        Map<String, LeaseHeartbeat> leases = new java.util.LinkedHashMap<>();
        for (String name : config.nodeNames()) {
            NodeStatusReporter status = new NodeStatusReporter(client, config, name, PodIps.cidrFor(name), runtime.version(), api.port(), clock);
            reporters.put(name, status);
            leases.put(name, new LeaseHeartbeat(heartbeatClient, config, name, status::uid, clock));
        }
        if (config.podManifestPath() == null && !standalone) {
            // Each node's heartbeat starts as soon as it is registered, not after all of them (thousands take a minute).
            registerAll(reporters.values(), r -> {
                LeaseHeartbeat lease = leases.get(r.name());
                if (r.created()) {
                    lease.nodeIsNew();
                }
                scheduleLease(r.name(), lease, Duration.ZERO);
            });
        }
        // Not waiting for the first list: the nodes' syncs start once it is in.
        podSource = standalone ? null : PodSource.start(client, new java.util.LinkedHashSet<>(config.nodeNames()));
        serviceSource = standalone ? null : ServiceSource.start(client);
        rootCaSource = standalone ? null : RootCaSource.start(client);
        for (String name : config.nodeNames()) {
            NodeStatusReporter status = reporters.get(name);
            LeaseHeartbeat lease = leases.get(name);
            EventRecorder events = standalone ? EventRecorder.NONE : EventRecorder.of(eventWriter, name);
            PodManager pods = new PodManager(client, config, name, runtime, prober, background, events, clock, new PodIps(status.podCidr()));
            NodeSession s = new NodeSession(name, status, lease, pods, new StatsSummary(name, runtime, clock));
            nodes.add(s);
            if (config.podManifestPath() != null) {
                // Static pods run even while the API server is unreachable (standalone): registration is retried.
                pods.withStaticPods(new StaticPodSource(config.podManifestPath(), name, clock), status::uid);
                if (!standalone) {
                    registerInBackground(s);
                    scheduleLease(name, lease, Duration.ZERO);
                }
            }
            if (!standalone) {
                pods.start(podSource, serviceSource, rootCaSource);
            }
            scheduler.scheduleWithFixedDelay(() -> guarded(s, pods::syncAll), 0, config.syncInterval().toMillis(), TimeUnit.MILLISECONDS);
            if (!standalone) {
                scheduler.scheduleWithFixedDelay(() -> guarded(s, status::maybePost), 1, 1, TimeUnit.SECONDS);
            }
        }
        if (standalone) {
            LOG.info("event=agent-standalone nodes={} pod-manifest-path={} message=\"no kubeconfig: running the static pods only, "
                    + "no node is registered and no status is posted\"", config.nodeNames(), config.podManifestPath());
        }
        LOG.info("event=agent-started nodes={} runtime={} api-port={} read-only-port={}", config.nodeNames().size(), config.runtime(),
                api.port(), api.readOnlyPort());
        return this;
    }

    /** Registers the nodes, up to 16 at a time (one process may host thousands); the first failure stops the start. */
    private void registerAll(java.util.Collection<NodeStatusReporter> reporters, java.util.function.Consumer<NodeStatusReporter> registered)
            throws IOException {
        ExecutorService pool = Executors.newFixedThreadPool(Math.max(1, Math.min(16, reporters.size())), r -> daemon(r, "agent-register"));
        try {
            List<java.util.concurrent.Future<?>> done = new ArrayList<>();
            for (NodeStatusReporter r : reporters) {
                Runnable task = () -> {
                    r.register();
                    registered.accept(r);
                };
                done.add(pool.submit(task));
            }
            for (java.util.concurrent.Future<?> f : done) {
                f.get();
            }
        } catch (java.util.concurrent.ExecutionException e) {
            if (e.getCause() instanceof RuntimeException re) {
                throw re;
            }
            throw new IOException(e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while registering the nodes", e);
        } finally {
            pool.shutdownNow();
        }
    }

    private void registerInBackground(NodeSession s) {
        scheduler.execute(() -> {
            try {
                s.status().register();
            } catch (RuntimeException e) {
                LOG.warn("event=node-register-failed node={} error={} retry-in=2s", s.name(), e.toString());
                scheduler.schedule(() -> registerInBackground(s), 2, TimeUnit.SECONDS);
            }
        });
    }

    private void scheduleLease(String node, LeaseHeartbeat lease, Duration delay) {
        try {
            heartbeats.schedule(() -> renewers.execute(() -> {
                Duration next = Duration.ofMillis(200);
                try {
                    next = lease.renew();
                } catch (RuntimeException e) {
                    LOG.warn("event=lease-renew-error node={} error={}", node, e.toString());
                } finally {
                    scheduleLease(node, lease, next);
                }
            }), delay.toMillis(), TimeUnit.MILLISECONDS);
        } catch (java.util.concurrent.RejectedExecutionException e) {
            // closing down
        }
    }

    private static void guarded(NodeSession s, Runnable r) {
        try {
            r.run();
        } catch (RuntimeException e) {
            LOG.warn("event=node-task-failed node={} error={}", s.name(), e.toString());
        }
    }

    public int apiPort() {
        return api.port();
    }

    public int readOnlyPort() {
        return api.readOnlyPort();
    }

    public List<String> nodeNames() {
        return nodes.stream().map(NodeSession::name).toList();
    }

    ContainerRuntime runtime() {
        return runtime;
    }

    /** The worker of a pod on any of this agent's nodes. */
    Optional<PodWorker> findPod(String namespace, String name) {
        for (NodeSession s : nodes) {
            Optional<PodWorker> w = s.pods().find(namespace, name);
            if (w.isPresent()) {
                return w;
            }
        }
        return Optional.empty();
    }

    /** {@code /stats/summary} of each of this agent's nodes ({@code node} null) or of one (empty: not one of them). */
    List<com.fasterxml.jackson.databind.node.ObjectNode> summaries(String node) {
        return nodes.stream().filter(s -> node == null || s.name().equals(node)).map(s -> s.stats().summary(s.pods().workers())).toList();
    }

    List<io.fabric8.kubernetes.api.model.Pod> pods() {
        List<io.fabric8.kubernetes.api.model.Pod> out = new ArrayList<>();
        nodes.forEach(s -> out.addAll(s.pods().pods()));
        return out;
    }

    /** The Services the agent's pods get variables for (null when standalone). */
    ServiceSource services() {
        return serviceSource;
    }

    @Override
    public void close() {
        scheduler.shutdownNow();
        heartbeats.shutdownNow();
        renewers.shutdownNow();
        if (heartbeatClient != null) {
            heartbeatClient.close();
        }
        if (podSource != null) {
            podSource.close();
        }
        if (serviceSource != null) {
            serviceSource.close();
        }
        if (rootCaSource != null) {
            rootCaSource.close();
        }
        if (api != null) {
            api.close();
        }
        background.shutdownNow();
        if (eventWriter != null) {
            eventWriter.close();
        }
        runtime.close();
    }
}
