package io.kuberaft.nodeagent;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * Everything one agent process is told at start-up (the {@code kuberaft agent} flags).
 *
 * @param nodeNames       the nodes this process hosts (one, or {@code <name>-0..N-1} with {@code --nodes N})
 * @param runtime         "simulated" or "process"
 * @param nodeIP          InternalIP of every node here, also where the agent API listens
 * @param agentPort       the agent API port (0 = any free port; the node status says which)
 * @param rootDir         per-pod directories and logs of the process runtime
 * @param simulatedRunTime how long simulated containers of Never/OnFailure pods run
 * @param clientCaPem     PEM CA certificates whose client certificates the agent API accepts (null: it accepts none)
 * @param address         where the agent API and the read-only port listen (the kubelet's {@code address}; null: nodeIP)
 * @param enableServer    whether the agent API (HTTPS, {@code agentPort}) runs at all (the kubelet's {@code enableServer})
 * @param readOnlyPort    the kubelet's unauthenticated plain-HTTP port ({@code /healthz}, {@code /pods},
 *                        {@code /stats/summary}); 0 = off, as upstream's default
 * @param containerLogMaxBytes a process-runtime container log file is rotated when it would grow past this
 * @param containerLogMaxFiles log files kept per container run, the current one included
 * @param syncFrequency   how often a running pod's configMap, secret, downwardAPI and projected volumes are brought up to
 *                        date (the kubelet's {@code syncFrequency}, 1 min)
 */
public record AgentConfig(List<String> nodeNames, String runtime, Map<String, String> labels, List<Flags.Taint> taints,
                          Map<String, String> capacity, String nodeIP, int agentPort, Path rootDir, Path podManifestPath,
                          Duration leaseRenewInterval, int leaseDurationSeconds, Duration statusReportInterval,
                          Duration syncInterval, Duration backoffBase, Duration backoffMax, Duration simulatedRunTime,
                          String clientCaPem, String address, boolean enableServer, int readOnlyPort,
                          long containerLogMaxBytes, int containerLogMaxFiles, Duration syncFrequency) {

    public static final String KUBELET_VERSION = "v1.32.4-kuberaft";
    /** The kubelet's containerLogMaxSize and containerLogMaxFiles defaults. */
    public static final long CONTAINER_LOG_MAX_BYTES = 10L * 1024 * 1024;
    public static final int CONTAINER_LOG_MAX_FILES = 5;

    public AgentConfig {
        if (containerLogMaxFiles < 2) {
            throw new IllegalArgumentException("containerLogMaxFiles must be at least 2, got " + containerLogMaxFiles);
        }
        if (containerLogMaxBytes < 1) {
            throw new IllegalArgumentException("containerLogMaxSize must be positive, got " + containerLogMaxBytes);
        }
        if (syncFrequency == null || syncFrequency.isNegative() || syncFrequency.isZero()) {
            throw new IllegalArgumentException("syncFrequency must be positive, got " + syncFrequency);
        }
        if (readOnlyPort < 0 || readOnlyPort > 65535) {
            throw new IllegalArgumentException("readOnlyPort must be 0..65535, got " + readOnlyPort);
        }
    }

    /** Where the agent's servers listen. */
    public String bindAddress() {
        return address != null ? address : nodeIP;
    }

    /** Upstream defaults, for {@code nodes} nodes named after {@code name}. */
    public static AgentConfig defaults(String name, int nodes, String runtime, Path rootDir) {
        return new AgentConfig(nodeNames(name, nodes), runtime, Map.of(), List.of(), Flags.capacity("cpu=4,ephemeral-storage=100Gi,memory=8Gi,pods=110"),
                "127.0.0.1", 10250, rootDir, null, Duration.ofSeconds(10), 40, Duration.ofMinutes(5),
                Duration.ofMillis(200), Duration.ofSeconds(10), Duration.ofMinutes(5), Duration.ofSeconds(2), null,
                null, true, 0, CONTAINER_LOG_MAX_BYTES, CONTAINER_LOG_MAX_FILES, Duration.ofMinutes(1));
    }

    public static List<String> nodeNames(String name, int nodes) {
        if (nodes < 1) {
            throw new IllegalArgumentException("--nodes must be at least 1, got " + nodes);
        }
        return nodes == 1 ? List.of(name) : java.util.stream.IntStream.range(0, nodes).mapToObj(i -> name + "-" + i).toList();
    }

    public AgentConfig withTimings(Duration leaseRenew, Duration statusReport, Duration backoffBase, Duration simulatedRunTime) {
        return new AgentConfig(nodeNames, runtime, labels, taints, capacity, nodeIP, agentPort, rootDir, podManifestPath, leaseRenew,
                leaseDurationSeconds, statusReport, syncInterval, backoffBase, backoffMax, simulatedRunTime, clientCaPem,
                address, enableServer, readOnlyPort, containerLogMaxBytes, containerLogMaxFiles, syncFrequency);
    }

    public AgentConfig withNode(Map<String, String> labels, List<Flags.Taint> taints, Map<String, String> capacity) {
        return new AgentConfig(nodeNames, runtime, labels, taints, capacity, nodeIP, agentPort, rootDir, podManifestPath,
                leaseRenewInterval, leaseDurationSeconds, statusReportInterval, syncInterval, backoffBase, backoffMax, simulatedRunTime, clientCaPem,
                address, enableServer, readOnlyPort, containerLogMaxBytes, containerLogMaxFiles, syncFrequency);
    }

    public AgentConfig withClientCa(String pem) {
        return new AgentConfig(nodeNames, runtime, labels, taints, capacity, nodeIP, agentPort, rootDir, podManifestPath,
                leaseRenewInterval, leaseDurationSeconds, statusReportInterval, syncInterval, backoffBase, backoffMax, simulatedRunTime, pem,
                address, enableServer, readOnlyPort, containerLogMaxBytes, containerLogMaxFiles, syncFrequency);
    }

    public AgentConfig withPodManifestPath(Path dir) {
        return new AgentConfig(nodeNames, runtime, labels, taints, capacity, nodeIP, agentPort, rootDir, dir,
                leaseRenewInterval, leaseDurationSeconds, statusReportInterval, syncInterval, backoffBase, backoffMax, simulatedRunTime, clientCaPem,
                address, enableServer, readOnlyPort, containerLogMaxBytes, containerLogMaxFiles, syncFrequency);
    }

    public AgentConfig withAgentPort(int port) {
        return new AgentConfig(nodeNames, runtime, labels, taints, capacity, nodeIP, port, rootDir, podManifestPath,
                leaseRenewInterval, leaseDurationSeconds, statusReportInterval, syncInterval, backoffBase, backoffMax, simulatedRunTime, clientCaPem,
                address, enableServer, readOnlyPort, containerLogMaxBytes, containerLogMaxFiles, syncFrequency);
    }

    public AgentConfig withServing(String address, boolean enableServer, int readOnlyPort) {
        return new AgentConfig(nodeNames, runtime, labels, taints, capacity, nodeIP, agentPort, rootDir, podManifestPath,
                leaseRenewInterval, leaseDurationSeconds, statusReportInterval, syncInterval, backoffBase, backoffMax, simulatedRunTime, clientCaPem,
                address, enableServer, readOnlyPort, containerLogMaxBytes, containerLogMaxFiles, syncFrequency);
    }

    public AgentConfig withContainerLogs(long maxBytes, int maxFiles) {
        return new AgentConfig(nodeNames, runtime, labels, taints, capacity, nodeIP, agentPort, rootDir, podManifestPath,
                leaseRenewInterval, leaseDurationSeconds, statusReportInterval, syncInterval, backoffBase, backoffMax, simulatedRunTime, clientCaPem,
                address, enableServer, readOnlyPort, maxBytes, maxFiles, syncFrequency);
    }

    public AgentConfig withSyncFrequency(Duration d) {
        return new AgentConfig(nodeNames, runtime, labels, taints, capacity, nodeIP, agentPort, rootDir, podManifestPath,
                leaseRenewInterval, leaseDurationSeconds, statusReportInterval, syncInterval, backoffBase, backoffMax, simulatedRunTime, clientCaPem,
                address, enableServer, readOnlyPort, containerLogMaxBytes, containerLogMaxFiles, d);
    }
}
