package io.kuberaft.cli;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.kuberaft.bench.ApiLoad;
import io.kuberaft.bench.Machine;
import io.kuberaft.bench.NodeWatches;
import io.kuberaft.bench.RunResult;
import io.kuberaft.bench.StoreBenchReport;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.CertificateFactory;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** The Kubernetes API through the load balancer: create / get / list ConfigMaps and Pods. */
@Command(name = "api", mixinStandardHelpOptions = true,
        description = {"Kubernetes API throughput and latency through the load balancer of a 3-replica cluster.",
                "Starts a fresh cluster in a temporary directory (or uses the one `up --dir DIR` started, with --dir), "
                        + "then C clients (JDK HttpClient, HTTP/1.1, one connection each, the kubeconfig's token and CA) "
                        + "create / get / list ConfigMaps and Pods in a fresh namespace, bounded by --seconds and --max-ops.",
                "Targets: p99 <= 100 ms for create and get at 1,000 creates/s (upstream SLO: p99 <= 1 s)."})
public final class ApiBenchCommand implements Callable<Integer> {
    @Option(names = "--clients", defaultValue = "32", description = "Concurrent clients (default: ${DEFAULT-VALUE}).")
    int clients;

    @Option(names = "--seconds", defaultValue = "30", description = "Measured seconds (default: ${DEFAULT-VALUE}).")
    int seconds;

    @Option(names = "--warmup-s", defaultValue = "10", description = "Unmeasured seconds of the same load first (default: ${DEFAULT-VALUE}).")
    int warmupS;

    @Option(names = "--rate", defaultValue = "0", description = "Total requests/s over all clients on a fixed schedule, latency "
            + "measured from the scheduled time; 0: closed loop, one request in flight per client (default: ${DEFAULT-VALUE}).")
    double rate;

    @Option(names = "--mix", split = ",", defaultValue = "4,5,1", description = "Weights of create,get,list (default: ${DEFAULT-VALUE}).")
    List<Integer> mix;

    @Option(names = "--list-limit", defaultValue = "100", description = "?limit= of every list (default: ${DEFAULT-VALUE}).")
    int listLimit;

    @Option(names = "--max-ops", defaultValue = "2000000", description = "Request bound per run (default: ${DEFAULT-VALUE}).")
    long maxOps;

    @Option(names = "--node-watches", defaultValue = "0", description = "Idle pod watches (fieldSelector spec.nodeName) held open "
            + "through warm-up and run, as that many nodes' kubelets hold them (default: ${DEFAULT-VALUE}).")
    int nodeWatches;

    @Option(names = "--dir", description = "Use the running cluster `up --dir DIR` started instead of a fresh one (left running).")
    Path dir;

    @Option(names = "--store-json", defaultValue = "target/bench-store.json",
            description = "`bench store --json` output to compare with, if present (default: ${DEFAULT-VALUE}).")
    Path storeJson;

    @Option(names = "--json", description = "Also write the report here.")
    Path json;

    static final double TARGET_P99_MS = 100;
    static final double TARGET_CREATES_PER_S = 1000;

    @Override
    public Integer call() throws Exception {
        if (clients < 1 || clients > 4096 || seconds < 1 || warmupS < 0 || rate < 0 || maxOps < 1 || listLimit < 1
                || nodeWatches < 0 || nodeWatches > 10_000 || mix.size() != 3 || mix.stream().anyMatch(w -> w < 0) || mix.stream().mapToInt(Integer::intValue).sum() == 0) {
            System.err.println("kuberaft bench api: --clients 1..4096, --seconds positive, --node-watches 0..10000, --mix three non-negative weights");
            return 2;
        }
        if (dir != null) {
            LocalCluster c = new LocalCluster(dir, System.out);
            if (!ClusterFile.exists(dir) || !c.running()) {
                System.err.println("kuberaft bench api: no running cluster in " + dir + " (start one with `kuberaft up --dir " + dir + "`)");
                return 1;
            }
            return measure(dir, c.file());
        }
        System.out.println("kuberaft bench api: starting a 3-replica kuberaft cluster behind the load balancer...");
        try (BenchCluster bc = BenchCluster.start(3, System.out)) {
            return measure(bc.cluster().dir(), bc.file());
        }
    }

    static final Duration CLEANUP_WAIT = Duration.ofMinutes(5);

