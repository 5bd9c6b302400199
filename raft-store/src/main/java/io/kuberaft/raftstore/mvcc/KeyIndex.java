package io.kuberaft.raftstore.mvcc;

import java.util.ArrayList;
import java.util.List;

/**
 * The revisions of one key, oldest first. A key lives through generations: a put after a delete
 * (tombstone) starts a new one with a fresh create revision and version 1. Mutated only by the apply
 * thread; read concurrently, hence synchronized.
 */
final class KeyIndex {
    /** One revision of the key, with the metadata the stored KeyValue carries. */
    record Entry(Revision rev, long createRevision, long version, boolean tombstone) {
    }

    private final List<Entry> entries = new ArrayList<>(2);

    synchronized void add(Entry e) {
        entries.add(e);
    }

    /** The latest entry at or before revision {@code atRev} (any sub), or null. */
    synchronized Entry at(long atRev) {
        int i = indexAt(atRev);
        return i < 0 ? null : entries.get(i);
    }

    /** The live (non-tombstone) entry at {@code atRev}, or null if the key did not exist then. */
    Entry liveAt(long atRev) {
        Entry e = at(atRev);
        return e == null || e.tombstone() ? null : e;
    }

    synchronized Entry latest() {
        return entries.isEmpty() ? null : entries.get(entries.size() - 1);
    }

    /** The entry just before {@code rev}, if it is a live one: the "previous KV" of a watch event. */
    synchronized Entry liveBefore(Revision rev) {
        for (int i = entries.size() - 1; i >= 0; i--) {
            Entry e = entries.get(i);
            if (e.rev().compareTo(rev) < 0) {
                return e.tombstone() ? null : e;
            }
        }
        return null;
    }

    /**
     * Drops the revisions no read at or after {@code compactRev} can see: everything before the latest
     * entry at or below it, and that entry too if it is a tombstone.
     *
     * @return the dropped entries, whose stored values the caller deletes
     */
    synchronized List<Entry> compact(long compactRev) {
        int keep = indexAt(compactRev);
        if (keep < 0) {
            return List.of();
        }
        if (entries.get(keep).tombstone()) {
            keep++;
        }
        List<Entry> dropped = new ArrayList<>(entries.subList(0, keep));
        entries.subList(0, keep).clear();
        return dropped;
    }

    synchronized boolean isEmpty() {
        return entries.isEmpty();
    }

    private int indexAt(long atRev) {
        int lo = 0;
        int hi = entries.size() - 1;
        int found = -1;
        while (lo <= hi) {
            int mid = (lo + hi) >>> 1;
            if (entries.get(mid).rev().main() <= atRev) {
                found = mid;
                lo = mid + 1;
            } else {
                hi = mid - 1;
            }
        }
        return found;
    }
}
