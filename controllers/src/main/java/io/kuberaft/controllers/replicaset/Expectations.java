package io.kuberaft.controllers.replicaset;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Collection;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * upstream's UIDTrackingControllerExpectations: before a controller creates or deletes pods it
 * records how many creations and which deletions it expects to see; informer events lower them, and
 * the controller does not act on a key again until its expectations are met (or have expired after
 * five minutes, as upstream). This is what keeps a stale pod cache from creating duplicates. A new
 * instance is made per leadership term, so expectations never outlive one.
 */
public final class Expectations {
    static final Duration TTL = Duration.ofMinutes(5);
    private final Clock clock;
    private final Map<String, Entry> entries = new ConcurrentHashMap<>();

    private static final class Entry {
        int adds;
        final Set<String> deletes = new HashSet<>();
        final Instant timestamp;

        Entry(Instant timestamp) {
            this.timestamp = timestamp;
        }
    }

    public Expectations(Clock clock) {
        this.clock = clock;
    }

    /** True when the controller may act on {@code key}: nothing pending, nothing recorded, or expired. */
    public boolean satisfied(String key) {
        Entry e = entries.get(key);
        if (e == null) {
            return true;
        }
        synchronized (e) {
            if (e.adds <= 0 && e.deletes.isEmpty()) {
                return true;
            }
            return Duration.between(e.timestamp, clock.instant()).compareTo(TTL) > 0;
        }
    }

    /** Replaces {@code key}'s expectations with {@code adds} creations to observe. */
    public void expectCreations(String key, int adds) {
        Entry e = new Entry(clock.instant());
        e.adds = adds;
        entries.put(key, e);
    }

    /** Replaces {@code key}'s expectations with the deletion of these pods (namespace/name keys). */
    public void expectDeletions(String key, Collection<String> podKeys) {
        Entry e = new Entry(clock.instant());
        e.deletes.addAll(podKeys);
        entries.put(key, e);
    }

    /** A pod of {@code key} was seen created (or a creation failed and will never be seen). */
    public void creationObserved(String key) {
        Entry e = entries.get(key);
        if (e != null) {
            synchronized (e) {
                e.adds--;
            }
        }
    }

    /** Pod {@code podKey} of {@code key} was seen deleted or terminating (or its deletion failed). */
    public void deletionObserved(String key, String podKey) {
        Entry e = entries.get(key);
        if (e != null) {
            synchronized (e) {
                e.deletes.remove(podKey);
            }
        }
    }

    /** The owner is gone: forget it. */
    public void delete(String key) {
        entries.remove(key);
    }

    /** Pending creations and deletions of {@code key}, for tests and logs. */
    String describe(String key) {
        Entry e = entries.get(key);
        if (e == null) {
            return "none";
        }
        synchronized (e) {
            return "adds=" + e.adds + " deletes=" + e.deletes;
        }
    }
}
