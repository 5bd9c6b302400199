package io.kuberaft.raftstore.raft;

import com.google.protobuf.ByteString;
import io.etcd.jetcd.api.RangeRequest;
import io.etcd.jetcd.api.RangeResponse;
import org.apache.ratis.proto.RaftProtos.AppendEntriesRequestProto;
import org.apache.ratis.proto.RaftProtos.LogEntryProto;
import org.apache.ratis.util.CodeInjectionForTesting;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;

import static io.kuberaft.raftstore.raft.TestCluster.put;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The chaos membership nemesis (seed 1795421100) left a re-added replica without a leader for good: Ratis
 * shut its division down when its election timer fired before the configuration that adds it had reached
 * it. This replays that race deterministically and checks that the replica recovers by itself.
 */
@Timeout(180)
class JoinerRecoveryTest {
    private static final Duration WAIT = Duration.ofSeconds(30);
    /**
     * Ratis' hook at the start of a division's appendEntries (RaftServerImpl.APPEND_ENTRIES, package-private).
     * Were it renamed, nothing would be held back and the test would fail waiting for the shutdown.
     */
    private static final String APPEND_ENTRIES = "RaftServerImpl.appendEntries";

    @TempDir
    Path dir;

    @AfterEach
    void removeInjection() {
        CodeInjectionForTesting.remove(APPEND_ENTRIES);
    }

    @Test
    void aJoinerShutDownByRatisBeforeItsConfigurationArrivesRecoversAndServes() throws Exception {
        // The members' election timeouts (so the leader's heartbeats every ~1 s) are long, the joiner's short:
        // its timer fires between two heartbeats once the leader treats it as caught up.
        try (TestCluster c = new TestCluster(dir, 3,
                cfg -> cfg.withElectionTimeout(Duration.ofMillis(2000), Duration.ofMillis(3000)))) {
            RaftReplica leader = c.awaitLeader(WAIT);
            for (int i = 0; i < 20; i++) {
                leader.store().put(put("before/" + i, "v" + i)).join();
            }
            String x = c.anyFollower().id();
            Map<String, String> others = new HashMap<>(c.peers);
            others.remove(x);
            // As the nemesis: remove x from the members, kill it, delete its data, start it empty with --join.
            MembershipAdmin.setMembers(others, others);
            long removedAt = leader.clusterView().commitIndex();
            c.stop(x);
            CheckpointSnapshotStorage.deleteTree(dir.resolve(x));
            RaftReplica joiner = RaftReplica.start(c.config(x).joining(true)
                    .withElectionTimeout(Duration.ofMillis(200), Duration.ofMillis(400)));
            c.replicas.put(x, joiner);
            KvStateMachine first = joiner.stateMachine();
            AtomicBoolean shutDownBeforeConf = new AtomicBoolean();
            // Hold back every append that carries the new configuration naming x until Ratis has closed the joiner's
            // first division: heartbeats (on their own gRPC stream) keep arriving meanwhile and start its timer.
            CodeInjectionForTesting.put(APPEND_ENTRIES, (localId, leaderId, args) -> {
                if (x.equals(String.valueOf(localId)) && addsPeer((AppendEntriesRequestProto) args[1], x, removedAt)) {
                    long deadline = System.nanoTime() + WAIT.toNanos();
                    while (first.engine() != null && System.nanoTime() < deadline) {
                        sleep(20);
                    }
                    shutDownBeforeConf.compareAndSet(false, first.engine() == null);
                }
                return true;
            });
            MembershipAdmin.setMembers(others, c.peers);
            TestCluster.await(x + "'s first division is shut down", WAIT, () -> first.engine() == null);

            TestCluster.await(x + " sees a leader again", WAIT, () -> {
                try {
                    return joiner.clusterView().leaderId() != 0;
                } catch (RuntimeException e) {
                    return false; // between the old division and the new one
                }
            });
            joiner.store().put(put("after", "through " + x)).join();
            assertThat(value(joiner, "after")).isEqualTo("through " + x);
            assertThat(value(joiner, "before/19")).isEqualTo("v19");
            assertThat(joiner.clusterView().members()).hasSize(3);
            // etcd_server_leader_changes_seen_total is a counter: the replica's, which the new state machine goes on
            // with (each division learnt of a leader at least once).
            assertThat(joiner.stateMachine()).isNotSameAs(first);
            assertThat(joiner.stateMachine().leaderChanges()).isEqualTo(first.leaderChanges()).isGreaterThanOrEqualTo(2);
            assertThat(shutDownBeforeConf).as("the configuration reached %s only after Ratis shut it down", x).isTrue();
            c.awaitConverged(WAIT);
        }
    }

    /** Whether {@code r} carries a configuration naming {@code id} that is newer than {@code index}. */
    private static boolean addsPeer(AppendEntriesRequestProto r, String id, long index) {
        for (LogEntryProto e : r.getEntriesList()) {
            if (e.getIndex() > index && e.hasConfigurationEntry() && e.getConfigurationEntry().getPeersList().stream()
                    .anyMatch(p -> p.getId().toStringUtf8().equals(id))) {
                return true;
            }
        }
        return false;
    }

    private static String value(RaftReplica r, String key) {
        RangeResponse resp = r.store().range(RangeRequest.newBuilder().setKey(ByteString.copyFromUtf8(key)).build()).join();
        return resp.getKvsCount() == 0 ? null : resp.getKvs(0).getValue().toStringUtf8();
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
