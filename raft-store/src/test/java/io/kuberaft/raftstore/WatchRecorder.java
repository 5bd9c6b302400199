package io.kuberaft.raftstore;

import io.etcd.jetcd.api.Event;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Predicate;

/** Records a watch's callbacks; tests wait on it with a deadline instead of sleeping. */
final class WatchRecorder implements WatchListener {
    record Batch(long revision, List<Event> events) {
    }

    private final List<Batch> batches = new ArrayList<>();
    private long canceledCompactRevision = -1;
    private String cancelReason;

    @Override
    public synchronized void onEvents(long revision, List<Event> events) {
        batches.add(new Batch(revision, List.copyOf(events)));
        notifyAll();
    }

    @Override
    public synchronized void onCanceled(long compactRevision, String reason) {
        canceledCompactRevision = compactRevision;
        cancelReason = reason;
        notifyAll();
    }

    synchronized List<Batch> batches() {
        return List.copyOf(batches);
    }

    synchronized List<Event> events() {
        return batches.stream().flatMap(b -> b.events().stream()).toList();
    }

    synchronized List<Long> revisions() {
        return batches.stream().map(Batch::revision).toList();
    }

    synchronized boolean canceled() {
        return cancelReason != null;
    }

    synchronized long canceledCompactRevision() {
        return canceledCompactRevision;
    }

    synchronized String cancelReason() {
        return cancelReason;
    }

    /** Waits until at least {@code n} events arrived; returns all events. */
    List<Event> awaitEvents(int n) {
        await(r -> r.events().size() >= n, "at least " + n + " events");
        return events();
    }

    /** Waits until an event of {@code revision} (or a later one) arrived. */
    void awaitRevision(long revision) {
        await(r -> !r.batches.isEmpty() && r.batches.get(r.batches.size() - 1).revision() >= revision,
                "events up to revision " + revision);
    }

    void awaitCanceled() {
        await(WatchRecorder::canceled, "the watch to be canceled");
    }

    private synchronized void await(Predicate<WatchRecorder> condition, String what) {
        long deadline = System.nanoTime() + Kv.TIMEOUT_SECONDS * 1_000_000_000L;
        while (!condition.test(this)) {
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                throw new AssertionError("timed out waiting for " + what + "; got " + batches
                        + (cancelReason == null ? "" : ", canceled: " + cancelReason));
            }
            try {
                wait(Math.max(1, left / 1_000_000L));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError(e);
            }
        }
    }
}
