package io.kuberaft.raftstore;

import io.etcd.jetcd.api.WatchCreateRequest;
import io.kuberaft.raftstore.proto.Command;
import io.kuberaft.raftstore.proto.CommandResult;
import io.kuberaft.raftstore.proto.Query;
import io.kuberaft.raftstore.proto.QueryResult;

import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A single-replica store without Raft: commands go straight to the apply chain, one at a time, as
 * if each were a log entry of term 1. The same engine the Raft state machine runs; used by unit and
 * property tests and as the reference implementation of the {@link KvStore} contract.
 */
public final class LocalKvStore extends ProposingKvStore implements AutoCloseable {
    private final StoreEngine engine;
    private final Object applyLock;
    /** The term of the entries this store applies; shared with its fenced views. */
    private final AtomicLong term;

    public LocalKvStore(Path dir) {
        this.engine = new StoreEngine(dir);
        this.applyLock = new Object();
        this.term = new AtomicLong(1);
    }

    private LocalKvStore(LocalKvStore parent, long fence) {
        super(parent, fence);
        this.engine = parent.engine;
        this.applyLock = parent.applyLock;
        this.term = parent.term;
    }

    public StoreEngine engine() {
        return engine;
    }

    /** Simulates a leader change: later entries are of the new term (fenced writes of older terms fail). */
    public void setTerm(long term) {
        synchronized (applyLock) {
            this.term.set(term);
        }
    }

    @Override
    protected CompletableFuture<CommandResult> propose(Command command) {
        synchronized (applyLock) {
            long index = engine.mvcc().appliedIndex() + 1;
            return CompletableFuture.completedFuture(engine.apply(command, term.get(), index));
        }
    }

    @Override
    protected CompletableFuture<QueryResult> query(Query query, ReadConsistency consistency) {
        return CompletableFuture.completedFuture(engine.query(query));
    }

    @Override
    public Watch watch(WatchCreateRequest request, WatchListener listener) {
        return engine.mvcc().watchHub().register(request, listener);
    }

    @Override
    public long currentRevision() {
        return engine.mvcc().currentRevision();
    }

    @Override
    public KvStore fenced(long fenceTerm) {
        return new LocalKvStore(this, fenceTerm);
    }

    @Override
    public void close() {
        engine.close();
    }
}
