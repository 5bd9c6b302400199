package io.kuberaft.raftstore.mvcc;

import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import io.etcd.jetcd.api.Event;
import io.etcd.jetcd.api.KeyValue;
import io.etcd.jetcd.api.RangeRequest;
import io.etcd.jetcd.api.RangeResponse;
import io.etcd.jetcd.api.ResponseHeader;
import io.kuberaft.raftstore.errors.StoreException;
import org.rocksdb.ReadOptions;
import org.rocksdb.RocksIterator;
import org.rocksdb.Slice;

import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.function.BiConsumer;
import java.util.zip.CRC32C;

/**
 * etcd's MVCC over RocksDB: every change is stored under its {@link Revision}; the in-memory
 * {@link RevisionIndex} maps keys to their revisions. Writes happen only through a {@link WriteTxn}
 * on the single apply thread; reads run concurrently at a revision no newer than the published one,
 * so they never see a half-applied write.
 */
public final class MvccStore implements AutoCloseable {
    private final Backend backend;
    private final RevisionIndex index = new RevisionIndex();
    private final Lessor lessor = new Lessor();
    private final WatchHub hub;
    private volatile long currentRevision;
    private volatile long compactedRevision;
    private volatile long appliedTerm;
    private volatile long appliedIndex;

    public MvccStore(Path dir) {
        this.backend = new Backend(dir);
        try {
            load();
        } catch (RuntimeException e) {
            backend.close();
            throw e;
        }
        this.hub = new WatchHub(this, currentRevision);
    }

    private void load() {
        byte[] rev = backend.get(Schema.META, Schema.META_REVISION);
        currentRevision = rev == null ? 1 : ByteBuffer.wrap(rev).getLong();
        byte[] compacted = backend.get(Schema.META, Schema.META_COMPACTED);
        compactedRevision = compacted == null ? 0 : ByteBuffer.wrap(compacted).getLong();
        byte[] applied = backend.get(Schema.META, Schema.META_APPLIED);
        if (applied != null) {
            ByteBuffer b = ByteBuffer.wrap(applied);
            appliedTerm = b.getLong();
            appliedIndex = b.getLong();
            if (b.hasRemaining()) {
                // Builds before one-write-per-entry recorded a position inside a half-applied batch; resuming
                // one needs that build. Refusing to start beats applying the entry's first commands twice.
                throw new IllegalStateException("the database stopped in the middle of batched log entry " + appliedIndex
                        + " (written by an older kuberaft): start that version once to finish the entry");
            }
        }
        try (RocksIterator it = backend.iterator(Schema.LEASE)) {
            for (it.seekToFirst(); it.isValid(); it.next()) {
                lessor.grant(ByteBuffer.wrap(it.key()).getLong(), ByteBuffer.wrap(it.value()).getLong());
            }
        }
        try (RocksIterator it = backend.iterator(Schema.KV)) {
            for (it.seekToFirst(); it.isValid(); it.next()) {
                Revision r = Revision.fromKey(it.key());
                KeyValue kv = parse(it.value());
                boolean tombstone = Revision.isTombstoneKey(it.key());
                KeyIndex ki = index.getOrCreate(kv.getKey());
                ki.add(new KeyIndex.Entry(r, tombstone ? 0 : kv.getCreateRevision(), tombstone ? 0 : kv.getVersion(), tombstone));
            }
        }
        // Attach each key's current lease.
        index.forEachInRange(KeyRange.of(ByteString.copyFrom(new byte[] {0}), ByteString.copyFrom(new byte[] {0})),
                (key, ki) -> {
                    KeyIndex.Entry e = ki.latest();
                    if (e != null && !e.tombstone()) {
                        long lease = readValue(e).getLease();
                        if (lease != 0) {
                            lessor.attach(lease, key);
                        }
                    }
                });
    }

    public WatchHub watchHub() {
        return hub;
    }

    Lessor lessor() {
        return lessor;
    }

    Backend backend() {
        return backend;
    }

    RevisionIndex index() {
        return index;
    }

    public long currentRevision() {
        return currentRevision;
    }

    public long compactedRevision() {
        return compactedRevision;
    }

    public long appliedTerm() {
        return appliedTerm;
    }

    public long appliedIndex() {
        return appliedIndex;
    }

    public Path dir() {
        return backend.dir();
    }

    /** A consistent copy of the database (a RocksDB checkpoint) in {@code target}. */
    public void checkpoint(Path target) {
        backend.checkpoint(target);
    }

