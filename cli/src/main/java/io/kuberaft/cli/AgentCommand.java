package io.kuberaft.cli;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.kuberaft.nodeagent.AgentClient;
import io.kuberaft.nodeagent.AgentConfig;
import io.kuberaft.nodeagent.Flags;
import io.kuberaft.nodeagent.NodeAgent;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import io.kuberaft.kubeapi.Quantity;
import io.kuberaft.nodeagent.KubeletConfigFile;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;

/** Runs a node agent (one or many simulated nodes) in the foreground: what `up --agents` starts. */
@Command(name = "agent", mixinStandardHelpOptions = true,
        description = "Run a kubelet-like node agent in the foreground: registers its node(s), renews their Leases, runs the pods bound to them.")
public final class AgentCommand implements Callable<Integer> {
    private static final Logger LOG = LoggerFactory.getLogger(AgentCommand.class);

    @Option(names = "--kubeconfig", description = "Credentials and CA for the API (e.g. .kuberaft/kubeconfig). Without it the agent is "
            + "standalone, as a kubelet without one: it runs the static pods of --pod-manifest-path only.")
    Path kubeconfig;

    @Option(names = "--server", description = "API URL; overrides the kubeconfig's (e.g. the load balancer https://127.0.0.1:6443).")
    String server;

    @Option(names = "--name", description = "Node name (default: this host's name); with --nodes N the nodes are NAME-0..NAME-(N-1).")
    String name;

    @Option(names = "--nodes", defaultValue = "1", description = "Simulated nodes hosted by this process (default: ${DEFAULT-VALUE}).")
    int nodes;

    @Option(names = "--runtime", defaultValue = "simulated", description = "simulated or process (default: ${DEFAULT-VALUE}).")
    String runtime;

    @Option(names = "--labels", description = "Extra node labels: k=v,k2=v2.")
    String labels;

    @Option(names = "--register-with-taints", description = "Taints to register with: key[=value]:Effect,...")
    String taints;

    @Option(names = "--capacity", defaultValue = "cpu=4,ephemeral-storage=100Gi,memory=8Gi,pods=110", description = "Node capacity (default: ${DEFAULT-VALUE}).")
    String capacity;

    @Option(names = "--node-ip", defaultValue = "127.0.0.1", description = "InternalIP of the node(s); the agent API listens here (default: ${DEFAULT-VALUE}).")
    String nodeIP;

    @Option(names = "--agent-port", defaultValue = "10250", description = "Agent API (HTTPS: logs) port; 0 = any (default: ${DEFAULT-VALUE}).")
    int agentPort;

    @Option(names = "--root-dir", defaultValue = ".kuberaft/agent", description = "Pod directories and logs of the process runtime (default: ${DEFAULT-VALUE}).")
    Path rootDir;

    @Option(names = "--pod-manifest-path", description = "Static pods: one Pod manifest per file (*.yaml, *.yml, *.json), run as <name>-<node> with a mirror pod in the API.")
    Path podManifestPath;

    @Option(names = "--client-ca-file", description = "PEM CA whose client certificates may call the agent API (default: the kubeconfig's CA).")
    Path clientCaFile;

    @Option(names = "--node-lease-renew-interval-ms", defaultValue = "10000", description = "Lease renewal period (default: ${DEFAULT-VALUE}).")
    long leaseRenewMs;

    @Option(names = "--node-status-report-interval-s", defaultValue = "300", description = "Node status is posted on change and at least this often (default: ${DEFAULT-VALUE}).")
    long statusReportS;

    @Option(names = "--crash-loop-backoff-ms", defaultValue = "10000", description = "First CrashLoopBackOff delay, doubling to 5 min (default: ${DEFAULT-VALUE}).")
    long backoffMs;

    @Option(names = "--simulated-run-seconds", defaultValue = "2", description = "How long simulated containers of Never/OnFailure pods run, unless a server image (nginx, redis, …) runs its own entrypoint (default: ${DEFAULT-VALUE}).")
    double simulatedRunSeconds;

    @Option(names = "--watch-idle-timeout", defaultValue = "30s", converter = GoDuration.class,
            description = "A watch that receives nothing, not even a bookmark, for this long is reconnected: over HTTP/1.1 "
                    + "through a TCP load balancer that is how a frozen API replica is noticed (default: ${DEFAULT-VALUE}).")
    Duration watchIdleTimeout;

