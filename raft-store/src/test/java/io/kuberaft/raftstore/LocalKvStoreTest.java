package io.kuberaft.raftstore;

import com.google.protobuf.ByteString;
import io.etcd.jetcd.api.DeleteRangeRequest;
import io.etcd.jetcd.api.Event;
import io.etcd.jetcd.api.LeaseGrantRequest;
import io.etcd.jetcd.api.TxnRequest;
import io.kuberaft.raftstore.errors.ErrorCode;
import io.kuberaft.raftstore.proto.Command;
import io.kuberaft.raftstore.proto.CommandBatch;
import io.kuberaft.raftstore.proto.CommandResult;
import io.kuberaft.raftstore.proto.RequestId;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import static io.etcd.jetcd.api.Compare.CompareResult.EQUAL;
import static io.kuberaft.raftstore.Kv.all;
import static io.kuberaft.raftstore.Kv.bs;
import static io.kuberaft.raftstore.Kv.join;
import static io.kuberaft.raftstore.Kv.keys;
import static io.kuberaft.raftstore.Kv.op;
import static io.kuberaft.raftstore.Kv.put;
import static io.kuberaft.raftstore.Kv.version;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The {@link KvStoreContract} against the single-replica store (the very apply code every Raft
 * replica runs), plus what only this implementation exposes: the engine's log-entry interface.
 */
class LocalKvStoreTest extends KvStoreContract {

    @Override
    protected WatchableKvStore open(Path dir) {
        return new LocalKvStore(dir);
    }

    @Override
    protected void close(WatchableKvStore store) {
        ((LocalKvStore) store).close();
    }

    @Override
    protected long stateHash(WatchableKvStore store) {
        return ((LocalKvStore) store).engine().mvcc().hash();
    }

    private long term = 1;

    @Override
    protected long currentTerm(WatchableKvStore store) {
        return term;
    }

    @Override
    protected void startNewTerm(WatchableKvStore store) {
        term++;
        ((LocalKvStore) store).setTerm(term);
    }

    /**
     * A progress notification never reports a revision below an event already delivered: requestProgress read the
     * published revision under the hub's lock but told the listener after releasing it, so a revision published in
     * between went out first (found by the chaos watch checker: "got a bookmark at revision 26 after revision 27").
     */
    @Test
    void progressIsNeverBehindADeliveredEvent() throws Exception {
        List<Long> seen = java.util.Collections.synchronizedList(new java.util.ArrayList<>());
        Watch w = store.watch(watchAll().build(), new WatchListener() {
            @Override
            public void onEvents(long revision, List<io.etcd.jetcd.api.Event> events) {
                seen.add(revision);
            }

            @Override
            public void onProgress(long revision) {
                seen.add(-revision); // negative: a progress notification
            }

            @Override
            public void onCanceled(long compactRevision, String reason) {
            }
        });
        java.util.concurrent.atomic.AtomicBoolean writing = new java.util.concurrent.atomic.AtomicBoolean(true);
        Thread progress = new Thread(() -> {
            while (writing.get()) {
                w.requestProgress();
            }
        });
        progress.start();
        try {
            for (int i = 0; i < 2_000; i++) {
                join(store.put(put("p" + (i % 10), String.valueOf(i)).build()));
            }
        } finally {
            writing.set(false);
            progress.join();
        }
        long highest = 0;
        int progressCount = 0;
        synchronized (seen) {
            for (long r : seen) {
                if (r < 0) {
                    progressCount++;
                    assertThat(-r).as("progress after revision %d", highest).isGreaterThanOrEqualTo(highest);
                }
                highest = Math.max(highest, Math.abs(r));
            }
        }
        assertThat(progressCount).isGreaterThan(100);
    }

    private LocalKvStore local() {
        return (LocalKvStore) store;
    }

    private StoreEngine engine() {
        return local().engine();
    }

    private long appliedIndex() {
        return engine().mvcc().appliedIndex();
    }

    private static Command command(long seq, Command.Builder op) {
        return op.setFormat(StoreEngine.COMMAND_FORMAT)
                .setRequestId(RequestId.newBuilder().setClientId(ByteString.copyFromUtf8("client-1")).setSeq(seq).setFirstIncompleteSeq(seq))
                .build();
    }

    // ---- exactly once ----

