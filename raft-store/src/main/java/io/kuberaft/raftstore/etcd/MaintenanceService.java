package io.kuberaft.raftstore.etcd;

import io.etcd.jetcd.api.MaintenanceGrpc;
import io.etcd.jetcd.api.StatusRequest;
import io.etcd.jetcd.api.StatusResponse;
import io.grpc.stub.StreamObserver;
import io.kuberaft.raftstore.ClusterView;
import io.kuberaft.raftstore.KvStore;
import io.kuberaft.raftstore.ReadConsistency;

/**
 * etcd's {@code etcdserverpb.Maintenance}: only {@code Status} ({@code etcdctl endpoint status});
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
