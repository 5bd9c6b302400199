package io.kuberaft.cli;

import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;

/** Starts (or restarts) a local cluster of replica processes on loopback ports. */
@Command(name = "up", mixinStandardHelpOptions = true,
        description = "Start a local cluster: each replica its own background process on loopback ports; "
                + "waits until all are ready and writes DIR/cluster.json.")
public final class UpCommand implements Callable<Integer> {
    @Option(names = "--masters", defaultValue = "3", description = "Control-plane replicas (default: ${DEFAULT-VALUE}).")
    int masters;

    @Option(names = "--dir", defaultValue = ".kuberaft", description = "Cluster directory (default: ${DEFAULT-VALUE}).")
    Path dir;

    @Option(names = "--election-timeout-min-ms", description = "Passed to every replica.")
    Long electionMin;

    @Option(names = "--election-timeout-max-ms", description = "Passed to every replica.")
    Long electionMax;

    @Option(names = "--snapshot-threshold", description = "Passed to every replica.")
    Long snapshotThreshold;

    @Option(names = "--compaction-retention", description = "Passed to every replica.")
    Long compactionRetention;

    @Option(names = "--node-monitor-period", description = "Passed to every replica (Go duration, e.g. 1s).")
    String nodeMonitorPeriod;

    @Option(names = "--node-monitor-grace-period", description = "Passed to every replica (Go duration, e.g. 5s).")
    String nodeMonitorGracePeriod;

    @Option(names = "--node-startup-grace-period", description = "Passed to every replica (Go duration).")
    String nodeStartupGracePeriod;

    @Option(names = "--node-eviction-rate", description = "Passed to every replica (nodes per second).")
    String nodeEvictionRate;

    @Option(names = "--secondary-node-eviction-rate", description = "Passed to every replica (nodes per second).")
    String secondaryNodeEvictionRate;

    @Option(names = "--lb", defaultValue = "builtin", description = "Load balancer in front of the APIs: builtin or haproxy (Debian's haproxy) (default: ${DEFAULT-VALUE}).")
    String lb;

    @Option(names = "--agents", defaultValue = "0", description = "Node agents to start, one process each (default: ${DEFAULT-VALUE}).")
    int agents;

    @Option(names = "--agent-runtime", defaultValue = "simulated", description = "Runtime of the agents: simulated or process (default: ${DEFAULT-VALUE}).")
    String agentRuntime;

    @Option(names = "--tls-san", description = "An extra DNS name or IP address of the API's serving certificate, for clients that reach "
            + "the cluster by another name than 127.0.0.1/localhost (repeatable); kept in cluster.json, and the certificate is issued "
            + "again by the same CA when a name is added.")
    List<String> tlsSans = new ArrayList<>();

    @Option(names = "--server-arg", description = "Any other `server` flag, passed through verbatim (repeatable).")
    List<String> serverArgs = new ArrayList<>();

    @Option(names = "--agent-arg", description = "Any other `agent` flag (e.g. --node-lease-renew-interval-ms=2000), passed to every "
            + "agent verbatim (repeatable); kept in cluster.json, so restarted agents get it too.")
    List<String> agentArgs = new ArrayList<>();

    @Override
    public Integer call() throws Exception {
        if (masters < 1) {
            System.err.println("kuberaft up: --masters must be at least 1");
            return 2;
        }
        if (agents < 0) {
            System.err.println("kuberaft up: --agents must be at least 0");
            return 2;
        }
        if (!agentRuntime.equals("simulated") && !agentRuntime.equals("process")) {
            System.err.println("kuberaft up: --agent-runtime must be simulated or process");
            return 2;
        }
        LocalCluster cluster = new LocalCluster(dir, System.out);
        if (cluster.running() && agents == 0) {
            System.out.println("kuberaft: the cluster in " + cluster.dir() + " is already running ("
                    + cluster.file().masters.size() + " masters); `kuberaft status` shows it");
            return 0;
        }
        List<String> args = new ArrayList<>();
        add(args, "--election-timeout-min-ms", electionMin);
        add(args, "--election-timeout-max-ms", electionMax);
        add(args, "--snapshot-threshold", snapshotThreshold);
        add(args, "--compaction-retention", compactionRetention);
        add(args, "--node-monitor-period", nodeMonitorPeriod);
        add(args, "--node-monitor-grace-period", nodeMonitorGracePeriod);
        add(args, "--node-startup-grace-period", nodeStartupGracePeriod);
        add(args, "--node-eviction-rate", nodeEvictionRate);
        add(args, "--secondary-node-eviction-rate", secondaryNodeEvictionRate);
        args.addAll(serverArgs);
        if (!lb.equals("builtin") && !lb.equals("haproxy")) {
            System.err.println("kuberaft up: --lb must be builtin or haproxy");
            return 2;
        }
        if (lb.equals("haproxy") && HaproxyConfig.binary() == null) {
            System.err.println("kuberaft up: --lb haproxy needs the haproxy binary (apt-get install haproxy)");
            return 2;
        }
        for (String san : tlsSans) {
            if (!Pki.validName(san)) {
                System.err.println("kuberaft up: --tls-san " + san + " is neither a DNS name nor an IP address");
                return 2;
            }
        }
        ClusterFile f;
        try {
            f = cluster.up(masters, args, lb, tlsSans);
            if (agents > 0 || !f.agents.isEmpty()) {
                cluster.startAgents(f, agents, agentRuntime, agentArgs);
                if (!cluster.awaitAgentNodes(f, java.time.Duration.ofSeconds(60))) {
                    System.err.println("kuberaft up: the agents' nodes are not all Ready after 60 s (see their logs below)");
                }
            }
        } catch (java.io.IOException e) {
            System.err.println("kuberaft up: " + e.getMessage());
            return 1;
        }
        System.out.println("kuberaft: " + f.masters.size() + " masters up in " + cluster.dir());
        StringBuilder endpoints = new StringBuilder();
        for (ClusterFile.Master m : f.masters) {
            System.out.printf("  %-4s pid %-7d etcd %-16s raft %-16s log %s%n", m.id, m.pid, m.etcdEndpoint, m.raftAddress, m.logFile);
            endpoints.append(endpoints.length() == 0 ? "" : ",").append(m.etcdEndpoint);
        }
        for (ClusterFile.Agent a : f.agents) {
            System.out.printf("  %-7s pid %-7d agent (%s) API port %d, log %s%n", a.name, a.pid, a.runtime, a.apiPort, a.logFile);
        }
        if (f.loadBalancer != null) {
            System.out.println("  API  " + f.loadBalancer.url + " (" + f.loadBalancer.kind + " load balancer, pid " + f.loadBalancer.pid + ")");
            System.out.println("  try:  export KUBECONFIG=" + f.kubeconfig + "; kubectl get ns");
        }
        System.out.println("  try:  ETCDCTL_API=3 etcdctl --endpoints=" + endpoints + " put hello world");
        System.out.println("  then: ./kuberaft status --dir " + dir + "   |   ./kuberaft down --dir " + dir);
        return 0;
    }

    private static void add(List<String> args, String flag, Object value) {
        if (value != null) {
            args.add(flag);
            args.add(String.valueOf(value));
        }
    }
}
