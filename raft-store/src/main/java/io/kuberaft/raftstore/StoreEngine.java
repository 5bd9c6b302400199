package io.kuberaft.raftstore;

import io.etcd.jetcd.api.LeaseTimeToLiveRequest;
import io.etcd.jetcd.api.LeaseTimeToLiveResponse;
import io.etcd.jetcd.api.ResponseHeader;
import io.kuberaft.raftstore.apply.Applier;
import io.kuberaft.raftstore.apply.FenceApplier;
import io.kuberaft.raftstore.apply.KvApplier;
import io.kuberaft.raftstore.apply.Results;
import io.kuberaft.raftstore.apply.SessionApplier;
import io.kuberaft.raftstore.errors.ErrorCode;
import io.kuberaft.raftstore.errors.StoreException;
import io.kuberaft.raftstore.mvcc.MvccStore;
import io.kuberaft.raftstore.mvcc.WriteTxn;
import io.kuberaft.raftstore.proto.BatchResult;
import io.kuberaft.raftstore.proto.Command;
import io.kuberaft.raftstore.proto.CommandResult;
import io.kuberaft.raftstore.proto.LeasesResult;
import io.kuberaft.raftstore.proto.Query;
import io.kuberaft.raftstore.proto.QueryResult;
import io.kuberaft.raftstore.proto.StoreStatus;

import java.nio.file.Path;
import java.util.List;

/**
 * One replica's store: the MVCC database, the apply chain and the read queries. Used by the Raft
 * state machine (every replica) and by {@link LocalKvStore} (tests, single process), so both run the
 * very same apply code.
 */
public final class StoreEngine implements AutoCloseable {
    public static final int COMMAND_FORMAT = 1;

    private final MvccStore store;
    private final Applier applier = new SessionApplier(new FenceApplier(new KvApplier()));

    public StoreEngine(Path dbDir) {
        this.store = new MvccStore(dbDir);
    }

    public MvccStore mvcc() {
        return store;
    }

    /**
     * Applies the command of log entry (term, index). An entry at or below the applied index recorded
     * in the database was applied before a restart (Ratis replays from its last snapshot) and is
     * skipped, so every entry changes the database exactly once. A {@link CommandBatch} applies its
     * commands one by one, each with its own write txn (so its own revision), as consecutive entries would.
     */
    public CommandResult apply(Command command, long term, long index) {
        int done = store.appliedCommands(index);
        if (done == Integer.MAX_VALUE) {
            return Results.error(new StoreException(ErrorCode.UNAVAILABLE, "kuberaft: entry " + index + " was already applied"));
        }
        if (command.getFormat() == COMMAND_FORMAT && command.hasBatch()) {
            List<Command> commands = command.getBatch().getCommandsList();
            BatchResult.Builder results = BatchResult.newBuilder();
            for (int i = 0; i < commands.size(); i++) {
                if (i < done) {
                    // in the database before a stop in the middle of this entry; its request id answers a retry
                    results.addResults(Results.error(new StoreException(ErrorCode.UNAVAILABLE,
                            "kuberaft: entry " + index + " command " + i + " was already applied")));
                    continue;
                }
                results.addResults(applyOne(commands.get(i), term, index, i + 1 < commands.size() ? i + 1 : 0));
            }
            if (commands.isEmpty()) {
                store.beginWrite().end(term, index);
            }
            return CommandResult.newBuilder().setBatch(results).build();
        }
        return applyOne(command, term, index, 0);
    }

    private CommandResult applyOne(Command command, long term, long index, int position) {
        WriteTxn txn = store.beginWrite();
        CommandResult result;
        if (command.getFormat() != COMMAND_FORMAT) {
            result = Results.error(new StoreException(ErrorCode.INVALID_ARGUMENT,
                    "kuberaft: unknown command format " + command.getFormat() + " (this replica knows " + COMMAND_FORMAT + ")"));
        } else {
            result = applier.apply(command, txn, term);
        }
        txn.end(term, index, position);
        return result;
    }

    /** Read-only queries; never change replicated state. */
    public QueryResult query(Query q) {
        try {
            return switch (q.getQueryCase()) {
                case RANGE -> QueryResult.newBuilder().setRange(store.range(q.getRange())).build();
                case LEASE_TIME_TO_LIVE -> QueryResult.newBuilder().setLeaseTimeToLive(timeToLive(q.getLeaseTimeToLive())).build();
                case LEASES -> QueryResult.newBuilder().setLeases(LeasesResult.newBuilder().addAllIds(store.leases())).build();
                case STATUS -> QueryResult.newBuilder().setStatus(status(q.getStatus().getWithHash())).build();
                case QUERY_NOT_SET -> throw new StoreException(ErrorCode.INVALID_ARGUMENT, "kuberaft: empty query");
            };
        } catch (StoreException e) {
            return QueryResult.newBuilder().setError(Results.error(e).getError()).build();
        }
    }

    private LeaseTimeToLiveResponse timeToLive(LeaseTimeToLiveRequest r) {
        MvccStore.LeaseInfo info = store.leaseInfo(r.getID());
        ResponseHeader header = ResponseHeader.newBuilder().setRevision(store.currentRevision()).build();
        if (info == null) {
            // etcd reports an unknown lease with TTL -1.
            return LeaseTimeToLiveResponse.newBuilder().setHeader(header).setID(r.getID()).setTTL(-1).build();
        }
        LeaseTimeToLiveResponse.Builder b = LeaseTimeToLiveResponse.newBuilder().setHeader(header)
                .setID(r.getID()).setTTL(info.remainingSeconds()).setGrantedTTL(info.grantedSeconds());
        if (r.getKeys()) {
            b.addAllKeys(info.keys());
        }
        return b.build();
    }

    public StoreStatus status(boolean withHash) {
        StoreStatus.Builder b = StoreStatus.newBuilder()
                .setRevision(store.currentRevision())
                .setCompactRevision(store.compactedRevision())
                .setAppliedTerm(store.appliedTerm())
                .setAppliedIndex(store.appliedIndex())
                .setDbSize(store.sizeOnDisk());
        if (withHash) {
            b.setHash(store.hash());
        }
        return b.build();
    }

    @Override
    public void close() {
        store.close();
    }
}
