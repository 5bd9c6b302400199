package io.kuberaft.chaos.cluster;

import io.etcd.jetcd.api.MaintenanceGrpc;
import io.etcd.jetcd.api.StatusRequest;
import io.etcd.jetcd.api.StatusResponse;
import io.grpc.ManagedChannel;
import io.grpc.netty.NettyChannelBuilder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.testcontainers.DockerClientFactory;
import org.testcontainers.containers.BindMode;
import org.testcontainers.containers.Container;
import org.testcontainers.containers.GenericContainer;
import org.testcontainers.containers.Network;
import org.testcontainers.containers.wait.strategy.AbstractWaitStrategy;
import org.testcontainers.utility.DockerImageName;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

/**
 * N control-plane replicas, each `kuberaft server` in its own container with its own IP on one podman
 * network (peers by network alias m1..mN), API on 6443 (plain HTTP, no auth) and etcd on 2379, both
 * mapped to 127.0.0.1 for the test's clients. The JVM runs under the image's init.sh, so a replica can
 * be SIGKILLed and restarted with its data, or SIGSTOPped, without replacing the container; partitions
 * and packet loss are iptables rules inside the containers (NET_ADMIN), between replica IPs only, so the
 * clients' mapped-port traffic is never cut.
 */
public final class ChaosCluster implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(ChaosCluster.class);
    public static final String JDK = "/usr/lib/jvm/java-17-openjdk-amd64";
    public static final int API_PORT = 6443;
    public static final int ETCD_PORT = 2379;
    public static final int RAFT_PORT = 7001;
    /** Debian's libfaketime (chaos/setup.sh installs it): bind-mounted and preloaded into the replicas' JVMs for clock skew. */
    public static final String FAKETIME_DIR = "/usr/lib/x86_64-linux-gnu/faketime";

    /** One replica. */
    public static final class Node {
        public final String id;
        final GenericContainer<?> container;
        public String ip;

        Node(String id, GenericContainer<?> container) {
            this.id = id;
            this.container = container;
        }

        public String apiUrl() {
            return "http://127.0.0.1:" + container.getMappedPort(API_PORT);
        }

        public String etcdEndpoint() {
            return "127.0.0.1:" + container.getMappedPort(ETCD_PORT);
        }

        @Override
        public String toString() {
            return id;
        }
    }

    private final Network network;
    private final java.util.concurrent.atomic.AtomicInteger startRetries = new java.util.concurrent.atomic.AtomicInteger();

    private final java.util.concurrent.atomic.AtomicInteger execRetries = new java.util.concurrent.atomic.AtomicInteger();

    /** Container starts that failed once and were retried (environmental: podman under load). */
    public int startRetries() {
        return startRetries.get();
    }

    /** Execs in containers that failed once and were retried. */
    public int execRetries() {
        return execRetries.get();
    }

    private static String rootMessage(Throwable t) {
        while (t.getCause() != null && t.getCause() != t) {
            t = t.getCause();
        }
        return t.toString();
    }
    private final List<Node> nodes = new ArrayList<>();
    /** Node agents (containers a1..aK) and the load balancer they reach the replicas through; empty until {@link #startAgents}. */
    private final List<Node> agents = new ArrayList<>();
    private Node balancer;
    /** The agents' kubeconfig on the host (bind-mounted), removed at close. */
    private Path kubeconfigDir;
    private final Path root;
    private final String javaOpts;

    /** True when a container engine answers (DOCKER_HOST set and reachable). */
    public static boolean available() {
        if (System.getenv("DOCKER_HOST") == null) {
            return false;
        }
        try {
            return DockerClientFactory.instance().isDockerAvailable();
        } catch (Throwable t) {
            return false;
        }
    }

    public static String image() {
        return System.getenv().getOrDefault("KUBERAFT_CHAOS_IMAGE", "localhost/kuberaft-chaos:latest");
    }

    /**
     * @param root       the kuberaft checkout whose cli/target distribution the replicas run
     * @param serverArgs extra `kuberaft server` flags for every replica
     */
    public ChaosCluster(Path root, int masters, List<String> serverArgs, String javaOpts) {
        this(root, masters, serverArgs, javaOpts, false);
    }

    /**
     * @param fakeTime preload libfaketime into each replica's JVM (wall clock only:
     *                 FAKETIME_DONT_FAKE_MONOTONIC, so System.nanoTime and Ratis' timers are untouched), its
     *                 offset read from /tmp/faketime in the container (see {@link #skewClock})
     */
    public ChaosCluster(Path root, int masters, List<String> serverArgs, String javaOpts, boolean fakeTime) {
        this.root = root;
        if (!Files.isRegularFile(root.resolve("cli/target/kuberaft-cli.jar"))) {
            throw new IllegalStateException("no distribution at " + root.resolve("cli/target")
                    + ": build it with mvn -B -o -q -pl chaos -am package -DskipTests");
        }
        this.network = Network.newNetwork();
        StringBuilder peers = new StringBuilder();
        for (int i = 1; i <= masters; i++) {
            peers.append(i > 1 ? "," : "").append("m").append(i).append("=m").append(i).append(":").append(RAFT_PORT);
        }
        this.javaOpts = javaOpts;
        if (fakeTime && !Files.isRegularFile(Path.of(FAKETIME_DIR, "libfaketime.so.1"))) {
            throw new IllegalStateException("clock skew needs libfaketime (" + FAKETIME_DIR + "): run chaos/setup.sh");
        }
        for (int i = 1; i <= masters; i++) {
            String id = "m" + i;
            List<String> cmd = new ArrayList<>(List.of("--id", id, "--peers", peers.toString(), "--data-dir", "/data/db",
                    "--host", "0.0.0.0", "--etcd-port", String.valueOf(ETCD_PORT), "--api-port", String.valueOf(API_PORT)));
            cmd.addAll(serverArgs);
            nodes.add(new Node(id, container(id, "server", cmd, fakeTime).withExposedPorts(API_PORT, ETCD_PORT)));
        }
    }

    /** A container of the chaos image running `kuberaft COMMAND ARGS` under init.sh, on the cluster's network as {@code id}. */
    private GenericContainer<?> container(String id, String command, List<String> args, boolean withFakeTime) {
        @SuppressWarnings("resource")
        GenericContainer<?> c = new GenericContainer<>(DockerImageName.parse(image()))
                .withImagePullPolicy(img -> false) // built locally by chaos/setup.sh; there is no registry
                .withNetwork(network).withNetworkAliases(id)
                .withFileSystemBind(JDK, JDK, BindMode.READ_ONLY)
                .withFileSystemBind(root.toString(), "/opt/kuberaft", BindMode.READ_ONLY)
                .withEnv("JAVA_OPTS", javaOpts)
                .withEnv("KUBERAFT_COMMAND", command)
                .withEnv("KUBERAFT_FAKETIME", withFakeTime ? FAKETIME_DIR + "/libfaketime.so.1" : "")
                .withCreateContainerCmdModifier(cc -> {
                    cc.withName("kuberaft-chaos-" + id + "-" + Long.toHexString(System.nanoTime() & 0xffffff));
                    cc.getHostConfig().withCapAdd(com.github.dockerjava.api.model.Capability.NET_ADMIN);
                })
                .withCommand(args.toArray(String[]::new))
                .waitingFor(new AbstractWaitStrategy() {
                    @Override
                    protected void waitUntilReady() {
                        // readiness is awaited by the caller (a known Raft leader, Ready nodes)
                    }
                })
                .withStartupTimeout(Duration.ofSeconds(60));
        if (withFakeTime) {
            c.withFileSystemBind(FAKETIME_DIR, FAKETIME_DIR, BindMode.READ_ONLY);
        }
        return c;
    }

    public List<Node> nodes() {
        return nodes;
    }

    /** The node-agent containers (a1..aK), empty unless {@link #startAgents} ran. */
    public List<Node> agents() {
        return agents;
    }

    /** Replicas, the load balancer and the agents: every container of the run. */
    private List<Node> all() {
        List<Node> out = new ArrayList<>(nodes);
        if (balancer != null) {
            out.add(balancer);
        }
        out.addAll(agents);
        return out;
    }

    /**
     * Starts the load balancer ({@code lb}: `kuberaft lb` in front of every replica's API, health checks on
     * /readyz) and {@code count} agent containers a1..aK, each `kuberaft agent --nodes nodesEach` (simulated
     * runtime, nodes aI-0..) talking to the API through the balancer as a real node would; then waits until
     * every node is Ready. The API is plain HTTP without authentication, so the kubeconfig names only the server.
     */
    public void startAgents(int count, int nodesEach, List<String> agentArgs, Duration timeout) throws Exception {
        Path kc = Files.createTempDirectory("kuberaft-chaos-kubeconfig");
        kubeconfigDir = kc;
        Files.writeString(kc.resolve("kubeconfig"), """
                apiVersion: v1
                kind: Config
                clusters: [{name: chaos, cluster: {server: "http://lb:%d"}}]
                users: [{name: chaos, user: {}}]
                contexts: [{name: chaos, context: {cluster: chaos, user: chaos}}]
                current-context: chaos
                """.formatted(API_PORT));
        kc.toFile().setReadable(true, false);
        kc.resolve("kubeconfig").toFile().setReadable(true, false);
        List<String> lbArgs = new ArrayList<>(List.of("--listen", "0.0.0.0:" + API_PORT));
        nodes.forEach(n -> lbArgs.addAll(List.of("--backend", n.id + ":" + API_PORT)));
        balancer = new Node("lb", container("lb", "lb", lbArgs, false).withEnv("JAVA_OPTS", "-Xmx96m -XX:+UseSerialGC -XX:TieredStopAtLevel=1"));
        for (int i = 1; i <= count; i++) {
            String id = "a" + i;
            List<String> args = new ArrayList<>(List.of("--kubeconfig", "/opt/chaos/kubeconfig", "--server", "http://lb:" + API_PORT,
                    "--name", id, "--nodes", String.valueOf(nodesEach), "--agent-port", "0", "--root-dir", "/data/agent"));
            args.addAll(agentArgs);
            GenericContainer<?> c = container(id, "agent", args, false).withFileSystemBind(kc.toString(), "/opt/chaos", BindMode.READ_ONLY)
                    .withEnv("JAVA_OPTS", "-Xmx192m -XX:+UseSerialGC -XX:TieredStopAtLevel=1 -Xss512k");
            agents.add(new Node(id, c));
        }
        List<Node> started = new ArrayList<>(agents);
        started.add(0, balancer);
        startAll(started);
        LOG.info("load balancer and agents started: {}", started.stream().map(n -> n.id + "=" + n.ip).collect(Collectors.joining(", ")));
        awaitNodesReady(count * nodesEach, timeout);
    }

    /** Waits until the API (through any replica) lists {@code expected} nodes, all Ready. */
    public void awaitNodesReady(int expected, Duration timeout) throws Exception {
        long deadline = System.nanoTime() + timeout.toNanos();
        String seen = "nothing";
        for (int i = 0; System.nanoTime() < deadline; i++) {
            try {
                com.fasterxml.jackson.databind.JsonNode list = new io.kuberaft.chaos.client.ApiClient(nodes.get(i % nodes.size()).apiUrl(),
                        Duration.ofSeconds(3)).get("/api/v1/nodes");
                int ready = 0;
                int all = 0;
                for (com.fasterxml.jackson.databind.JsonNode node : list == null ? com.fasterxml.jackson.databind.node.MissingNode.getInstance() : list.path("items")) {
                    all++;
                    for (com.fasterxml.jackson.databind.JsonNode cond : node.path("status").path("conditions")) {
                        if (cond.path("type").asText().equals("Ready") && cond.path("status").asText().equals("True")) {
                            ready++;
                        }
                    }
                }
                seen = ready + " of " + all + " nodes Ready";
                if (ready == expected && all == expected) {
                    return;
                }
            } catch (io.kuberaft.chaos.client.OpException e) {
                seen = e.getMessage();
            }
            Thread.sleep(500);
        }
        throw new IOException("expected " + expected + " Ready nodes within " + timeout.toSeconds() + " s, last saw " + seen
                + (agents.isEmpty() ? "" : "; the log of " + agents.get(0).id + ":\n" + tail(agents.get(0), 30)));
    }

    public Node node(String id) {
        return nodes.stream().filter(n -> n.id.equals(id)).findFirst().orElseThrow();
    }

    /**
     * Starts every container, then waits until every replica knows a leader. A container whose start
     * fails is retried once (under heavy load podman's runc answered "write child: broken pipe"); the
     * retry is logged and counted in {@link #startRetries}.
     */
    public void start(Duration timeout) throws Exception {
        startAll(nodes);
        LOG.info("replicas started: {}", nodes.stream().map(n -> n.id + "=" + n.ip + " api " + n.apiUrl() + " etcd " + n.etcdEndpoint())
                .collect(Collectors.joining(", ")));
        awaitLeader(timeout, nodes);
        awaitApi(timeout, nodes);
    }

    /** Starts the containers in parallel, each retried once (see {@link #start}), and learns their IPs. */
    private void startAll(List<Node> which) {
        which.parallelStream().forEach(n -> {
            try {
                n.container.start();
            } catch (RuntimeException e) {
                LOG.warn("starting {} failed, retrying once: {}", n.id, rootMessage(e));
                startRetries.incrementAndGet();
                try {
                    n.container.stop();
                } catch (RuntimeException ignored) {
                    // whatever was created is removed by stop(); a second failure is reported below
                }
                n.container.start();
            }
        });
        for (Node n : which) {
            n.ip = n.container.getContainerInfo().getNetworkSettings().getNetworks().values().iterator().next().getIpAddress();
        }
    }

    /**
     * Waits until each given replica's Kubernetes API answers /readyz with 200 (on a loaded machine it
     * starts listening many seconds after the etcd port).
     */
    public void awaitApi(Duration timeout, List<Node> which) throws Exception {
        long deadline = System.nanoTime() + timeout.toNanos();
        java.net.http.HttpClient http = java.net.http.HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
        for (Node n : which) {
            while (true) {
                try {
                    if (http.send(java.net.http.HttpRequest.newBuilder(java.net.URI.create(n.apiUrl() + "/readyz")).timeout(Duration.ofSeconds(2))
                            .build(), java.net.http.HttpResponse.BodyHandlers.discarding()).statusCode() == 200) {
                        break;
                    }
                } catch (IOException e) {
                    // not listening yet
                }
                if (System.nanoTime() > deadline) {
                    throw new IOException("replica " + n.id + ": API not ready after " + timeout.toSeconds() + " s; its log:\n" + tail(n, 40));
                }
                Thread.sleep(300);
            }
        }
    }

    /** Waits until every given replica reports a leader. */
    public void awaitLeader(Duration timeout, List<Node> which) throws Exception {
        long deadline = System.nanoTime() + timeout.toNanos();
        for (Node n : which) {
            while (status(n, 1000).map(StatusResponse::getLeader).orElse(0L) == 0) {
                if (System.nanoTime() > deadline) {
                    throw new IOException("replica " + n.id + " has no leader after " + timeout.toSeconds() + " s; its log:\n" + tail(n, 40));
                }
                Thread.sleep(300);
            }
        }
    }

    public Optional<StatusResponse> status(Node n, long timeoutMs) {
        ManagedChannel ch = NettyChannelBuilder.forTarget(n.etcdEndpoint()).usePlaintext().build();
        try {
            return Optional.of(MaintenanceGrpc.newBlockingStub(ch).withDeadlineAfter(timeoutMs, TimeUnit.MILLISECONDS)
                    .status(StatusRequest.getDefaultInstance()));
        } catch (RuntimeException e) {
            return Optional.empty();
        } finally {
            ch.shutdownNow();
        }
    }

    /** The replica that says it leads with the highest term (a partitioned ex-leader may still say so). */
    public Optional<Node> leader() {
        Node best = null;
        long term = -1;
        for (Node n : nodes) {
            Optional<StatusResponse> s = status(n, 1000);
            if (s.isPresent() && s.get().getLeader() != 0 && s.get().getLeader() == s.get().getHeader().getMemberId()
                    && s.get().getRaftTerm() > term) {
                best = n;
                term = s.get().getRaftTerm();
            }
        }
        return Optional.ofNullable(best);
    }

    /** Runs a shell script in the replica's container; an exec that podman failed to start is retried once (logged, counted). */
    public Container.ExecResult exec(Node n, String script) {
        try {
            Container.ExecResult r;
            try {
                r = n.container.execInContainer("/bin/sh", "-c", script);
            } catch (RuntimeException e) {
                LOG.warn("{}: exec of `{}` failed, retrying once: {}", n.id, script, rootMessage(e));
                execRetries.incrementAndGet();
                r = n.container.execInContainer("/bin/sh", "-c", script);
            }
            if (r.getExitCode() != 0) {
                LOG.warn("{}: `{}` exited {}: {}{}", n.id, script, r.getExitCode(), r.getStdout(), r.getStderr());
            }
            return r;
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** SIGKILL of the replica's JVM; it stays down until {@link #restart}. */
    public void kill(Node n) {
        exec(n, "touch /tmp/hold; kill -9 $(cat /tmp/java.pid) 2>/dev/null; true");
    }

    public void restart(Node n) {
        exec(n, "rm -f /tmp/hold");
    }

    /**
     * Replaces the Raft group's voting members with {@code members} (Ratis setConfiguration, joint consensus)
     * through a client on the test host that reaches the replicas by their container IPs; the members' own
     * addresses stay the network aliases the replicas dial each other by.
     */
    public void setMembers(List<Node> members) throws IOException {
        Map<String, String> contact = new java.util.LinkedHashMap<>();
        nodes.forEach(n -> contact.put(n.id, n.ip + ":" + RAFT_PORT));
        Map<String, String> next = new java.util.LinkedHashMap<>();
        members.forEach(n -> next.put(n.id, n.id + ":" + RAFT_PORT));
        io.kuberaft.raftstore.raft.MembershipAdmin.setMembers(contact, next);
    }

    /**
     * Takes a replica that was removed from the members down for good: SIGKILL, its data deleted, and from now
     * on started with --join (a restart by another nemesis waits to be added instead of forming a group).
     */
    public void retire(Node n) {
        exec(n, "touch /tmp/hold; kill -9 $(cat /tmp/java.pid) 2>/dev/null; echo --join > /tmp/extra-args; rm -rf /data/db; true");
    }

    /** Starts a retired replica empty, waiting to be added ({@link #setMembers}); {@link #joined} afterwards. */
    public void startJoining(Node n) {
        exec(n, "rm -f /tmp/hold");
    }

    /** The replica is a member again: later restarts recover its stored group instead of waiting to join. */
    public void joined(Node n) {
        exec(n, "rm -f /tmp/extra-args");
    }

    /** SIGTERM of the JVM (graceful stop), SIGKILL after 10 s; it stays down until {@link #restart}. */
    public void terminate(Node n) {
        exec(n, "touch /tmp/hold; p=$(cat /tmp/java.pid); kill -TERM $p 2>/dev/null; i=0; "
                + "while kill -0 $p 2>/dev/null && [ $i -lt 100 ]; do sleep 0.1; i=$((i+1)); done; kill -9 $p 2>/dev/null; true");
    }

    /**
     * Sets the wall clock of the replica's JVM {@code seconds} ahead (negative: behind) of the real one
     * (libfaketime's timestamp file, re-read every second). Needs a cluster built with fakeTime.
     */
    public void skewClock(Node n, long seconds) {
        exec(n, "echo '" + (seconds >= 0 ? "+" : "") + seconds + "' > /tmp/faketime.new && mv /tmp/faketime.new /tmp/faketime");
    }

    public void pause(Node n) {
        exec(n, "kill -STOP $(cat /tmp/java.pid)");
    }

    public void resume(Node n) {
        exec(n, "kill -CONT $(cat /tmp/java.pid) 2>/dev/null; true");
    }

    /** Cuts every replica of each group off from the replicas of the other groups (both directions). */
    public void partition(List<List<Node>> groups) {
        for (List<Node> g : groups) {
            for (Node n : g) {
                StringBuilder s = new StringBuilder();
                for (List<Node> other : groups) {
                    if (other == g) {
                        continue;
                    }
                    for (Node o : other) {
                        s.append("iptables -A INPUT -s ").append(o.ip).append(" -j DROP; iptables -A OUTPUT -d ").append(o.ip).append(" -j DROP; ");
                    }
                }
                exec(n, s + "true");
            }
        }
    }

    /** Drops every packet from {@code from} to {@code to} (a rule in {@code to}'s INPUT chain): one direction only. */
    public void dropOneWay(Node from, Node to) {
        exec(to, "iptables -A INPUT -s " + from.ip + " -j DROP");
    }

    /** Cuts {@code a} and {@code b} off from each other, both directions. */
    public void cut(Node a, Node b) {
        exec(a, "iptables -A INPUT -s " + b.ip + " -j DROP; iptables -A OUTPUT -d " + b.ip + " -j DROP");
        exec(b, "iptables -A INPUT -s " + a.ip + " -j DROP; iptables -A OUTPUT -d " + a.ip + " -j DROP");
    }

    /** Drops a fraction of the packets between replicas (iptables -m statistic: this kernel has no netem). */
    public void loss(double probability) {
        for (Node n : nodes) {
            StringBuilder s = new StringBuilder();
            for (Node o : nodes) {
                if (o != n) {
                    s.append("iptables -A INPUT -s ").append(o.ip).append(" -m statistic --mode random --probability ")
                            .append(probability).append(" -j DROP; ");
                }
            }
            exec(n, s + "true");
        }
    }

    /** Cuts a node agent off from the load balancer and every replica, both directions (the agent's own rules). */
    public void isolate(Node agent) {
        StringBuilder s = new StringBuilder();
        List<Node> others = new ArrayList<>(nodes);
        others.add(balancer);
        for (Node o : others) {
            s.append("iptables -A INPUT -s ").append(o.ip).append(" -j DROP; iptables -A OUTPUT -d ").append(o.ip).append(" -j DROP; ");
        }
        exec(agent, s + "true");
    }

    /** Removes the rules of {@link #isolate} (the replicas' heal leaves agents alone, so the two faults overlap freely). */
    public void rejoin(Node agent) {
        exec(agent, "iptables -F INPUT; iptables -F OUTPUT");
    }

    /** Removes every iptables rule on every replica (not on the agents: see {@link #rejoin}). */
    public void heal() {
        for (Node n : nodes) {
            exec(n, "iptables -F INPUT; iptables -F OUTPUT");
        }
    }

    /** Everything back to normal: rules flushed, paused JVMs resumed, killed ones restarted. */
    public void healAll() {
        for (Node n : all()) {
            exec(n, "iptables -F INPUT; iptables -F OUTPUT; kill -CONT $(cat /tmp/java.pid) 2>/dev/null; rm -f /tmp/hold; "
                    + "[ ! -f /tmp/faketime ] || echo +0 > /tmp/faketime; true");
        }
    }

    public String tail(Node n, int lines) {
        try {
            return exec(n, "tail -n " + lines + " /data/server.log").getStdout();
        } catch (RuntimeException e) {
            return "(no log: " + e + ")";
        }
    }

    /** Copies each replica's server log into {@code dir}. */
    public void saveLogs(Path dir) {
        for (Node n : all()) {
            try {
                n.container.copyFileFromContainer("/data/server.log", dir.resolve(n.id + ".log").toString());
            } catch (Exception e) {
                LOG.warn("could not copy the log of {}: {}", n.id, e.toString());
            }
        }
    }

    public List<Node> sortedBy(Comparator<Node> c) {
        return nodes.stream().sorted(c).toList();
    }

    @Override
    public void close() {
        for (Node n : all()) {
            try {
                n.container.stop();
            } catch (Exception e) {
                LOG.warn("stopping {}: {}", n.id, e.toString());
            }
        }
        if (kubeconfigDir != null) {
            try {
                Files.deleteIfExists(kubeconfigDir.resolve("kubeconfig"));
                Files.deleteIfExists(kubeconfigDir);
            } catch (IOException e) {
                LOG.warn("removing {}: {}", kubeconfigDir, e.toString());
            }
        }
        try {
            network.close();
        } catch (Exception e) {
            LOG.warn("removing the network: {}", e.toString());
        }
    }
}
