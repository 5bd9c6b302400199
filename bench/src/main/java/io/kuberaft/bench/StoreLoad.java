package io.kuberaft.bench;

import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.KV;
import io.etcd.jetcd.options.GetOption;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.Recorder;

import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

/**
 * A closed-loop load generator over the etcd v3 API (jetcd), the same for kuberaft and etcd:
 * {@code clients} logical clients, each with exactly one request in flight, issue puts of
 * {@code valueBytes}-byte values to short keys, or linearizable gets of those keys. A run stops by
 * itself at {@code maxOps} requests or after {@code duration}, whichever comes first; every request
 * is bounded by {@code opTimeout}. Latencies of the successful requests go into an HdrHistogram
 * (microsecond resolution, 3 significant digits).
 */
public final class StoreLoad {
    /** What each request is. */
    public enum Op {
        PUT, GET;

        public String label() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }
    }

    /**
     * @param keySpace  keys are {@code k0000000}..: 8 bytes, like etcd's published benchmark; puts
     *                  cycle through them, gets pick one at random
     * @param maxErrors a run that fails this many requests stops early (it reports them)
     */
    public record Config(Op op, int clients, Duration duration, long maxOps, int keySpace, int valueBytes,
                         Duration opTimeout, long maxErrors) {
        public Config {
            if (clients < 1 || keySpace < 1 || valueBytes < 0 || maxOps < 1) {
                throw new IllegalArgumentException("bad load config " + clients + "/" + keySpace + "/" + valueBytes + "/" + maxOps);
            }
        }

        public static Config of(Op op, int clients, Duration duration) {
            return new Config(op, clients, duration, 2_000_000, 1000, 256, Duration.ofSeconds(5), 1000);
        }

        public Config withDuration(Duration d) {
            return new Config(op, clients, d, maxOps, keySpace, valueBytes, opTimeout, maxErrors);
        }

        public Config withMaxOps(long n) {
            return new Config(op, clients, duration, n, keySpace, valueBytes, opTimeout, maxErrors);
        }

        public Config withOp(Op o) {
            return new Config(o, clients, duration, maxOps, keySpace, valueBytes, opTimeout, maxErrors);
        }

        public Config withClients(int c) {
            return new Config(op, c, duration, maxOps, keySpace, valueBytes, opTimeout, maxErrors);
        }
    }

    /** A finished run and, when requests failed, the first failure. */
    public record Outcome(RunResult result, String firstError) {
    }

    private static final GetOption LINEARIZABLE = GetOption.builder().withSerializable(false).build();

    private StoreLoad() {
    }

    /**
     * One jetcd client over every endpoint ({@code host:port} or URLs), requests spread round-robin,
     * jetcd's own retries short (it only retries what was never sent, for puts).
     */
    public static Client connect(List<String> endpoints) {
        List<URI> uris = new ArrayList<>();
        for (String e : endpoints) {
            uris.add(URI.create(e.contains("://") ? e : "http://" + e));
        }
        return Client.builder().endpoints(uris).loadBalancerPolicy("round_robin")
                .retryDelay(20).retryMaxDelay(200).retryMaxAttempts(3)
                .connectTimeout(Duration.ofSeconds(2)).build();
    }

    public static ByteSequence key(long i, int keySpace) {
        return ByteSequence.from(String.format(java.util.Locale.ROOT, "k%07d", i % keySpace), StandardCharsets.UTF_8);
    }

    static ByteSequence value(int bytes) {
        byte[] v = new byte[bytes];
        Random r = new Random(42);
        for (int i = 0; i < bytes; i++) {
            v[i] = (byte) ('a' + r.nextInt(26));
        }
        return ByteSequence.from(v);
    }

    /** Writes every key of the key space once, so that gets find them. */
    public static Outcome prefill(KV kv, Config c) {
        return run(kv, "prefill", c.withOp(Op.PUT).withClients(Math.min(16, c.clients())).withMaxOps(c.keySpace())
                .withDuration(Duration.ofSeconds(60)));
    }

    /** CPU time used so far, in nanoseconds, by the server processes (-1: unknown). */
    @FunctionalInterface
    public interface CpuClock {
        long cpuNanos();

        CpuClock NONE = () -> -1;

        /** The total CPU time of these processes (user + system, all threads) as the OS reports it. */
        static CpuClock ofProcesses(List<Long> pids) {
            return () -> {
                long total = 0;
                for (long pid : pids) {
                    java.util.Optional<Duration> d = ProcessHandle.of(pid).flatMap(h -> h.info().totalCpuDuration());
                    if (d.isEmpty()) {
                        return -1;
                    }
                    total += d.get().toNanos();
                }
                return total;
            };
        }

        static CpuClock self() {
            return () -> ProcessHandle.current().info().totalCpuDuration().map(Duration::toNanos).orElse(-1L);
        }
    }

    public static Outcome run(KV kv, String system, Config c) {
        return run(kv, system, c, CpuClock.NONE);
    }

    /** A short unmeasured run (JIT, connections, RocksDB caches), then the measured one. */
    public static Outcome warmUpAndRun(KV kv, String system, Config c, Duration warmup, CpuClock servers) {
        if (!warmup.isZero() && !warmup.isNegative()) {
            run(kv, system, c.withDuration(warmup));
        }
        return run(kv, system, c, servers);
    }

    /** One measured run; returns when every client has stopped (bounded by duration + 2 op timeouts). */
    public static Outcome run(KV kv, String system, Config c, CpuClock servers) {
        Run r = new Run(kv, c);
        CpuClock client = CpuClock.self();
        long serverCpu0 = servers.cpuNanos();
        long clientCpu0 = client.cpuNanos();
        r.start();
        long waitMs = c.duration().toMillis() + 2 * c.opTimeout().toMillis() + 5000;
        boolean finished;
        try {
            finished = r.done.await(waitMs, TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
        r.stop = true;
        long serverCpu1 = servers.cpuNanos();
        long clientCpu1 = client.cpuNanos();
        long end = finished ? Math.max(r.lastDone.get(), r.start + 1) : System.nanoTime();
        double seconds = (end - r.start) / 1e9;
        Histogram h = r.recorder.getIntervalHistogram();
        long ok = r.ok.get();
        RunResult result = new RunResult(system, c.op().label(), c.clients(),
                RunResult.round(ok / seconds, 1),
                RunResult.round(h.getTotalCount() == 0 ? 0 : h.getValueAtPercentile(50) / 1000.0, 3),
                RunResult.round(h.getTotalCount() == 0 ? 0 : h.getValueAtPercentile(99) / 1000.0, 3),
                ok, r.errors.get(), RunResult.round(seconds, 3),
                perOp(serverCpu0, serverCpu1, ok), perOp(clientCpu0, clientCpu1, ok));
        return new Outcome(result, r.firstError.get());
    }

    private static double perOp(long cpu0, long cpu1, long ops) {
        if (cpu0 < 0 || cpu1 < 0 || ops == 0) {
            return -1;
        }
        return RunResult.round((cpu1 - cpu0) / 1e6 / ops, 3);
    }

    /** The state of one run; each client is a chain of callbacks with one request in flight. */
    private static final class Run {
        final KV kv;
        final Config c;
        final ByteSequence[] keys;
        final ByteSequence value;
        final Recorder recorder = new Recorder(TimeUnit.SECONDS.toMicros(120), 3);
        final AtomicLong issued = new AtomicLong();
        final AtomicLong ok = new AtomicLong();
        final AtomicLong errors = new AtomicLong();
        final AtomicLong lastDone = new AtomicLong();
        final AtomicReference<String> firstError = new AtomicReference<>();
        final CountDownLatch done;
        volatile boolean stop;
        long start;
        long deadline;

        Run(KV kv, Config c) {
            this.kv = kv;
            this.c = c;
            this.keys = new ByteSequence[c.keySpace()];
            for (int i = 0; i < keys.length; i++) {
                keys[i] = key(i, c.keySpace());
            }
            this.value = value(c.valueBytes());
            this.done = new CountDownLatch(c.clients());
        }

        void start() {
            start = System.nanoTime();
            deadline = start + c.duration().toNanos();
            lastDone.set(start);
            for (int i = 0; i < c.clients(); i++) {
                loop();
            }
        }

        /** The number of the next request, or -1 when the run is over. */
        private long admit() {
            if (stop || System.nanoTime() >= deadline || errors.get() >= c.maxErrors()) {
                return -1;
            }
            long n = issued.getAndIncrement();
            return n < c.maxOps() ? n : -1;
        }

        private CompletableFuture<?> issue(long n) {
            CompletableFuture<?> f = c.op() == Op.PUT
                    ? kv.put(keys[(int) (n % keys.length)], value)
                    : kv.get(keys[ThreadLocalRandom.current().nextInt(keys.length)], LINEARIZABLE);
            return f.orTimeout(c.opTimeout().toMillis(), TimeUnit.MILLISECONDS);
        }

        /** Issues requests until the run is over; returns as soon as one is still in flight. */
        void loop() {
            for (long n = admit(); n >= 0; n = admit()) {
                long t0 = System.nanoTime();
                CompletableFuture<?> f;
                try {
                    f = issue(n);
                } catch (RuntimeException e) {
                    f = CompletableFuture.failedFuture(e);
                }
                if (!f.isDone()) {
                    f.whenComplete((r, e) -> {
                        finish(t0, e);
                        loop();
                    });
                    return;
                }
                Throwable e = null;
                try {
                    f.join();
                } catch (RuntimeException x) {
                    e = x;
                }
                finish(t0, e);
            }
            done.countDown();
        }

        private void finish(long t0, Throwable e) {
            long t1 = System.nanoTime();
            lastDone.accumulateAndGet(t1, Math::max);
            if (e == null) {
                ok.incrementAndGet();
                recorder.recordValue(Math.min(TimeUnit.SECONDS.toMicros(120), Math.max(0, (t1 - t0) / 1000)));
            } else {
                errors.incrementAndGet();
                firstError.compareAndSet(null, String.valueOf(e.getCause() != null ? e.getCause() : e));
            }
        }
    }
}