    @Option(names = "--sync-frequency", defaultValue = "1m", converter = GoDuration.class,
            description = "How often a running pod's configMap, secret, downwardAPI and projected volumes are brought up to date, as "
                    + "the kubelet's --sync-frequency (default: ${DEFAULT-VALUE}).")
    Duration syncFrequency;

    @Option(names = "--config", description = "A kubelet config file (kubelet.config.k8s.io/v1beta1 KubeletConfiguration): staticPodPath, "
            + "address, port, readOnlyPort, enableServer, containerLogMaxSize, containerLogMaxFiles, maxPods, nodeLeaseDurationSeconds, "
            + "registerWithTaints, authentication.x509.clientCAFile are applied, other fields logged as ignored; flags given win over it.")
    Path configFile;

    @Option(names = "--address", description = "Where the agent API and the read-only port listen (default: --node-ip).")
    String address;

    @Option(names = "--read-only-port", defaultValue = "0",
            description = "The kubelet's unauthenticated plain-HTTP port (/healthz, /pods, /stats/summary); 0 = off (default: ${DEFAULT-VALUE}).")
    int readOnlyPort;

    @Option(names = "--container-log-max-size", defaultValue = "10Mi",
            description = "A process-runtime container log file is rotated at this size (default: ${DEFAULT-VALUE}).")
    String containerLogMaxSize;

    @Option(names = "--container-log-max-files", defaultValue = "5",
            description = "Log files kept per container run, the current one included; at least 2 (default: ${DEFAULT-VALUE}).")
    int containerLogMaxFiles;

    @Spec
    CommandSpec spec;

    /** Only from a --config file (the kubelet has no flag for them). */
    private boolean enableServer = true;
    private int leaseDurationSeconds = 40;

    /** Whether a flag was given on the command line (then it wins over the --config file). */
    private boolean given(String flag) {
        return spec != null && spec.commandLine().getParseResult() != null && spec.commandLine().getParseResult().hasMatchedOption(flag);
    }