    @Test
    void theSameCommandAppliedTwiceChangesTheStoreOnceAndAnswersTheSame() {
        Command put = command(1, Command.newBuilder().setPut(put("a", "1").setPrevKv(true)));
        long rev = revision();
        CommandResult first = engine().apply(put, 1, appliedIndex() + 1);
        CommandResult retry = engine().apply(put, 1, appliedIndex() + 1);
        assertThat(retry).isEqualTo(first);
        assertThat(first.getPut().getHeader().getRevision()).isEqualTo(rev + 1);
        assertThat(revision()).isEqualTo(rev + 1);
        assertThat(kv("a").getVersion()).isEqualTo(1);

        // A txn whose compare would fail on a second execution still answers as the first time.
        Command create = command(2, Command.newBuilder().setTxn(TxnRequest.newBuilder()
                .addCompare(version("b", EQUAL, 0)).addSuccess(op(put("b", "1"))).addFailure(op(put("c", "1")))));
        CommandResult created = engine().apply(create, 1, appliedIndex() + 1);
        CommandResult again = engine().apply(create, 1, appliedIndex() + 1);
        assertThat(created.getTxn().getSucceeded()).isTrue();
        assertThat(again).isEqualTo(created);
        assertThat(keys(range(all()))).containsExactly("a", "b");
        assertThat(revision()).isEqualTo(rev + 2);

        // A refusal is an outcome too: the retry gets the same error.
        Command bad = command(3, Command.newBuilder().setPut(put("d", "1").setLease(777)));
        CommandResult refused = engine().apply(bad, 1, appliedIndex() + 1);
        assertThat(refused.getError().getCode()).isEqualTo(ErrorCode.LEASE_NOT_FOUND.name());
        assertThat(engine().apply(bad, 1, appliedIndex() + 1)).isEqualTo(refused);
    }

    @Test
    void exactlyOnceHoldsAcrossARestart() throws Exception {
        Command put = command(1, Command.newBuilder().setPut(put("a", "1")));
        CommandResult first = engine().apply(put, 1, appliedIndex() + 1);
        long rev = revision();
        long index = appliedIndex();
        reopen();
        assertThat(appliedIndex()).isEqualTo(index);
        assertThat(engine().apply(put, 2, appliedIndex() + 1)).isEqualTo(first);
        assertThat(revision()).isEqualTo(rev);
        assertThat(kv("a").getVersion()).isEqualTo(1);
    }

    @Test
    void exactlyOnceHoldsAcrossThePruningOfAcknowledgedOutcomes() {
        CommandResult last = null;
        Command lastCommand = null;
        for (long seq = 1; seq <= 600; seq++) {
            lastCommand = command(seq, Command.newBuilder().setPut(put("k", Long.toString(seq))));
            last = engine().apply(lastCommand, 1, appliedIndex() + 1);
        }
        long rev = revision();
        assertThat(engine().apply(lastCommand, 1, appliedIndex() + 1)).isEqualTo(last);
        assertThat(revision()).isEqualTo(rev);
        assertThat(kv("k").getVersion()).isEqualTo(600);
    }

    @Test
    void manyWritesOfOneClientStayFast() {
        // Each write used to leave a RocksDB range tombstone in the session table that every later
        // write's session lookup had to go through: 1,500 writes took about 25 s. Now about 0.1 s.
        long rev = revision();
        long deadline = System.nanoTime() + Duration.ofSeconds(15).toNanos();
        for (int i = 0; i < 3000; i++) {
            write("k" + (i % 16), Integer.toString(i));
            // Checked here, not by a preemptive timeout, which would leave a thread inside RocksDB.
            assertThat(System.nanoTime()).as("still writing after 15 s (%d writes done)", i + 1).isLessThan(deadline);
        }
        assertThat(revision()).isEqualTo(rev + 3000);
    }

    @Test
    void anEntryAtOrBelowTheAppliedIndexIsSkipped() {
        write("a", "1");
        long index = appliedIndex();
        long rev = revision();
        Command replayed = command(9, Command.newBuilder().setPut(put("a", "2")));
        CommandResult r = engine().apply(replayed, 1, index);
        assertThat(r.getError().getCode()).isEqualTo(ErrorCode.UNAVAILABLE.name());
        assertThat(appliedIndex()).isEqualTo(index);
        assertThat(revision()).isEqualTo(rev);
        assertThat(kv("a").getValue()).isEqualTo(bs("1"));
    }

    @Test
    void aCommandOfAnUnknownFormatIsRefusedLoudlyAndChangesNothing() {
        long rev = revision();
        Command future = command(1, Command.newBuilder().setPut(put("a", "1"))).toBuilder().setFormat(99).build();
        CommandResult r = engine().apply(future, 1, appliedIndex() + 1);
        assertThat(r.getError().getCode()).isEqualTo(ErrorCode.INVALID_ARGUMENT.name());
        assertThat(r.getError().getMessage()).contains("unknown command format 99");
        assertThat(revision()).isEqualTo(rev);
        assertThat(kv("a")).isNull();
    }

    @Test
    void everyAppliedEntryAdvancesTheAppliedIndexAndTerm() {
        long index = appliedIndex();
        write("a", "1");
        join(local().leaseGrant(LeaseGrantRequest.newBuilder().setTTL(10).build()));
        assertThat(appliedIndex()).isEqualTo(index + 2);
        startNewTerm(store);
        write("a", "2");
        assertThat(engine().mvcc().appliedTerm()).isEqualTo(2);
        assertThat(join(store.status(ReadConsistency.SERIALIZABLE)).getAppliedIndex()).isEqualTo(index + 3);
    }

    // ---- batched entries (group commit) ----

    private static Command batch(Command... commands) {
        return Command.newBuilder().setFormat(StoreEngine.COMMAND_FORMAT)
                .setBatch(CommandBatch.newBuilder().addAllCommands(List.of(commands))).build();
    }

