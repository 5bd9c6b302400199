package io.kuberaft.bench;

import org.HdrHistogram.Histogram;

import javax.net.ssl.SSLContext;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;

/**
 * Kubernetes API load: C client threads, each with its own JDK HttpClient forced to HTTP/1.1 (so each
 * client holds its own TCP connection and the load balancer spreads the clients over the replicas),
 * create / get / list ConfigMaps and Pods in one namespace, mixed by weight. Closed loop (one request
 * in flight per client) unless a total rate is given; then each client sends on a fixed schedule and
 * latency is measured from the scheduled send time (no coordinated omission; a client that falls behind
 * its schedule sends its backlog back to back). No request is sent after the duration; rates are over
 * the wall time until the last answer. Bounded by time and by request count; every request by its own timeout.
 */
public final class ApiLoad {
    private ApiLoad() {
    }

    public enum Verb { CREATE, GET, LIST }

    public static final List<String> RESOURCES = List.of("configmaps", "pods");

    public record Config(URI server, String token, SSLContext ssl, String namespace, int clients, Duration duration,
                         double ratePerS, long maxOps, int createWeight, int getWeight, int listWeight, int listLimit,
                         Duration requestTimeout, String runId) {
        int totalWeight() {
            return createWeight + getWeight + listWeight;
        }
    }

    public record VerbResult(String verb, String resource, long ok, long errors, double reqPerS, double p50Ms, double p99Ms, double maxMs) {
    }

    /** {@code totals}: every resource of one verb together (resource "*"). */
    public record Outcome(List<VerbResult> results, List<VerbResult> totals, double seconds, long ok, long errors,
                          Map<String, Long> errorsByStatus, String firstError) {
        public VerbResult total(String verb) {
            return totals.stream().filter(r -> r.verb().equals(verb)).findFirst().orElse(null);
        }
    }

    private static final long HIGHEST_NS = TimeUnit.SECONDS.toNanos(120);

    private static String key(Verb v, String resource) {
        return v.name().toLowerCase() + " " + resource;
    }

    /** Creates the namespace (409 is fine). */
    public static void ensureNamespace(Config c) throws Exception {
        HttpClient http = client(c);
        String body = "{\"apiVersion\":\"v1\",\"kind\":\"Namespace\",\"metadata\":{\"name\":\"" + c.namespace() + "\"}}";
        HttpResponse<String> r = http.send(request(c, "/api/v1/namespaces").POST(HttpRequest.BodyPublishers.ofString(body)).build(),
                HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() != 201 && r.statusCode() != 409 && r.statusCode() != 200) {
            throw new IllegalStateException("creating namespace " + c.namespace() + ": HTTP " + r.statusCode() + " " + r.body());
        }
    }

