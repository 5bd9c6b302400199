package io.kuberaft.raftstore.raft;

import io.kuberaft.raftstore.errors.ErrorCode;
import io.kuberaft.raftstore.errors.StoreException;
import io.kuberaft.raftstore.proto.Command;
import io.kuberaft.raftstore.proto.CommandBatch;
import io.kuberaft.raftstore.proto.CommandResult;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.function.Function;

/**
 * Group commit: a replica proposes a command at once while fewer than {@code maxInFlight} proposals are being
 * replicated; the commands that arrive meanwhile wait and go together, as one {@link CommandBatch} in one log entry,
 * when a proposal completes. Under load each Raft entry then carries many writes: a log entry costs the cluster
 * milliseconds of CPU (the request through Ratis, the append and its replication to every follower, the commit and
 * apply bookkeeping) while the apply of one more write in it costs a tenth of that. etcd gets the same from batching
 * the proposals of one Raft Ready. A lone request is never delayed.
 */
final class ProposalBatcher {
    /** Keeps a batch well inside the appender's 4 MB buffer (RaftReplica#properties); a command is at most 1.5 MiB. */
    static final int MAX_BATCH_BYTES = 2 * 1024 * 1024;
    static final int MAX_BATCH_COMMANDS = 256;

    private record Waiting(Command command, CompletableFuture<CommandResult> result) {
    }

    private final Function<Command, CompletableFuture<CommandResult>> replicate;
    private final int maxInFlight;
    private final ArrayDeque<Waiting> waiting = new ArrayDeque<>();
    private int inFlight;

    /** @param replicate proposes one command (maybe a batch) and completes with its applied result */
    ProposalBatcher(Function<Command, CompletableFuture<CommandResult>> replicate, int maxInFlight) {
        this.replicate = replicate;
        this.maxInFlight = maxInFlight;
    }

    CompletableFuture<CommandResult> propose(Command command) {
        CompletableFuture<CommandResult> result = new CompletableFuture<>();
        synchronized (this) {
            waiting.add(new Waiting(command, result));
        }
        drain();
        return result;
    }

    private void drain() {
        while (true) {
            List<Waiting> next;
            synchronized (this) {
                if (inFlight >= maxInFlight || waiting.isEmpty()) {
                    return;
                }
                next = take();
                inFlight++;
            }
            send(next);
        }
    }

    /** The waiting commands that fit one entry, oldest first (at least one, however large). */
    private List<Waiting> take() {
        List<Waiting> out = new ArrayList<>();
        long bytes = 0;
        while (!waiting.isEmpty() && out.size() < MAX_BATCH_COMMANDS) {
            int size = waiting.peek().command().getSerializedSize();
            if (!out.isEmpty() && bytes + size > MAX_BATCH_BYTES) {
                break;
            }
            bytes += size;
            out.add(waiting.poll());
        }
        return out;
    }

    private void send(List<Waiting> batch) {
        CompletableFuture<CommandResult> sent;
        try {
            sent = replicate.apply(batch.size() == 1 ? batch.get(0).command() : asBatch(batch));
        } catch (RuntimeException e) {
            sent = CompletableFuture.failedFuture(e);
        }
        sent.whenComplete((r, t) -> {
            synchronized (this) {
                inFlight--;
            }
            if (batch.size() == 1) {
                complete(batch.get(0), r, t);
            } else if (t != null || !r.hasBatch()) {
                // the entry as a whole failed (never applied, or refused before its commands were looked at)
                batch.forEach(w -> complete(w, r, t));
            } else if (r.getBatch().getResultsCount() != batch.size()) {
                StoreException e = new StoreException(ErrorCode.INTERNAL, "kuberaft: a batch of " + batch.size()
                        + " commands came back with " + r.getBatch().getResultsCount() + " results");
                batch.forEach(w -> w.result().completeExceptionally(e));
            } else {
                for (int i = 0; i < batch.size(); i++) {
                    batch.get(i).result().complete(r.getBatch().getResults(i));
                }
            }
            drain();
        });
    }

    private static void complete(Waiting w, CommandResult r, Throwable t) {
        if (t != null) {
            w.result().completeExceptionally(t);
        } else {
            w.result().complete(r);
        }
    }

    private static Command asBatch(List<Waiting> batch) {
        CommandBatch.Builder b = CommandBatch.newBuilder();
        batch.forEach(w -> b.addCommands(w.command()));
        return Command.newBuilder().setFormat(batch.get(0).command().getFormat()).setBatch(b).build();
    }
}
