package io.kuberaft.raftstore.raft;

import com.google.protobuf.ByteString;
import io.etcd.jetcd.api.Event;
import io.etcd.jetcd.api.RangeRequest;
import io.etcd.jetcd.api.RangeResponse;
import io.etcd.jetcd.api.WatchCreateRequest;
import io.kuberaft.raftstore.WatchListener;
import io.kuberaft.raftstore.errors.ErrorCode;
import io.kuberaft.raftstore.errors.StoreException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

import static io.kuberaft.raftstore.raft.TestCluster.put;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Three real Ratis replicas with RocksDB in one JVM: replication, failover, catch-up, fencing. */
@Timeout(180)
class RaftClusterTest {
    private static final Duration LEADER_WAIT = Duration.ofSeconds(20);

    @TempDir
    Path dir;

    private static RangeResponse get(RaftReplica r, String key) {
        return r.store().range(RangeRequest.newBuilder().setKey(ByteString.copyFromUtf8(key)).build()).join();
    }

    private static String value(RaftReplica r, String key) {
        RangeResponse resp = get(r, key);
        return resp.getKvsCount() == 0 ? null : resp.getKvs(0).getValue().toStringUtf8();
    }

    @Test
    void writesThroughAnyReplicaAreReadLinearizablyOnEveryReplica() throws Exception {
        try (TestCluster c = new TestCluster(dir, 3, cfg -> cfg)) {
            c.awaitLeader(LEADER_WAIT);
            RaftReplica follower = c.anyFollower();
            for (int i = 0; i < 50; i++) {
                follower.store().put(put("k" + i, "v" + i)).join();
            }
            for (RaftReplica r : c.replicas.values()) {
                // Linearizable: a read that starts after the write was acknowledged sees it on every replica.
                assertThat(value(r, "k49")).isEqualTo("v49");
                RangeResponse all = r.store().range(RangeRequest.newBuilder()
                        .setKey(ByteString.copyFromUtf8("k")).setRangeEnd(ByteString.copyFromUtf8("l")).build()).join();
                assertThat(all.getCount()).isEqualTo(50);
            }
            c.awaitConverged(Duration.ofSeconds(10));
        }
    }

    @Test
    void concurrentWritesShareLogEntriesAndEachIsAppliedOnceOnEveryReplica() throws Exception {
        try (TestCluster c = new TestCluster(dir, 3, cfg -> cfg)) {
            RaftReplica leader = c.awaitLeader(LEADER_WAIT);
            RaftReplica follower = c.anyFollower();
            long indexBefore = leader.engine().mvcc().appliedIndex();
            long revBefore = leader.engine().mvcc().currentRevision();
            List<CompletableFuture<?>> writes = new ArrayList<>();
            for (int i = 0; i < 400; i++) {
                RaftReplica via = i % 2 == 0 ? leader : follower;
                writes.add(via.store().put(put("batched" + i, "v" + i)));
            }
            CompletableFuture.allOf(writes.toArray(CompletableFuture[]::new)).get();
            c.awaitConverged(Duration.ofSeconds(10));
            long entries = leader.engine().mvcc().appliedIndex() - indexBefore;
            assertThat(entries).as("400 writes proposed at once travel in fewer log entries").isLessThan(200);
            for (RaftReplica r : c.replicas.values()) {
                assertThat(r.engine().mvcc().currentRevision()).as("one revision per write on %s", r.id()).isEqualTo(revBefore + 400);
                RangeResponse all = r.store().range(RangeRequest.newBuilder()
                        .setKey(ByteString.copyFromUtf8("batched")).setRangeEnd(ByteString.copyFromUtf8("batchee")).build()).join();
                assertThat(all.getCount()).isEqualTo(400);
                assertThat(all.getKvsList()).allMatch(kv -> kv.getVersion() == 1);
            }
        }
    }

    @Test
    void theLeaderKnowsWhenItLastHeardFromEachFollowerAndAFollowerAsksItsLeader() throws Exception {
        try (TestCluster c = new TestCluster(dir, 3, cfg -> cfg)) {
            RaftReplica leader = c.awaitLeader(LEADER_WAIT);
            RaftReplica follower = c.anyFollower();
            RaftReplica other = c.replicas.values().stream().filter(r -> r != leader && r != follower).findFirst().orElseThrow();
            follower.store().put(put("k", "v")).join();
            TestCluster.await("the leader hears from both followers", Duration.ofSeconds(10),
                    () -> leader.clusterView().lastContactMillis().size() == 3);
            assertThat(leader.clusterView().lastContactMillis()).containsEntry(leader.id(), 0L)
                    .allSatisfy((name, ms) -> assertThat(ms).isLessThan(2_000));
            assertThat(follower.clusterView().lastContactMillis()).as("the other follower, from the leader's view")
                    .containsOnlyKeys(follower.id(), leader.id(), other.id()).allSatisfy((name, ms) -> assertThat(ms).isLessThan(2_000));
            c.stop(other.id());
            TestCluster.await("the stopped follower goes quiet, on the leader and on the other follower", Duration.ofSeconds(20),
                    () -> leader.clusterView().lastContactMillis().getOrDefault(other.id(), 0L) > 3_000
                            && follower.clusterView().lastContactMillis().getOrDefault(other.id(), 0L) > 3_000);
        }
    }

