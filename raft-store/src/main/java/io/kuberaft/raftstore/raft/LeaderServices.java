package io.kuberaft.raftstore.raft;

import io.etcd.jetcd.api.CompactionRequest;
import io.kuberaft.raftstore.errors.StoreException;
import io.kuberaft.raftstore.mvcc.MvccStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.List;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * The store's own leader-only work: deciding lease expiry and compacting old history. Both are
 * proposed as fenced commands, so a deposed leader that has not noticed yet changes nothing.
 */
final class LeaderServices implements LeadershipListener {
    private static final Logger LOG = LoggerFactory.getLogger(LeaderServices.class);

    private final RaftKvStore store;
    private final Supplier<MvccStore> mvcc;
    private final ReplicaConfig config;
    private final ScheduledExecutorService scheduler;
    private ScheduledFuture<?> leaseLoop;
    private ScheduledFuture<?> compactLoop;

    LeaderServices(RaftKvStore store, Supplier<MvccStore> mvcc, ReplicaConfig config, ScheduledExecutorService scheduler) {
        this.store = store;
        this.mvcc = mvcc;
        this.config = config;
        this.scheduler = scheduler;
    }

    @Override
    public synchronized void onLeaderReady(long term) {
        stop();
        // etcd's lessor.Promote: a new leader cannot know when followers last heard a keep-alive,
        // so every lease gets a full TTL from now rather than expiring early.
        mvcc.get().renewAllLeases();
        RaftKvStore fenced = store.fencedStore(term);
        long leaseMs = config.leaseCheckInterval().toMillis();
        leaseLoop = scheduler.scheduleWithFixedDelay(() -> expireLeases(fenced), leaseMs, leaseMs, TimeUnit.MILLISECONDS);
        if (config.compactionRetention() > 0) {
            long ms = config.compactionInterval().toMillis();
            compactLoop = scheduler.scheduleWithFixedDelay(() -> compact(fenced), ms, ms, TimeUnit.MILLISECONDS);
        }
        LOG.info("leader services started for term {}", term);
    }

    @Override
    public synchronized void onNotLeader() {
        stop();
    }

    private void stop() {
        if (leaseLoop != null) {
            leaseLoop.cancel(false);
            leaseLoop = null;
        }
        if (compactLoop != null) {
            compactLoop.cancel(false);
            compactLoop = null;
        }
    }

    private void expireLeases(RaftKvStore fenced) {
        try {
            List<Long> expired = mvcc.get().expiredLeases();
            if (!expired.isEmpty()) {
                fenced.leaseExpire(expired).join();
                LOG.info("expired leases {}", expired);
            }
        } catch (RuntimeException e) {
            LOG.warn("lease expiry failed: {}", StoreException.unwrap(e).getMessage());
        }
    }

    private void compact(RaftKvStore fenced) {
        try {
            MvccStore m = mvcc.get();
            long target = m.currentRevision() - config.compactionRetention();
            if (target > m.compactedRevision()) {
                fenced.compact(CompactionRequest.newBuilder().setRevision(target).build()).join();
                LOG.info("compacted history up to revision {}", target);
            }
        } catch (RuntimeException e) {
            LOG.warn("automatic compaction failed: {}", StoreException.unwrap(e).getMessage());
        }
    }
}
