package io.kuberaft.raftstore.etcd;

import io.etcd.jetcd.api.ResponseHeader;
import io.kuberaft.raftstore.ClusterView;
import io.kuberaft.raftstore.WatchableKvStore;

/**
 * Fills etcd's response header: cluster and member id and the Raft term from the replica's
 * {@link ClusterView}, the revision from the store's response (the store's current revision when
 * the response carries none).
 */
final class ResponseHeaders {
    private final ClusterView view;
    private final WatchableKvStore store;

    ResponseHeaders(ClusterView view, WatchableKvStore store) {
        this.view = view;
        this.store = store;
    }

    ResponseHeader fill(ResponseHeader fromStore) {
        return at(fromStore.getRevision() != 0 ? fromStore.getRevision() : store.currentRevision());
    }

    ResponseHeader at(long revision) {
        return ResponseHeader.newBuilder()
                .setClusterId(view.clusterId())
                .setMemberId(view.memberId())
                .setRaftTerm(view.term())
                .setRevision(revision)
                .build();
    }

    ResponseHeader current() {
        return at(store.currentRevision());
    }
}
