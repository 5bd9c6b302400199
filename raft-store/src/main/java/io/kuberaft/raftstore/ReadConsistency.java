package io.kuberaft.raftstore;

/** How fresh a read must be. */
public enum ReadConsistency {
    /** Raft ReadIndex: the read reflects every write acknowledged before it started (the default). */
    LINEARIZABLE,
    /** The local replica's applied state, possibly behind the leader (etcd's serializable read). */
    SERIALIZABLE
}
