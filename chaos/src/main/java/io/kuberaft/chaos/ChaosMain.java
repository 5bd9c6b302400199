package io.kuberaft.chaos;

import io.kuberaft.chaos.checker.CheckResult;
import io.kuberaft.chaos.cluster.ChaosCluster;
import io.kuberaft.chaos.history.History;
import io.kuberaft.chaos.history.Op;
import io.kuberaft.chaos.nemesis.Nemesis;
import io.kuberaft.chaos.nemesis.Schedule;
import io.kuberaft.chaos.report.Report;
import io.kuberaft.chaos.workload.ChaosWorkload;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;

/** {@code ./kuberaft chaos}: one Jepsen-style run on podman containers; writes results.json, history.jsonl, report.html. */
@Command(name = "chaos", mixinStandardHelpOptions = true,
        description = "Run one chaos test: N replicas in podman containers, a workload, a seeded nemesis schedule, checkers, a report.")
public final class ChaosMain implements Callable<Integer> {
    @Option(names = "--workload", defaultValue = "register-kube", description = "register-kube, register-etcd, set-kube, set-etcd, watch, controllers, node-lifecycle (register = both apis). Default: ${DEFAULT-VALUE}.")
    String workload;

    @Option(names = "--nemesis", split = ",", defaultValue = "kill-leader", description = "Comma-separated: kill-leader, kill-random, kill-majority, rolling-restart, pause-leader, partition-majority, partition-leader, partition-bridge, partition-oneway, loss, clock-skew, membership, none. Default: ${DEFAULT-VALUE}.")
    List<String> nemeses;

    @Option(names = "--time", defaultValue = "60", description = "Seconds of workload under the nemesis (default: ${DEFAULT-VALUE}).")
    int seconds;

    @Option(names = "--masters", defaultValue = "3", description = "Replicas (default: ${DEFAULT-VALUE}).")
    int masters;

    @Option(names = "--out", defaultValue = "target/chaos", description = "Directory of the runs (default: ${DEFAULT-VALUE}).")
    Path out;

    @Option(names = "--seed", description = "Seed of the nemesis schedule and the clients' choices (default: random, printed).")
    Long seed;

    @Option(names = "--concurrency", defaultValue = "5", description = "Client processes (default: ${DEFAULT-VALUE}).")
    int concurrency;

    @Option(names = "--rate", defaultValue = "10", description = "Ops per second per process, at most (default: ${DEFAULT-VALUE}).")
    double rate;

    @Option(names = "--root", defaultValue = ".", description = "The kuberaft checkout whose cli/target distribution the replicas run.")
    Path root;

    @Option(names = "--java-opts", defaultValue = "-Xmx384m -XX:+UseSerialGC -XX:TieredStopAtLevel=1 -Xss512k",
            description = "JVM options of the replicas (default: ${DEFAULT-VALUE}).")
    String javaOpts;

    @Option(names = "--server-arg", description = "Extra `kuberaft server` argument for every replica (repeatable).")
    List<String> serverArgs = new ArrayList<>();

    @Override
    public Integer call() throws Exception {
        if (!ChaosCluster.available()) {
            System.err.println("chaos: no container engine (DOCKER_HOST unset or not answering): run eval \"$(chaos/setup.sh)\" first");
            return 2;
        }
        long s = seed != null ? seed : new java.security.SecureRandom().nextLong() & 0xffffffffL;
        List<String> workloads = workload.equals("register") ? List.of("register-kube", "register-etcd") : List.of(workload);
        String runName = String.join("+", workloads) + "_" + String.join("+", nemeses) + "_" + masters + "m_"
                + LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss"));
        Path dir = out.resolve(runName);
        Files.createDirectories(dir);
        System.out.println("chaos: run " + dir + " seed " + s);
        Map<String, Object> results = run(root.toAbsolutePath().normalize(), workloads, nemeses, masters, seconds, concurrency, rate,
                javaOpts, serverArgs, s, dir);
        System.out.println("chaos: valid=" + results.get("valid") + " ops=" + results.get("ops") + " anomalies=" + results.get("anomalies")
                + "\nchaos: report " + dir.resolve("report.html"));
        if (!nemeses.contains("none") && Integer.valueOf(0).equals(results.get("nemesis-events"))) {
            // valid but untested: e.g. a rolling restart (~46 s with its quiet time) never fits in --time 30
            System.out.println("chaos: warning: no nemesis event happened within --time " + seconds + " s");
        }
        return Boolean.FALSE.equals(results.get("valid")) ? 1 : 0;
    }

