package io.kuberaft.raftstore.mvcc;

import com.google.protobuf.ByteString;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Leases and the keys attached to them. The granted TTLs are replicated state (persisted by
 * {@link MvccStore}); the renewal clock is not: each replica notes when it applied a grant or a
 * renew, the leader decides expiry from its own clock and replicates that decision as a command, so
 * every replica deletes the same keys at the same revision.
 */
final class Lessor {
    static final class Lease {
        final long id;
        final long ttlSeconds;
        /** Sorted, so a revoke deletes keys in the same order on every replica. */
        final Set<ByteString> keys = new TreeSet<>(KeyRange.ORDER);
        volatile long renewedAtNanos;

        Lease(long id, long ttlSeconds, long now) {
            this.id = id;
            this.ttlSeconds = ttlSeconds;
            this.renewedAtNanos = now;
        }

        long remainingSeconds(long now) {
            long left = ttlSeconds * 1_000_000_000L - (now - renewedAtNanos);
            return Math.max(0, (left + 999_999_999L) / 1_000_000_000L);
        }
    }

    private final Map<Long, Lease> leases = new ConcurrentHashMap<>();

    Lease get(long id) {
        return leases.get(id);
    }

    boolean exists(long id) {
        return leases.containsKey(id);
    }

    void grant(long id, long ttl) {
        leases.put(id, new Lease(id, ttl, System.nanoTime()));
    }

    Lease remove(long id) {
        return leases.remove(id);
    }

    void renew(long id) {
        Lease l = leases.get(id);
        if (l != null) {
            l.renewedAtNanos = System.nanoTime();
        }
    }

    /** A new leader gives every lease a full TTL from now, as etcd's lessor.Promote does. */
    void renewAll() {
        long now = System.nanoTime();
        leases.values().forEach(l -> l.renewedAtNanos = now);
    }

    void attach(long id, ByteString key) {
        Lease l = leases.get(id);
        if (l != null) {
            synchronized (l.keys) {
                l.keys.add(key);
            }
        }
    }

    void detach(long id, ByteString key) {
        Lease l = leases.get(id);
        if (l != null) {
            synchronized (l.keys) {
                l.keys.remove(key);
            }
        }
    }

    List<ByteString> keysOf(long id) {
        Lease l = leases.get(id);
        if (l == null) {
            return List.of();
        }
        synchronized (l.keys) {
            return new ArrayList<>(l.keys);
        }
    }

    /** Leases whose TTL has run out on this replica's clock. */
    List<Long> expired() {
        long now = System.nanoTime();
        List<Long> out = new ArrayList<>();
        for (Lease l : leases.values()) {
            if (now - l.renewedAtNanos > l.ttlSeconds * 1_000_000_000L) {
                out.add(l.id);
            }
        }
        out.sort(Long::compare);
        return out;
    }

    List<Long> ids() {
        List<Long> out = new ArrayList<>(leases.keySet());
        out.sort(Long::compare);
        return out;
    }

    void clear() {
        leases.clear();
    }
}
