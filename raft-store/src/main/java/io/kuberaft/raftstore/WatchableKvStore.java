package io.kuberaft.raftstore;

import io.etcd.jetcd.api.WatchCreateRequest;

/** A {@link KvStore} whose changes can be watched on this replica (ARCHITECTURE.md decision 4). */
public interface WatchableKvStore extends KvStore {
    /**
     * Starts a watch of a key or range from {@code request.start_revision} (0 = from now). Events
     * older than the last compaction cannot be replayed: the listener is then canceled with the
     * compact revision.
     */
    Watch watch(WatchCreateRequest request, WatchListener listener);

    /** The revision this replica has applied and published to watchers. */
    long currentRevision();
}
