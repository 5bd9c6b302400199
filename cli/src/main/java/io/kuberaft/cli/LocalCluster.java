package io.kuberaft.cli;

import io.etcd.jetcd.api.StatusResponse;

import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * A cluster of replica processes on loopback, described by {@code DIR/cluster.json}: what `up`,
 * `down`, `status`, `member` and the benchmarks drive.
 */
public final class LocalCluster {
    static final int ETCD_BASE = 2379;
    static final int RAFT_BASE = 7001;
    static final int METRICS_BASE = 9379;
    static final int LB_PORT = 6443;
    static final int API_BASE = 6444;
    static final long READY_TIMEOUT_MS = 60_000;
    static final int AGENT_PORT_BASE = 10250;

    private final Path dir;
    private final PrintStream out;
    private final Set<Integer> taken = new HashSet<>();
    private String lbKind = "builtin";

    public LocalCluster(Path dir, PrintStream out) {
        this.dir = dir.toAbsolutePath().normalize();
        this.out = out;
    }

    public Path dir() {
        return dir;
    }

    public ClusterFile file() throws IOException {
        return ClusterFile.read(dir);
    }

    static boolean alive(long pid) {
        return pid > 0 && ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false);
    }

    public boolean running() throws IOException {
        return ClusterFile.exists(dir) && file().masters.stream().allMatch(m -> alive(m.pid));
    }

    /** Starts every replica (new, or the stopped cluster recorded in DIR) and waits until all are ready. */
    public ClusterFile up(int masters, List<String> serverArgs) throws IOException {
        return up(masters, serverArgs, "builtin");
    }

    /** @param lbKind "builtin" or "haproxy": used when the cluster is new (a restart keeps its kind) */
    public ClusterFile up(int masters, List<String> serverArgs, String lbKind) throws IOException {
        return up(masters, serverArgs, lbKind, List.of());
    }

    /** @param tlsSans extra names of the serving certificate, added to those the cluster already has */
    public ClusterFile up(int masters, List<String> serverArgs, String lbKind, List<String> tlsSans) throws IOException {
        this.lbKind = lbKind;
        ClusterFile f;
        if (ClusterFile.exists(dir)) {
            f = file();
        } else {
            f = new ClusterFile();
            f.serverArgs = new ArrayList<>(serverArgs);
            for (int i = 1; i <= masters; i++) {
                f.masters.add(newMaster(f, "m" + i, i - 1));
            }
        }
        Files.createDirectories(dir.resolve("logs"));
        for (String san : tlsSans) {
            if (!f.tlsSans.contains(san)) {
                f.tlsSans.add(san);
            }
        }
        Pki pki = new Pki(dir);
        pki.ensure(f.tlsSans);
        List<ClusterFile.Master> started = new ArrayList<>();
        for (ClusterFile.Master m : f.masters) {
            if (!alive(m.pid)) {
                m.pid = spawn(f, m, false);
                started.add(m);
            }
        }
        f.write(dir);
        try {
            awaitReady(f, f.masters);
        } catch (IOException e) {
            // Stop what this call started, never the replicas that were already serving.
            for (ClusterFile.Master m : started) {
                ProcessHandle.of(m.pid).ifPresent(ProcessHandle::destroyForcibly);
            }
            throw e;
        }
        startLoadBalancer(f, pki);
        return f;
    }

    ClusterFile.Master newMaster(ClusterFile f, String id, int ordinal) {
        for (ClusterFile.Master m : f.masters) {
            taken.add(port(m.etcdEndpoint));
            taken.add(port(m.raftAddress));
            if (m.metricsUrl != null) {
                taken.add(port(m.metricsUrl.replace("/metrics", "")));
            }
        }
        ClusterFile.Master m = new ClusterFile.Master();
        m.id = id;
        m.raftAddress = "127.0.0.1:" + pickPort(RAFT_BASE + ordinal);
        m.etcdEndpoint = "127.0.0.1:" + pickPort(ETCD_BASE + ordinal);
        m.metricsUrl = "http://127.0.0.1:" + pickPort(METRICS_BASE + ordinal) + "/metrics";
        m.apiUrl = "https://127.0.0.1:" + pickPort(API_BASE + ordinal);
        m.dataDir = dir.resolve(id).toString();
        m.logFile = dir.resolve("logs").resolve(id + ".log").toString();
        return m;
    }

    private static int port(String hostPort) {
        String s = hostPort.replaceFirst("^https?://", "");
        return Integer.parseInt(s.substring(s.lastIndexOf(':') + 1));
    }

    /** The conventional port if it is free, else any free one. */
    private int pickPort(int preferred) {
        int p = preferred;
        if (taken.contains(p) || !free(p)) {
            p = ephemeral();
        }
        taken.add(p);
        return p;
    }

    private static boolean free(int port) {
        try (ServerSocket s = new ServerSocket()) {
            s.setReuseAddress(false);
            s.bind(new InetSocketAddress("127.0.0.1", port));
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    private int ephemeral() {
        for (int i = 0; i < 100; i++) {
            try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
                int p = s.getLocalPort();
                if (!taken.contains(p)) {
                    return p;
                }
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        throw new IllegalStateException("no free port");
    }

    /**
     * The built-in load balancer in front of every replica's API (its own process), and the admin
     * kubeconfig pointing at it; waits until the API answers through it.
     */
    void startLoadBalancer(ClusterFile f, Pki pki) throws IOException {
        if (f.masters.stream().anyMatch(m -> m.apiUrl == null)) {
            return;
        }
        for (ClusterFile.Master m : f.masters) {
            taken.add(port(m.apiUrl));
        }
        if (f.loadBalancer == null) {
            f.loadBalancer = new ClusterFile.LoadBalancer();
            f.loadBalancer.url = "https://127.0.0.1:" + pickPort(LB_PORT);
            f.loadBalancer.kind = lbKind;
        }
        if (!alive(f.loadBalancer.pid)) {
            List<String> backends = f.masters.stream().map(m -> m.apiUrl.replaceFirst("^https://", "")).toList();
            List<String> cmd;
            if ("haproxy".equals(f.loadBalancer.kind)) {
                Path cfg = HaproxyConfig.write(dir, "127.0.0.1:" + port(f.loadBalancer.url), f.masters);
                cmd = List.of(HaproxyConfig.binary(), "-db", "-f", cfg.toString());
            } else {
                cmd = new ArrayList<>(baseCommand());
                cmd.addAll(List.of("lb", "--listen", "127.0.0.1:" + port(f.loadBalancer.url), "--ca", pki.caCert().toString()));
                for (String b : backends) {
                    cmd.addAll(List.of("--backend", b));
                }
            }
            Path log = dir.resolve("logs").resolve("lb.log");
            f.loadBalancer.pid = new ProcessBuilder(cmd).redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()))
                    .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null"))).start().pid();
        }
        f.kubeconfig = pki.writeKubeconfig(dir, f.loadBalancer.url).toString();
        f.write(dir);
        ApiProbe probe = new ApiProbe(pki.caCert());
        long deadline = System.currentTimeMillis() + READY_TIMEOUT_MS;
        while (!probe.ready(f.loadBalancer.url)) {
            if (!alive(f.loadBalancer.pid)) {
                throw new IOException("the load balancer exited; see its log: " + dir.resolve("logs").resolve("lb.log"));
            }
            if (System.currentTimeMillis() > deadline) {
                throw new IOException("the API is not ready through the load balancer " + f.loadBalancer.url
                        + " after " + READY_TIMEOUT_MS / 1000 + " s; see " + dir.resolve("logs"));
            }
            sleep(200);
        }
    }

    /**
     * JVM options of every process `up` starts (replicas, agents, the load balancer) unless
     * KUBERAFT_SERVER_JAVA_OPTS replaces them. C1 only: a local cluster puts three replicas and their agents on
     * the cores of one machine, where C2 kept compiling for minutes (half of a busy leader's CPU, 5 minutes
     * after start) and the API served 1.6-2x more requests per replica CPU second with C1 alone (README,
     * bench api). A long-lived production replica on its own cores can drop the flag.
     */
    static final String DEFAULT_JAVA_OPTS = "-Xmx768m -XX:+UseG1GC -XX:TieredStopAtLevel=1";

    List<String> baseCommand() {
        List<String> cmd = new ArrayList<>();
        if (Files.isExecutable(Path.of("/usr/bin/setsid"))) {
            cmd.add("/usr/bin/setsid");
        }
        cmd.add(javaBinary());
        cmd.addAll(List.of(System.getenv().getOrDefault("KUBERAFT_SERVER_JAVA_OPTS", DEFAULT_JAVA_OPTS).trim().split("\\s+")));
        cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), Main.class.getName()));
        return cmd;
    }

    /**
     * Starts the node agents: {@code count} of them named {@code node-1..}, each its own process with its own
     * agent API port, through the load balancer with the admin kubeconfig. A cluster that already has agents keeps
     * them (their count and runtime); dead ones are restarted. {@code agentArgs} (extra `agent` flags) replace the
     * recorded ones when given, else the recorded ones are used.
     */
    void startAgents(ClusterFile f, int count, String runtime, List<String> agentArgs) throws IOException {
        if (f.kubeconfig == null) {
            throw new IOException("no kubeconfig: the agents need the API through the load balancer");
        }
        if (!agentArgs.isEmpty()) {
            f.agentArgs = new ArrayList<>(agentArgs);
        }
        for (ClusterFile.Agent a : f.agents) {
            taken.add(a.apiPort);
        }
        for (int i = f.agents.size() + 1; i <= count; i++) {
            ClusterFile.Agent a = new ClusterFile.Agent();
            a.name = "node-" + i;
            a.runtime = runtime;
            a.apiPort = pickPort(AGENT_PORT_BASE + i - 1);
            a.logFile = dir.resolve("logs").resolve(a.name + ".log").toString();
            a.rootDir = dir.resolve("agents").resolve(a.name).toString();
            f.agents.add(a);
        }
        for (ClusterFile.Agent a : f.agents) {
            if (alive(a.pid)) {
                continue;
            }
            List<String> cmd = new ArrayList<>(baseCommand());
            cmd.addAll(List.of("agent", "--kubeconfig", f.kubeconfig, "--name", a.name, "--runtime", a.runtime,
                    "--agent-port", String.valueOf(a.apiPort), "--root-dir", a.rootDir));
            cmd.addAll(f.agentArgs);
            a.pid = new ProcessBuilder(cmd).redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(new java.io.File(a.logFile)))
                    .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null"))).start().pid();
        }
        f.write(dir);
    }

    /**
     * Waits (at most {@code timeout}) until every agent's node is registered and Ready, as `kind create cluster
     * --wait` does, so that the first `kubectl get nodes` after `up` lists them; false when they are not by then.
     */
    boolean awaitAgentNodes(ClusterFile f, java.time.Duration timeout) throws IOException {
        if (f.agents.isEmpty() || f.loadBalancer == null) {
            return true;
        }
        Pki pki = new Pki(dir);
        ApiProbe probe = new ApiProbe(pki.caCert());
        String token = pki.adminToken();
        java.util.Set<String> names = new java.util.HashSet<>();
        f.agents.forEach(a -> names.add(a.name));
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            if (probe.readyNodes(f.loadBalancer.url, token, names) == names.size()) {
                return true;
            }
            try {
                Thread.sleep(250);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return false;
            }
        }
        return false;
    }

    /** Starts one replica process, detached, its output appended to its log file. */
    long spawn(ClusterFile f, ClusterFile.Master m, boolean join) throws IOException {
        // Own session (setsid): Ctrl-C in the terminal that ran `up` must not reach the replicas.
        List<String> cmd = new ArrayList<>(baseCommand());
        cmd.addAll(List.of("server",
                "--id", m.id, "--peers", f.peersSpec(), "--data-dir", m.dataDir,
                "--etcd-port", String.valueOf(port(m.etcdEndpoint))));
        if (m.metricsUrl != null) {
            cmd.addAll(List.of("--metrics-port", String.valueOf(port(m.metricsUrl.replace("/metrics", "")))));
        }
        if (m.apiUrl != null) {
            Pki pki = new Pki(dir);
            cmd.addAll(List.of("--api-port", String.valueOf(port(m.apiUrl)), "--tls-cert-file", pki.serverCert().toString(),
                    "--tls-private-key-file", pki.serverKey().toString(), "--token-auth-file", pki.tokenFile().toString(),
                    // the cluster CA: client certificates it signed authenticate, and it is published as kube-root-ca.crt
                    "--client-ca-file", pki.caCert().toString(),
                    // and it signs approved CertificateSigningRequests (kubectl certificate approve)
                    "--cluster-signing-cert-file", pki.caCert().toString(), "--cluster-signing-key-file", pki.caKey().toString()));
            if (Files.exists(pki.kubeletClientCert())) {
                cmd.addAll(List.of("--kubelet-client-certificate", pki.kubeletClientCert().toString(),
                        "--kubelet-client-key", pki.kubeletClientKey().toString()));
            }
            if (Files.exists(pki.serviceAccountKey())) {
                cmd.addAll(List.of("--service-account-key-file", pki.serviceAccountPublicKey().toString(),
                        "--service-account-signing-key-file", pki.serviceAccountKey().toString()));
            }
        }
        if (join) {
            cmd.add("--join");
        }
        cmd.addAll(f.serverArgs);
        Path log = Path.of(m.logFile);
        Files.createDirectories(log.getParent());
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()))
                .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
        return pb.start().pid();
    }

    private static String javaBinary() {
        return Path.of(System.getProperty("java.home"), "bin", "java").toString();
    }

    /** Waits until every given replica answers with a known leader; fails with the log path. */
    void awaitReady(ClusterFile f, List<ClusterFile.Master> masters) throws IOException {
        long deadline = System.currentTimeMillis() + READY_TIMEOUT_MS;
        List<ClusterFile.Master> pending = new ArrayList<>(masters);
        while (!pending.isEmpty()) {
            for (ClusterFile.Master m : List.copyOf(pending)) {
                if (!alive(m.pid)) {
                    throw new IOException("replica " + m.id + " exited during start-up; see its log: " + m.logFile);
                }
                Optional<StatusResponse> s = StoreProbe.status(m.etcdEndpoint, 1000);
                if (s.isPresent() && s.get().getLeader() != 0) {
                    pending.remove(m);
                }
            }
            if (pending.isEmpty()) {
                return;
            }
            if (System.currentTimeMillis() > deadline) {
                ClusterFile.Master m = pending.get(0);
                throw new IOException("replica " + m.id + " not ready after " + READY_TIMEOUT_MS / 1000
                        + " s (no leader known); see its log: " + m.logFile);
            }
            sleep(200);
        }
    }

    /** A replica's answer to the status probe (what `status` shows). */
    public record ReplicaState(ClusterFile.Master master, StatusResponse status) {
        public String role() {
            return StoreProbe.role(status);
        }
    }

    /** Every live replica that answers the status probe within {@code timeoutMs}. */
    public List<ReplicaState> states(ClusterFile f, long timeoutMs) {
        List<ReplicaState> out = new ArrayList<>();
        for (ClusterFile.Master m : f.masters) {
            if (alive(m.pid)) {
                StoreProbe.status(m.etcdEndpoint, timeoutMs).ifPresent(s -> out.add(new ReplicaState(m, s)));
            }
        }
        return out;
    }

    /** The live replica that says it is the leader (the one with the highest term, should two say so). */
    public Optional<ReplicaState> leader(ClusterFile f, long timeoutMs) {
        return states(f, timeoutMs).stream().filter(s -> "LEADER".equals(s.role()))
                .max(java.util.Comparator.comparingLong(s -> s.status().getRaftTerm()));
    }

    /** SIGKILL to one replica; waits (at most 5 s) until it is gone. */
    public static void kill(ClusterFile.Master m) {
        ProcessHandle.of(m.pid).ifPresent(h -> {
            h.destroyForcibly();
            try {
                h.onExit().get(5, java.util.concurrent.TimeUnit.SECONDS);
            } catch (Exception e) {
                // still reported as alive by alive(); callers check
            }
        });
    }

    /** Deletes the cluster directory and everything in it (`down --purge`). */
    public void purge() throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (java.util.stream.Stream<Path> s = Files.walk(dir)) {
            for (Path p : s.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }

    /** SIGTERM to every recorded process, SIGKILL after the grace period. */
    public int down(long graceMs) throws IOException {
        if (!ClusterFile.exists(dir)) {
            return 0;
        }
        ClusterFile f = file();
        List<ProcessHandle> handles = new ArrayList<>();
        for (ClusterFile.Master m : f.masters) {
            ProcessHandle.of(m.pid).filter(ProcessHandle::isAlive).ifPresent(handles::add);
        }
        for (ClusterFile.Agent a : f.agents) {
            ProcessHandle.of(a.pid).filter(ProcessHandle::isAlive).ifPresent(handles::add);
        }
        if (f.loadBalancer != null) {
            ProcessHandle.of(f.loadBalancer.pid).filter(ProcessHandle::isAlive).ifPresent(handles::add);
        }
        handles.forEach(ProcessHandle::destroy);
        long deadline = System.currentTimeMillis() + graceMs;
        for (ProcessHandle h : handles) {
            while (h.isAlive() && System.currentTimeMillis() < deadline) {
                sleep(50);
            }
            if (h.isAlive()) {
                h.destroyForcibly();
            }
        }
        return handles.size();
    }

    static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }
}
