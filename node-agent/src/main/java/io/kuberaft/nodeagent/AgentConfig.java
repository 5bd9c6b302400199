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
 */
public record AgentConfig(List<String> nodeNames, String runtime, Map<String, String> labels, List<Flags.Taint> taints,
                          Map<String, String> capacity, String nodeIP, int agentPort, Path rootDir, Path podManifestPath,
                          Duration leaseRenewInterval, int leaseDurationSeconds, Duration statusReportInterval,
                          Duration syncInterval, Duration backoffBase, Duration backoffMax, Duration simulatedRunTime,
                          String clientCaPem) {

    public static final String KUBELET_VERSION = "v1.32.4-kuberaft";

    /** Upstream defaults, for {@code nodes} nodes named after {@code name}. */
    public static AgentConfig defaults(String name, int nodes, String runtime, Path rootDir) {
        return new AgentConfig(nodeNames(name, nodes), runtime, Map.of(), List.of(), Flags.capacity("cpu=4,memory=8Gi,pods=110"),
                "127.0.0.1", 10250, rootDir, null, Duration.ofSeconds(10), 40, Duration.ofMinutes(5),
                Duration.ofMillis(200), Duration.ofSeconds(10), Duration.ofMinutes(5), Duration.ofSeconds(2), null);
    }

    public static List<String> nodeNames(String name, int nodes) {
        if (nodes < 1) {
            throw new IllegalArgumentException("--nodes must be at least 1, got " + nodes);
        }
        return nodes == 1 ? List.of(name) : java.util.stream.IntStream.range(0, nodes).mapToObj(i -> name + "-" + i).toList();
    }

    public AgentConfig withTimings(Duration leaseRenew, Duration statusReport, Duration backoffBase, Duration simulatedRunTime) {
        return new AgentConfig(nodeNames, runtime, labels, taints, capacity, nodeIP, agentPort, rootDir, podManifestPath, leaseRenew,
                leaseDurationSeconds, statusReport, syncInterval, backoffBase, backoffMax, simulatedRunTime, clientCaPem);
    }

    public AgentConfig withNode(Map<String, String> labels, List<Flags.Taint> taints, Map<String, String> capacity) {
        return new AgentConfig(nodeNames, runtime, labels, taints, capacity, nodeIP, agentPort, rootDir, podManifestPath,
                leaseRenewInterval, leaseDurationSeconds, statusReportInterval, syncInterval, backoffBase, backoffMax, simulatedRunTime, clientCaPem);
    }

    public AgentConfig withClientCa(String pem) {
        return new AgentConfig(nodeNames, runtime, labels, taints, capacity, nodeIP, agentPort, rootDir, podManifestPath,
                leaseRenewInterval, leaseDurationSeconds, statusReportInterval, syncInterval, backoffBase, backoffMax, simulatedRunTime, pem);
    }

    public AgentConfig withPodManifestPath(Path dir) {
        return new AgentConfig(nodeNames, runtime, labels, taints, capacity, nodeIP, agentPort, rootDir, dir,
                leaseRenewInterval, leaseDurationSeconds, statusReportInterval, syncInterval, backoffBase, backoffMax, simulatedRunTime, clientCaPem);
    }

    public AgentConfig withAgentPort(int port) {
        return new AgentConfig(nodeNames, runtime, labels, taints, capacity, nodeIP, port, rootDir, podManifestPath,
                leaseRenewInterval, leaseDurationSeconds, statusReportInterval, syncInterval, backoffBase, backoffMax, simulatedRunTime, clientCaPem);
    }
}
