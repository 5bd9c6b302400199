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
import io.kuberaft.raftstore.proto.CommandBatch;
import io.kuberaft.raftstore.proto.CommandResult;
import io.kuberaft.raftstore.proto.LeasesResult;
import io.kuberaft.raftstore.proto.Query;
import io.kuberaft.raftstore.proto.QueryResult;
import io.kuberaft.raftstore.proto.StoreStatus;

import java.nio.file.Path;

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
     * Applies the command of log entry (term, index) in one write txn, so one RocksDB write. An entry at or
     * below the applied index recorded in the database was applied before a restart (Ratis replays from its
     * last snapshot) and is skipped, so every entry changes the database exactly once. The commands of a
     * {@link CommandBatch} apply one by one, each at its own revision, as consecutive entries would.
     */
    public CommandResult apply(Command command, long term, long index) {
        if (index <= store.appliedIndex()) {
            return Results.error(new StoreException(ErrorCode.UNAVAILABLE, "kuberaft: entry " + index + " was already applied"));
        }
        WriteTxn txn = store.beginWrite();
        CommandResult result;
        if (command.getFormat() == COMMAND_FORMAT && command.hasBatch()) {
            BatchResult.Builder results = BatchResult.newBuilder();
            for (Command c : command.getBatch().getCommandsList()) {
                results.addResults(applyOne(c, txn, term));
                txn.nextCommand();
            }
            result = CommandResult.newBuilder().setBatch(results).build();
        } else {
            result = applyOne(command, txn, term);
        }
        txn.end(term, index);
        return result;
    }

    private CommandResult applyOne(Command command, WriteTxn txn, long term) {
        if (command.getFormat() != COMMAND_FORMAT) {
            return Results.error(new StoreException(ErrorCode.INVALID_ARGUMENT,
                    "kuberaft: unknown command format " + command.getFormat() + " (this replica knows " + COMMAND_FORMAT + ")"));
        }
        return applier.apply(command, txn, term);
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