    @Test
    void leaderLossElectsANewLeaderAndLosesNoAcknowledgedWrite() throws Exception {
        try (TestCluster c = new TestCluster(dir, 3, cfg -> cfg)) {
            RaftReplica leader = c.awaitLeader(LEADER_WAIT);
            Map<String, String> acked = new ConcurrentHashMap<>();
            AtomicBoolean stop = new AtomicBoolean();
            List<RaftReplica> writers = new ArrayList<>(c.replicas.values());
            writers.remove(leader);
            AtomicLong failures = new AtomicLong();
            // Two bounded writers through the replicas that survive; each write is recorded only when acknowledged.
            List<CompletableFuture<Void>> loops = new ArrayList<>();
            for (int w = 0; w < 2; w++) {
                RaftReplica via = writers.get(w);
                int writer = w;
                loops.add(CompletableFuture.runAsync(() -> {
                    for (int i = 0; i < 2000 && !stop.get(); i++) {
                        String k = "w" + writer + "-" + i;
                        try {
                            via.store().put(put(k, "v" + i)).join();
                            acked.put(k, "v" + i);
                        } catch (RuntimeException e) {
                            failures.incrementAndGet();
                        }
                    }
                }));
            }
            TestCluster.await("some writes before the kill", Duration.ofSeconds(20), () -> acked.size() >= 100);
            long termBefore = leader.clusterView().term();
            c.stop(leader.id());
            long killedAt = System.nanoTime();
            int ackedAtKill = acked.size();
            RaftReplica newLeader = c.awaitLeader(LEADER_WAIT);
            TestCluster.await("writes resume after the kill", Duration.ofSeconds(10), () -> acked.size() > ackedAtKill + 50);
            long resumedMs = (System.nanoTime() - killedAt) / 1_000_000;
            stop.set(true);
            CompletableFuture.allOf(loops.toArray(CompletableFuture[]::new)).join();
            assertThat(newLeader.clusterView().term()).isGreaterThan(termBefore);
            assertThat(resumedMs).as("writes resumed %d ms after the leader was killed", resumedMs).isLessThan(10_000);
            for (RaftReplica r : c.replicas.values()) {
                for (Map.Entry<String, String> e : acked.entrySet()) {
                    assertThat(value(r, e.getKey())).as("acknowledged %s on %s", e.getKey(), r.id()).isEqualTo(e.getValue());
                }
            }
            // The killed replica restarts from its own data and converges.
            c.start(leader.id());
            long h = c.awaitConverged(Duration.ofSeconds(30));
            assertThat(h).isNotZero();
        }
    }

    @Test
    void everyReplicasClientFollowsANewLeaderBeforeItsNextRequest() throws Exception {
        try (TestCluster c = new TestCluster(dir, 3, cfg -> cfg)) {
            RaftReplica leader = c.awaitLeader(LEADER_WAIT);
            for (RaftReplica r : c.replicas.values()) {
                r.store().put(put("before-" + r.id(), "v")).join();
            }
            String next = c.replicas.keySet().stream().filter(id -> !id.equals(leader.id())).findFirst().orElseThrow();
            leader.transferLeadership(next, 10_000);
            TestCluster.await(next + " leads", LEADER_WAIT, () -> c.replicas.get(next).isLeader());
            // No request was made since the change: a client still aimed at the old leader would only find out by
            // timing out on it when that leader hangs (a paused process), delaying every write through its replica.
            TestCluster.await("every replica's client aims at " + next, Duration.ofSeconds(5),
                    () -> c.replicas.values().stream().allMatch(r -> next.equals(r.clientLeader().toString())));
            for (RaftReplica r : c.replicas.values()) {
                r.store().put(put("after-" + r.id(), "v")).join();
            }
            assertThat(value(leader, "after-" + leader.id())).isEqualTo("v");
        }
    }

