package io.kuberaft.raftstore.etcd;

import io.etcd.jetcd.api.LeaseGrantRequest;
import io.etcd.jetcd.api.LeaseGrantResponse;
import io.etcd.jetcd.api.LeaseGrpc;
import io.etcd.jetcd.api.LeaseKeepAliveRequest;
import io.etcd.jetcd.api.LeaseKeepAliveResponse;
import io.etcd.jetcd.api.LeaseRevokeRequest;
import io.etcd.jetcd.api.LeaseRevokeResponse;
import io.etcd.jetcd.api.LeaseTimeToLiveRequest;
import io.etcd.jetcd.api.LeaseTimeToLiveResponse;
import io.grpc.Status;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import io.kuberaft.raftstore.KvStore;

import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * etcd's {@code etcdserverpb.Lease}. etcd's {@code LeaseLeases} call is missing from jetcd's proto
 * (the service definitions this facade is generated from), so it is not served.
 */
final class LeaseService extends LeaseGrpc.LeaseImplBase implements AutoCloseable {
    /** A keep-alive stream carries tiny messages; this only bounds a client that never reads. */
    private static final long MAX_QUEUED_BYTES = 1 << 20;

    private final KvStore store;
    private final ResponseHeaders headers;
    private final Executor sendExecutor;
    private final Set<KeepAliveStream> streams = ConcurrentHashMap.newKeySet();

    LeaseService(KvStore store, ResponseHeaders headers, Executor sendExecutor) {
        this.store = store;
        this.headers = headers;
        this.sendExecutor = sendExecutor;
    }

    @Override
    public void leaseGrant(LeaseGrantRequest request, StreamObserver<LeaseGrantResponse> out) {
        Calls.unary(out, () -> store.leaseGrant(request), r -> r.toBuilder().setHeader(headers.fill(r.getHeader())).build());
    }

    @Override
    public void leaseRevoke(LeaseRevokeRequest request, StreamObserver<LeaseRevokeResponse> out) {
        Calls.unary(out, () -> store.leaseRevoke(request.getID()), r -> r.toBuilder().setHeader(headers.fill(r.getHeader())).build());
    }

    @Override
    public void leaseTimeToLive(LeaseTimeToLiveRequest request, StreamObserver<LeaseTimeToLiveResponse> out) {
        Calls.unary(out, () -> store.leaseTimeToLive(request), r -> r.toBuilder().setHeader(headers.fill(r.getHeader())).build());
    }

    @Override
    public StreamObserver<LeaseKeepAliveRequest> leaseKeepAlive(StreamObserver<LeaseKeepAliveResponse> responses) {
        KeepAliveStream s = new KeepAliveStream(responses);
        streams.add(s);
        return s;
    }

    @Override
    public void close() {
        for (KeepAliveStream s : List.copyOf(streams)) {
            s.out.fail(Status.UNAVAILABLE.withDescription("etcdserver: server stopped"));
            streams.remove(s);
        }
    }

    /**
     * Each request renews its lease and is answered with the lease's ID and new TTL (TTL 0 for a lease
     * that does not exist, as etcd). Renewals run concurrently; answers go out as they complete.
     */
    private final class KeepAliveStream implements StreamObserver<LeaseKeepAliveRequest> {
        private final OutboundStream<LeaseKeepAliveResponse> out;
        private final AtomicInteger inFlight = new AtomicInteger();
        private final AtomicBoolean halfClosed = new AtomicBoolean();

        KeepAliveStream(StreamObserver<LeaseKeepAliveResponse> responses) {
            this.out = new OutboundStream<>(responses, sendExecutor, MAX_QUEUED_BYTES, () -> streams.remove(this));
            ((ServerCallStreamObserver<LeaseKeepAliveResponse>) responses).setOnCancelHandler(() -> {
                out.abandon();
                streams.remove(this);
            });
        }

        @Override
        public void onNext(LeaseKeepAliveRequest request) {
            inFlight.incrementAndGet();
            Calls.unary(new StreamObserver<LeaseKeepAliveResponse>() {
                @Override
                public void onNext(LeaseKeepAliveResponse r) {
                    out.send(r);
                }

                @Override
                public void onError(Throwable t) {
                    // etcd ends the stream on any renewal error other than an unknown lease
                    out.fail(Status.fromThrowable(t));
                    streams.remove(KeepAliveStream.this);
                }

                @Override
                public void onCompleted() {
                    if (inFlight.decrementAndGet() == 0 && halfClosed.get()) {
                        finish();
                    }
                }
            }, () -> store.leaseKeepAlive(request.getID()), r -> r.toBuilder().setHeader(headers.fill(r.getHeader())).build());
        }

        @Override
        public void onError(Throwable t) {
            out.abandon();
            streams.remove(this);
        }

        @Override
        public void onCompleted() {
            halfClosed.set(true);
            if (inFlight.get() == 0) {
                finish();
            }
        }

        private void finish() {
            out.complete();
            streams.remove(this);
        }
    }
}
