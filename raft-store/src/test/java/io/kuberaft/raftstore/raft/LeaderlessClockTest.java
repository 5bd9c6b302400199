package io.kuberaft.raftstore.raft;

import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

import static org.assertj.core.api.Assertions.assertThat;

class LeaderlessClockTest {
    private final AtomicBoolean leader = new AtomicBoolean(true);
    private final AtomicLong now = new AtomicLong(1_000_000_000L);
    private final LeaderlessClock clock = new LeaderlessClock(leader::get, now::get, Duration.ofSeconds(6));

    private void advance(long ms) {
        now.addAndGet(ms * 1_000_000L);
        clock.sample();
    }

    @Test
    void anElectionWithinThePatienceIsWaitedFor() {
        clock.sample();
        leader.set(false);
        advance(200);
        advance(5_800);
        assertThat(clock.overdue()).as("6 s without a leader: still patient").isZero();
        leader.set(true);
        advance(200);
        leader.set(false);
        advance(5_000);
        assertThat(clock.overdue()).as("the count starts again after a leader was seen").isZero();
    }

    @Test
    void pastThePatienceRequestsAreRefused() {
        leader.set(false);
        advance(0);
        advance(6_500);
        assertThat(clock.overdue()).isEqualTo(Duration.ofMillis(6_500));
        leader.set(true);
        advance(200);
        assertThat(clock.overdue()).isZero();
    }

    @Test
    void aLeaderFoundAtRequestTimeWinsOverAStaleSample() {
        leader.set(false);
        advance(0);
        now.addAndGet(10_000_000_000L); // no sample for 10 s (the sampler's thread was busy)
        leader.set(true);
        assertThat(clock.overdue()).as("the leader is looked up at the request").isZero();
    }

    @Test
    void aReplicaWithoutADivisionHasNoLeader() {
        LeaderlessClock closing = new LeaderlessClock(() -> {
            throw new IllegalStateException("no division");
        }, now::get, Duration.ofSeconds(1));
        closing.sample();
        now.addAndGet(2_000_000_000L);
        assertThat(closing.overdue()).isEqualTo(Duration.ofSeconds(2));
    }
}
