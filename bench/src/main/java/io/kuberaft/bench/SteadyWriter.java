package io.kuberaft.bench;

import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.KV;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Steady background writes for availability measurements: {@code inFlight} closed-loop writers,
 * each request bounded by {@code opTimeout}, a failed one retried after a short pause. The whole
 * thing stops by itself after {@code maxRun} or {@code maxOps} requests. It answers one question:
 * when was the first write that was <em>issued after</em> a given instant acknowledged? (A write
 * issued before a leader kill may be acknowledged after it although the old leader committed it.)
 */
public final class SteadyWriter implements AutoCloseable {
    private static final long RETRY_PAUSE_MS = 10;

    private final KV kv;
    private final int inFlight;
    private final Duration opTimeout;
    private final long maxOps;
    private final ByteSequence value = StoreLoad.value(256);
    private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "steady-writer");
        t.setDaemon(true);
        return t;
    });
    private final AtomicLong issued = new AtomicLong();
    private final AtomicLong ok = new AtomicLong();
    private final AtomicLong errors = new AtomicLong();
    private final Object lock = new Object();
    /** The instant being probed and the first acknowledgement of a write issued after it (0: none yet); under {@link #lock}. */
    private long probeSince;
    private long probeAck = -1;
    private final long deadline;
    private volatile boolean stop;

    public SteadyWriter(KV kv, int inFlight, Duration opTimeout, Duration maxRun, long maxOps) {
        this.kv = kv;
        this.inFlight = inFlight;
        this.opTimeout = opTimeout;
        this.maxOps = maxOps;
        this.deadline = System.nanoTime() + maxRun.toNanos();
    }

    public SteadyWriter start() {
        for (int i = 0; i < inFlight; i++) {
            int w = i;
            timer.execute(() -> next(w));
        }
        return this;
    }

    private boolean over() {
        return stop || System.nanoTime() >= deadline || issued.get() >= maxOps;
    }

    private void next(int w) {
        if (over()) {
            return;
        }
        long n = issued.getAndIncrement();
        long t0 = System.nanoTime();
        CompletableFuture<?> f;
        try {
            f = kv.put(StoreLoad.key(n, 1000), value).orTimeout(opTimeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (RuntimeException e) {
            f = CompletableFuture.failedFuture(e);
        }
        f.whenComplete((r, e) -> {
            long t1 = System.nanoTime();
            if (e == null) {
                ok.incrementAndGet();
                synchronized (lock) {
                    if (probeAck == 0 && t0 - probeSince > 0) {
                        probeAck = t1;
                        lock.notifyAll();
                    }
                }
                timer.execute(() -> next(w));
            } else {
                errors.incrementAndGet();
                if (!over()) {
                    timer.schedule(() -> next(w), RETRY_PAUSE_MS, TimeUnit.MILLISECONDS);
                }
            }
        });
    }

    /**
     * Starts watching for the first acknowledgement of a write issued after {@code sinceNanos}
     * ({@link System#nanoTime()}); call it before the fault, with the instant just before it.
     */
    public void probe(long sinceNanos) {
        synchronized (lock) {
            probeSince = sinceNanos;
            probeAck = 0;
        }
    }

    /**
     * Waits (at most {@code timeout}) for the probe to be answered; returns the
     * {@link System#nanoTime()} of that first acknowledgement, or -1.
     */
    public long awaitProbe(Duration timeout) throws InterruptedException {
        long end = System.nanoTime() + timeout.toNanos();
        synchronized (lock) {
            while (probeAck <= 0) {
                long left = end - System.nanoTime();
                if (left <= 0 || over()) {
                    return -1;
                }
                TimeUnit.NANOSECONDS.timedWait(lock, Math.min(left, TimeUnit.MILLISECONDS.toNanos(100)));
            }
            return probeAck;
        }
    }

    public long ok() {
        return ok.get();
    }

    public long errors() {
        return errors.get();
    }

    @Override
    public void close() {
        stop = true;
        timer.shutdown();
        try {
            timer.awaitTermination(opTimeout.toMillis() + 1000, TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        timer.shutdownNow();
    }
}
