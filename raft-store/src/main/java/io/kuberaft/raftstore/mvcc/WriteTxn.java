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
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The changes of one applied log entry: all of them, with the applied (term, index), go to RocksDB in
 * one WriteBatch in {@link #end}. The changes of one command get one main revision (if any key
 * changes); a batched entry calls {@link #nextCommand} between its commands, so each of them gets its
 * own revision and its own watch events, as consecutive entries would. Reads through the txn see its
 * own earlier writes, as in etcd. Callers validate before writing: once a change is made there is no
 * rollback, only {@link #end} or a replica stop.
 */
public final class WriteTxn {
    private final MvccStore store;
    private final WriteBatch batch = new WriteBatch();
    private final Map<Revision, KeyValue> pending = new HashMap<>();
    /** Session records written or range-deleted earlier in this txn (a batch's later command must see them). */
    private final Map<ByteBuffer, byte[]> pendingSessions = new HashMap<>();
    private final List<byte[][]> deletedSessions = new ArrayList<>();
    /** The events of the commands already done, by revision, in order. */
    private final List<MvccStore.Published> published = new ArrayList<>();
    private long beginRevision;
    private List<Event> events = new ArrayList<>();
    private long compacted;
    private int sub;

    WriteTxn(MvccStore store) {
        this.store = store;
        this.beginRevision = store.currentRevision();
        this.compacted = store.compactedRevision();
    }

    /**
     * Ends the current command of a batched entry: what the next one changes gets the next revision. The
     * outcome of the batch is as if each command had been an entry of its own.
     */
    public void nextCommand() {
        if (sub > 0) {
            published.add(new MvccStore.Published(writeRevision(), events));
            beginRevision = writeRevision();
            events = new ArrayList<>();
            sub = 0;
        }
    }

    /** The revision the current command's changes get. */
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
        byte[] written = pendingSessions.get(ByteBuffer.wrap(key));
        if (written != null) {
            return written;
        }
        for (byte[][] range : deletedSessions) {
            if (Arrays.compareUnsigned(key, range[0]) >= 0 && Arrays.compareUnsigned(key, range[1]) < 0) {
                return null;
            }
        }
        return store.backend().get(Schema.SESSION, key);
    }

    public void putSession(byte[] key, byte[] value) {
        pendingSessions.put(ByteBuffer.wrap(key), value);
        batchPut(Schema.SESSION, key, value);
    }

    public void deleteSessions(byte[] fromInclusive, byte[] toExclusive) {
        pendingSessions.keySet().removeIf(k -> Arrays.compareUnsigned(k.array(), fromInclusive) >= 0
                && Arrays.compareUnsigned(k.array(), toExclusive) < 0);
        deletedSessions.add(new byte[][] {fromInclusive, toExclusive});
        try {
            batch.deleteRange(store.backend().family(Schema.SESSION), fromInclusive, toExclusive);
        } catch (RocksDBException e) {
            throw fault(e);
        }
    }

    /** Writes everything with the applied (term, index) in one RocksDB write, then publishes the events. */
    public void end(long term, long logIndex) {
        try {
            nextCommand();
            long rev = beginRevision;
            batchPut(Schema.META, Schema.META_REVISION, longBytes(rev));
            batchPut(Schema.META, Schema.META_APPLIED, ByteBuffer.allocate(16).putLong(term).putLong(logIndex).array());
            store.backend().write(batch);
            store.committed(rev, compacted, term, logIndex, published);
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
