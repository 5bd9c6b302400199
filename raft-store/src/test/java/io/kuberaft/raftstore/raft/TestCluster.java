package io.kuberaft.raftstore.raft;

import io.etcd.jetcd.api.PutRequest;
import io.kuberaft.raftstore.ReadConsistency;
import io.kuberaft.raftstore.errors.StoreException;
import com.google.protobuf.ByteString;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.BooleanSupplier;
import java.util.function.UnaryOperator;

/** N real Ratis replicas on loopback ports in this JVM, each with its own RocksDB and log. */
final class TestCluster implements AutoCloseable {
    final Map<String, String> peers = new LinkedHashMap<>();
    final Map<String, RaftReplica> replicas = new LinkedHashMap<>();
    private final Path root;
    private final UnaryOperator<ReplicaConfig> tweak;

    TestCluster(Path root, int n, UnaryOperator<ReplicaConfig> tweak) throws IOException {
        this.root = root;
        this.tweak = tweak;
        for (int i = 1; i <= n; i++) {
            peers.put("m" + i, "127.0.0.1:" + freePort());
        }
        for (String id : peers.keySet()) {
            start(id);
        }
    }

    static int freePort() {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    ReplicaConfig config(String id) {
        return tweak.apply(ReplicaConfig.of(id, peers, root.resolve(id)));
    }

    RaftReplica start(String id) throws IOException {
        RaftReplica r = RaftReplica.start(config(id));
        replicas.put(id, r);
        return r;
    }

    /** Stops a replica abruptly (its process would be SIGKILLed; here its server is closed). */
    void stop(String id) {
        RaftReplica r = replicas.remove(id);
        if (r != null) {
            r.close();
        }
    }

    Optional<RaftReplica> leader() {
        return replicas.values().stream().filter(r -> {
            try {
                return r.isLeader();
            } catch (RuntimeException e) {
                return false;
            }
        }).findFirst();
    }

    RaftReplica awaitLeader(Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            Optional<RaftReplica> l = leader();
            if (l.isPresent() && l.get().stateMachine().engine() != null) {
                return l.get();
            }
            pause(20);
        }
        throw new AssertionError("no leader within " + timeout);
    }

    RaftReplica anyFollower() {
        return replicas.values().stream().filter(r -> !r.isLeader()).findFirst().orElseThrow();
    }

    static void await(String what, Duration timeout, BooleanSupplier condition) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            if (condition.getAsBoolean()) {
                return;
            }
            pause(20);
        }
        throw new AssertionError("timed out after " + timeout + " waiting for: " + what);
    }

    private static void pause(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted");
        }
    }

    /** Waits until every running replica has applied the same state; returns the common hash. */
    long awaitConverged(Duration timeout) {
        long[] hash = new long[1];
        await("replicas converge to one state hash", timeout, () -> {
            Long h = null;
            long rev = -1;
            for (RaftReplica r : replicas.values()) {
                var st = r.raftStore().status(ReadConsistency.SERIALIZABLE).join();
                long hh = r.engine().mvcc().hash();
                if (h == null) {
                    h = hh;
                    rev = st.getRevision();
                } else if (h != hh || rev != st.getRevision()) {
                    return false;
                }
            }
            hash[0] = h;
            return true;
        });
        return hash[0];
    }

    static PutRequest put(String key, String value) {
        return PutRequest.newBuilder().setKey(ByteString.copyFromUtf8(key)).setValue(ByteString.copyFromUtf8(value)).build();
    }

    static boolean isRetryable(Throwable t) {
        return StoreException.unwrap(t).retryable();
    }

    @Override
    public void close() {
        for (String id : List.copyOf(replicas.keySet())) {
            stop(id);
        }
    }
}
