package io.kuberaft.raftstore.mvcc;

import com.google.protobuf.ByteString;
import io.etcd.jetcd.api.Event;
import io.etcd.jetcd.api.KeyValue;
import io.etcd.jetcd.api.RangeRequest;
import io.etcd.jetcd.api.RangeResponse;
import io.kuberaft.raftstore.errors.StoreException;
import org.rocksdb.RocksDBException;
import org.rocksdb.WriteBatch;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The changes of one applied log entry: all of them get the same main revision (if any key
 * changes), and all of them, with the applied (term, index), go to RocksDB in one WriteBatch in
 * {@link #end}. Reads through the txn see its own earlier writes, as in etcd. Callers validate before
 * writing: once a change is made there is no rollback, only {@link #end} or a replica stop.
 */
public final class WriteTxn {
    private final MvccStore store;
    private final WriteBatch batch = new WriteBatch();
    private final long beginRevision;
    private final Map<Revision, KeyValue> pending = new HashMap<>();
    private final List<Event> events = new ArrayList<>();
    private long compacted;
    private int sub;

    WriteTxn(MvccStore store) {
        this.store = store;
        this.beginRevision = store.currentRevision();
        this.compacted = store.compactedRevision();
    }

    /** The revision this txn's changes get. */
    private long writeRevision() {
        return beginRevision + 1;
    }

    /** The revision the caller should report: the new one if anything changed. */
    public long revision() {
        return sub > 0 ? writeRevision() : beginRevision;
    }

    /** Reads see this txn's own writes. */
    public RangeResponse range(RangeRequest req) {
        long rev = req.getRevision() <= 0 ? revision() : req.getRevision();
        if (rev > revision()) {
            throw StoreException.futureRevision();
        }
        return store.range(req, rev, this);
    }

    /**
     * The live keys of {@code range} as this txn sees them, with create and mod revision and version but no value:
     * what a compare on those fields needs, from the key index alone, without reading and parsing each value.
     */
    public List<KeyValue> liveKeys(KeyRange range) {
        long rev = revision();
        List<KeyValue> out = new ArrayList<>(1);
        store.index().forEachInRange(range, (key, ki) -> {
            KeyIndex.Entry e = ki.liveAt(rev);
            if (e != null) {
                out.add(KeyValue.newBuilder().setKey(key).setCreateRevision(e.createRevision()).setModRevision(e.rev().main())
                        .setVersion(e.version()).build());
            }
        });
        return out;
    }

    KeyValue read(KeyIndex.Entry e) {
        KeyValue kv = pending.get(e.rev());
        return kv != null ? kv : store.readValue(e);
    }

    /** The live value of a key as this txn sees it, or null. */
    public KeyValue get(ByteString key) {
        KeyIndex ki = store.index().get(key);
        KeyIndex.Entry e = ki == null ? null : ki.liveAt(revision());
        return e == null ? null : read(e);
    }

    public boolean leaseExists(long id) {
        return store.lessor().exists(id);
    }

    /** Stores a new version of {@code key}; returns the previous live value or null. */
    public KeyValue put(ByteString key, ByteString value, long lease, boolean needPrev) {
        KeyIndex ki = store.index().getOrCreate(key);
        KeyIndex.Entry prevEntry = ki.liveAt(revision());
        KeyValue prev = prevEntry == null ? null : read(prevEntry);
        long rev = writeRevision();
        Revision r = new Revision(rev, sub++);
        long create = prevEntry == null ? rev : prevEntry.createRevision();
        long version = prevEntry == null ? 1 : prevEntry.version() + 1;
        KeyValue kv = KeyValue.newBuilder().setKey(key).setValue(value).setLease(lease)
                .setCreateRevision(create).setModRevision(rev).setVersion(version).build();
        batchPut(Schema.KV, r.toKey(false), kv.toByteArray());
        pending.put(r, kv);
        ki.add(new KeyIndex.Entry(r, create, version, false));
        if (prev != null && prev.getLease() != 0 && prev.getLease() != lease) {
            store.lessor().detach(prev.getLease(), key);
        }
        if (lease != 0) {
            store.lessor().attach(lease, key);
        }
        Event.Builder ev = Event.newBuilder().setType(Event.EventType.PUT).setKv(kv);
        if (prev != null && (needPrev || store.watchHub().wantsPrevKv())) {
            ev.setPrevKv(prev);
        }
        events.add(ev.build());
        return prev;
    }

    /** Deletes every live key of the range; returns the deleted values (only keys unless asked). */
    public List<KeyValue> deleteRange(KeyRange range, boolean needPrev) {
        List<ByteString> keys = new ArrayList<>();
        long rev = revision();
        store.index().forEachInRange(range, (key, ki) -> {
            if (ki.liveAt(rev) != null) {
                keys.add(key);
            }
        });
        List<KeyValue> deleted = new ArrayList<>(keys.size());
        boolean withValues = needPrev || store.watchHub().wantsPrevKv();
        for (ByteString key : keys) {
            deleted.add(delete(key, withValues));
        }
        return deleted;
    }

    private KeyValue delete(ByteString key, boolean withValue) {
        KeyIndex ki = store.index().get(key);
        KeyIndex.Entry prevEntry = ki.liveAt(revision());
        KeyValue prev = read(prevEntry);
        long rev = writeRevision();
        Revision r = new Revision(rev, sub++);
        KeyValue tomb = KeyValue.newBuilder().setKey(key).setModRevision(rev).build();
        batchPut(Schema.KV, r.toKey(true), tomb.toByteArray());
        pending.put(r, tomb);
        ki.add(new KeyIndex.Entry(r, 0, 0, true));
        if (prev.getLease() != 0) {
            store.lessor().detach(prev.getLease(), key);
        }
        Event.Builder ev = Event.newBuilder().setType(Event.EventType.DELETE).setKv(tomb);
        if (withValue) {
            ev.setPrevKv(prev);
        }
        events.add(ev.build());
        return withValue ? prev : KeyValue.newBuilder().setKey(key).build();
    }

    /** Removes history before {@code rev} (validated by the caller). */
    public void compact(long rev) {
        // Published before the index loses entries: a concurrent read of an older revision then fails
        // as compacted (MvccStore.range checks again after reading) instead of missing keys silently.
        store.compacting(rev);
        for (KeyIndex.Entry e : store.index().compact(rev)) {
            try {
                batch.delete(store.backend().family(Schema.KV), e.rev().toKey(e.tombstone()));
            } catch (RocksDBException ex) {
                throw fault(ex);
            }
        }
        compacted = rev;
        batchPut(Schema.META, Schema.META_COMPACTED, longBytes(rev));
    }

    public void grantLease(long id, long ttl) {
        store.lessor().grant(id, ttl);
        batchPut(Schema.LEASE, longBytes(id), longBytes(ttl));
    }

    /** Deletes the lease and every key attached to it, in key order. */
    public void revokeLease(long id) {
        for (ByteString key : store.lessor().keysOf(id)) {
            KeyIndex ki = store.index().get(key);
            if (ki != null && ki.liveAt(revision()) != null) {
                delete(key, store.watchHub().wantsPrevKv());
            }
        }
        store.lessor().remove(id);
        try {
            batch.delete(store.backend().family(Schema.LEASE), longBytes(id));
        } catch (RocksDBException e) {
            throw fault(e);
        }
    }

    public void renewLease(long id) {
        store.lessor().renew(id);
    }

    public long leaseTtl(long id) {
        Lessor.Lease l = store.lessor().get(id);
        return l == null ? 0 : l.ttlSeconds;
    }

    public long compactedRevision() {
        return compacted;
    }

    /** Session bookkeeping of the exactly-once layer, in the same batch as the data. */
    public byte[] getSession(byte[] key) {
        return store.backend().get(Schema.SESSION, key);
    }

    public void putSession(byte[] key, byte[] value) {
        batchPut(Schema.SESSION, key, value);
    }

    public void deleteSessions(byte[] fromInclusive, byte[] toExclusive) {
        try {
            batch.deleteRange(store.backend().family(Schema.SESSION), fromInclusive, toExclusive);
        } catch (RocksDBException e) {
            throw fault(e);
        }
    }

    /** Writes everything with the applied (term, index) atomically, then publishes the events. */
    public void end(long term, long logIndex) {
        end(term, logIndex, 0);
    }

    /**
     * As {@link #end(long, long)} for the command at {@code position} (1-based) of a batched entry that has commands
     * after it; 0 when the entry is complete with this txn. A replica that stops in the middle of a batch then resumes
     * it after the commands already in the database (RocksDB recovers a prefix of the writes).
     */
    public void end(long term, long logIndex, int position) {
        try {
            long rev = revision();
            batchPut(Schema.META, Schema.META_REVISION, longBytes(rev));
            ByteBuffer applied = ByteBuffer.allocate(position == 0 ? 16 : 20).putLong(term).putLong(logIndex);
            if (position != 0) {
                applied.putInt(position);
            }
            batchPut(Schema.META, Schema.META_APPLIED, applied.array());
            store.backend().write(batch);
            store.committed(rev, compacted, term, logIndex, position, events);
        } finally {
            batch.close();
        }
    }

    private void batchPut(String family, byte[] key, byte[] value) {
        try {
            batch.put(store.backend().family(family), key, value);
        } catch (RocksDBException e) {
            throw fault(e);
        }
    }

    private static byte[] longBytes(long v) {
        return ByteBuffer.allocate(8).putLong(v).array();
    }

    private static UncheckedIOException fault(RocksDBException e) {
        return new UncheckedIOException(new IOException("RocksDB batch failed: " + e.getMessage(), e));
    }
}
