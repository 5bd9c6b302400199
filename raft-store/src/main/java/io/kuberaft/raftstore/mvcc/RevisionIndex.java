package io.kuberaft.raftstore.mvcc;

import com.google.protobuf.ByteString;

import java.util.ArrayList;
import java.util.List;
import java.util.NavigableMap;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.function.BiConsumer;

/**
 * The in-memory key → revisions index (etcd's treeIndex). The values themselves live in RocksDB
 * under their {@link Revision}. Rebuilt from the history column family when the store opens.
 */
final class RevisionIndex {
    private final ConcurrentSkipListMap<ByteString, KeyIndex> keys = new ConcurrentSkipListMap<>(KeyRange.ORDER);

    KeyIndex get(ByteString key) {
        return keys.get(key);
    }

    KeyIndex getOrCreate(ByteString key) {
        return keys.computeIfAbsent(key, k -> new KeyIndex());
    }

    /** Visits every key of the range that has any entry, in key order. */
    void forEachInRange(KeyRange range, BiConsumer<ByteString, KeyIndex> visitor) {
        if (range.isSingleKey()) {
            KeyIndex ki = keys.get(range.start());
            if (ki != null) {
                visitor.accept(range.start(), ki);
            }
            return;
        }
        if (!range.isOpenEnded() && KeyRange.ORDER.compare(range.start(), range.end()) >= 0) {
            return; // etcd: a range_end at or below the key selects no key (subMap would throw)
        }
        NavigableMap<ByteString, KeyIndex> sub = range.isOpenEnded()
                ? keys.tailMap(range.start(), true)
                : keys.subMap(range.start(), true, range.end(), false);
        sub.forEach(visitor);
    }

    /** Compacts every key; returns the dropped entries with their keys. */
    List<KeyIndex.Entry> compact(long compactRev) {
        List<KeyIndex.Entry> dropped = new ArrayList<>();
        keys.forEach((key, ki) -> {
            dropped.addAll(ki.compact(compactRev));
            if (ki.isEmpty()) {
                keys.remove(key, ki);
            }
        });
        return dropped;
    }

    void clear() {
        keys.clear();
    }

    int size() {
        return keys.size();
    }
}