    public static Outcome run(Config c) throws InterruptedException {
        Map<String, Histogram> hist = new ConcurrentHashMap<>();
        Map<String, AtomicLong> errs = new ConcurrentHashMap<>();
        Map<String, AtomicLong> byStatus = new ConcurrentHashMap<>();
        AtomicReference<String> firstError = new AtomicReference<>();
        AtomicLong issued = new AtomicLong();
        long start = System.nanoTime();
        long end = start + c.duration().toNanos();
        long intervalNs = c.ratePerS() > 0 ? (long) (1e9 * c.clients() / c.ratePerS()) : 0;
        List<Thread> threads = new ArrayList<>();
        List<Map<String, Histogram>> perClient = Collections.synchronizedList(new ArrayList<>());
        for (int i = 0; i < c.clients(); i++) {
            final int id = i;
            Thread t = new Thread(() -> {
                Map<String, Histogram> mine = new TreeMap<>();
                perClient.add(mine);
                HttpClient http = client(c);
                SplittableRandom rnd = new SplittableRandom(id * 7919L + 17);
                Map<String, List<String>> created = new TreeMap<>();
                RESOURCES.forEach(res -> created.put(res, new ArrayList<>()));
                long seq = 0;
                long next = start + (intervalNs > 0 ? rnd.nextLong(intervalNs) : 0);
                while (true) {
                    long intended;
                    if (intervalNs > 0) {
                        long now = System.nanoTime();
                        if (next > now) {
                            LockSupport.parkNanos(next - now);
                        }
                        intended = next;
                        next += intervalNs;
                    } else {
                        intended = System.nanoTime();
                    }
                    if (intended >= end || System.nanoTime() >= end || Thread.currentThread().isInterrupted() || issued.incrementAndGet() > c.maxOps()) {
                        break;
                    }
                    String res = RESOURCES.get(rnd.nextInt(RESOURCES.size()));
                    int w = rnd.nextInt(c.totalWeight());
                    Verb v = w < c.createWeight() ? Verb.CREATE : w < c.createWeight() + c.getWeight() ? Verb.GET : Verb.LIST;
                    List<String> names = created.get(res);
                    if (v == Verb.GET && names.isEmpty()) {
                        v = Verb.CREATE;
                    }
                    String base = "/api/v1/namespaces/" + c.namespace() + "/" + res;
                    HttpRequest.Builder rb;
                    String name = null;
                    int expect;
                    switch (v) {
                        case CREATE -> {
                            name = c.runId() + "-" + id + "-" + (seq++);
                            rb = request(c, base).POST(HttpRequest.BodyPublishers.ofString(body(res, name)));
                            expect = 201;
                        }
                        case GET -> {
                            rb = request(c, base + "/" + names.get(rnd.nextInt(names.size()))).GET();
                            expect = 200;
                        }
                        default -> {
                            rb = request(c, base + "?limit=" + c.listLimit()).GET();
                            expect = 200;
                        }
                    }
                    String k = key(v, res);
                    int code;
                    String err = null;
                    try {
                        HttpResponse<byte[]> r = http.send(rb.build(), HttpResponse.BodyHandlers.ofByteArray());
                        code = r.statusCode();
                        if (code != expect) {
                            err = k + ": HTTP " + code + " " + new String(r.body(), 0, Math.min(300, r.body().length));
                        }
                    } catch (java.io.IOException e) {
                        code = -1;
                        err = k + ": " + e;
                    } catch (InterruptedException e) {
                        break;
                    }
                    long lat = System.nanoTime() - intended;
                    if (err == null) {
                        mine.computeIfAbsent(k, x -> new Histogram(HIGHEST_NS, 3)).recordValue(Math.min(lat, HIGHEST_NS));
                        if (v == Verb.CREATE) {
                            names.add(name);
                        }
                    } else {
                        errs.computeIfAbsent(k, x -> new AtomicLong()).incrementAndGet();
                        byStatus.computeIfAbsent(String.valueOf(code), x -> new AtomicLong()).incrementAndGet();
                        firstError.compareAndSet(null, err);
                    }
                }
            }, "api-load-" + i);
            t.setDaemon(true);
            t.start();
            threads.add(t);
        }
        long joinDeadline = end + c.requestTimeout().toNanos() + TimeUnit.SECONDS.toNanos(5);
        for (Thread t : threads) {
            long left = joinDeadline - System.nanoTime();
            if (left > 0) {
                t.join(Math.max(1, left / 1_000_000));
            }
            t.interrupt();
        }
        // Wall time until the last answer: a request issued before the end may finish after it.
        double seconds = Math.max(System.nanoTime() - start, 1) / 1e9;
        synchronized (perClient) {
            for (Map<String, Histogram> m : perClient) {
                m.forEach((k, h) -> hist.computeIfAbsent(k, x -> new Histogram(HIGHEST_NS, 3)).add(h));
            }
        }
        Map<String, Histogram> merged = new TreeMap<>();
        List<VerbResult> out = new ArrayList<>();
        long ok = 0, bad = 0;
        for (Verb v : Verb.values()) {
            for (String res : RESOURCES) {
                String k = key(v, res);
                Histogram h = hist.get(k);
                long n = h == null ? 0 : h.getTotalCount();
                long e = errs.getOrDefault(k, new AtomicLong()).get();
                ok += n;
                bad += e;
                if (h != null) {
                    merged.computeIfAbsent(v.name().toLowerCase(), x -> new Histogram(HIGHEST_NS, 3)).add(h);
                }
                out.add(new VerbResult(v.name().toLowerCase(), res, n, e, n / seconds,
                        n == 0 ? 0 : h.getValueAtPercentile(50) / 1e6, n == 0 ? 0 : h.getValueAtPercentile(99) / 1e6,
                        n == 0 ? 0 : h.getMaxValue() / 1e6));
            }
        }
        List<VerbResult> totals = new ArrayList<>();
        for (Verb v : Verb.values()) {
            String vn = v.name().toLowerCase();
            Histogram h = merged.get(vn);
            long n = h == null ? 0 : h.getTotalCount();
            long e = out.stream().filter(r -> r.verb().equals(vn)).mapToLong(VerbResult::errors).sum();
            totals.add(new VerbResult(vn, "*", n, e, n / seconds, n == 0 ? 0 : h.getValueAtPercentile(50) / 1e6,
                    n == 0 ? 0 : h.getValueAtPercentile(99) / 1e6, n == 0 ? 0 : h.getMaxValue() / 1e6));
        }
        Map<String, Long> codes = new TreeMap<>();
        byStatus.forEach((k, v) -> codes.put(k, v.get()));
        return new Outcome(out, totals, seconds, ok, bad, codes, firstError.get());
    }

    private static final String VALUE = "x".repeat(256);

    static String body(String resource, String name) {
        if (resource.equals("configmaps")) {
            return "{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":{\"name\":\"" + name
                    + "\",\"labels\":{\"app\":\"bench\"}},\"data\":{\"value\":\"" + VALUE + "\"}}";
        }
        return "{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"name\":\"" + name + "\",\"labels\":{\"app\":\"bench\"}},"
                + "\"spec\":{\"containers\":[{\"name\":\"c\",\"image\":\"registry.k8s.io/pause:3.9\"}]}}";
    }

    static HttpClient client(Config c) {
        return HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).sslContext(c.ssl())
                .connectTimeout(Duration.ofSeconds(5)).build();
    }

    static HttpRequest.Builder request(Config c, String path) {
        return HttpRequest.newBuilder(c.server().resolve(path)).timeout(c.requestTimeout())
                .header("Authorization", "Bearer " + c.token()).header("Accept", "application/json")
                .header("Content-Type", "application/json");
    }
}
