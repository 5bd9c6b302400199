package io.kuberaft.raftstore.etcd;

import io.etcd.jetcd.api.WatchGrpc;
import io.etcd.jetcd.api.WatchProgressRequest;
import io.etcd.jetcd.api.WatchRequest;
import io.etcd.jetcd.api.WatchResponse;
import io.grpc.Status;
import io.grpc.stub.StreamObserver;
import io.kuberaft.raftstore.WatchableKvStore;

import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * etcd's {@code etcdserverpb.Watch}: one {@link WatchStream} per client stream, all served from
 * this replica's watch hub (ARCHITECTURE.md decision 4), and a ticker that sends idle
 * {@code progress_notify} watches a progress response every interval (etcd: 10 minutes).
 */
final class WatchService extends WatchGrpc.WatchImplBase implements AutoCloseable {
    private final WatchableKvStore store;
    private final ResponseHeaders headers;
    private final Executor sendExecutor;
    private final long maxQueuedBytes;
    private final Set<WatchStream> streams = ConcurrentHashMap.newKeySet();
    private final ScheduledFuture<?> ticker;

    WatchService(WatchableKvStore store, ResponseHeaders headers, Executor sendExecutor,
                 ScheduledExecutorService scheduler, Duration progressInterval, long maxQueuedBytes) {
        this.store = store;
        this.headers = headers;
        this.sendExecutor = sendExecutor;
        this.maxQueuedBytes = maxQueuedBytes;
        long nanos = progressInterval.toNanos();
        this.ticker = scheduler.scheduleAtFixedRate(this::tick, nanos, nanos, TimeUnit.NANOSECONDS);
    }

    @Override
    public StreamObserver<WatchRequest> watch(StreamObserver<WatchResponse> responses) {
        WatchStream s = new WatchStream(store, headers, responses, sendExecutor, maxQueuedBytes, streams::remove);
        streams.add(s);
        return s;
    }

    /** jetcd's proto has a unary Progress call (etcd's has not): the replica's current revision. */
    @Override
    public void progress(WatchProgressRequest request, StreamObserver<WatchResponse> out) {
        out.onNext(WatchResponse.newBuilder().setHeader(headers.current()).setWatchId(WatchStream.STREAM_WIDE).build());
        out.onCompleted();
    }

    private void tick() {
        for (WatchStream s : streams) {
            try {
                s.progressTick();
            } catch (RuntimeException e) {
                // one stream's trouble must not stop the ticker for the others
            }
        }
    }

    int activeStreams() {
        return streams.size();
    }

    int activeWatches() {
        return streams.stream().mapToInt(WatchStream::size).sum();
    }

    /** Ends every stream (their watches canceled) with UNAVAILABLE, so clients reconnect elsewhere. */
    @Override
    public void close() {
        ticker.cancel(false);
        for (WatchStream s : List.copyOf(streams)) {
            s.shutdown(Status.UNAVAILABLE.withDescription("etcdserver: server stopped"));
        }
    }
}