    @Test
    void followerBehindAPurgedLogCatchesUpByInstallingACheckpoint() throws Exception {
        try (TestCluster c = new TestCluster(dir, 3, cfg -> cfg.withSnapshotThreshold(100).withLogSegmentBytes(16 * 1024))) {
            c.awaitLeader(LEADER_WAIT);
            RaftReplica follower = c.anyFollower();
            String lagging = follower.id();
            c.stop(lagging);
            RaftReplica leader = c.awaitLeader(LEADER_WAIT);
            for (int i = 0; i < 1500; i++) {
                leader.store().put(put("s" + (i % 300), "v" + i)).join();
            }
            TestCluster.await("leader snapshot and purge", Duration.ofSeconds(20), () -> {
                try {
                    return leader.stateMachine().getLatestSnapshot() != null
                            && leader.stateMachine().getLatestSnapshot().getIndex() > 1000;
                } catch (RuntimeException e) {
                    return false;
                }
            });
            RaftReplica restarted = c.start(lagging);
            c.awaitConverged(Duration.ofSeconds(60));
            assertThat(value(restarted, "s299")).isEqualTo("v1499");
            assertThat(restarted.stateMachine().getLatestSnapshot()).as("restarted follower installed a snapshot").isNotNull();
        }
    }

    @Test
    void fencedWriteOfADeposedTermIsRefusedAndChangesNothing() throws Exception {
        try (TestCluster c = new TestCluster(dir, 3, cfg -> cfg)) {
            RaftReplica leader = c.awaitLeader(LEADER_WAIT);
            long term = leader.clusterView().term();
            leader.store().fenced(term).put(put("fenced", "ok")).join();
            RaftReplica other = c.anyFollower();
            leader.transferLeadership(other.id(), 10_000);
            TestCluster.await("a new term", LEADER_WAIT, () -> c.leader().map(l -> l.clusterView().term() > term).orElse(false));
            long rev = other.store().currentRevision();
            assertThatThrownBy(() -> leader.store().fenced(term).put(put("fenced", "stale")).join())
                    .satisfies(t -> assertThat(StoreException.unwrap(t).code()).isEqualTo(ErrorCode.FENCE_MISMATCH));
            assertThat(value(other, "fenced")).isEqualTo("ok");
            c.awaitConverged(Duration.ofSeconds(10));
            assertThat(other.store().currentRevision()).isEqualTo(rev);
        }
    }

    @Test
    void watchOnAFollowerSeesEveryRevisionInOrder() throws Exception {
        try (TestCluster c = new TestCluster(dir, 3, cfg -> cfg)) {
            c.awaitLeader(LEADER_WAIT);
            RaftReplica follower = c.anyFollower();
            List<Long> revisions = new CopyOnWriteArrayList<>();
            follower.store().watch(WatchCreateRequest.newBuilder().setKey(ByteString.copyFromUtf8("w/"))
                    .setRangeEnd(ByteString.copyFromUtf8("w0")).build(), new WatchListener() {
                @Override
                public void onEvents(long revision, List<Event> events) {
                    revisions.add(revision);
                }

                @Override
                public void onCanceled(long compactRevision, String reason) {
                }
            });
            List<Long> written = new ArrayList<>();
            for (int i = 0; i < 100; i++) {
                written.add(c.awaitLeader(LEADER_WAIT).store().put(put("w/" + i, "x")).join().getHeader().getRevision());
            }
            TestCluster.await("all events", Duration.ofSeconds(10), () -> revisions.size() == 100);
            assertThat(revisions).containsExactlyElementsOf(written);
        }
    }

    /** True when the request fails with NO_LEADER within 500 ms. */
    private static boolean refusedAtOnce(java.util.function.Supplier<CompletableFuture<?>> request) {
        long t0 = System.nanoTime();
        try {
            request.get().join();
            return false;
        } catch (RuntimeException e) {
            return StoreException.unwrap(e).code() == ErrorCode.NO_LEADER && System.nanoTime() - t0 < 500_000_000L;
        }
    }

    @Test
    void aLeaderThatLostItsQuorumAnswersNoLinearizableRead() throws Exception {
        // Ratis answers a ReadIndex at once when the same commit index was confirmed by an earlier heartbeat round; a
        // leader cut off from its followers (whose majority may already have elected a new leader and written) then
        // serves stale reads until it steps down at the election timeout. Its leader lease (0.9 × the minimum election
        // timeout since the heartbeats a majority answered) must be what answers quickly: once it has run out and no
        // majority confirms, the read is not answered. A wide election window makes the unsafe answer observable.
        Duration min = Duration.ofMillis(1000);
        try (TestCluster c = new TestCluster(dir, 3, cfg -> cfg.withElectionTimeout(min, Duration.ofMillis(6000))
                .withRequestTimeout(Duration.ofSeconds(2)))) {
            RaftReplica leader = c.awaitLeader(LEADER_WAIT);
            leader.store().put(put("q", "before")).join();
            RangeRequest read = RangeRequest.newBuilder().setKey(ByteString.copyFromUtf8("q")).build();
            for (int i = 0; i < 3; i++) {
                assertThat(leader.store().range(read, io.kuberaft.raftstore.ReadConsistency.LINEARIZABLE).join().getKvs(0)
                        .getValue().toStringUtf8()).isEqualTo("before");
            }
            List<String> others = new ArrayList<>(c.replicas.keySet());
            others.remove(leader.id());
            others.forEach(c::stop);
            long stopped = System.nanoTime();
            // The property under test is a time: a lease taken before the stop is over one election timeout later.
            Thread.sleep(Math.max(0, min.toMillis() + 200 - (System.nanoTime() - stopped) / 1_000_000));
            assertThat(leader.isLeader()).as("still leader: the window in which the old answer was unsafe").isTrue();
            assertThatThrownBy(() -> leader.store().range(read, io.kuberaft.raftstore.ReadConsistency.LINEARIZABLE).join())
                    .satisfies(t -> assertThat(StoreException.unwrap(t).retryable()).isTrue());
        }
    }