    private int measure(Path clusterDir, ClusterFile f) throws Exception {
        Pki pki = new Pki(clusterDir);
        SSLContext ssl = sslContext(pki.caCert());
        String token = pki.adminToken();
        URI lb = URI.create(f.loadBalancer.url);
        String runId = "b" + Long.toString(System.currentTimeMillis() % 100_000_000L, 36);
        String ns = "bench-" + runId;
        ApiLoad.Config cfg = new ApiLoad.Config(lb, token, ssl, ns, clients, Duration.ofSeconds(seconds), rate, maxOps,
                mix.get(0), mix.get(1), mix.get(2), listLimit, Duration.ofSeconds(10), runId);
        System.out.println("  load balancer " + lb + " (" + f.loadBalancer.kind + ") in front of "
                + String.join(",", f.masters.stream().map(m -> m.apiUrl).toList()) + "; namespace " + ns);
        ApiLoad.ensureNamespace(cfg);
        try (NodeWatches watches = NodeWatches.open(cfg, nodeWatches, Duration.ofSeconds(warmupS + seconds + 60))) {
            if (nodeWatches > 0) {
                System.out.println("  " + watches.size() + " idle pod watches open (fieldSelector spec.nodeName, as kubelets)");
            }
            return measure(cfg, f, lb, token, ssl, ns);
        }
    }

    private int measure(ApiLoad.Config cfg, ClusterFile f, URI lb, String token, SSLContext ssl, String ns) throws Exception {
        String runId = cfg.runId();
        Map<String, Double> before = scrape(f, token, ssl);
        if (warmupS > 0) {
            ApiLoad.Outcome w = ApiLoad.run(withRun(cfg, runId + "w", warmupS));
            System.out.printf(Locale.ROOT, "  warm-up: %d requests in %.0f s (%d errors)%n", w.ok(), w.seconds(), w.errors());
        }
        String load = Machine.loadAverage();
        System.out.println("  load average before the measured run: " + load + " (other processes on this machine skew the figures)");
        List<Long> pids = f.masters.stream().map(m -> m.pid).toList();
        ReplicaCpu cpuBefore = ReplicaCpu.of(pids);
        ApiLoad.Outcome o = ApiLoad.run(withRun(cfg, runId + "m", seconds));
        ReplicaCpu cpuAfter = ReplicaCpu.of(pids);
        String loadAfter = Machine.loadAverage();
        Map<String, Double> after = scrape(f, token, ssl);

        Map<String, RunResult> store = storeRuns();
        StringBuilder t = new StringBuilder();
        t.append(String.format(Locale.ROOT, "%nkuberaft bench api: %d clients, %s, %.1f s, mix create:get:list %d:%d:%d, list limit %d%s%n",
                clients, rate > 0 ? String.format(Locale.ROOT, "%.0f req/s scheduled", rate) : "closed loop", o.seconds(),
                mix.get(0), mix.get(1), mix.get(2), listLimit, nodeWatches > 0 ? ", " + nodeWatches + " idle node pod watches" : ""));
        t.append("| verb | resource | req/s | p50 ms | p99 ms | max ms | ok | errors |\n|---|---|---:|---:|---:|---:|---:|---:|\n");
        for (ApiLoad.VerbResult r : o.results()) {
            row(t, r);
        }
        for (ApiLoad.VerbResult r : o.totals()) {
            row(t, r);
        }
        ApiLoad.VerbResult create = o.total("create");
        ApiLoad.VerbResult get = o.total("get");
        if (!store.isEmpty()) {
            t.append("\nratio to the raw store bench (" + storeJson + ", kuberaft, most clients):\n");
            ratio(t, "create", create, store.get("put"));
            ratio(t, "get", get, store.get("get"));
        } else {
            t.append("\n(no " + storeJson + ": run `./kuberaft bench store --json " + storeJson + "` for the ratio to the raw store)\n");
        }
        boolean latencyOk = create.ok() > 0 && get.ok() > 0 && create.p99Ms() <= TARGET_P99_MS && get.p99Ms() <= TARGET_P99_MS;
        boolean rateOk = create.reqPerS() >= TARGET_CREATES_PER_S * 0.99;
        t.append(String.format(Locale.ROOT, "%ntarget p99 <= %.0f ms for create and get at %.0f creates/s: create p99 %.1f ms, get p99 %.1f ms "
                        + "at %.0f creates/s -> %s (upstream SLO p99 <= 1 s: %s)%n",
                TARGET_P99_MS, TARGET_CREATES_PER_S, create.p99Ms(), get.p99Ms(), create.reqPerS(),
                latencyOk && rateOk ? "PASS" : "FAIL" + (rateOk ? "" : " (create rate below the target)"),
                create.p99Ms() <= 1000 && get.p99Ms() <= 1000 ? "PASS" : "FAIL"));
        if (o.errors() > 0) {
            t.append("errors by HTTP status (-1: no response): " + o.errorsByStatus() + "; first: " + o.firstError() + "\n");
        }
        double cpuS = cpuBefore.cpuSeconds(cpuAfter);
        if (cpuS > 0 && o.ok() > 0) {
            // What a request costs the replicas, whatever the machine's other load: the figure to compare builds by.
            t.append(String.format(Locale.ROOT, "replica CPU over the measured run: %.1f s (%.0f %% of one core), %.2f ms per request%n",
                    cpuS, cpuBefore.cpuPercent(cpuAfter), cpuS * 1000 / o.ok()));
        }
        t.append("load average: " + load + " before, " + loadAfter + " after\n");
        t.append(metricsReport(before, after));
        System.out.print(t);
        if (json != null) {
            writeJson(o, load, loadAfter, latencyOk && rateOk);
        }
        cleanup(cfg, lb, token, ssl, ns);
        return o.ok() == 0 ? 1 : 0;
    }

