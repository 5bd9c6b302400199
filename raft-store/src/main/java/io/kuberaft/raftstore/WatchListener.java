package io.kuberaft.raftstore;

import io.etcd.jetcd.api.Event;

import java.util.List;

/**
 * Receives a watch's events. Called on the replica's apply thread (or the registering thread for
 * history): implementations must not block; buffer and hand off instead.
 */
public interface WatchListener {
    /** Events of one revision, in the order they were applied. */
    void onEvents(long revision, List<Event> events);

    /** A progress notification: every event up to {@code revision} has been delivered. */
    default void onProgress(long revision) {
    }

    /** The watch ended: compacted start revision, replica stopping or restoring a snapshot. */
    void onCanceled(long compactRevision, String reason);
}
