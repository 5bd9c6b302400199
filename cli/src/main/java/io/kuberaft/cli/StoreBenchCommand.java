package io.kuberaft.cli;

import io.etcd.jetcd.Client;
import io.etcd.jetcd.KV;
import io.kuberaft.bench.EtcdReferenceCluster;
import io.kuberaft.bench.Machine;
import io.kuberaft.bench.RunResult;
import io.kuberaft.bench.StoreBenchReport;
import io.kuberaft.bench.StoreLoad;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;

/** kuberaft vs etcd 3.4, both 3 members on this machine, driven by the same jetcd load generator. */
@Command(name = "store", mixinStandardHelpOptions = true,
        description = {"Store throughput and latency, side by side with a real etcd 3.4 cluster.",
                "Starts a fresh 3-replica kuberaft cluster (separate processes) in a temporary directory, runs puts "
                        + "(256-byte values, 8-byte keys) then linearizable gets with each client count, stops it; "
                        + "then the same against a 3-member etcd (/usr/bin/etcd) on 127.0.0.1. Each client is closed-loop "
                        + "(one request in flight); each run is bounded by --duration-s and --max-ops."})
public final class StoreBenchCommand implements Callable<Integer> {
    @Option(names = "--json", description = "Also write {\"runs\":[{system,op,clients,ops_per_s,p50_ms,p99_ms,...}]} here.")
    Path json;

    @Option(names = "--duration-s", defaultValue = "10", description = "Measured seconds per run (default: ${DEFAULT-VALUE}).")
    int durationS;

    @Option(names = "--warmup-s", defaultValue = "5", description = "Unmeasured seconds before each run (default: ${DEFAULT-VALUE}).")
    int warmupS;

    @Option(names = "--system-warmup-s", defaultValue = "30", description = "Unmeasured puts at the largest client count before "
            + "a system's first run: the replicas' JIT and the load generator's (default: ${DEFAULT-VALUE}).")
    int systemWarmupS;

    @Option(names = "--clients", split = ",", defaultValue = "1,64", description = "Client counts (default: ${DEFAULT-VALUE}).")
    List<Integer> clients;

    @Option(names = "--max-ops", defaultValue = "2000000", description = "Request bound per run (default: ${DEFAULT-VALUE}).")
    long maxOps;

    @Option(names = "--systems", split = ",", defaultValue = "kuberaft,etcd", description = "Which systems to run (default: ${DEFAULT-VALUE}).")
    List<String> systems;

    @Option(names = "--endpoints", split = ",", description = "Measure an already running kuberaft cluster (host:port,...) instead of "
            + "starting one: for profiling; etcd is skipped.")
    List<String> endpoints;

    @Option(names = "--etcd-binary", defaultValue = "/usr/bin/etcd", description = "The etcd 3.4 server (default: ${DEFAULT-VALUE}).")
    Path etcdBinary;

