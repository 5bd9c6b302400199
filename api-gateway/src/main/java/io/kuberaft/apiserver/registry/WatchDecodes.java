package io.kuberaft.apiserver.registry;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.etcd.jetcd.api.KeyValue;

import java.util.LinkedHashMap;
import java.util.function.Supplier;

/**
 * The recent watch events' objects, decoded once however many watchers see them, as upstream's watch cache decodes
 * an event once and then filters it per watcher: with a pod watch per node agent, decoding per watcher cost every
 * pod change one JSON parse per node. The watch hub hands every watcher of a revision the same event instances, so
 * the stored value's identity (and the definition it is served as) finds the watcher before's decode.
 */
final class WatchDecodes {
    /**
     * Enough for the events of one revision (a txn's few keys) to meet every watcher; older ones are not asked for.
     * Bounded in stored bytes as well: a decoded object takes several times its JSON, and objects may be ~1.5 MiB.
     */
    private static final int RECENT = 64;
    private static final long RECENT_BYTES = 8L << 20;

    /** {@code deletedAt}: 0 for the object as stored, else the revision that deleted it (its resourceVersion then). */
    private record Key(ResourceDefinition def, KeyValue kv, long deletedAt) {
        @Override
        public boolean equals(Object o) {
            return o instanceof Key k && k.def == def && k.kv == kv && k.deletedAt == deletedAt;
        }

        @Override
        public int hashCode() {
            return (31 * System.identityHashCode(def) + System.identityHashCode(kv)) * 31 + Long.hashCode(deletedAt);
        }
    }

    private final LinkedHashMap<Key, WatchObject> recent = new LinkedHashMap<>(RECENT * 2, 0.75f, true);
    private long bytes;

    /** {@code kv} served as {@code def}, decoded by {@code decode} unless a watcher of the same event did already. */
    synchronized WatchObject get(ResourceDefinition def, KeyValue kv, long deletedAt, Supplier<ObjectNode> decode) {
        Key key = new Key(def, kv, deletedAt);
        WatchObject o = recent.get(key);
        if (o == null) {
            o = new WatchObject(decode.get());
            recent.put(key, o);
            bytes += kv.getValue().size();
            var eldest = recent.entrySet().iterator();
            while (recent.size() > 1 && (recent.size() > RECENT || bytes > RECENT_BYTES)) {
                bytes -= eldest.next().getKey().kv().getValue().size();
                eldest.remove();
            }
        }
        return o;
    }
}
