package io.kuberaft.raftstore.metrics;

import io.kuberaft.raftstore.raft.RaftReplica;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;

import java.util.function.ToDoubleFunction;

/**
 * The store's metrics under the names etcd users know (etcd_server_*, etcd_mvcc_*), read from the
 * replica when scraped.
 */
public final class StoreMetrics {
    private StoreMetrics() {
    }

    public static void bind(RaftReplica replica, MeterRegistry registry) {
        gauge(registry, "etcd_server_is_leader", "Whether this replica is the Raft leader (1) or not (0)",
                replica, r -> safe(() -> r.isLeader() ? 1 : 0));
        gauge(registry, "etcd_server_has_leader", "Whether a leader is known (1) or not (0)",
                replica, r -> safe(() -> r.clusterView().leaderId() != 0 ? 1 : 0));
        FunctionCounter.builder("etcd_server_leader_changes_seen_total", replica, r -> r.stateMachine().leaderChanges())
                .description("The number of leader changes seen").register(registry);
        FunctionCounter.builder("etcd_server_proposals_committed_total", replica, r -> safe(() -> r.clusterView().commitIndex()))
                .description("The total number of consensus proposals committed").register(registry);
        FunctionCounter.builder("etcd_server_proposals_applied_total", replica, r -> safe(() -> r.clusterView().appliedIndex()))
                .description("The total number of consensus proposals applied").register(registry);
        gauge(registry, "etcd_server_proposals_pending", "Writes proposed through this replica and not answered yet",
                replica, r -> r.raftStore().pendingProposals());
        FunctionCounter.builder("etcd_server_proposals_failed_total", replica, r -> r.raftStore().failedProposals())
                .description("Writes through this replica that got no answer from the log").register(registry);
        gauge(registry, "etcd_server_term", "The current Raft term", replica, r -> safe(() -> r.clusterView().term()));
        gauge(registry, "etcd_mvcc_db_total_size_in_bytes", "Size of the store's RocksDB files",
                replica, r -> safe(() -> r.engine().mvcc().sizeOnDisk()));
        gauge(registry, "etcd_debugging_mvcc_current_revision", "The store's current revision",
                replica, r -> safe(() -> r.engine().mvcc().currentRevision()));
        gauge(registry, "etcd_debugging_mvcc_compact_revision", "The revision of the last compaction",
                replica, r -> safe(() -> r.engine().mvcc().compactedRevision()));
        gauge(registry, "etcd_debugging_mvcc_watcher_total", "Watches registered on this replica",
                replica, r -> safe(() -> r.engine().mvcc().watchHub().size()));
    }

    private static <T> void gauge(MeterRegistry registry, String name, String help, T obj, ToDoubleFunction<T> f) {
        Gauge.builder(name, obj, f).description(help).register(registry);
    }

    private interface Reading {
        double get();
    }

    /** A replica that is restoring a snapshot or stopping reports NaN rather than failing the scrape. */
    private static double safe(Reading r) {
        try {
            return r.get();
        } catch (RuntimeException e) {
            return Double.NaN;
        }
    }
}
