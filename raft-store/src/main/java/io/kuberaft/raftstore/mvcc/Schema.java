package io.kuberaft.raftstore.mvcc;

import org.rocksdb.RocksDB;

import java.nio.charset.StandardCharsets;
import java.util.List;

/** Every RocksDB column family of the store, declared once. */
public final class Schema {
    private Schema() {
    }

    /** Revision (16 bytes, 't' for a tombstone) → mvccpb.KeyValue: the whole keyed history. */
    public static final String KV = "kv";
    /** Store-wide values: current revision, compaction point, applied (term, index). */
    public static final String META = "meta";
    /** Lease id (8 bytes) → granted TTL (8 bytes). */
    public static final String LEASE = "lease";
    /** Client id + request seq → the encoded CommandResult: exactly-once across retries. */
    public static final String SESSION = "session";

    static final List<String> FAMILIES = List.of(KV, META, LEASE, SESSION);

    static final byte[] META_REVISION = bytes("revision");
    static final byte[] META_COMPACTED = bytes("compacted");
    static final byte[] META_APPLIED = bytes("applied");

    static byte[] name(String family) {
        return family.equals("default") ? RocksDB.DEFAULT_COLUMN_FAMILY : bytes(family);
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