    public long sizeOnDisk() {
        return backend.sizeOnDisk();
    }

    /** Starts the write transaction of one applied log entry; the caller must {@link WriteTxn#end}. */
    public WriteTxn beginWrite() {
        return new WriteTxn(this);
    }

    /** The compaction point a write txn is about to apply (see {@link WriteTxn#compact}). */
    void compacting(long rev) {
        compactedRevision = rev;
    }

    /** The watch events of one revision. */
    record Published(long revision, List<Event> events) {
    }

    void committed(long revision, long compacted, long term, long logIndex, List<Published> revisions) {
        appliedTerm = term;
        appliedIndex = logIndex;
        compactedRevision = compacted;
        currentRevision = revision;
        for (Published p : revisions) {
            hub.publish(p.revision(), p.events());
        }
        if (revisions.isEmpty() || revisions.get(revisions.size() - 1).revision() != revision) {
            hub.publish(revision, List.of());
        }
    }

    // ---- reads ----

    /** A range read at the request's revision (or the current one), like etcd's KV.Range. */
    public RangeResponse range(RangeRequest req) {
        long current = currentRevision;
        long rev = req.getRevision() <= 0 ? current : req.getRevision();
        if (rev > current) {
            throw StoreException.futureRevision();
        }
        RangeResponse resp = range(req, rev, null);
        if (rev < compactedRevision) {
            // A compaction ran while we read: some values may have been missing.
            throw StoreException.compacted();
        }
        return resp.toBuilder().setHeader(ResponseHeader.newBuilder().setRevision(current)).build();
    }

    RangeResponse range(RangeRequest req, long rev, WriteTxn pending) {
        if (req.getKey().isEmpty()) {
            throw StoreException.keyNotProvided();
        }
        if (rev < compactedRevision) {
            throw StoreException.compacted();
        }
        KeyRange range = KeyRange.of(req.getKey(), req.getRangeEnd());
        boolean sorted = req.getSortOrder() != RangeRequest.SortOrder.NONE
                || req.getSortTarget() != RangeRequest.SortTarget.KEY;
        long limit = req.getLimit() > 0 ? req.getLimit() : Long.MAX_VALUE;
        boolean filtersOnValue = req.getMinModRevision() > 0 || req.getMaxModRevision() > 0
                || req.getMinCreateRevision() > 0 || req.getMaxCreateRevision() > 0;
        List<KeyValue> kvs = new ArrayList<>();
        // As etcd: count is every key of the range; the revision filters only prune the kvs (and `more`).
        long[] count = {0, 0};
        index.forEachInRange(range, (key, ki) -> {
            KeyIndex.Entry e = ki.liveAt(rev);
            if (e == null) {
                return;
            }
            count[0]++;
            if (filtersOnValue && !passesFilters(req, e)) {
                return;
            }
            count[1]++;
            if (req.getCountOnly() || (!sorted && kvs.size() >= limit)) {
                return;
            }
            kvs.add(pending != null ? pending.read(e) : readValue(e));
        });
        List<KeyValue> out = kvs;
        if (sorted && !req.getCountOnly()) {
            out.sort(comparator(req));
            if (out.size() > limit) {
                out = out.subList(0, (int) limit);
            }
        }
        if (req.getKeysOnly()) {
            // Only now: etcd sorts by the values that keys_only then leaves out.
            out = out.stream().map(kv -> kv.toBuilder().clearValue().build()).toList();
        }
        return RangeResponse.newBuilder()
                .setHeader(ResponseHeader.newBuilder().setRevision(rev))
                .addAllKvs(out)
                .setCount(count[0])
                .setMore(count[1] > out.size() && !req.getCountOnly())
                .build();
    }

    private static boolean passesFilters(RangeRequest req, KeyIndex.Entry e) {
        long mod = e.rev().main();
        long create = e.createRevision();
        return (req.getMinModRevision() <= 0 || mod >= req.getMinModRevision())
                && (req.getMaxModRevision() <= 0 || mod <= req.getMaxModRevision())
                && (req.getMinCreateRevision() <= 0 || create >= req.getMinCreateRevision())
                && (req.getMaxCreateRevision() <= 0 || create <= req.getMaxCreateRevision());
    }

