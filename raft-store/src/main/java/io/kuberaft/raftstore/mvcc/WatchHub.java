package io.kuberaft.raftstore.mvcc;

import io.etcd.jetcd.api.Event;
import io.etcd.jetcd.api.WatchCreateRequest;
import io.kuberaft.raftstore.Watch;
import io.kuberaft.raftstore.WatchListener;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * This replica's watchers, fed by its own apply loop (ARCHITECTURE.md decision 4): a watcher never
 * sees an event its replica has not applied, sees events in revision order, and can start at any
 * revision still in the history. Registration replays the history under the same lock the apply loop
 * publishes under, so no event falls between replay and live delivery.
 */
public final class WatchHub {
    private final MvccStore store;
    private final Object lock = new Object();
    private final Map<Long, Watcher> watchers = new ConcurrentHashMap<>();
    private final AtomicLong ids = new AtomicLong();
    private final AtomicInteger prevKvWatchers = new AtomicInteger();
    private long publishedRevision;

    WatchHub(MvccStore store, long revision) {
        this.store = store;
        this.publishedRevision = revision;
    }

    private final class Watcher implements Watch {
        final long id = ids.incrementAndGet();
        final KeyRange range;
        final boolean noPut;
        final boolean noDelete;
        final boolean prevKv;
        /** etcd: a watch from a future revision gets no event older than that revision. */
        final long startRevision;
        final WatchListener listener;

        Watcher(WatchCreateRequest req, WatchListener listener) {
            this.range = KeyRange.of(req.getKey(), req.getRangeEnd());
            this.noPut = req.getFiltersList().contains(WatchCreateRequest.FilterType.NOPUT);
            this.noDelete = req.getFiltersList().contains(WatchCreateRequest.FilterType.NODELETE);
            this.prevKv = req.getPrevKv();
            this.startRevision = req.getStartRevision();
            this.listener = listener;
        }

        void deliver(long revision, List<Event> events) {
            if (revision < startRevision) {
                return;
            }
            List<Event> mine = null;
            for (Event e : events) {
                if (!range.contains(e.getKv().getKey())) {
                    continue;
                }
                if (e.getType() == Event.EventType.PUT ? noPut : noDelete) {
                    continue;
                }
                if (mine == null) {
                    mine = new ArrayList<>(2);
                }
                mine.add(prevKv || !e.hasPrevKv() ? e : e.toBuilder().clearPrevKv().build());
            }
            if (mine != null) {
                listener.onEvents(revision, mine);
            }
        }

        @Override
        public long id() {
            return id;
        }

        @Override
        public void cancel() {
            if (watchers.remove(id) != null && prevKv) {
                prevKvWatchers.decrementAndGet();
            }
        }

        @Override
        public void requestProgress() {
            // Told under the lock the apply loop delivers events under: told after it, a revision published in
            // between reached the listener first and the progress went backwards (a bookmark below an event).
            synchronized (lock) {
                listener.onProgress(publishedRevision);
            }
        }
    }

    public Watch register(WatchCreateRequest req, WatchListener listener) {
        Watcher w = new Watcher(req, listener);
        synchronized (lock) {
            long start = req.getStartRevision();
            long compacted = store.compactedRevision();
            if (start > 0 && start < compacted) {
                listener.onCanceled(compacted, "etcdserver: mvcc: required revision has been compacted");
                return w;
            }
            if (start > 0 && start <= publishedRevision) {
                store.history(start, publishedRevision, w.prevKv, w::deliver);
            }
            watchers.put(w.id, w);
            if (w.prevKv) {
                prevKvWatchers.incrementAndGet();
            }
        }
        return w;
    }

    boolean wantsPrevKv() {
        return prevKvWatchers.get() > 0;
    }

    /** Called by the apply loop after the revision's batch is durable in RocksDB. */
    void publish(long revision, List<Event> events) {
        synchronized (lock) {
            publishedRevision = revision;
            if (events.isEmpty()) {
                return;
            }
            for (Watcher w : watchers.values()) {
                try {
                    w.deliver(revision, events);
                } catch (RuntimeException e) {
                    // A misbehaving listener loses its watch, never the replica's apply loop.
                    w.cancel();
                    w.listener.onCanceled(0, "watch listener failed: " + e);
                }
            }
        }
    }

    long publishedRevision() {
        synchronized (lock) {
            return publishedRevision;
        }
    }

    /** Ends every watch, e.g. when the replica replaces its state with a snapshot. */
    void cancelAll(String reason, long newRevision) {
        synchronized (lock) {
            for (Watcher w : List.copyOf(watchers.values())) {
                w.cancel();
                w.listener.onCanceled(0, reason);
            }
            publishedRevision = newRevision;
        }
    }

    public int size() {
        return watchers.size();
    }
}
