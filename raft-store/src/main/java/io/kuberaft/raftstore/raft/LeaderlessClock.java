package io.kuberaft.raftstore.raft;

import java.time.Duration;
import java.util.function.BooleanSupplier;
import java.util.function.LongSupplier;

/**
 * How long this replica has known no Raft leader, sampled by the replica's scheduler. A request that arrives after the
 * replica has been leaderless for {@link #patience} is refused at once ({@code etcdserver: no leader}) instead of waiting
 * out the request timeout: nothing is proposed, so the client may resend it, and kubectl (which retries a 503 with
 * Retry-After ten times) reports a cluster without quorum in seconds rather than a minute. A leader change within the
 * patience (an ordinary election) is waited for as before.
 */
final class LeaderlessClock {
    private final BooleanSupplier hasLeader;
    private final LongSupplier nanoTime;
    private final Duration patience;
    /** When the replica was first seen without a leader (nanoTime); 0 while it has one. */
    private volatile long since;

    LeaderlessClock(BooleanSupplier hasLeader, LongSupplier nanoTime, Duration patience) {
        this.hasLeader = hasLeader;
        this.nanoTime = nanoTime;
        this.patience = patience;
    }

    /** One sample (every few hundred milliseconds, and at every request); true when the replica knows a leader. */
    boolean sample() {
        boolean leader;
        try {
            leader = hasLeader.getAsBoolean();
        } catch (RuntimeException e) {
            leader = false; // no division (closing, rejoining): no leader either
        }
        if (leader) {
            since = 0;
        } else if (since == 0) {
            since = Math.max(1, nanoTime.getAsLong());
        }
        return leader;
    }

    /**
     * How long the replica has been leaderless beyond its patience; zero when it has a leader or is still patient. The
     * leader is looked up now, not taken from the last background sample: a sampler held up (its scheduler busy during a
     * failover) must never make a replica refuse requests while it has a leader.
     */
    Duration overdue() {
        if (sample()) {
            return Duration.ZERO;
        }
        long s = since;
        if (s == 0) {
            return Duration.ZERO;
        }
        Duration without = Duration.ofNanos(nanoTime.getAsLong() - s);
        return without.compareTo(patience) > 0 ? without : Duration.ZERO;
    }
}