    private static Comparator<KeyValue> comparator(RangeRequest req) {
        Comparator<KeyValue> c = switch (req.getSortTarget()) {
            case VERSION -> Comparator.comparingLong(KeyValue::getVersion);
            case CREATE -> Comparator.comparingLong(KeyValue::getCreateRevision);
            case MOD -> Comparator.comparingLong(KeyValue::getModRevision);
            case VALUE -> Comparator.comparing(KeyValue::getValue, KeyRange.ORDER);
            default -> Comparator.comparing(KeyValue::getKey, KeyRange.ORDER);
        };
        // etcd sorts ascending when a target is given without an order.
        return req.getSortOrder() == RangeRequest.SortOrder.DESCEND ? c.reversed() : c;
    }

    KeyValue readValue(KeyIndex.Entry e) {
        byte[] bytes = backend.get(Schema.KV, e.rev().toKey(e.tombstone()));
        if (bytes == null) {
            // Compacted away between the index lookup and the read.
            throw StoreException.compacted();
        }
        return parse(bytes);
    }

    static KeyValue parse(byte[] bytes) {
        try {
            return KeyValue.parseFrom(bytes);
        } catch (InvalidProtocolBufferException e) {
            throw new UncheckedIOException(new java.io.IOException("corrupt value in the kv history", e));
        }
    }

    /**
     * Replays the stored history of revisions {@code [from, to]} as watch events, one call per
     * revision.
     */
    void history(long from, long to, boolean withPrevKv, BiConsumer<Long, List<Event>> sink) {
        try (ReadOptions ro = new ReadOptions();
             Slice upper = new Slice(Revision.startKey(to + 1))) {
            ro.setIterateUpperBound(upper);
            try (RocksIterator it = backend.iterator(Schema.KV, ro)) {
                long rev = -1;
                List<Event> events = new ArrayList<>();
                for (it.seek(Revision.startKey(from)); it.isValid(); it.next()) {
                    Revision r = Revision.fromKey(it.key());
                    if (r.main() != rev && !events.isEmpty()) {
                        sink.accept(rev, events);
                        events = new ArrayList<>();
                    }
                    rev = r.main();
                    boolean tombstone = Revision.isTombstoneKey(it.key());
                    KeyValue kv = parse(it.value());
                    Event.Builder ev = Event.newBuilder()
                            .setType(tombstone ? Event.EventType.DELETE : Event.EventType.PUT)
                            .setKv(kv);
                    if (withPrevKv) {
                        KeyIndex ki = index.get(kv.getKey());
                        KeyIndex.Entry prev = ki == null ? null : ki.liveBefore(r);
                        if (prev != null) {
                            byte[] pb = backend.get(Schema.KV, prev.rev().toKey(false));
                            if (pb != null) {
                                ev.setPrevKv(parse(pb));
                            }
                        }
                    }
                    events.add(ev.build());
                }
                if (!events.isEmpty()) {
                    sink.accept(rev, events);
                }
            }
        }
    }

    /**
     * A digest of the whole replicated state (history, leases, revision, compaction point), equal on
     * replicas that applied the same log. Sessions are excluded: they are bookkeeping of retries.
     */
    public long hash() {
        CRC32C crc = new CRC32C();
        for (String family : List.of(Schema.KV, Schema.LEASE)) {
            try (RocksIterator it = backend.iterator(family)) {
                for (it.seekToFirst(); it.isValid(); it.next()) {
                    crc.update(it.key());
                    crc.update(it.value());
                }
            }
        }
        ByteBuffer b = ByteBuffer.allocate(16).putLong(currentRevision).putLong(compactedRevision);
        crc.update(b.array());
        return crc.getValue();
    }

    List<Long> leaseIds() {
        return lessor.ids();
    }

    public List<Long> expiredLeases() {
        return lessor.expired();
    }

    public void renewAllLeases() {
        lessor.renewAll();
    }

    /** Remaining TTL on this replica's clock, granted TTL and keys; null if there is no such lease. */
    public LeaseInfo leaseInfo(long id) {
        Lessor.Lease l = lessor.get(id);
        if (l == null) {
            return null;
        }
        return new LeaseInfo(id, l.remainingSeconds(System.nanoTime()), l.ttlSeconds, lessor.keysOf(id));
    }

    public List<Long> leases() {
        return lessor.ids();
    }

    public record LeaseInfo(long id, long remainingSeconds, long grantedSeconds, List<ByteString> keys) {
    }

    @Override
    public void close() {
        hub.cancelAll("replica stopping", currentRevision);
        backend.close();
    }
}
