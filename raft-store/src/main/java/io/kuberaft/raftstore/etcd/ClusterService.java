package io.kuberaft.raftstore.etcd;

import io.etcd.jetcd.api.ClusterGrpc;
import io.etcd.jetcd.api.Member;
import io.etcd.jetcd.api.MemberListRequest;
import io.etcd.jetcd.api.MemberListResponse;
import io.grpc.stub.StreamObserver;
import io.kuberaft.raftstore.ClusterView;

/**
 * etcd's {@code etcdserverpb.Cluster}: {@code MemberList} from this replica's view of its Raft group.
 * Membership changes go through kuberaft's own tooling, so add/remove/update/promote answer
 * UNIMPLEMENTED.
 */
final class ClusterService extends ClusterGrpc.ClusterImplBase {
    private final ClusterView view;
    private final ResponseHeaders headers;

    ClusterService(ClusterView view, ResponseHeaders headers) {
        this.view = view;
        this.headers = headers;
    }

    @Override
    public void memberList(MemberListRequest request, StreamObserver<MemberListResponse> out) {
        MemberListResponse.Builder r = MemberListResponse.newBuilder().setHeader(headers.current());
        for (ClusterView.Member m : view.members()) {
            Member.Builder b = Member.newBuilder().setID(m.id()).setName(m.name());
            if (m.peerUrl() != null && !m.peerUrl().isEmpty()) {
                b.addPeerURLs(m.peerUrl());
            }
            if (m.clientUrl() != null && !m.clientUrl().isEmpty()) {
                b.addClientURLs(m.clientUrl());
            }
            r.addMembers(b);
        }
        out.onNext(r.build());
        out.onCompleted();
    }
}
