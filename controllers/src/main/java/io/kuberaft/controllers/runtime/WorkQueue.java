package io.kuberaft.controllers.runtime;

import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.DelayQueue;
import java.util.concurrent.Delayed;
import java.util.concurrent.TimeUnit;

/**
 * client-go's rate-limited work queue: a key is queued at most once however often it is added, a key
 * being processed is not handed to a second worker (added again, it is queued when {@link #done}),
 * and failures are retried with per-key exponential backoff (5 ms doubling to 1000 s, as upstream's
 * default controller rate limiter) until {@link #forget}.
 */
public final class WorkQueue {
    private static final long BASE_DELAY_MS = 5;
    private static final long MAX_DELAY_MS = 1_000_000;

    private final ArrayDeque<String> queue = new ArrayDeque<>();
    private final Set<String> dirty = new HashSet<>();
    private final Set<String> processing = new HashSet<>();
    private final Map<String, Integer> failures = new HashMap<>();
    private final DelayQueue<Delayed> waiting = new DelayQueue<>();
    private final Thread delayer;
    private boolean shutDown;

    public WorkQueue(String name) {
        delayer = new Thread(this::runDelayer, "workqueue-" + name + "-delay");
        delayer.setDaemon(true);
        delayer.start();
    }

    public synchronized void add(String key) {
        if (shutDown || dirty.contains(key)) {
            return;
        }
        dirty.add(key);
        if (!processing.contains(key)) {
            queue.add(key);
            notifyAll();
        }
    }

    /** Adds {@code key} once {@code delayMs} have passed (a requeue-after, e.g. a deadline to check). */
    public void addAfter(String key, long delayMs) {
        if (delayMs <= 0) {
            add(key);
            return;
        }
        waiting.put(new Waiting(key, System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(delayMs)));
    }

    /** Adds {@code key} after its backoff: 5 ms, 10 ms, 20 ms, ... per consecutive failure. */
    public void addRateLimited(String key) {
        int n;
        synchronized (this) {
            n = failures.merge(key, 1, Integer::sum);
        }
        addAfter(key, (long) Math.min(MAX_DELAY_MS, BASE_DELAY_MS * Math.pow(2, Math.min(n - 1, 40))));
    }

    /** The key succeeded: its next failure starts the backoff again. */
    public synchronized void forget(String key) {
        failures.remove(key);
    }

    public synchronized int failures(String key) {
        return failures.getOrDefault(key, 0);
    }

    /** The next key to process, blocking; null once shut down. */
    public synchronized String take() throws InterruptedException {
        while (queue.isEmpty() && !shutDown) {
            wait();
        }
        if (shutDown) {
            return null;
        }
        String key = queue.poll();
        processing.add(key);
        dirty.remove(key);
        return key;
    }

    /** Processing of {@code key} finished; if it was added meanwhile it is queued again. */
    public synchronized void done(String key) {
        processing.remove(key);
        if (dirty.contains(key)) {
            queue.add(key);
            notifyAll();
        }
    }

    public synchronized int length() {
        return queue.size();
    }

    public synchronized void shutDown() {
        shutDown = true;
        notifyAll();
        delayer.interrupt();
    }

    private void runDelayer() {
        try {
            while (true) {
                Waiting w = (Waiting) waiting.take();
                add(w.key);
            }
        } catch (InterruptedException e) {
            // shut down
        }
    }

    private record Waiting(String key, long readyAtNanos) implements Delayed {
        @Override
        public long getDelay(TimeUnit unit) {
            return unit.convert(readyAtNanos - System.nanoTime(), TimeUnit.NANOSECONDS);
        }

        @Override
        public int compareTo(Delayed o) {
            return Long.compare(readyAtNanos, ((Waiting) o).readyAtNanos);
        }
    }
}
