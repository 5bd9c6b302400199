package io.kuberaft.controllers.runtime;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Predicate;

/**
 * upstream's controller expectations, by object name: a controller records each object it created (or
 * deleted) under its owner's key, and does not act on that owner again until its informer cache shows
 * every recorded write — else a stale cache makes it create (or delete) twice. A write the cache
 * never shows (created and deleted at once) stops counting after {@link #TTL_NANOS}, as upstream's.
 */
public final class NameExpectations {
    private static final long TTL_NANOS = 30_000_000_000L;
    private final Map<String, Map<String, Long>> pending = new ConcurrentHashMap<>();

    /** {@code name} was written for {@code key}: wait for the cache to show it. */
    public void expect(String key, String name) {
        pending.computeIfAbsent(key, k -> new ConcurrentHashMap<>()).put(name, System.nanoTime() + TTL_NANOS);
    }

    /** An informer event showed {@code name} (or the write failed): stop waiting for it. */
    public void observed(String key, String name) {
        Map<String, Long> m = pending.get(key);
        if (m != null) {
            m.remove(name);
        }
    }

    /** True when every recorded write of {@code key} is {@code seen} in the cache (or expired). */
    public boolean satisfied(String key, Predicate<String> seen) {
        Map<String, Long> m = pending.get(key);
        if (m == null) {
            return true;
        }
        long now = System.nanoTime();
        m.entrySet().removeIf(e -> seen.test(e.getKey()) || now - e.getValue() > 0);
        return m.isEmpty();
    }

    public void forget(String key) {
        pending.remove(key);
    }
}
