package io.kuberaft.raftstore.raft;

import io.etcd.jetcd.api.WatchCreateRequest;
import io.kuberaft.raftstore.KvStore;
import io.kuberaft.raftstore.ProposingKvStore;
import io.kuberaft.raftstore.ReadConsistency;
import io.kuberaft.raftstore.StoreEngine;
import io.kuberaft.raftstore.Watch;
import io.kuberaft.raftstore.WatchListener;
import io.kuberaft.raftstore.errors.ErrorCode;
import io.kuberaft.raftstore.errors.StoreException;
import io.kuberaft.raftstore.proto.Command;
import io.kuberaft.raftstore.proto.CommandResult;
import io.kuberaft.raftstore.proto.Query;
import io.kuberaft.raftstore.proto.QueryResult;
import org.apache.ratis.client.RaftClient;
import org.apache.ratis.protocol.Message;
import org.apache.ratis.protocol.RaftClientReply;
import org.apache.ratis.protocol.exceptions.AlreadyClosedException;
import org.apache.ratis.protocol.exceptions.StateMachineException;
import org.apache.ratis.thirdparty.com.google.protobuf.UnsafeByteOperations;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * The store as seen from one replica: writes are proposed to the Raft leader (in-process when this replica
 * leads, else by the Ratis client, which follows leader changes); linearizable reads are submitted to this
 * replica's own server, which does ReadIndex and then reads its state;
 * serializable reads and watches use this replica's applied state directly. A failed attempt is
 * retried with the same command (so the same request id: applied at most once) until the request
 * timeout; then the caller gets UNAVAILABLE.
 */
public final class RaftKvStore extends ProposingKvStore {
    /**
     * Proposals being replicated at once before new ones wait to be batched ({@link ProposalBatcher}): enough to keep
     * the leader's pipeline busy, few enough that a loaded replica sends many writes per entry.
     */
    static final int MAX_IN_FLIGHT = Integer.getInteger("kuberaft.raft.maxInFlightProposals", 2);
    private static final Command NO_OP = Command.newBuilder().setFormat(io.kuberaft.raftstore.StoreEngine.COMMAND_FORMAT)
            .setBatch(io.kuberaft.raftstore.proto.CommandBatch.getDefaultInstance()).build();

    private final ReconnectingClient client;
    private final LocalRaftServer local;
    /** Read at each use: the replica replaces its state machine when it re-adds its Raft group (RaftReplica#rejoin). */
    private final Supplier<KvStateMachine> stateMachine;
    private final Duration timeout;
    private final ScheduledExecutorService scheduler;
    private final LeaderlessClock leaderless;
    /** Ratis' leader lease: 0.9 × the minimum election timeout (RaftReplica#properties). */
    private final long leaseMs;
    /** Shared with the fenced views: they are the same client session. */
    private final ProposalBatcher batcher;

    RaftKvStore(ReconnectingClient client, LocalRaftServer local, Supplier<KvStateMachine> stateMachine, Duration timeout,
                ScheduledExecutorService scheduler, LeaderlessClock leaderless, Duration electionTimeoutMin) {
        this.client = client;
        this.local = local;
        this.stateMachine = stateMachine;
        this.timeout = timeout;
        this.scheduler = scheduler;
        this.leaderless = leaderless;
        this.leaseMs = electionTimeoutMin.toMillis() * 9 / 10;
        this.batcher = new ProposalBatcher(this::replicate, MAX_IN_FLIGHT);
    }

    private RaftKvStore(RaftKvStore parent, long fence) {
        super(parent, fence);
        this.client = parent.client;
        this.local = parent.local;
        this.stateMachine = parent.stateMachine;
        this.timeout = parent.timeout;
        this.scheduler = parent.scheduler;
        this.leaderless = parent.leaderless;
        this.leaseMs = parent.leaseMs;
        this.batcher = parent.batcher;
    }

    @Override
    protected CompletableFuture<CommandResult> propose(Command command) {
        return batcher.propose(command);
    }

    private CompletableFuture<CommandResult> replicate(Command command) {
        return write(command, System.nanoTime() + timeout.toNanos())
                .thenApply(reply -> parse(() -> CommandResult.parseFrom(reply.getMessage().getContent().asReadOnlyByteBuffer())));
    }

    /** Appends {@code command} to the log: in-process while this replica leads, else through the Ratis client. */
    private CompletableFuture<RaftClientReply> write(Command command, long deadline) {
        Message m = Message.valueOf(UnsafeByteOperations.unsafeWrap(command.toByteArray()));
        return retrying(c -> local.isLeader() ? local.write(m) : c.async().send(m), deadline, 0);
    }

    @Override
    protected CompletableFuture<QueryResult> query(Query query, ReadConsistency consistency) {
        if (consistency == ReadConsistency.SERIALIZABLE) {
            return CompletableFuture.completedFuture(stateMachine.get().queryLocal(UnsafeByteOperations.unsafeWrap(query.toByteArray())));
        }
        long deadline = System.nanoTime() + timeout.toNanos();
        if (local.isLeader() && !local.leaderHeardFromMajorityWithin(leaseMs)) {
            // A leader that has not heard from a majority within its lease may have been deposed (paused, cut off).
            // Ratis 3.3 would then answer the ReadIndex from its own commit index whenever an earlier heartbeat round
            // confirmed that index: a stale read (chaos register-kube, pause-leader, ci-short seed 1795552798: the
            // paused leader answered a read queued during its SIGSTOP the moment it resumed). A no-op through the log
            // settles it: committed by this leader, it still leads; else the current leader commits it, and the read
            // waits until this replica has applied it.
            return barrier(deadline).thenCompose(index -> applied(index, deadline))
                    .thenApply(v -> stateMachine.get().queryLocal(UnsafeByteOperations.unsafeWrap(query.toByteArray())));
        }
        Message m = Message.valueOf(UnsafeByteOperations.unsafeWrap(query.toByteArray()));
        return retrying(c -> local.read(m), deadline, 0)
                .thenApply(reply -> parse(() -> QueryResult.parseFrom(reply.getMessage().getContent().asReadOnlyByteBuffer())));
    }

