package io.kuberaft.raftstore.raft;

import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * How one control-plane replica runs its Raft peer.
 *
 * @param id                   this replica's Raft peer id, e.g. {@code m1}
 * @param peers                every voting member (id → host:raftPort), this one included; ignored
 *                             when {@code join} is set (the replica waits to be added)
 * @param dataDir              RocksDB, snapshots and the Raft log live here
 * @param electionTimeoutMin   see reference-numbers.md: the Ratis default (150 ms) flaps on a JVM
 * @param requestTimeout       bound on a write or linearizable read, retries included: past it the
 *                             caller gets UNAVAILABLE instead of a hang
 * @param snapshotThreshold    log entries between automatic snapshots (the log is purged after them)
 * @param compactionRetention  revisions of history kept by the leader's automatic compaction (0 = off)
 * @param logSegmentBytes      Raft log segment size; only closed segments are purged, and tiny
 *                             segments made purging slow enough to unseat leaders in IoTDB
 * @param join                 start with no group and wait for {@code member add}
 */
public record ReplicaConfig(String id, Map<String, String> peers, Path dataDir,
                            Duration electionTimeoutMin, Duration electionTimeoutMax,
                            Duration requestTimeout, long snapshotThreshold,
                            long compactionRetention, Duration compactionInterval,
                            Duration leaseCheckInterval, long logSegmentBytes, boolean join) {

    public static final Duration DEFAULT_ELECTION_MIN = Duration.ofMillis(1000);
    public static final Duration DEFAULT_ELECTION_MAX = Duration.ofMillis(2000);

    public static ReplicaConfig of(String id, Map<String, String> peers, Path dataDir) {
        return new ReplicaConfig(id, peers, dataDir, DEFAULT_ELECTION_MIN, DEFAULT_ELECTION_MAX,
                Duration.ofSeconds(5), 10_000, 10_000, Duration.ofMinutes(1), Duration.ofMillis(500), 64L << 20, false);
    }

    public ReplicaConfig withElectionTimeout(Duration min, Duration max) {
        return new ReplicaConfig(id, peers, dataDir, min, max, requestTimeout, snapshotThreshold,
                compactionRetention, compactionInterval, leaseCheckInterval, logSegmentBytes, join);
    }

    public ReplicaConfig withSnapshotThreshold(long threshold) {
        return new ReplicaConfig(id, peers, dataDir, electionTimeoutMin, electionTimeoutMax, requestTimeout, threshold,
                compactionRetention, compactionInterval, leaseCheckInterval, logSegmentBytes, join);
    }

    public ReplicaConfig withCompaction(long retention, Duration interval) {
        return new ReplicaConfig(id, peers, dataDir, electionTimeoutMin, electionTimeoutMax, requestTimeout, snapshotThreshold,
                retention, interval, leaseCheckInterval, logSegmentBytes, join);
    }

    public ReplicaConfig withRequestTimeout(Duration timeout) {
        return new ReplicaConfig(id, peers, dataDir, electionTimeoutMin, electionTimeoutMax, timeout, snapshotThreshold,
                compactionRetention, compactionInterval, leaseCheckInterval, logSegmentBytes, join);
    }

    public ReplicaConfig joining(boolean joining) {
        return new ReplicaConfig(id, peers, dataDir, electionTimeoutMin, electionTimeoutMax, requestTimeout, snapshotThreshold,
                compactionRetention, compactionInterval, leaseCheckInterval, logSegmentBytes, joining);
    }

    public ReplicaConfig withLogSegmentBytes(long bytes) {
        return new ReplicaConfig(id, peers, dataDir, electionTimeoutMin, electionTimeoutMax, requestTimeout, snapshotThreshold,
                compactionRetention, compactionInterval, leaseCheckInterval, bytes, join);
    }

    /** This replica's Raft address. */
    public String address() {
        String a = peers.get(id);
        if (a == null) {
            throw new IllegalArgumentException("--peers has no entry for this replica's id " + id);
        }
        return a;
    }

    /** Parses {@code m1=127.0.0.1:7001,m2=127.0.0.1:7002}. */
    public static Map<String, String> parsePeers(String spec) {
        Map<String, String> peers = new LinkedHashMap<>();
        for (String part : spec.split(",")) {
            String p = part.trim();
            if (p.isEmpty()) {
                continue;
            }
            int eq = p.indexOf('=');
            if (eq <= 0 || eq == p.length() - 1 || !p.substring(eq + 1).contains(":")) {
                throw new IllegalArgumentException("bad peer '" + p + "': expected id=host:port");
            }
            peers.put(p.substring(0, eq), p.substring(eq + 1));
        }
        if (peers.isEmpty()) {
            throw new IllegalArgumentException("no peers given");
        }
        return peers;
    }

    public static int portOf(String hostPort) {
        return Integer.parseInt(hostPort.substring(hostPort.lastIndexOf(':') + 1));
    }
}