    @Override
    public Integer call() throws Exception {
        AgentConfig config;
        try {
            config = config();
        } catch (IllegalArgumentException e) {
            System.err.println("kuberaft agent: " + e.getMessage());
            return 2;
        }
        KubernetesClient client = null; // none: standalone (NodeAgent logs event=agent-standalone)
        if (kubeconfig != null) {
            try {
                client = AgentClient.fromKubeconfig(kubeconfig, server, watchIdleTimeout);
            } catch (Exception e) {
                System.err.println("kuberaft agent: " + e.getMessage());
                return 2;
            }
        }
        KubernetesClient apiClient = client;
        NodeAgent agent = new NodeAgent(client, config, Clock.systemUTC());
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            LOG.info("event=agent-stopping");
            agent.close();
            if (apiClient != null) {
                apiClient.close();
            }
            stopped.countDown();
        }, "agent-shutdown"));
        try {
            agent.start();
        } catch (Exception e) {
            System.err.println("kuberaft agent: cannot start: " + e.getMessage());
            LOG.error("event=agent-start-failed", e);
            return 1;
        }
        stopped.await();
        return 0;
    }

    /** Copies what the --config file sets onto the options not given as flags. */
    private void applyConfigFile() {
        KubeletConfigFile f = KubeletConfigFile.read(configFile);
        if (f.staticPodPath() != null && !given("--pod-manifest-path")) {
            podManifestPath = Path.of(f.staticPodPath());
        }
        if (f.address() != null && !given("--address")) {
            address = f.address();
        }
        if (f.port() != null && !given("--agent-port")) {
            agentPort = f.port();
        }
        if (f.readOnlyPort() != null && !given("--read-only-port")) {
            readOnlyPort = f.readOnlyPort();
        }
        if (f.enableServer() != null) {
            enableServer = f.enableServer();
        }
        if (f.containerLogMaxBytes() != null && !given("--container-log-max-size")) {
            containerLogMaxSize = String.valueOf(f.containerLogMaxBytes());
        }
        if (f.containerLogMaxFiles() != null && !given("--container-log-max-files")) {
            containerLogMaxFiles = f.containerLogMaxFiles();
        }
        if (f.maxPods() != null && !given("--capacity")) {
            capacity = capacity.replaceAll("pods=[^,]*", "pods=" + f.maxPods());
        }
        if (f.nodeLeaseDurationSeconds() != null && !given("--node-lease-renew-interval-ms")) {
            leaseDurationSeconds = f.nodeLeaseDurationSeconds();
            leaseRenewMs = f.nodeLeaseDurationSeconds() * 250L; // upstream renews at a quarter of the duration
        }
        if (f.registerWithTaints() != null && !given("--register-with-taints")) {
            taints = String.join(",", f.registerWithTaints().stream()
                    .map(t -> t.key() + (t.value() == null ? "" : "=" + t.value()) + ":" + t.effect()).toList());
        }
        if (f.clientCAFile() != null && !given("--client-ca-file")) {
            clientCaFile = Path.of(f.clientCAFile());
        }
        if (!f.ignored().isEmpty()) {
            LOG.info("event=kubelet-config-ignored file={} fields={}", configFile, f.ignored());
        }
    }

    AgentConfig config() {
        if (configFile != null) {
            applyConfigFile();
        }
        if (!runtime.equals("simulated") && !runtime.equals("process")) {
            throw new IllegalArgumentException("--runtime must be simulated or process, got \"" + runtime + "\"");
        }
        if (agentPort < 0 || agentPort > 65535) {
            throw new IllegalArgumentException("--agent-port must be 0..65535, got " + agentPort);
        }
        if (readOnlyPort < 0 || readOnlyPort > 65535) {
            throw new IllegalArgumentException("--read-only-port must be 0..65535, got " + readOnlyPort);
        }
        if (containerLogMaxFiles < 2) {
            throw new IllegalArgumentException("--container-log-max-files must be at least 2, got " + containerLogMaxFiles);
        }
        long logMaxBytes;
        try {
            logMaxBytes = Quantity.parse(containerLogMaxSize).value();
        } catch (RuntimeException e) {
            throw new IllegalArgumentException("--container-log-max-size: \"" + containerLogMaxSize + "\" is not a quantity (e.g. 10Mi)");
        }
        if (logMaxBytes <= 0) {
            throw new IllegalArgumentException("--container-log-max-size must be positive, got " + containerLogMaxSize);
        }
        if (kubeconfig == null && podManifestPath == null) {
            throw new IllegalArgumentException("--kubeconfig is required unless --pod-manifest-path is given (standalone: static pods only)");
        }
        if (kubeconfig == null && server != null) {
            throw new IllegalArgumentException("--server needs --kubeconfig (its credentials and CA)");
        }
        if (leaseRenewMs <= 0 || statusReportS <= 0 || backoffMs <= 0 || simulatedRunSeconds < 0) {
            throw new IllegalArgumentException("intervals must be positive");
        }
        String node = name != null ? name : hostName();
        List<String> names = AgentConfig.nodeNames(node, nodes);
        Map<String, String> l = Flags.labels(labels);
        List<Flags.Taint> t = Flags.taints(taints);
        Map<String, String> cap = Flags.capacity(capacity);
        return new AgentConfig(names, runtime, l, t, cap, nodeIP, agentPort, rootDir.toAbsolutePath(), podManifestPath == null ? null : podManifestPath.toAbsolutePath(),
                Duration.ofMillis(leaseRenewMs), leaseDurationSeconds, Duration.ofSeconds(statusReportS), Duration.ofMillis(200),
                Duration.ofMillis(backoffMs), Duration.ofMinutes(5), Duration.ofMillis(Math.round(simulatedRunSeconds * 1000)), clientCa(),
                address, enableServer, readOnlyPort, logMaxBytes, containerLogMaxFiles, syncFrequency);
    }

    /** The client CA of the agent API: --client-ca-file, else the CA the kubeconfig trusts for the API server (none standalone). */
    private String clientCa() {
        try {
            if (clientCaFile != null) {
                return java.nio.file.Files.readString(clientCaFile);
            }
            if (kubeconfig == null) {
                return null; // standalone: the agent API accepts no caller (logs, exec) unless --client-ca-file says whom
            }
            return AgentClient.kubeconfigCa(kubeconfig);
        } catch (java.io.IOException e) {
            throw new IllegalArgumentException("cannot read the client CA: " + e.getMessage());
        }
    }

    private static String hostName() {
        try {
            return java.net.InetAddress.getLocalHost().getHostName().toLowerCase();
        } catch (java.net.UnknownHostException e) {
            return "localhost";
        }
    }
}