    @Test
    void aBatchAppliesEachCommandAtItsOwnRevisionWithItsOwnOutcome() {
        long rev = revision();
        long index = appliedIndex();
        Command a = command(1, Command.newBuilder().setPut(put("a", "1")));
        Command missingLease = command(2, Command.newBuilder().setPut(put("x", "1").setLease(777)));
        Command createB = command(3, Command.newBuilder().setTxn(TxnRequest.newBuilder()
                .addCompare(version("b", EQUAL, 0)).addSuccess(op(put("b", "1")))));
        Command createBAgain = command(4, Command.newBuilder().setTxn(TxnRequest.newBuilder()
                .addCompare(version("b", EQUAL, 0)).addSuccess(op(put("b", "2")))));

        CommandResult r = engine().apply(batch(a, missingLease, createB, createBAgain), 1, index + 1);

        List<CommandResult> results = r.getBatch().getResultsList();
        assertThat(results).hasSize(4);
        assertThat(results.get(0).getPut().getHeader().getRevision()).isEqualTo(rev + 1);
        assertThat(results.get(1).getError().getCode()).isEqualTo(ErrorCode.LEASE_NOT_FOUND.name());
        // The second create sees the first one's write: commands apply in order, as consecutive entries would.
        assertThat(results.get(2).getTxn().getSucceeded()).isTrue();
        assertThat(results.get(2).getTxn().getHeader().getRevision()).isEqualTo(rev + 2);
        assertThat(results.get(3).getTxn().getSucceeded()).isFalse();
        assertThat(revision()).isEqualTo(rev + 2);
        assertThat(kv("b").getValue()).isEqualTo(bs("1"));
        assertThat(kv("x")).isNull();
        assertThat(appliedIndex()).as("one log entry").isEqualTo(index + 1);
        // Each command keeps its request id: retried alone in a later entry, it answers as it did in the batch.
        assertThat(engine().apply(createB, 1, appliedIndex() + 1)).isEqualTo(results.get(2));
        assertThat(revision()).isEqualTo(rev + 2);
    }

    @Test
    void aBatchIsOneWriteWithOneWatchNotificationPerRevisionInOrder() throws Exception {
        WatchRecorder w = watch(watchAll());
        long rev = revision();
        long index = appliedIndex() + 1;
        Command first = command(1, Command.newBuilder().setPut(put("a", "1")));
        Command retried = command(1, Command.newBuilder().setPut(put("a", "1")));
        Command second = command(2, Command.newBuilder().setDeleteRange(DeleteRangeRequest.newBuilder().setKey(bs("a"))));
        Command third = command(3, Command.newBuilder().setPut(put("c", "1")));

        CommandResult r = engine().apply(batch(first, retried, second, third), 1, index);

        // The retry in the same entry sees the first one's session record, though it is not in RocksDB yet.
        assertThat(r.getBatch().getResults(1)).isEqualTo(r.getBatch().getResults(0));
        assertThat(r.getBatch().getResults(3).getPut().getHeader().getRevision()).isEqualTo(rev + 3);
        w.awaitRevision(rev + 3);
        assertThat(w.revisions()).containsExactly(rev + 1, rev + 2, rev + 3);
        assertThat(w.events()).extracting(Event::getType).containsExactly(Event.EventType.PUT, Event.EventType.DELETE, Event.EventType.PUT);
        reopen();
        assertThat(appliedIndex()).isEqualTo(index);
        assertThat(revision()).isEqualTo(rev + 3);
        assertThat(kv("a")).isNull();
        assertThat(engine().apply(batch(first, second, third), 1, index).getError().getCode())
                .as("replayed after a restart").isEqualTo(ErrorCode.UNAVAILABLE.name());
        assertThat(revision()).isEqualTo(rev + 3);
    }

    @Test
    void aNestedBatchIsRefusedAndChangesNothing() {
        long rev = revision();
        Command inner = batch(command(1, Command.newBuilder().setPut(put("a", "1"))));
        CommandResult r = engine().apply(batch(inner), 1, appliedIndex() + 1);
        assertThat(r.getBatch().getResults(0).getError().getMessage()).contains("cannot be nested");
        assertThat(revision()).isEqualTo(rev);
        assertThat(kv("a")).isNull();
    }

    // ---- leader-decided lease expiry ----

    @Test
    void aLeaseExpiryDecisionRevokesTheLeasesItNamesAtOneRevision() {
        long a = grant(10);
        long b = grant(10);
        join(store.put(put("x", "1").setLease(a).build()));
        join(store.put(put("y", "1").setLease(b).build()));
        join(store.put(put("z", "1").setLease(b).build()));
        long rev = revision();
        join(local().leaseExpire(List.of(b, 424242L)));
        assertThat(revision()).isEqualTo(rev + 1);
        assertThat(keys(range(all()))).containsExactly("x");
        assertThat(join(store.leases())).containsExactly(a);

        // Fenced like any other write of the leader's controllers.
        ProposingKvStore oldLeader = (ProposingKvStore) store.fenced(currentTerm(store));
        startNewTerm(store);
        Kv.refused(oldLeader.leaseExpire(List.of(a)), ErrorCode.FENCE_MISMATCH);
        assertThat(join(store.leases())).containsExactly(a);
    }
}