    private static ApiLoad.Config withRun(ApiLoad.Config c, String runId, int secs) {
        return new ApiLoad.Config(c.server(), c.token(), c.ssl(), c.namespace(), c.clients(), Duration.ofSeconds(secs), c.ratePerS(),
                c.maxOps(), c.createWeight(), c.getWeight(), c.listWeight(), c.listLimit(), c.requestTimeout(), runId);
    }

    private static void row(StringBuilder t, ApiLoad.VerbResult r) {
        t.append(String.format(Locale.ROOT, "| %s | %s | %.0f | %.2f | %.2f | %.1f | %d | %d |%n",
                r.verb(), r.resource().equals("*") ? "all" : r.resource(), r.reqPerS(), r.p50Ms(), r.p99Ms(), r.maxMs(), r.ok(), r.errors()));
    }

    private static void ratio(StringBuilder t, String verb, ApiLoad.VerbResult api, RunResult s) {
        if (s == null || s.opsPerS() <= 0) {
            return;
        }
        t.append(String.format(Locale.ROOT, "  %s: %.0f req/s vs store %s %.0f ops/s (%d clients) = %.2f; p99 %.1f ms vs %.1f ms = %.2f%n",
                verb, api.reqPerS(), s.op(), s.opsPerS(), s.clients(), api.reqPerS() / s.opsPerS(), api.p99Ms(), s.p99Ms(),
                s.p99Ms() > 0 ? api.p99Ms() / s.p99Ms() : 0));
    }

    /** The kuberaft put and get runs with the most clients from `bench store --json`. */
    private Map<String, RunResult> storeRuns() {
        Map<String, RunResult> out = new TreeMap<>();
        try {
            if (storeJson == null || !Files.isRegularFile(storeJson)) {
                return out;
            }
            for (RunResult r : StoreBenchReport.fromJson(Files.readString(storeJson)).runs()) {
                if (r.system().equals(StoreBenchReport.KUBERAFT)) {
                    out.merge(r.op(), r, (a, b) -> b.clients() > a.clients() ? b : a);
                }
            }
        } catch (Exception e) {
            System.out.println("  (could not read " + storeJson + ": " + e + ")");
        }
        return out;
    }

    private static final Pattern SAMPLE = Pattern.compile("^(apiserver_request_total|apiserver_request_duration_seconds_count)\\{([^}]*)\\} ([0-9.eE+-]+)$");
    private static final Pattern LABEL = Pattern.compile("(\\w+)=\"([^\"]*)\"");

