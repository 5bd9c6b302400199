package io.kuberaft.raftstore.etcd;

import io.etcd.jetcd.api.CompactionRequest;
import io.etcd.jetcd.api.CompactionResponse;
import io.etcd.jetcd.api.DeleteRangeRequest;
import io.etcd.jetcd.api.DeleteRangeResponse;
import io.etcd.jetcd.api.KVGrpc;
import io.etcd.jetcd.api.PutRequest;
import io.etcd.jetcd.api.PutResponse;
import io.etcd.jetcd.api.RangeRequest;
import io.etcd.jetcd.api.RangeResponse;
import io.etcd.jetcd.api.TxnRequest;
import io.etcd.jetcd.api.TxnResponse;
import io.grpc.stub.StreamObserver;
import io.kuberaft.raftstore.KvStore;
import io.kuberaft.raftstore.ReadConsistency;

/** etcd's {@code etcdserverpb.KV} over a {@link KvStore}. */
final class KvService extends KVGrpc.KVImplBase {
    private final KvStore store;
    private final ResponseHeaders headers;

    KvService(KvStore store, ResponseHeaders headers) {
        this.store = store;
        this.headers = headers;
    }

    @Override
    public void range(RangeRequest request, StreamObserver<RangeResponse> out) {
        Calls.unary(out, () -> {
            RequestChecks.range(request);
            ReadConsistency c = request.getSerializable() ? ReadConsistency.SERIALIZABLE : ReadConsistency.LINEARIZABLE;
            return store.range(request, c);
        }, r -> r.toBuilder().setHeader(headers.fill(r.getHeader())).build());
    }

    @Override
    public void put(PutRequest request, StreamObserver<PutResponse> out) {
        Calls.unary(out, () -> {
            RequestChecks.put(request);
            return store.put(request);
        }, r -> r.toBuilder().setHeader(headers.fill(r.getHeader())).build());
    }

    @Override
    public void deleteRange(DeleteRangeRequest request, StreamObserver<DeleteRangeResponse> out) {
        Calls.unary(out, () -> {
            RequestChecks.deleteRange(request);
            return store.deleteRange(request);
        }, r -> r.toBuilder().setHeader(headers.fill(r.getHeader())).build());
    }

    @Override
    public void txn(TxnRequest request, StreamObserver<TxnResponse> out) {
        Calls.unary(out, () -> {
            RequestChecks.txn(request);
            return store.txn(request);
        }, r -> r.toBuilder().setHeader(headers.fill(r.getHeader())).build());
    }

    @Override
    public void compact(CompactionRequest request, StreamObserver<CompactionResponse> out) {
        Calls.unary(out, () -> store.compact(request), r -> r.toBuilder().setHeader(headers.fill(r.getHeader())).build());
    }
}