    @Override
    public Integer call() throws Exception {
        if (durationS < 1 || warmupS < 0 || systemWarmupS < 0 || clients.isEmpty() || clients.stream().anyMatch(c -> c < 1) || maxOps < 1) {
            System.err.println("kuberaft bench store: --duration-s, --clients and --max-ops must be positive");
            return 2;
        }
        for (String s : systems) {
            if (!s.equals(StoreBenchReport.KUBERAFT) && !s.equals(StoreBenchReport.ETCD)) {
                System.err.println("kuberaft bench store: unknown system '" + s + "' (kuberaft, etcd)");
                return 2;
            }
        }
        List<RunResult> runs = new ArrayList<>();
        if (endpoints != null && !endpoints.isEmpty()) {
            runs.addAll(measure(StoreBenchReport.KUBERAFT, endpoints, StoreLoad.CpuClock.NONE));
        } else if (systems.contains(StoreBenchReport.KUBERAFT)) {
            System.out.println("kuberaft bench store: starting a 3-replica kuberaft cluster...");
            try (BenchCluster c = BenchCluster.start(3, System.out)) {
                System.out.println("  endpoints " + String.join(",", c.etcdEndpoints()) + " in " + c.cluster().dir());
                runs.addAll(measure(StoreBenchReport.KUBERAFT, c.etcdEndpoints(),
                        StoreLoad.CpuClock.ofProcesses(c.file().masters.stream().map(m -> m.pid).toList())));
            }
        }
        if (systems.contains(StoreBenchReport.ETCD) && (endpoints == null || endpoints.isEmpty())) {
            System.out.println("kuberaft bench store: starting a 3-member etcd cluster (" + etcdBinary + ")...");
            try (EtcdReferenceCluster e = EtcdReferenceCluster.start(etcdBinary, 3, Duration.ofSeconds(30))) {
                System.out.println("  endpoints " + String.join(",", e.clientEndpoints()) + " in " + e.dir());
                runs.addAll(measure(StoreBenchReport.ETCD, e.clientEndpoints(),
                        StoreLoad.CpuClock.ofProcesses(e.members().stream().map(m -> m.process().pid()).toList())));
            }
        }
        StoreBenchReport report = new StoreBenchReport(runs);
        System.out.println();
        System.out.print(report.table());
        if (json != null) {
            report.write(json);
            System.out.println("kuberaft bench store: wrote " + json.toAbsolutePath());
        }
        return runs.stream().anyMatch(r -> r.ops() == 0) ? 1 : 0;
    }

    private List<RunResult> measure(String system, List<String> endpoints, StoreLoad.CpuClock servers) {
        List<RunResult> out = new ArrayList<>();
        System.out.println("  load average before the " + system + " runs: " + Machine.loadAverage()
                + " (other processes on this machine skew throughput and latency, less so CPU per op)");
        try (Client client = StoreLoad.connect(endpoints)) {
            KV kv = client.getKVClient();
            StoreLoad.Config base = StoreLoad.Config.of(StoreLoad.Op.PUT, 1, Duration.ofSeconds(durationS)).withMaxOps(maxOps);
            StoreLoad.Outcome prefill = StoreLoad.prefill(kv, base);
            if (prefill.result().errors() > 0 || prefill.result().ops() < base.keySpace()) {
                System.out.println("  prefill: " + prefill.result().ops() + " of " + base.keySpace() + " keys written, "
                        + prefill.result().errors() + " errors, first: " + prefill.firstError());
            }
            if (systemWarmupS > 0) {
                int most = clients.stream().mapToInt(Integer::intValue).max().orElse(1);
                StoreLoad.Outcome w = StoreLoad.run(kv, system, base.withClients(most).withDuration(Duration.ofSeconds(systemWarmupS)));
                System.out.printf(Locale.ROOT, "  warm-up: %d puts in %.0f s%n", w.result().ops(), w.result().seconds());
            }
            for (StoreLoad.Op op : List.of(StoreLoad.Op.PUT, StoreLoad.Op.GET)) {
                for (int c : clients) {
                    StoreLoad.Outcome o = StoreLoad.warmUpAndRun(kv, system, base.withOp(op).withClients(c), Duration.ofSeconds(warmupS), servers);
                    RunResult r = o.result();
                    System.out.printf(Locale.ROOT, "  %-8s %-3s clients %3d: %9.1f ops/s  p50 %7.2f ms  p99 %7.2f ms  (%d ok, %d errors, %.1f s; "
                                    + "CPU per op: servers %.3f ms, load generator %.3f ms)%n",
                            system, r.op(), c, r.opsPerS(), r.p50Ms(), r.p99Ms(), r.ops(), r.errors(), r.seconds(),
                            r.serverCpuMsPerOp(), r.clientCpuMsPerOp());
                    if (o.firstError() != null) {
                        System.out.println("    first error: " + o.firstError());
                    }
                    out.add(r);
                }
            }
        }
        return out;
    }
}
