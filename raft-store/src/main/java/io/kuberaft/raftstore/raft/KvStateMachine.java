package io.kuberaft.raftstore.raft;

import com.google.protobuf.InvalidProtocolBufferException;
import io.kuberaft.raftstore.StoreEngine;
import io.kuberaft.raftstore.apply.Results;
import io.kuberaft.raftstore.errors.ErrorCode;
import io.kuberaft.raftstore.errors.StoreException;
import io.kuberaft.raftstore.proto.Command;
import io.kuberaft.raftstore.proto.CommandResult;
import io.kuberaft.raftstore.proto.Query;
import io.kuberaft.raftstore.proto.QueryResult;
import org.apache.ratis.proto.RaftProtos.LogEntryProto;
import org.apache.ratis.proto.RaftProtos.RoleInfoProto;
import org.apache.ratis.protocol.Message;
import org.apache.ratis.protocol.RaftClientRequest;
import org.apache.ratis.protocol.RaftGroupId;
import org.apache.ratis.protocol.RaftGroupMemberId;
import org.apache.ratis.protocol.RaftPeerId;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Metrics;
import io.micrometer.core.instrument.Timer;
import org.apache.ratis.server.RaftServer;
import org.apache.ratis.server.protocol.TermIndex;
import org.apache.ratis.server.storage.RaftStorage;
import org.apache.ratis.statemachine.SnapshotInfo;
import org.apache.ratis.statemachine.StateMachineStorage;
import org.apache.ratis.statemachine.TransactionContext;
import org.apache.ratis.statemachine.impl.BaseStateMachine;
import org.apache.ratis.thirdparty.com.google.protobuf.ByteString;
import org.apache.ratis.thirdparty.com.google.protobuf.UnsafeByteOperations;
import org.apache.ratis.util.LifeCycle;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collection;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import java.util.function.Consumer;
import java.util.stream.Stream;

/**
 * The Ratis state machine of a replica (ARCHITECTURE.md decision 2): applies commands on Ratis' single
 * apply thread through {@link StoreEngine}, whose RocksDB batch records the applied (term, index);
 * the database is the snapshot (a checkpoint); queries are served after ReadIndex by Ratis.
 */
public final class KvStateMachine extends BaseStateMachine {
    private static final Logger LOG = LoggerFactory.getLogger(KvStateMachine.class);