    /** Replicates an empty batch (it changes nothing) and completes with its log index. */
    private CompletableFuture<Long> barrier(long deadline) {
        return write(NO_OP, deadline).thenApply(RaftClientReply::getLogIndex);
    }

    /** Completes once this replica has applied {@code index}; TIMEOUT at the deadline. */
    private CompletableFuture<Void> applied(long index, long deadline) {
        CompletableFuture<Void> done = new CompletableFuture<>();
        Runnable check = new Runnable() {
            @Override
            public void run() {
                var last = stateMachine.get().getLastAppliedTermIndex();
                if (last != null && last.getIndex() >= index) {
                    done.complete(null);
                } else if (System.nanoTime() >= deadline) {
                    done.completeExceptionally(new StoreException(ErrorCode.TIMEOUT,
                            "etcdserver: request timed out (this replica did not apply index " + index + " in time)"));
                } else {
                    scheduler.schedule(this, 5, TimeUnit.MILLISECONDS);
                }
            }
        };
        check.run();
        return done;
    }

    private interface Parser<T> {
        T parse() throws Exception;
    }

    private static <T> T parse(Parser<T> p) {
        try {
            return p.parse();
        } catch (Exception e) {
            throw new StoreException(ErrorCode.INTERNAL, "kuberaft: unreadable reply: " + e, e);
        }
    }

    private CompletableFuture<RaftClientReply> retrying(Function<RaftClient, CompletableFuture<RaftClientReply>> attempt,
                                                        long deadline, int tries) {
        CompletableFuture<RaftClientReply> result = new CompletableFuture<>();
        Duration overdue = tries == 0 ? leaderless.overdue() : Duration.ZERO;
        if (!overdue.isZero()) {
            // NO_LEADER means "never sent": the API answers 503 with Retry-After even for a write
            return CompletableFuture.failedFuture(new StoreException(ErrorCode.NO_LEADER,
                    "etcdserver: no leader (this replica has known no Raft leader for " + overdue.toMillis() + " ms)"));
        }
        CompletableFuture<RaftClientReply> f;
        RaftClient used = client.get();
        try {
            f = attempt.apply(used);
        } catch (RuntimeException e) {
            f = CompletableFuture.failedFuture(e);
        }
        long left = deadline - System.nanoTime();
        f.orTimeout(Math.max(1, left), TimeUnit.NANOSECONDS).whenComplete((reply, error) -> {
            Throwable failure = error;
            if (failure == null && !reply.isSuccess()) {
                failure = reply.getException();
            }
            if (failure == null) {
                result.complete(reply);
                return;
            }
            Throwable cause = failure instanceof CompletionException && failure.getCause() != null ? failure.getCause() : failure;
            if (cause instanceof StateMachineException sme) {
                // The state machine refused the request itself: retrying cannot help.
                result.completeExceptionally(sme.getCause() instanceof StoreException se ? se
                        : new StoreException(ErrorCode.INVALID_ARGUMENT, "kuberaft: request refused: " + sme.getMessage()));
                return;
            }
            if (causedBy(cause, AlreadyClosedException.class)) {
                client.replace(used);
            }
            long remaining = deadline - System.nanoTime();
            if (remaining <= 0) {
                result.completeExceptionally(new StoreException(ErrorCode.TIMEOUT,
                        "etcdserver: request timed out (no Raft quorum answered within " + timeout.toMillis() + " ms: " + cause + ")"));
                return;
            }
            // Short, capped backoff: a new leader is usually ready within a few hundred ms of its election.
            long backoff = Math.min(TimeUnit.MILLISECONDS.toNanos(50L << Math.min(tries, 2)), remaining);
            scheduler.schedule(() -> {
                retrying(attempt, deadline, tries + 1).whenComplete((r, t) -> {
                    if (t != null) {
                        result.completeExceptionally(t);
                    } else {
                        result.complete(r);
                    }
                });
            }, backoff, TimeUnit.NANOSECONDS);
        });
        return result;
    }

    private static boolean causedBy(Throwable t, Class<? extends Throwable> type) {
        for (Throwable c = t; c != null; c = c.getCause()) {
            if (type.isInstance(c)) {
                return true;
            }
        }
        return false;
    }

    @Override
    public Watch watch(WatchCreateRequest request, WatchListener listener) {
        return engine().mvcc().watchHub().register(request, listener);
    }

    @Override
    public long currentRevision() {
        return engine().mvcc().currentRevision();
    }

    private StoreEngine engine() {
        StoreEngine e = stateMachine.get().engine();
        if (e == null) {
            throw new StoreException(ErrorCode.UNAVAILABLE, "kuberaft: the replica's store is closed or not open yet");
        }
        return e;
    }

    @Override
    public KvStore fenced(long term) {
        return new RaftKvStore(this, term);
    }

    public RaftKvStore fencedStore(long term) {
        return new RaftKvStore(this, term);
    }
}
