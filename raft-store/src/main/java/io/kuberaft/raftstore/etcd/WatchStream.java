package io.kuberaft.raftstore.etcd;

import com.google.protobuf.ByteString;
import io.etcd.jetcd.api.Event;
import io.etcd.jetcd.api.WatchCreateRequest;
import io.etcd.jetcd.api.WatchRequest;
import io.etcd.jetcd.api.WatchResponse;
import io.grpc.Status;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import io.kuberaft.raftstore.Watch;
import io.kuberaft.raftstore.WatchListener;
import io.kuberaft.raftstore.WatchableKvStore;

import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;

/**
 * One client's {@code Watch} stream, as etcd's {@code serverWatchStream}: creates and cancels the
 * watches the client asks for (ids are per stream, from 0), answers progress requests, and turns
 * the store's callbacks into responses. The callbacks come on the store's apply thread, so they only
 * queue on the {@link OutboundStream}; when the stream ends, every watch it holds is canceled.
 */
final class WatchStream implements StreamObserver<WatchRequest> {
    /** etcd's InvalidWatchID: responses about the stream rather than one watch. */
    static final long STREAM_WIDE = -1;
    private static final ByteString FROM_KEY = ByteString.copyFrom(new byte[] {0});

    private final WatchableKvStore store;
    private final ResponseHeaders headers;
    private final OutboundStream<WatchResponse> out;
    private final Consumer<WatchStream> onRelease;
    private final Map<Long, StreamWatch> watches = new ConcurrentHashMap<>();
    private final AtomicLong nextId = new AtomicLong();
    private final AtomicBoolean released = new AtomicBoolean();

    WatchStream(WatchableKvStore store, ResponseHeaders headers, StreamObserver<WatchResponse> responses,
                Executor sendExecutor, long maxQueuedBytes, Consumer<WatchStream> onRelease) {
        this.store = store;
        this.headers = headers;
        this.onRelease = onRelease;
        this.out = new OutboundStream<>(responses, sendExecutor, maxQueuedBytes, this::release);
        ((ServerCallStreamObserver<WatchResponse>) responses).setOnCancelHandler(() -> {
            out.abandon();
            release();
        });
    }

    // ---- requests from the client (gRPC calls these one at a time) ----

    @Override
    public void onNext(WatchRequest request) {
        if (released.get()) {
            return;
        }
        switch (request.getRequestUnionCase()) {
            case CREATE_REQUEST -> create(request.getCreateRequest());
            case CANCEL_REQUEST -> cancel(request.getCancelRequest().getWatchId());
            case PROGRESS_REQUEST -> progress();
            case REQUESTUNION_NOT_SET -> {
                // etcd ignores requests it does not know (newer clients may send more kinds)
            }
        }
    }

    @Override
    public void onError(Throwable t) {
        out.abandon();
        release();
    }

    /** The client half-closed: like etcd, end the stream (after what is queued) and its watches. */
    @Override
    public void onCompleted() {
        release();
        out.complete();
    }

    private void create(WatchCreateRequest req) {
        ByteString end = req.getRangeEnd();
        if (!end.isEmpty() && !end.equals(FROM_KEY) && ByteString.unsignedLexicographicalComparator().compare(req.getKey(), end) >= 0) {
            out.send(WatchResponse.newBuilder().setHeader(headers.current()).setWatchId(STREAM_WIDE)
                    .setCreated(true).setCanceled(true).setCancelReason("mvcc: watcher range is empty").build());
            return;
        }
        // As etcd: "now" is the revision the created response reports, and the watch starts right
        // after it, so nothing applied between this reply and the registration is missed.
        long now = store.currentRevision();
        WatchCreateRequest effective = req.getStartRevision() > 0 ? req : req.toBuilder().setStartRevision(now + 1).build();
        long id = nextId.getAndIncrement();
        StreamWatch sw = new StreamWatch(id, effective);
        watches.put(id, sw);
        // Queued before the store can call back (history is replayed inside watch()), so it comes first.
        out.send(WatchResponse.newBuilder().setHeader(headers.at(now)).setWatchId(id).setCreated(true).build());
        Watch w;
        try {
            w = store.watch(effective, sw);
        } catch (RuntimeException e) {
            sw.onCanceled(0, GrpcErrors.toStatus(e).getStatus().getDescription());
            return;
        }
        sw.attach(w);
        if (released.get()) {
            sw.stop();
        }
    }

