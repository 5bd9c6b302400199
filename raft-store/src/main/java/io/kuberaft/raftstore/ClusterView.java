package io.kuberaft.raftstore;

import java.util.List;

/**
 * What a replica knows of its Raft group, for response headers (etcd's cluster_id, member_id,
 * raft_term), `etcdctl endpoint status`, `member list` and `kuberaft status`.
 */
public interface ClusterView {
    long clusterId();

    /** This replica's etcd-style member id (a stable 64-bit id derived from its Raft peer id). */
    long memberId();

    /** This replica's Raft peer id, e.g. "m1". */
    String replicaId();

    long term();

    /** The leader's member id, 0 when none is known. */
    long leaderId();

    /** LEADER, FOLLOWER, CANDIDATE or LISTENER. */
    String role();

    long commitIndex();

    long appliedIndex();

    List<Member> members();

    /**
     * How many milliseconds ago this replica last heard from each member over Raft, by member name; 0 for itself. A
     * leader knows it of every follower, a follower only of its leader: a member missing from the map is one this
     * replica cannot tell about (componentstatuses, `kubectl get cs`).
     */
    default java.util.Map<String, Long> lastContactMillis() {
        return java.util.Map.of(replicaId(), 0L);
    }

    record Member(long id, String name, String peerUrl, String clientUrl) {
    }

    /** A view for a store that has no Raft group (tests, {@link LocalKvStore}). */
    static ClusterView standalone(String name, java.util.function.LongSupplier appliedIndex) {
        long id = memberIdOf(name);
        return new ClusterView() {
            public long clusterId() { return id; }
            public long memberId() { return id; }
            public String replicaId() { return name; }
            public long term() { return 1; }
            public long leaderId() { return id; }
            public String role() { return "LEADER"; }
            public long commitIndex() { return appliedIndex.getAsLong(); }
            public long appliedIndex() { return appliedIndex.getAsLong(); }
            public List<Member> members() { return List.of(new Member(id, name, "", "")); }
        };
    }

    /** The member id of a Raft peer id: stable across restarts, never 0. */
    static long memberIdOf(String peerId) {
        long h = java.util.UUID.nameUUIDFromBytes(peerId.getBytes(java.nio.charset.StandardCharsets.UTF_8))
                .getMostSignificantBits() & Long.MAX_VALUE;
        return h == 0 ? 1 : h;
    }
}
