package io.kuberaft.controllers.nodelifecycle;

import io.fabric8.kubernetes.api.model.Node;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import java.util.function.LongSupplier;
import java.util.function.Predicate;
import java.util.function.Supplier;

/**
 * Orders the lifting of a node's NoExecute taints after the taint evictions that began while they were on. Without
 * it the taint-eviction-controller decides from its cache (taint still there) while the node-lifecycle-controller lifts
 * the taint of a node that came back, and the eviction's delete lands after the taint is gone: a pod deleted from a
 * Ready, untainted node (the chaos node-lifecycle checker caught one once writes were group-committed, ci-short seed
 * 1795552798). Upstream's two controllers race the same way; here both run in the leader's process, so a lock per
 * node closes the window: an eviction holds it shared through its writes, a lift takes it exclusively (or waits for
 * the next pass), and an eviction whose cache has not yet seen the last lift does not start.
 */
final class NoExecuteTaintFence {
    private final Map<String, ReentrantReadWriteLock> locks = new ConcurrentHashMap<>();
    /** The Node's resourceVersion after this term's last lift of its NoExecute taints. */
    private final Map<String, Long> liftedAt = new ConcurrentHashMap<>();

    private ReentrantReadWriteLock lock(String node) {
        return locks.computeIfAbsent(node, k -> new ReentrantReadWriteLock());
    }

    /**
     * Runs {@code eviction} if the node, as {@code current} gives it once no lift is in flight, is still {@code due}
     * and is not older than the last lift; false when it did not run (decide again from a newer cache).
     */
    boolean evict(String node, Supplier<Node> current, Predicate<Node> due, Runnable eviction) {
        ReentrantReadWriteLock.ReadLock l = lock(node).readLock();
        l.lock();
        try {
            Node n = current.get();
            Long lifted = liftedAt.get(node);
            if (n == null || !due.test(n) || lifted != null && resourceVersion(n) < lifted) {
                return false;
            }
            eviction.run();
            return true;
        } finally {
            l.unlock();
        }
    }

    /**
     * Runs {@code lift} (an update that removes NoExecute taints, returning the Node's new resourceVersion) unless an
     * eviction from the node is in flight; false when it did not run (try again soon).
     */
    boolean lift(String node, LongSupplier lift) {
        ReentrantReadWriteLock.WriteLock l = lock(node).writeLock();
        if (!l.tryLock()) {
            return false;
        }
        try {
            liftedAt.merge(node, lift.getAsLong(), Math::max);
            return true;
        } finally {
            l.unlock();
        }
    }

    static long resourceVersion(Node n) {
        try {
            return Long.parseLong(n.getMetadata().getResourceVersion());
        } catch (RuntimeException e) {
            return Long.MAX_VALUE; // not ours to compare: never held back
        }
    }
}