    private void cancel(long id) {
        StreamWatch sw = watches.get(id);
        // etcd answers only the cancel of a watch that exists
        if (sw != null && sw.stop()) {
            out.send(WatchResponse.newBuilder().setHeader(headers.current()).setWatchId(id).setCanceled(true).build());
        }
    }

    /**
     * etcd 3.4's progress request: one stream-wide response whose revision promises that every event
     * up to it has been sent. Asked of one of the stream's watches, so the store orders it after the
     * events it has already handed over.
     */
    private void progress() {
        for (StreamWatch sw : watches.values()) {
            if (sw.requestStreamProgress()) {
                return;
            }
        }
        out.send(progressResponse(STREAM_WIDE, store.currentRevision()));
    }

    /** Called by the service's ticker every progress interval. */
    void progressTick() {
        for (StreamWatch sw : watches.values()) {
            sw.progressTick();
        }
    }

    /** Ends the stream from the server side (shutdown). */
    void shutdown(Status status) {
        release();
        out.fail(status);
    }

    private void release() {
        if (released.compareAndSet(false, true)) {
            for (StreamWatch sw : List.copyOf(watches.values())) {
                sw.stop();
            }
            onRelease.accept(this);
        }
    }

    int size() {
        return watches.size();
    }

    private WatchResponse progressResponse(long watchId, long revision) {
        return WatchResponse.newBuilder().setHeader(headers.at(revision)).setWatchId(watchId).build();
    }

    /** One watch of this stream; the store's listener for it. */
    private final class StreamWatch implements WatchListener {
        private final long id;
        private final long startRevision;
        private final boolean progressNotify;
        private final AtomicInteger streamProgressRequests = new AtomicInteger();
        private volatile boolean sentSinceTick;
        private Watch watch; // guarded by this
        private boolean ended; // guarded by this

        StreamWatch(long id, WatchCreateRequest req) {
            this.id = id;
            this.startRevision = req.getStartRevision();
            this.progressNotify = req.getProgressNotify();
        }

        void attach(Watch w) {
            boolean cancelNow;
            synchronized (this) {
                cancelNow = ended;
                if (!ended) {
                    watch = w;
                }
            }
            if (cancelNow) {
                w.cancel();
            }
        }

        /** Stops the watch without a reply; false if it had already ended. */
        boolean stop() {
            Watch w;
            synchronized (this) {
                if (ended) {
                    return false;
                }
                ended = true;
                w = watch;
                watch = null;
            }
            watches.remove(id);
            if (w != null) {
                w.cancel();
            }
            return true;
        }

        private synchronized Watch live() {
            return ended ? null : watch;
        }

        boolean requestStreamProgress() {
            Watch w = live();
            if (w == null) {
                return false;
            }
            streamProgressRequests.incrementAndGet();
            w.requestProgress();
            return true;
        }

        void progressTick() {
            if (!progressNotify) {
                return;
            }
            if (sentSinceTick) {
                sentSinceTick = false;
                return;
            }
            Watch w = live();
            if (w != null) {
                w.requestProgress();
            }
        }

        @Override
        public synchronized void onEvents(long revision, List<Event> events) {
            // The store may hand over revisions before a future start revision: etcd sends none of them.
            if (ended || revision < startRevision) {
                return;
            }
            sentSinceTick = true;
            out.send(WatchResponse.newBuilder().setHeader(headers.at(revision)).setWatchId(id).addAllEvents(events).build());
        }

        @Override
        public synchronized void onProgress(long revision) {
            if (ended) {
                return;
            }
            boolean forStream = streamProgressRequests.getAndUpdate(n -> n > 0 ? n - 1 : 0) > 0;
            out.send(progressResponse(forStream ? STREAM_WIDE : id, revision));
        }

        @Override
        public void onCanceled(long compactRevision, String reason) {
            synchronized (this) {
                if (ended) {
                    return;
                }
                ended = true;
                watch = null;
                WatchResponse.Builder r = WatchResponse.newBuilder().setHeader(headers.current()).setWatchId(id)
                        .setCanceled(true).setCompactRevision(compactRevision);
                if (reason != null) {
                    r.setCancelReason(reason);
                }
                out.send(r.build());
            }
            watches.remove(id);
        }
    }
}