    @Test
    void withoutQuorumWritesFailWithinTheRequestTimeoutAndNothingIsHalfApplied() throws Exception {
        try (TestCluster c = new TestCluster(dir, 3, cfg -> cfg.withRequestTimeout(Duration.ofSeconds(3)))) {
            RaftReplica leader = c.awaitLeader(LEADER_WAIT);
            leader.store().put(put("q", "before")).join();
            List<String> others = new ArrayList<>(c.replicas.keySet());
            others.remove(leader.id());
            others.forEach(c::stop);
            long start = System.nanoTime();
            assertThatThrownBy(() -> leader.store().put(put("q", "after")).join())
                    .satisfies(t -> assertThat(StoreException.unwrap(t).retryable()).isTrue());
            long ms = (System.nanoTime() - start) / 1_000_000;
            assertThat(ms).isLessThan(8_000);
            // Once the lone replica has known no leader for three election timeouts it refuses at once, proposing
            // nothing (NO_LEADER: the API's 503 that a client may resend), reads and writes alike.
            Duration patience = c.config(leader.id()).electionTimeoutMax().multipliedBy(3);
            TestCluster.await("a read refused at once for want of a leader", patience.plusSeconds(20),
                    () -> refusedAtOnce(() -> leader.store().range(RangeRequest.newBuilder().setKey(ByteString.copyFromUtf8("q")).build(),
                            io.kuberaft.raftstore.ReadConsistency.LINEARIZABLE)));
            assertThat(refusedAtOnce(() -> leader.store().put(put("q", "never")))).as("a write refused at once").isTrue();
            Map<String, String> restartIds = new HashMap<>();
            for (String id : others) {
                c.start(id);
                restartIds.put(id, id);
            }
            RaftReplica l = c.awaitLeader(LEADER_WAIT);
            // The unacknowledged write may or may not have been committed, but never partially; the refused one never.
            assertThat(value(l, "q")).isIn("before", "after");
            c.awaitConverged(Duration.ofSeconds(30));
        }
    }

    @Test
    void membershipAddAndRemoveUnderLoad() throws Exception {
        try (TestCluster c = new TestCluster(dir, 3, cfg -> cfg)) {
            RaftReplica leader = c.awaitLeader(LEADER_WAIT);
            AtomicBoolean stop = new AtomicBoolean();
            Map<String, String> acked = new ConcurrentHashMap<>();
            CompletableFuture<Void> load = CompletableFuture.runAsync(() -> {
                for (int i = 0; i < 5000 && !stop.get(); i++) {
                    try {
                        c.awaitLeader(LEADER_WAIT).store().put(put("m" + i, "v")).join();
                        acked.put("m" + i, "v");
                    } catch (RuntimeException e) {
                        // retried by the next iteration with another key
                    }
                }
            });
            TestCluster.await("load running", Duration.ofSeconds(20), () -> acked.size() > 50);
            c.peers.put("m4", "127.0.0.1:" + TestCluster.freePort());
            c.replicas.put("m4", RaftReplica.start(c.config("m4").joining(true)));
            leader.setMembers(c.peers);
            TestCluster.await("m4 is a member", Duration.ofSeconds(20),
                    () -> c.replicas.get("m4").clusterView().members().size() == 4);
            String removed = c.anyFollower().id().equals("m4") ? "m3" : c.anyFollower().id();
            Map<String, String> smaller = new HashMap<>(c.peers);
            smaller.remove(removed);
            c.awaitLeader(LEADER_WAIT).setMembers(smaller);
            c.stop(removed);
            c.peers.remove(removed);
            int before = acked.size();
            TestCluster.await("load continues", Duration.ofSeconds(20), () -> acked.size() > before + 50);
            stop.set(true);
            load.join();
            c.awaitConverged(Duration.ofSeconds(30));
            RaftReplica m4 = c.replicas.get("m4");
            for (String k : acked.keySet()) {
                assertThat(value(m4, k)).isEqualTo("v");
            }
        }
    }
}
