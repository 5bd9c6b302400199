package io.kuberaft.raftstore.errors;

/**
 * Every way the store can refuse a request. The messages are etcd's where etcd has one, so that
 * etcdctl and jetcd users see what they know; the mapping to gRPC status codes lives at the edge
 * ({@code io.kuberaft.raftstore.etcd.GrpcErrors}).
 */
public enum ErrorCode {
    /** Malformed request: empty key, bad range, unknown command format. */
    INVALID_ARGUMENT,
    /** Request or value larger than the store accepts (1.5 MiB, like etcd). */
    REQUEST_TOO_LARGE,
    /** A txn puts the same key twice, or puts a key it also deletes. */
    DUPLICATE_KEY,
    TOO_MANY_OPS,
    /** The revision asked for is older than the last compaction. */
    COMPACTED,
    /** The revision asked for is newer than the store's current revision. */
    FUTURE_REVISION,
    /** put with ignore_value / ignore_lease on a key that does not exist. */
    KEY_NOT_FOUND,
    LEASE_NOT_FOUND,
    LEASE_EXISTS,
    /**
     * The command carried a fence term different from the term of the log entry that holds it: it
     * was proposed by a leader that has since been deposed, and nothing of it was applied.
     */
    FENCE_MISMATCH,
    /** No leader is known: the cluster has no quorum or is electing. Retryable. */
    NO_LEADER,
    /** The request did not complete within its deadline; it may or may not have been applied. */
    TIMEOUT,
    /** The replica is stopping or restoring a snapshot. Retryable. */
    UNAVAILABLE,
    /** A real server fault. */
    INTERNAL
}