    /** One run; returns results.json's content (also written to {@code dir}). */
    public static Map<String, Object> run(Path root, List<String> workloads, List<String> nemesisNames, int masters, int seconds,
            int concurrency, double rate, String javaOpts, List<String> serverArgs, long seed, Path dir) throws Exception {
        List<Nemesis> nemeses = nemesisNames.stream().map(Nemesis::of).toList();
        List<ChaosWorkload> ws = new ArrayList<>();
        for (int i = 0; i < workloads.size(); i++) {
            ws.add(ChaosWorkload.of(workloads.get(i), i));
        }
        List<String> args = ChaosWorkload.serverArgs(serverArgs, ws);
        History h;
        Schedule schedule = new Schedule(nemeses, seed);
        Map<String, Object> results = new LinkedHashMap<>();
        long started = System.currentTimeMillis();
        int[] startRetries = new int[2];
        List<Exception> errors = new java.util.concurrent.CopyOnWriteArrayList<>();
        try (ChaosCluster cluster = new ChaosCluster(root, masters, args, javaOpts, nemeses.stream().anyMatch(Nemesis::needsFakeTime))) {
            cluster.start(Duration.ofSeconds(120));
            // the replicas' logs are kept when the run fails too (a replica without a leader at the end, ...)
            try {
                ChaosWorkload.Agents agents = ws.stream().map(ChaosWorkload::agents).filter(java.util.Objects::nonNull).findFirst().orElse(null);
                if (agents != null) {
                    cluster.startAgents(agents.count(), agents.nodesEach(), agents.args(), Duration.ofSeconds(120));
                }
                h = new History();
                long deadline = System.nanoTime() + seconds * 1_000_000_000L;
                List<Thread> threads = new ArrayList<>();
                for (int i = 0; i < ws.size(); i++) {
                    ChaosWorkload w = ws.get(i);
                    long wseed = seed + i;
                    threads.add(new Thread(() -> {
                        try {
                            w.run(cluster, h, concurrency, rate, deadline, wseed);
                        } catch (Exception e) {
                            errors.add(e);
                        }
                    }, "workload-" + w.name()));
                }
                threads.add(new Thread(() -> {
                    try {
                        schedule.run(cluster, h, deadline);
                    } catch (Exception e) {
                        errors.add(e);
                    }
                }, "nemesis"));
                threads.forEach(Thread::start);
                for (Thread t : threads) {
                    t.join();
                }
                cluster.healAll();
                h.add(new Op(-1, Op.Type.info, "heal", null, History.v("all healed"), h.now(), null, null));
                cluster.awaitLeader(Duration.ofSeconds(60), cluster.nodes());
                try {
                    cluster.awaitApi(Duration.ofSeconds(60), cluster.nodes());
                } catch (java.io.IOException e) {
                    System.err.println("chaos: " + e.getMessage().lines().findFirst().orElse("") + " (the final reads go through the others)");
                }
                for (ChaosWorkload w : ws) {
                    w.finish(cluster, h, Duration.ofSeconds(60));
                }
            } finally {
                try {
                    cluster.saveLogs(dir);
                } catch (Exception e) {
                    System.err.println("chaos: saving the replicas' logs failed: " + e);
                }
            }
            startRetries[0] = cluster.startRetries();
            startRetries[1] = cluster.execRetries();
            if (!errors.isEmpty()) {
                throw errors.get(0);
            }
        }
        List<Op> ops = h.ops();
        h.write(dir.resolve("history.jsonl"));
        boolean valid = true;
        boolean unknown = false;
        List<Object> anomalies = new ArrayList<>();
        Map<String, Object> per = new LinkedHashMap<>();
        for (ChaosWorkload w : ws) {
            String prefix = w.name().endsWith("etcd") ? "etcd" : "kube";
            List<Op> mine = ops.stream().filter(o -> o.process() < 0 || belongs(o, w)).toList();
            CheckResult r = w.check(mine);
            per.put(w.name(), r.toMap());
            valid &= r.valid != CheckResult.Validity.FALSE;
            unknown |= r.valid == CheckResult.Validity.UNKNOWN;
            for (CheckResult.Anomaly a : r.anomalies) {
                anomalies.add(Map.of("workload", w.name(), "kind", a.kind(), "key", String.valueOf(a.key()), "detail", a.detail()));
            }
            per.put(w.name() + "-ops", summaryMap(mine));
            per.put(w.name() + "-api", prefix);
        }
        results.put("valid", valid ? (unknown ? "unknown" : Boolean.TRUE) : Boolean.FALSE);
        results.put("ops", ops.stream().filter(o -> o.process() >= 0 && o.type() != Op.Type.invoke).count());
        results.put("anomalies", anomalies);
        results.put("workloads", per);
        results.put("seed", seed);
        results.put("nemesis", nemesisNames);
        results.put("nemesis-events", schedule.intervals().size());
        results.put("masters", masters);
        results.put("server-args", args);
        results.put("container-start-retries", startRetries[0]);
        results.put("exec-retries", startRetries[1]);
        results.put("seconds", seconds);
        results.put("wall-seconds", (System.currentTimeMillis() - started) / 1000);
        History.JSON.writerWithDefaultPrettyPrinter().writeValue(dir.resolve("results.json").toFile(), results);
        Files.writeString(dir.resolve("report.html"), Report.html(dir.getFileName().toString(), results, ops, schedule.intervals()));
        return results;
    }

    /** Client ops of a workload: workloads sharing a history use disjoint process ranges. */
    private static boolean belongs(Op o, ChaosWorkload w) {
        return o.process() >= 0 && w.owns(o);
    }

    private static Map<String, Object> summaryMap(List<Op> ops) {
        Map<String, Object> m = new LinkedHashMap<>();
        Report.summary(ops).forEach((f, s) -> m.put(f, Map.of("ok", s[0], "fail", s[1], "info", s[2], "p50_ms", s[3], "p99_ms", s[4], "max_ms", s[5])));
        return m;
    }

    public static void main(String[] args) {
        System.exit(new CommandLine(new ChaosMain()).execute(args));
    }
}