    /** Sum over the replicas' /metrics of apiserver_request_total and _duration_seconds_count per series (configmaps, pods). */
    static Map<String, Double> scrape(ClusterFile f, String token, SSLContext ssl) {
        Map<String, Double> out = new TreeMap<>();
        HttpClient http = HttpClient.newBuilder().sslContext(ssl).connectTimeout(Duration.ofSeconds(3)).build();
        for (ClusterFile.Master m : f.masters) {
            try {
                HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(m.apiUrl + "/metrics"))
                        .header("Authorization", "Bearer " + token).timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
                for (String line : r.body().split("\n")) {
                    Matcher s = SAMPLE.matcher(line.trim());
                    if (!s.matches()) {
                        continue;
                    }
                    Map<String, String> labels = new TreeMap<>();
                    Matcher l = LABEL.matcher(s.group(2));
                    while (l.find()) {
                        labels.put(l.group(1), l.group(2));
                    }
                    String res = labels.getOrDefault("resource", "");
                    if (!res.equals("configmaps") && !res.equals("pods")) {
                        continue;
                    }
                    String key = s.group(1) + " verb=" + labels.get("verb") + " resource=" + res
                            + (labels.containsKey("code") ? " code=" + labels.get("code") : "");
                    out.merge(key, Double.parseDouble(s.group(3)), Double::sum);
                }
            } catch (Exception e) {
                out.merge("scrape errors", 1.0, Double::sum);
            }
        }
        return out;
    }

    static String metricsReport(Map<String, Double> before, Map<String, Double> after) {
        StringBuilder b = new StringBuilder("the replicas' /metrics, increase over the warm-up and measured run (all replicas summed):\n");
        boolean any = false;
        for (Map.Entry<String, Double> e : after.entrySet()) {
            double d = e.getValue() - before.getOrDefault(e.getKey(), 0.0);
            if (d > 0 && !e.getKey().equals("scrape errors")) {
                b.append(String.format(Locale.ROOT, "  %s +%.0f%n", e.getKey(), d));
                any = true;
            }
        }
        if (!any) {
            b.append("  NONE: the traffic did not show on /metrics\n");
        }
        if (after.containsKey("scrape errors")) {
            b.append("  (" + after.get("scrape errors").intValue() + " replicas could not be scraped)\n");
        }
        return b.toString();
    }

    static SSLContext sslContext(Path caPem) throws Exception {
        KeyStore ks = KeyStore.getInstance(KeyStore.getDefaultType());
        ks.load(null, null);
        try (InputStream in = Files.newInputStream(caPem)) {
            ks.setCertificateEntry("kuberaft-ca", CertificateFactory.getInstance("X.509").generateCertificate(in));
        }
        TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(ks);
        SSLContext ctx = SSLContext.getInstance("TLS");
        ctx.init(null, tmf.getTrustManagers(), null);
        return ctx;
    }

    private void writeJson(ApiLoad.Outcome o, String load, String loadAfter, boolean pass) throws Exception {
        ObjectNode root = ClusterFile.JSON.createObjectNode();
        root.put("clients", clients).put("rate", rate).put("seconds", o.seconds()).put("pass", pass)
                .put("load_before", load).put("load_after", loadAfter);
        ArrayNode runs = root.putArray("runs");
        for (ApiLoad.VerbResult r : o.results()) {
            runs.addObject().put("verb", r.verb()).put("resource", r.resource()).put("req_per_s", r.reqPerS()).put("p50_ms", r.p50Ms())
                    .put("p99_ms", r.p99Ms()).put("max_ms", r.maxMs()).put("ok", r.ok()).put("errors", r.errors());
        }
        if (json.toAbsolutePath().getParent() != null) {
            Files.createDirectories(json.toAbsolutePath().getParent());
        }
        ClusterFile.JSON.writeValue(json.toFile(), root);
        System.out.println("kuberaft bench api: wrote " + json.toAbsolutePath());
    }

    /**
     * Deletes the bench namespace and waits (up to {@link #CLEANUP_WAIT}) until the namespace controller has removed
     * everything in it: a benchmark started meanwhile would measure that deletion too. Best effort.
     */
    private static void cleanup(ApiLoad.Config c, URI lb, String token, SSLContext ssl, String ns) {
        HttpClient http = HttpClient.newBuilder().sslContext(ssl).build();
        HttpRequest.Builder req = HttpRequest.newBuilder(lb.resolve("/api/v1/namespaces/" + ns)).header("Authorization", "Bearer " + token)
                .timeout(Duration.ofSeconds(10));
        long start = System.nanoTime();
        try {
            http.send(req.copy().DELETE().build(), HttpResponse.BodyHandlers.discarding());
            long deadline = start + CLEANUP_WAIT.toNanos();
            while (System.nanoTime() < deadline) {
                if (http.send(req.copy().GET().build(), HttpResponse.BodyHandlers.discarding()).statusCode() == 404) {
                    System.out.printf(Locale.ROOT, "  namespace %s and its contents deleted in %.1f s%n", ns, (System.nanoTime() - start) / 1e9);
                    return;
                }
                Thread.sleep(500);
            }
            System.out.println("  namespace " + ns + " still terminating after " + CLEANUP_WAIT.toSeconds() + " s; not waiting longer");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (Exception e) {
            System.out.println("  (could not delete namespace " + ns + ": " + e + ")");
        }
    }
}
