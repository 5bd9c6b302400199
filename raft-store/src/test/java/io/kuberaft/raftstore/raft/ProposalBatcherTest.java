package io.kuberaft.raftstore.raft;

import com.google.protobuf.ByteString;
import io.kuberaft.raftstore.StoreEngine;
import io.kuberaft.raftstore.errors.ErrorCode;
import io.kuberaft.raftstore.errors.StoreException;
import io.kuberaft.raftstore.proto.Command;
import io.kuberaft.raftstore.proto.CommandResult;
import io.kuberaft.raftstore.proto.RequestId;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;

import static io.kuberaft.raftstore.raft.TestCluster.put;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Group commit against a real store engine standing in for the replicated log: the test decides when each proposed
 * entry is "committed" (applied at the next index), so it can hold proposals in flight and watch commands queue up.
 */
class ProposalBatcherTest {
    @TempDir
    Path dir;

    private StoreEngine engine;
    /** Entries proposed and not committed yet, oldest first. */
    private final List<Command> entries = new ArrayList<>();
    private final List<CompletableFuture<CommandResult>> replies = new ArrayList<>();
    private long index;

    @BeforeEach
    void open() {
        engine = new StoreEngine(dir.resolve("db"));
    }

    @AfterEach
    void close() {
        engine.close();
    }

    private CompletableFuture<CommandResult> replicate(Command entry) {
        CompletableFuture<CommandResult> reply = new CompletableFuture<>();
        synchronized (entries) {
            entries.add(entry);
            replies.add(reply);
        }
        return reply;
    }

    /** Commits the oldest proposed entry: applies it as a replica would and answers its proposer. */
    private Command commitOldest() {
        Command entry;
        CompletableFuture<CommandResult> reply;
        synchronized (entries) {
            entry = entries.remove(0);
            reply = replies.remove(0);
        }
        reply.complete(engine.apply(entry, 1, ++index));
        return entry;
    }

    private static Command command(long seq, String key) {
        return Command.newBuilder().setFormat(StoreEngine.COMMAND_FORMAT).setPut(put(key, "v" + seq))
                .setRequestId(RequestId.newBuilder().setClientId(ByteString.copyFromUtf8("c")).setSeq(seq)).build();
    }

    @Test
    void proposalsGoAloneUntilTheLimitIsInFlightThenTheWaitingOnesShareOneEntry() {
        ProposalBatcher batcher = new ProposalBatcher(this::replicate, 2);
        List<CompletableFuture<CommandResult>> results = new ArrayList<>();
        for (int i = 1; i <= 12; i++) {
            results.add(batcher.propose(command(i, "k" + i)));
        }
        assertThat(entries).as("two alone, ten waiting").hasSize(2);
        assertThat(entries).noneMatch(Command::hasBatch);

        commitOldest();
        assertThat(entries).hasSize(2);
        Command batch = entries.get(1);
        assertThat(batch.getBatch().getCommandsList()).as("the ten waiting commands, in order")
                .extracting(c -> c.getPut().getKey().toStringUtf8())
                .containsExactly("k3", "k4", "k5", "k6", "k7", "k8", "k9", "k10", "k11", "k12");
        assertThat(batch.hasRequestId()).isFalse();
        commitOldest();
        commitOldest();

        // Every proposer gets its own command's outcome, at its own revision, in proposal order.
        long previous = 0;
        for (CompletableFuture<CommandResult> f : results) {
            long rev = f.join().getPut().getHeader().getRevision();
            assertThat(rev).isGreaterThan(previous);
            previous = rev;
        }
        assertThat(engine.mvcc().currentRevision()).isEqualTo(previous);
        assertThat(index).as("three log entries for twelve writes").isEqualTo(3);
    }

    @Test
    void aLoneProposalIsSentAtOnceEvenAfterABatch() {
        ProposalBatcher batcher = new ProposalBatcher(this::replicate, 1);
        CompletableFuture<CommandResult> first = batcher.propose(command(1, "a"));
        batcher.propose(command(2, "b"));
        batcher.propose(command(3, "c"));
        commitOldest();
        commitOldest();
        assertThat(first.join().getPut().getHeader().getRevision()).isPositive();
        assertThat(entries).isEmpty();
        batcher.propose(command(4, "d"));
        assertThat(entries).hasSize(1);
        assertThat(entries.get(0).hasBatch()).isFalse();
    }

    @Test
    void aBatchIsCutAtItsByteBudgetAndALargeCommandStillGoes() {
        ProposalBatcher batcher = new ProposalBatcher(this::replicate, 1);
        batcher.propose(command(1, "first"));
        String big = "x".repeat(900 * 1024);
        for (int i = 2; i <= 4; i++) {
            batcher.propose(Command.newBuilder(command(i, "big" + i)).setPut(put("big" + i, big)).build());
        }
        commitOldest();
        assertThat(entries.get(0).getBatch().getCommandsCount()).as("two of 900 KiB fit in 2 MiB").isEqualTo(2);
        commitOldest();
        assertThat(entries.get(0).hasBatch()).as("the last one alone").isFalse();
        commitOldest();
        assertThat(entries).isEmpty();
    }

    @Test
    void anEntryThatFailsFailsEveryCommandInItAndTheQueueGoesOn() {
        ProposalBatcher batcher = new ProposalBatcher(this::replicate, 1);
        batcher.propose(command(1, "a"));
        CompletableFuture<CommandResult> b = batcher.propose(command(2, "b"));
        CompletableFuture<CommandResult> c = batcher.propose(command(3, "c"));
        commitOldest();
        CompletableFuture<CommandResult> d = batcher.propose(command(4, "d"));
        synchronized (entries) {
            entries.remove(0);
            replies.remove(0).completeExceptionally(new StoreException(ErrorCode.TIMEOUT, "etcdserver: request timed out"));
        }
        assertThatThrownBy(b::join).hasCauseInstanceOf(StoreException.class);
        assertThatThrownBy(c::join).hasCauseInstanceOf(StoreException.class);
        assertThat(entries).as("the next waiting command is sent").hasSize(1);
        commitOldest();
        assertThat(d.join().getPut().getHeader().getRevision()).isPositive();
    }
}
