package io.kuberaft.cli;

import io.etcd.jetcd.Client;
import io.kuberaft.bench.FailoverReport;
import io.kuberaft.bench.Machine;
import io.kuberaft.bench.SteadyWriter;
import io.kuberaft.bench.StoreLoad;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.Callable;

/** Write unavailability when the Raft leader is SIGKILLed: kill → first acknowledged write issued after the kill. */
@Command(name = "failover", mixinStandardHelpOptions = true,
        description = {"Leader failover: a fresh 3-replica cluster under steady writes (a jetcd client over every "
                + "endpoint); SIGKILL the leader, measure kill -> first acknowledged write issued after the kill, "
                + "restart the killed replica, wait until it is healthy and caught up, repeat.",
                "Targets: median <= 2 s, max <= 3 s."})
public final class FailoverBenchCommand implements Callable<Integer> {
    @Option(names = "--kills", defaultValue = "5", description = "Leader kills (default: ${DEFAULT-VALUE}).")
    int kills;

    @Option(names = "--json", description = "Also write the report here.")
    Path json;

    @Option(names = "--writers", defaultValue = "4", description = "Concurrent closed-loop writers (default: ${DEFAULT-VALUE}).")
    int writers;

    @Option(names = "--settle-s", defaultValue = "3", description = "Steady writes before each kill (default: ${DEFAULT-VALUE}).")
    int settleS;

    @Option(names = "--outage-limit-s", defaultValue = "30", description = "Give up on one kill after this long without a write (default: ${DEFAULT-VALUE}).")
    int outageLimitS;

    @Option(names = "--election-timeout-min-ms", description = "Passed to every replica (default: the server's).")
    Long electionMin;

    @Option(names = "--election-timeout-max-ms", description = "Passed to every replica (default: the server's).")
    Long electionMax;

    private static final long PROBE_MS = 2000;

    @Override
    public Integer call() throws Exception {
        if (kills < 1 || kills > 100 || writers < 1 || settleS < 0 || outageLimitS < 1) {
            System.err.println("kuberaft bench failover: --kills must be 1..100, --writers and --outage-limit-s positive");
            return 2;
        }
        List<FailoverReport.Kill> results = new ArrayList<>();
        System.out.println("kuberaft bench failover: starting a 3-replica kuberaft cluster...");
        List<String> serverArgs = new ArrayList<>();
        if (electionMin != null) {
            serverArgs.addAll(List.of("--election-timeout-min-ms", String.valueOf(electionMin)));
        }
        if (electionMax != null) {
            serverArgs.addAll(List.of("--election-timeout-max-ms", String.valueOf(electionMax)));
        }
        try (BenchCluster bc = BenchCluster.start(3, serverArgs, System.out)) {
            LocalCluster cluster = bc.cluster();
            System.out.println("  endpoints " + String.join(",", bc.etcdEndpoints()) + " in " + cluster.dir()
                    + (serverArgs.isEmpty() ? "" : "; replicas started with " + String.join(" ", serverArgs)));
            System.out.println("  load average: " + Machine.loadAverage() + " (other processes on this machine slow elections down)");
            // Everything below is bounded: the writer by time and count, each wait by its own limit.
            Duration maxRun = Duration.ofSeconds((long) kills * (settleS + outageLimitS + LocalCluster.READY_TIMEOUT_MS / 1000 + 60));
            try (Client client = StoreLoad.connect(bc.etcdEndpoints());
                 SteadyWriter writer = new SteadyWriter(client.getKVClient(), writers, Duration.ofSeconds(3), maxRun, 10_000_000).start()) {
                writer.probe(System.nanoTime());
                if (writer.awaitProbe(Duration.ofSeconds(30)) < 0) {
                    System.err.println("kuberaft bench failover: no write succeeded on the fresh cluster");
                    return 1;
                }
                for (int n = 1; n <= kills; n++) {
                    Thread.sleep(settleS * 1000L);
                    ClusterFile f = bc.file();
                    Optional<LocalCluster.ReplicaState> leader = awaitLeader(cluster, f, 10_000);
                    if (leader.isEmpty()) {
                        System.err.println("kuberaft bench failover: no leader found before kill " + n);
                        break;
                    }
                    ClusterFile.Master victim = leader.get().master();
                    long term = leader.get().status().getRaftTerm();
                    java.time.Instant killedAt = java.time.Instant.now();
                    long t0 = System.nanoTime();
                    writer.probe(t0);
                    LocalCluster.kill(victim);
                    long ack = writer.awaitProbe(Duration.ofSeconds(outageLimitS));
                    double ms = ack < 0 ? -1 : (ack - t0) / 1e6;
                    Optional<LocalCluster.ReplicaState> next = awaitLeader(cluster, f, 10_000);
                    String newLeader = next.map(s -> s.master().id).orElse(null);
                    results.add(new FailoverReport.Kill(n, victim.id, term, ms < 0 ? -1 : Math.round(ms * 10) / 10.0, newLeader));
                    System.out.printf(Locale.ROOT, "  kill %d at %s: SIGKILL leader %s (term %d) -> first write acknowledged after %s; new leader %s%n",
                            n, killedAt, victim.id, term, ms < 0 ? "NEVER (gave up after " + outageLimitS + " s)" : String.format(Locale.ROOT, "%.0f ms", ms),
                            newLeader == null ? "?" : newLeader);
                    // Restart the dead replica of the same cluster and wait until it serves and has caught up.
                    cluster.up(3, List.of());
                    if (!awaitCaughtUp(cluster, victim.id, 30_000)) {
                        System.out.println("    (" + victim.id + " restarted but had not caught up within 30 s)");
                    }
                }
                System.out.printf(Locale.ROOT, "  writes: %d acknowledged, %d failed or timed out (retried); load average now %s%n",
                        writer.ok(), writer.errors(), Machine.loadAverage());
            }
        }
        FailoverReport report = FailoverReport.of("kuberaft", results);
        System.out.println();
        System.out.print(report.table());
        if (json != null) {
            report.write(json);
            System.out.println("kuberaft bench failover: wrote " + json.toAbsolutePath());
        }
        return results.size() == kills && report.pass() ? 0 : 1;
    }

    private static Optional<LocalCluster.ReplicaState> awaitLeader(LocalCluster cluster, ClusterFile f, long timeoutMs) {
        long deadline = System.currentTimeMillis() + timeoutMs;
        while (true) {
            Optional<LocalCluster.ReplicaState> l = cluster.leader(f, PROBE_MS);
            if (l.isPresent() || System.currentTimeMillis() > deadline) {
                return l;
            }
            LocalCluster.sleep(100);
        }
    }

    /**
     * Until the replica's applied index reaches the leader's commit index; the leader is asked
     * first, so that writes committed between the two answers do not make it look behind.
     */
    private static boolean awaitCaughtUp(LocalCluster cluster, String id, long timeoutMs) throws java.io.IOException {
        long deadline = System.currentTimeMillis() + timeoutMs;
        ClusterFile f = cluster.file();
        ClusterFile.Master me = f.master(id);
        while (System.currentTimeMillis() < deadline) {
            Optional<LocalCluster.ReplicaState> leader = cluster.leader(f, PROBE_MS);
            if (leader.isPresent()) {
                long commit = leader.get().status().getRaftIndex();
                Optional<io.etcd.jetcd.api.StatusResponse> mine = StoreProbe.status(me.etcdEndpoint, PROBE_MS);
                if (mine.isPresent() && mine.get().getRaftAppliedIndex() >= commit) {
                    return true;
                }
            }
            LocalCluster.sleep(200);
        }
        return false;
    }
}
