package io.kuberaft.raftstore.raft;

/**
 * Leader-only work (controllers, the scheduler, lease expiry, compaction) starts when this replica
 * becomes a ready leader and stops when it steps down. Called off the apply thread.
 */
public interface LeadershipListener {
    /** This replica leads in {@code term} and has applied every entry before its own first one. */
    void onLeaderReady(long term);

    /** This replica is no longer the leader (of any term it announced before). */
    void onNotLeader();
}
