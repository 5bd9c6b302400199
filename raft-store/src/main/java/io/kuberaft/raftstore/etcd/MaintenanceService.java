package io.kuberaft.raftstore.etcd;

import io.etcd.jetcd.api.HashKVRequest;
import io.etcd.jetcd.api.HashKVResponse;
import io.etcd.jetcd.api.MaintenanceGrpc;
import io.etcd.jetcd.api.StatusRequest;
import io.etcd.jetcd.api.StatusResponse;
import io.grpc.stub.StreamObserver;
import io.kuberaft.raftstore.ClusterView;
import io.kuberaft.raftstore.KvStore;
import io.kuberaft.raftstore.ReadConsistency;

/**
 * etcd's {@code etcdserverpb.Maintenance}: {@code Status} ({@code etcdctl endpoint status}) and
 * {@code HashKV} ({@code etcdctl endpoint hashkv}: equal on replicas that applied the same log);
 * alarms, defragment, hash, snapshot and move-leader answer UNIMPLEMENTED.
 */
final class MaintenanceService extends MaintenanceGrpc.MaintenanceImplBase {
    /** The etcd API level this facade speaks, marked as ours (a valid semantic version, for clients that parse it). */
    static final String VERSION = "3.5.0-kuberaft";

    private final KvStore store;
    private final ClusterView view;
    private final ResponseHeaders headers;

    MaintenanceService(KvStore store, ClusterView view, ResponseHeaders headers) {
        this.store = store;
        this.view = view;
        this.headers = headers;
    }

    @Override
    public void hashKV(HashKVRequest request, StreamObserver<HashKVResponse> out) {
        // The digest of this member's whole replicated state (history, leases, revision, compaction
        // point); the requested revision is not honoured: the digest is of the applied state.
        Calls.unary(out, () -> store.statusWithHash(ReadConsistency.SERIALIZABLE).thenApply(s -> HashKVResponse.newBuilder()
                .setHeader(headers.at(s.getRevision()))
                .setHash((int) s.getHash())
                .setCompactRevision(s.getCompactRevision())
                .build()), r -> r);
    }

    @Override
    public void status(StatusRequest request, StreamObserver<StatusResponse> out) {
        // This member's own state, as etcd reports it: no round trip through the leader.
        Calls.unary(out, () -> store.status(ReadConsistency.SERIALIZABLE).thenApply(s -> {
            StatusResponse.Builder r = StatusResponse.newBuilder()
                    .setHeader(headers.at(s.getRevision()))
                    .setVersion(VERSION)
                    .setDbSize(s.getDbSize())
                    .setDbSizeInUse(s.getDbSize())
                    .setLeader(view.leaderId())
                    .setRaftIndex(view.commitIndex())
                    .setRaftTerm(view.term())
                    .setRaftAppliedIndex(view.appliedIndex())
                    .setIsLearner("LISTENER".equals(view.role()));
            if (view.leaderId() == 0) {
                r.addErrors("etcdserver: no leader");
            }
            return r.build();
        }), r -> r);
    }
}