    private final Path dbDir;
    private final CheckpointSnapshotStorage storage;
    /** Queries read the engine under the read lock; a snapshot install swaps it under the write lock. */
    private final ReentrantReadWriteLock engineLock = new ReentrantReadWriteLock();
    private final List<LeadershipListener> listeners = new CopyOnWriteArrayList<>();
    /** The term this replica is the ready leader of, 0 when it is not; read and written on the events thread. */
    private long readyTerm;
    private final List<Consumer<StoreEngine>> engineListeners = new CopyOnWriteArrayList<>();
    private final ExecutorService events = Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "kuberaft-leadership");
        t.setDaemon(true);
        return t;
    });
    /** The replica's, not this instance's: a replica may replace its state machine (RaftReplica#rejoin). */
    private final AtomicLong leaderChanges;
    private final List<Consumer<RaftPeerId>> leaderChangeListeners = new CopyOnWriteArrayList<>();
    private final Timer applyTimer;
    private volatile StoreEngine engine;
    private volatile Runnable divisionShutdownListener = () -> { };

    public KvStateMachine(Path dataDir) {
        this(dataDir, Metrics.globalRegistry);
    }

    public KvStateMachine(Path dataDir, MeterRegistry registry) {
        this(dataDir, registry, new AtomicLong());
    }

    KvStateMachine(Path dataDir, AtomicLong leaderChanges) {
        this(dataDir, Metrics.globalRegistry, leaderChanges);
    }

    private KvStateMachine(Path dataDir, MeterRegistry registry, AtomicLong leaderChanges) {
        this.leaderChanges = leaderChanges;
        this.applyTimer = Timer.builder("etcd_server_apply_duration_seconds")
                .description("The latency of applying one committed entry to the store").publishPercentileHistogram()
                .register(registry);
        this.dbDir = dataDir.resolve("db");
        this.storage = new CheckpointSnapshotStorage(dataDir.resolve("snapshots"), dataDir.resolve("snapshot-tmp"));
    }

    @Override
    public void initialize(RaftServer server, RaftGroupId groupId, RaftStorage raftStorage) throws IOException {
        super.initialize(server, groupId, raftStorage);
        storage.init(raftStorage);
        if (!Files.exists(dbDir) && storage.newest().isPresent()) {
            restoreFromCheckpoint(storage.newest().get());
        }
        openEngine();
        resetAppliedToSnapshot();
        getLifeCycle().startAndTransition(() -> { });
    }

    private void openEngine() {
        engine = new StoreEngine(dbDir);
        engineListeners.forEach(l -> l.accept(engine));
        LOG.info("{}: store opened at revision {}, database applied up to index {}", getId(),
                engine.mvcc().currentRevision(), engine.mvcc().appliedIndex());
    }

    /**
     * Ratis replays the log from the latest snapshot's index, and requires the applied index to only
     * grow from there. The database may be ahead of the snapshot (it records its own applied index in
     * every batch); the engine skips the entries it already has.
     */
    private void resetAppliedToSnapshot() {
        SnapshotInfo s = storage.getLatestSnapshot();
        if (s != null) {
            setLastAppliedTermIndex(s.getTermIndex());
        }
    }

    /** The engine in use now; it changes when a snapshot is installed. */
    public StoreEngine engine() {
        return engine;
    }

    public void addLeadershipListener(LeadershipListener l) {
        // On the events thread, so a listener added after this replica became the ready leader hears of it
        // (in order with later changes): the cli wires the controllers after the replica has started.
        events.execute(() -> {
            listeners.add(l);
            if (readyTerm > 0) {
                l.onLeaderReady(readyTerm);
            }
        });
    }

    /** Told whenever the engine is (re)opened, e.g. to re-attach metrics. */
    public void onEngineOpened(Consumer<StoreEngine> l) {
        engineListeners.add(l);
    }

    @Override
    public StateMachineStorage getStateMachineStorage() {
        return storage;
    }

    @Override
    public TransactionContext startTransaction(RaftClientRequest request) throws IOException {
        TransactionContext trx = super.startTransaction(request);
        try {
            Command.parseFrom(request.getMessage().getContent().asReadOnlyByteBuffer());
        } catch (InvalidProtocolBufferException e) {
            trx.setException(new StoreException(ErrorCode.INVALID_ARGUMENT, "kuberaft: malformed command: " + e.getMessage()));
        }
        return trx;
    }

    @Override
    public CompletableFuture<Message> applyTransaction(TransactionContext trx) {
        LogEntryProto entry = trx.getLogEntry();
        CommandResult result;
        try {
            Command command = Command.parseFrom(entry.getStateMachineLogEntry().getLogData().asReadOnlyByteBuffer());
            long start = System.nanoTime();
            result = engine.apply(command, entry.getTerm(), entry.getIndex());
            applyTimer.record(System.nanoTime() - start, java.util.concurrent.TimeUnit.NANOSECONDS);
        } catch (InvalidProtocolBufferException e) {
            // Deterministic on every replica: the same bytes fail the same way. Record the index anyway.
            result = Results.error(new StoreException(ErrorCode.INVALID_ARGUMENT, "kuberaft: malformed command"));
            engine.apply(Command.getDefaultInstance(), entry.getTerm(), entry.getIndex());
        }
        // A RocksDB failure throws out of here and Ratis stops this replica: better than diverging.
        updateLastAppliedTermIndex(entry.getTerm(), entry.getIndex());
        return CompletableFuture.completedFuture(Message.valueOf(UnsafeByteOperations.unsafeWrap(result.toByteArray())));
    }

    @Override
    public CompletableFuture<Message> query(Message request) {
        QueryResult result = queryLocal(request.getContent());
        return CompletableFuture.completedFuture(Message.valueOf(UnsafeByteOperations.unsafeWrap(result.toByteArray())));
    }

    /** Serves a query from this replica's applied state, without any Raft round. */
    public QueryResult queryLocal(ByteString content) {
        engineLock.readLock().lock();
        try {
            Query q = Query.parseFrom(content.asReadOnlyByteBuffer());
            StoreEngine e = engine;
            if (e == null) {
                return QueryResult.newBuilder().setError(Results.error(
                        new StoreException(ErrorCode.UNAVAILABLE, "kuberaft: replica is stopping")).getError()).build();
            }
            return e.query(q);
        } catch (InvalidProtocolBufferException e) {
            return QueryResult.newBuilder()
                    .setError(Results.error(new StoreException(ErrorCode.INVALID_ARGUMENT, "kuberaft: malformed query")).getError())
                    .build();
        } finally {
            engineLock.readLock().unlock();
        }
    }

    @Override
    public long takeSnapshot() throws IOException {
        // Runs on the apply thread, so the checkpoint holds exactly the applied state.
        TermIndex last = getLastAppliedTermIndex();
        if (last == null || last.getIndex() <= 0) {
            return -1;
        }
        Path target = storage.pathFor(last.getTerm(), last.getIndex());
        if (!Files.exists(target)) {
            Path tmp = target.resolveSibling(target.getFileName() + ".tmp");
            CheckpointSnapshotStorage.deleteTree(tmp);
            engine.mvcc().checkpoint(tmp);
            Files.move(tmp, target);
        }
        storage.refresh();
        LOG.info("{}: snapshot taken at {}", getId(), last);
        return last.getIndex();
    }

    @Override
    public void pause() {
        LifeCycle lc = getLifeCycle();
        if (lc.getCurrentState() == LifeCycle.State.RUNNING) {
            lc.transition(LifeCycle.State.PAUSING);
            lc.transition(LifeCycle.State.PAUSED);
        }
    }

    /** Ratis installed a snapshot from the leader: replace the database with its checkpoint. */
    @Override
    public void reinitialize() throws IOException {
        engineLock.writeLock().lock();
        try {
            Path newest = storage.newest().orElseThrow(() -> new IOException("no snapshot to reinitialize from"));
            storage.refresh();
            engine.close();
            restoreFromCheckpoint(newest);
            openEngine();
            resetAppliedToSnapshot();
            LOG.info("{}: reinitialized from installed snapshot {}", getId(), newest.getFileName());
        } finally {
            engineLock.writeLock().unlock();
        }
        LifeCycle lc = getLifeCycle();
        if (lc.getCurrentState() == LifeCycle.State.PAUSED) {
            lc.transition(LifeCycle.State.STARTING);
            lc.transition(LifeCycle.State.RUNNING);
        }
    }

    private void restoreFromCheckpoint(Path checkpoint) throws IOException {
        CheckpointSnapshotStorage.deleteTree(dbDir);
        Files.createDirectories(dbDir);
        try (Stream<Path> s = Files.list(checkpoint)) {
            for (Path f : s.filter(Files::isRegularFile).filter(p -> !p.toString().endsWith(".md5")).toList()) {
                Files.copy(f, dbDir.resolve(f.getFileName()));
            }
        }
    }

    // ---- leadership ----

    @Override
    public void notifyLeaderChanged(RaftGroupMemberId groupMemberId, RaftPeerId newLeaderId) {
        leaderChanges.incrementAndGet();
        if (newLeaderId != null) {
            events.execute(() -> leaderChangeListeners.forEach(l -> l.accept(newLeaderId)));
        }
    }

    /** {@code l} hears of every new leader this replica learns of (off Ratis' threads, in order). */
    void onLeaderChange(Consumer<RaftPeerId> l) {
        leaderChangeListeners.add(l);
    }

    /** How many times this replica has seen the leader change (etcd_server_leader_changes_seen_total). */
    public long leaderChanges() {
        return leaderChanges.get();
    }

    @Override
    public void notifyLeaderReady() {
        long term;
        try {
            term = getServer().join().getDivision(getGroupId()).getInfo().getCurrentTerm();
        } catch (IOException e) {
            LOG.error("{}: leader ready but the division is gone", getId(), e);
            return;
        }
        events.execute(() -> {
            readyTerm = term;
            listeners.forEach(l -> l.onLeaderReady(term));
        });
    }

    @Override
    public void notifyNotLeader(Collection<TransactionContext> pendingEntries) {
        events.execute(() -> {
            readyTerm = 0;
            listeners.forEach(LeadershipListener::onNotLeader);
        });
    }

    /** {@code l} runs when Ratis closes this state machine's division by itself (not a stop of the server). */
    void onDivisionShutdown(Runnable l) {
        divisionShutdownListener = l;
    }

    /**
     * {@code allServer} is a stop of the whole server. Otherwise Ratis closed only this division, and
     * already closed this state machine: an election found this replica outside the configuration
     * (LeaderElection's NOT_IN_CONF or a voter's shouldShutdown). Called on Ratis' election thread.
     */
    @Override
    public void notifyServerShutdown(RoleInfoProto roleInfo, boolean allServer) {
        if (!allServer) {
            LOG.warn("{}: Ratis shut this replica's Raft division down (as {})", getId(), roleInfo.getRole());
            divisionShutdownListener.run();
        }
    }

    @Override
    public void close() throws IOException {
        events.shutdown();
        engineLock.writeLock().lock();
        try {
            if (engine != null) {
                engine.close();
                engine = null;
            }
        } finally {
            engineLock.writeLock().unlock();
        }
        super.close();
    }
}
