package io.kuberaft.raftstore;

import io.etcd.jetcd.api.CompactionRequest;
import io.etcd.jetcd.api.CompactionResponse;
import io.etcd.jetcd.api.Compare;
import io.etcd.jetcd.api.DeleteRangeRequest;
import io.etcd.jetcd.api.DeleteRangeResponse;
import io.etcd.jetcd.api.Event;
import io.etcd.jetcd.api.KeyValue;
import io.etcd.jetcd.api.LeaseGrantRequest;
import io.etcd.jetcd.api.LeaseGrantResponse;
import io.etcd.jetcd.api.LeaseKeepAliveResponse;
import io.etcd.jetcd.api.LeaseTimeToLiveRequest;
import io.etcd.jetcd.api.LeaseTimeToLiveResponse;
import io.etcd.jetcd.api.PutRequest;
import io.etcd.jetcd.api.PutResponse;
import io.etcd.jetcd.api.RangeRequest;
import io.etcd.jetcd.api.RangeResponse;
import io.etcd.jetcd.api.RequestOp;
import io.etcd.jetcd.api.ResponseOp;
import io.etcd.jetcd.api.TxnRequest;
import io.etcd.jetcd.api.TxnResponse;
import io.etcd.jetcd.api.WatchCreateRequest;
import io.kuberaft.raftstore.errors.ErrorCode;
import io.kuberaft.raftstore.errors.StoreException;
import io.kuberaft.raftstore.proto.StoreStatus;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;

import static io.etcd.jetcd.api.Compare.CompareResult.EQUAL;
import static io.etcd.jetcd.api.Compare.CompareResult.GREATER;
import static io.etcd.jetcd.api.Compare.CompareResult.LESS;
import static io.etcd.jetcd.api.Compare.CompareResult.NOT_EQUAL;
import static io.kuberaft.raftstore.Kv.ZERO;
import static io.kuberaft.raftstore.Kv.all;
import static io.kuberaft.raftstore.Kv.bs;
import static io.kuberaft.raftstore.Kv.create;
import static io.kuberaft.raftstore.Kv.del;
import static io.kuberaft.raftstore.Kv.delPrefix;
import static io.kuberaft.raftstore.Kv.get;
import static io.kuberaft.raftstore.Kv.join;
import static io.kuberaft.raftstore.Kv.keys;
import static io.kuberaft.raftstore.Kv.mod;
import static io.kuberaft.raftstore.Kv.op;
import static io.kuberaft.raftstore.Kv.prefix;
import static io.kuberaft.raftstore.Kv.prefixEnd;
import static io.kuberaft.raftstore.Kv.put;
import static io.kuberaft.raftstore.Kv.refused;
import static io.kuberaft.raftstore.Kv.value;
import static io.kuberaft.raftstore.Kv.values;
import static io.kuberaft.raftstore.Kv.version;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The {@link KvStore} contract: etcd v3's documented behaviour, written once and run against every
 * implementation (the single-replica {@link LocalKvStore} now, the Ratis-backed store later). Each
 * test starts from a fresh store in its own directory.
 */
public abstract class KvStoreContract {
    static final String COMPACTED_MESSAGE = "etcdserver: mvcc: required revision has been compacted";
    static final String FUTURE_MESSAGE = "etcdserver: mvcc: required revision is a future revision";
    static final String NO_KEY_MESSAGE = "etcdserver: key is not provided";
    static final String DUPLICATE_MESSAGE = "etcdserver: duplicate key given in txn request";
    static final String LEASE_NOT_FOUND_MESSAGE = "etcdserver: requested lease not found";

    @TempDir
    protected Path dir;
    protected WatchableKvStore store;

    /** Opens (creating if needed) the store kept in {@code dir}. */
    protected abstract WatchableKvStore open(Path dir) throws Exception;

    /** Stops the store; {@link #open} of the same directory must find the same state. */
    protected abstract void close(WatchableKvStore store) throws Exception;

    /** A digest of the whole replicated state, equal whenever the states are equal. */
    protected abstract long stateHash(WatchableKvStore store);

    /** The term in which the store's next write will be committed (the leader's term). */
    protected abstract long currentTerm(WatchableKvStore store);

    /** Makes later writes commit in a newer term, as a leader change does. */
    protected abstract void startNewTerm(WatchableKvStore store) throws Exception;

    @BeforeEach
    void openStore() throws Exception {
        store = open(dir);
    }

    @AfterEach
    void closeStore() throws Exception {
        if (store != null) {
            close(store);
            store = null;
        }
    }

    protected void reopen() throws Exception {
        close(store);
        store = null;
        store = open(dir);
    }

    // ---- helpers ----

    /** The store's revision, as a linearizable read reports it. */
    protected long revision() {
        return join(store.range(all().setCountOnly(true).build())).getHeader().getRevision();
    }

    protected PutResponse write(String key, String value) {
        return join(store.put(Kv.put(key, value).build()));
    }

    protected long putRev(String key, String value) {
        return write(key, value).getHeader().getRevision();
    }

    protected void putAll(String... keys) {
        for (String k : keys) {
            write(k, "v-" + k);
        }
    }

    /** The key's live value, or null. */
    protected KeyValue kv(String key) {
        RangeResponse r = range(get(key));
        assertThat(r.getKvsCount()).isLessThanOrEqualTo(1);
        return r.getKvsCount() == 0 ? null : r.getKvs(0);
    }

    protected KeyValue kvAt(String key, long rev) {
        RangeResponse r = range(get(key).setRevision(rev));
        return r.getKvsCount() == 0 ? null : r.getKvs(0);
    }

    protected RangeResponse range(RangeRequest.Builder r) {
        return join(store.range(r.build()));
    }

    protected long deleteRev(String key) {
        return join(store.deleteRange(del(key).build())).getHeader().getRevision();
    }

    protected TxnResponse txn(TxnRequest.Builder t) {
        return join(store.txn(t.build()));
    }

    protected boolean succeeds(Compare c) {
        return txn(TxnRequest.newBuilder().addCompare(c)).getSucceeded();
    }

    protected CompactionResponse compact(long rev) {
        return join(store.compact(CompactionRequest.newBuilder().setRevision(rev).build()));
    }

    protected long grant(long ttl) {
        return join(store.leaseGrant(LeaseGrantRequest.newBuilder().setTTL(ttl).build())).getID();
    }

    protected LeaseTimeToLiveResponse timeToLive(long id) {
        return join(store.leaseTimeToLive(LeaseTimeToLiveRequest.newBuilder().setID(id).setKeys(true).build()));
    }

    protected WatchRecorder watch(WatchCreateRequest.Builder request) {
        WatchRecorder r = new WatchRecorder();
        store.watch(request.build(), r);
        return r;
    }

    protected static WatchCreateRequest.Builder watchKey(String key) {
        return WatchCreateRequest.newBuilder().setKey(bs(key));
    }

    protected static WatchCreateRequest.Builder watchPrefix(String prefix) {
        return WatchCreateRequest.newBuilder().setKey(bs(prefix)).setRangeEnd(prefixEnd(bs(prefix)));
    }

    protected static WatchCreateRequest.Builder watchAll() {
        return WatchCreateRequest.newBuilder().setKey(ZERO).setRangeEnd(ZERO);
    }

    protected static KeyValue kvOf(String key, String value, long create, long mod, long version) {
        return KeyValue.newBuilder().setKey(bs(key)).setValue(bs(value))
                .setCreateRevision(create).setModRevision(mod).setVersion(version).build();
    }

    protected static String describe(Event e) {
        return e.getType() + " " + e.getKv().getKey().toStringUtf8() + "@" + e.getKv().getModRevision();
    }

    // ---- put / get ----

    @Test
    void aFreshStoreIsAtRevisionOneAndTheFirstWriteCreatesRevisionTwo() {
        assertThat(revision()).isEqualTo(1);
        assertThat(range(all()).getCount()).isZero();
        assertThat(putRev("a", "1")).isEqualTo(2);
    }

    @Test
    void putSetsCreateRevisionModRevisionAndVersion() {
        long r1 = putRev("a", "1");
        assertThat(kv("a")).isEqualTo(kvOf("a", "1", r1, r1, 1));

        long r2 = putRev("a", "2");
        long r3 = putRev("a", "3");
        assertThat(kv("a")).isEqualTo(kvOf("a", "3", r1, r3, 3));
        assertThat(r2).isEqualTo(r1 + 1);
        assertThat(r3).isEqualTo(r2 + 1);
    }

    @Test
    void everyWriteAdvancesTheGlobalRevisionByExactlyOne() {
        long start = revision();
        for (int i = 1; i <= 12; i++) {
            // The same value again is still a new revision.
            assertThat(putRev("k" + (i % 3), "same")).isEqualTo(start + i);
        }
        assertThat(revision()).isEqualTo(start + 12);
        assertThat(store.currentRevision()).isGreaterThanOrEqualTo(start + 12);
        assertThat(range(get("k1")).getHeader().getRevision()).as("reads report the current revision").isEqualTo(start + 12);
        assertThat(revision()).as("reads do not advance the revision").isEqualTo(start + 12);
        assertThat(kv("k1").getVersion()).isEqualTo(4);
    }

    @Test
    void putReturnsThePreviousKeyValueOnlyWhenAsked() {
        PutResponse first = join(store.put(put("a", "1").setPrevKv(true).build()));
        assertThat(first.hasPrevKv()).as("no previous value for a new key").isFalse();

        PutResponse second = join(store.put(put("a", "2").setPrevKv(true).build()));
        assertThat(second.getPrevKv()).isEqualTo(kvOf("a", "1", first.getHeader().getRevision(), first.getHeader().getRevision(), 1));

        PutResponse third = join(store.put(put("a", "3").build()));
        assertThat(third.hasPrevKv()).isFalse();
    }

    @Test
    void ignoreValueKeepsTheValueAndIgnoreLeaseKeepsTheLease() {
        long lease = grant(60);
        long created = join(store.put(put("a", "v").setLease(lease).build())).getHeader().getRevision();

        long r2 = join(store.put(PutRequest.newBuilder().setKey(bs("a")).setIgnoreValue(true).setLease(lease).build()))
                .getHeader().getRevision();
        assertThat(kv("a")).isEqualTo(kvOf("a", "v", created, r2, 2).toBuilder().setLease(lease).build());

        long r3 = join(store.put(put("a", "w").setIgnoreLease(true).build())).getHeader().getRevision();
        assertThat(kv("a")).isEqualTo(kvOf("a", "w", created, r3, 3).toBuilder().setLease(lease).build());

        // ignore_value without a lease detaches it, like any put without a lease.
        join(store.put(PutRequest.newBuilder().setKey(bs("a")).setIgnoreValue(true).build()));
        assertThat(kv("a").getLease()).isZero();
        assertThat(kv("a").getValue()).isEqualTo(bs("w"));
        assertThat(timeToLive(lease).getKeysList()).isEmpty();
    }

    @Test
    void ignoreValueAndIgnoreLeaseAreRefusedWhenMisused() {
        write("a", "v");
        long rev = revision();
        refused(store.put(put("a", "x").setIgnoreValue(true).build()), ErrorCode.INVALID_ARGUMENT, "etcdserver: value is provided");
        refused(store.put(PutRequest.newBuilder().setKey(bs("a")).setIgnoreLease(true).setLease(7).build()),
                ErrorCode.INVALID_ARGUMENT, "etcdserver: lease is provided");
        refused(store.put(PutRequest.newBuilder().setKey(bs("missing")).setIgnoreValue(true).build()),
                ErrorCode.KEY_NOT_FOUND, "etcdserver: key not found");
        refused(store.put(put("missing", "x").setIgnoreLease(true).build()), ErrorCode.KEY_NOT_FOUND, "etcdserver: key not found");
        assertThat(revision()).isEqualTo(rev);
        assertThat(kv("a").getValue()).isEqualTo(bs("v"));
        assertThat(kv("missing")).isNull();
    }

    @Test
    void anEmptyKeyIsRefusedEverywhere() {
        write("a", "v");
        long rev = revision();
        refused(store.put(put("", "v").build()), ErrorCode.INVALID_ARGUMENT, NO_KEY_MESSAGE);
        refused(store.range(RangeRequest.getDefaultInstance()), ErrorCode.INVALID_ARGUMENT, NO_KEY_MESSAGE);
        refused(store.deleteRange(DeleteRangeRequest.getDefaultInstance()), ErrorCode.INVALID_ARGUMENT, NO_KEY_MESSAGE);
        refused(store.txn(TxnRequest.newBuilder().addSuccess(op(put("b", "1"))).addSuccess(op(put("", "1"))).build()),
                ErrorCode.INVALID_ARGUMENT, NO_KEY_MESSAGE);
        refused(store.txn(TxnRequest.newBuilder().addCompare(version("", EQUAL, 0)).addSuccess(op(put("b", "1"))).build()),
                ErrorCode.INVALID_ARGUMENT, NO_KEY_MESSAGE);
        assertThat(revision()).isEqualTo(rev);
        assertThat(kv("b")).isNull();
    }

    // ---- range ----

    @Test
    void rangeOfASingleKey() {
        putAll("a", "ab", "b");
        RangeResponse r = range(get("a"));
        assertThat(keys(r)).containsExactly("a");
        assertThat(r.getCount()).isEqualTo(1);
        assertThat(r.getMore()).isFalse();

        RangeResponse missing = range(get("zz"));
        assertThat(missing.getKvsList()).isEmpty();
        assertThat(missing.getCount()).isZero();
        assertThat(missing.getHeader().getRevision()).isEqualTo(revision());
    }

    @Test
    void rangeOfAPrefix() {
        putAll("a", "ab", "abc", "b", "/registry/pods/default/x", "/registry/pods/kube-system/y", "/registry/podsecurity/z");
        write("a\u00ff", "x"); // a multi-byte key inside the prefix "a"
        assertThat(keys(range(prefix("a")))).containsExactly("a", "ab", "abc", "a\u00ff");
        assertThat(keys(range(prefix("ab")))).containsExactly("ab", "abc");
        assertThat(keys(range(prefix("/registry/pods/"))))
                .containsExactly("/registry/pods/default/x", "/registry/pods/kube-system/y");
        assertThat(range(prefix("/registry/pods/")).getCount()).isEqualTo(2);
        assertThat(keys(range(prefix("c")))).isEmpty();
    }

    @Test
    void aZeroByteRangeEndMeansEveryKeyFromTheKeyOn() {
        putAll("a", "ab", "b", "c");
        assertThat(keys(range(get("ab").setRangeEnd(ZERO)))).containsExactly("ab", "b", "c");
        assertThat(keys(range(get("bb").setRangeEnd(ZERO)))).containsExactly("c");
        assertThat(keys(range(all()))).containsExactly("a", "ab", "b", "c");
        assertThat(range(all()).getCount()).isEqualTo(4);
    }

    @Test
    void aRangeIsHalfOpenAndAnEmptyOrInvertedRangeHasNoKeys() {
        putAll("a", "b", "c", "d");
        assertThat(keys(range(get("b").setRangeEnd(bs("d"))))).containsExactly("b", "c");
        assertThat(keys(range(get("b").setRangeEnd(bs("ba"))))).containsExactly("b");
        assertThat(range(get("c").setRangeEnd(bs("c"))).getCount()).isZero();
        // etcd: a range_end below the key selects nothing (it is not an error).
        RangeResponse inverted = range(get("d").setRangeEnd(bs("b")));
        assertThat(inverted.getKvsList()).isEmpty();
        assertThat(inverted.getCount()).isZero();
    }

    @Test
    void limitTruncatesAndReportsMoreAndTheFullCount() {
        putAll("k1", "k2", "k3", "k4", "k5");
        RangeResponse two = range(prefix("k").setLimit(2));
        assertThat(keys(two)).containsExactly("k1", "k2");
        assertThat(two.getMore()).isTrue();
        assertThat(two.getCount()).isEqualTo(5);

        RangeResponse exact = range(prefix("k").setLimit(5));
        assertThat(exact.getKvsCount()).isEqualTo(5);
        assertThat(exact.getMore()).isFalse();

        RangeResponse larger = range(prefix("k").setLimit(10));
        assertThat(larger.getKvsCount()).isEqualTo(5);
        assertThat(larger.getMore()).isFalse();

        RangeResponse unlimited = range(prefix("k").setLimit(0));
        assertThat(unlimited.getKvsCount()).isEqualTo(5);
        assertThat(unlimited.getMore()).isFalse();
    }

    @Test
    void countOnlyAndKeysOnly() {
        putAll("k1", "k2", "k3");
        RangeResponse count = range(prefix("k").setCountOnly(true));
        assertThat(count.getKvsList()).isEmpty();
        assertThat(count.getCount()).isEqualTo(3);
        assertThat(count.getMore()).isFalse();

        RangeResponse countLimited = range(prefix("k").setCountOnly(true).setLimit(1));
        assertThat(countLimited.getKvsList()).isEmpty();
        assertThat(countLimited.getCount()).isEqualTo(3);

        RangeResponse keysOnly = range(prefix("k").setKeysOnly(true));
        assertThat(keys(keysOnly)).containsExactly("k1", "k2", "k3");
        RangeResponse full = range(prefix("k"));
        for (int i = 0; i < 3; i++) {
            KeyValue k = keysOnly.getKvs(i);
            assertThat(k.getValue()).isEmpty();
            assertThat(k).isEqualTo(full.getKvs(i).toBuilder().clearValue().build());
        }
    }

    @Test
    void readsAtPastRevisionsSeeOverwritesAndDeletesAsTheyWere() {
        long r1 = putRev("a", "1");
        long r2 = putRev("a", "2");
        long r3 = putRev("b", "x");
        long r4 = deleteRev("a");
        long r5 = putRev("a", "3");

        assertThat(kvAt("a", r1)).isEqualTo(kvOf("a", "1", r1, r1, 1));
        assertThat(kvAt("b", r1)).isNull();
        assertThat(kvAt("a", r2)).isEqualTo(kvOf("a", "2", r1, r2, 2));
        assertThat(kvAt("a", r3)).isEqualTo(kvOf("a", "2", r1, r2, 2));
        assertThat(kvAt("a", r4)).as("deleted at r4").isNull();
        assertThat(kvAt("a", r5)).as("a new generation").isEqualTo(kvOf("a", "3", r5, r5, 1));
        assertThat(kvAt("a", 0)).isEqualTo(kv("a"));
        assertThat(kvAt("a", 1)).as("revision 1 is the empty store").isNull();

        assertThat(keys(range(all().setRevision(r3)))).containsExactly("a", "b");
        assertThat(keys(range(all().setRevision(r4)))).containsExactly("b");
        assertThat(range(all().setRevision(r4)).getCount()).isEqualTo(1);
        assertThat(range(all().setRevision(r2)).getHeader().getRevision())
                .as("etcd reports the current revision in the header of a past read").isEqualTo(r5);
    }

    @Test
    void aFutureRevisionIsRefused() {
        write("a", "1");
        refused(store.range(get("a").setRevision(revision() + 1).build()), ErrorCode.FUTURE_REVISION, FUTURE_MESSAGE);
        refused(store.range(get("a").setRevision(revision() + 100).build()), ErrorCode.FUTURE_REVISION, FUTURE_MESSAGE);
        assertThat(kvAt("a", revision())).isNotNull();
    }

    @Test
    void sortByEveryTargetInBothOrders() {
        // State chosen so that key, value, version, create and mod orders all differ (no ties).
        write("c", "1");
        write("a", "3");
        write("b", "2");
        write("c", "4");
        write("c", "0");
        write("a", "5");
        // a=5 (create 3, mod 7, version 2); b=2 (create 4, mod 4, version 1); c=0 (create 2, mod 6, version 3)
        assertThat(sorted(RangeRequest.SortTarget.KEY, RangeRequest.SortOrder.NONE)).containsExactly("a", "b", "c");
        assertThat(sorted(RangeRequest.SortTarget.KEY, RangeRequest.SortOrder.ASCEND)).containsExactly("a", "b", "c");
        assertThat(sorted(RangeRequest.SortTarget.KEY, RangeRequest.SortOrder.DESCEND)).containsExactly("c", "b", "a");
        assertThat(sorted(RangeRequest.SortTarget.VALUE, RangeRequest.SortOrder.ASCEND)).containsExactly("c", "b", "a");
        assertThat(sorted(RangeRequest.SortTarget.VALUE, RangeRequest.SortOrder.DESCEND)).containsExactly("a", "b", "c");
        assertThat(sorted(RangeRequest.SortTarget.VERSION, RangeRequest.SortOrder.ASCEND)).containsExactly("b", "a", "c");
        assertThat(sorted(RangeRequest.SortTarget.VERSION, RangeRequest.SortOrder.DESCEND)).containsExactly("c", "a", "b");
        assertThat(sorted(RangeRequest.SortTarget.CREATE, RangeRequest.SortOrder.ASCEND)).containsExactly("c", "a", "b");
        assertThat(sorted(RangeRequest.SortTarget.CREATE, RangeRequest.SortOrder.DESCEND)).containsExactly("b", "a", "c");
        assertThat(sorted(RangeRequest.SortTarget.MOD, RangeRequest.SortOrder.ASCEND)).containsExactly("b", "c", "a");
        assertThat(sorted(RangeRequest.SortTarget.MOD, RangeRequest.SortOrder.DESCEND)).containsExactly("a", "c", "b");
        // etcd sorts ascending when a target other than KEY is given without an order.
        assertThat(sorted(RangeRequest.SortTarget.VALUE, RangeRequest.SortOrder.NONE)).containsExactly("c", "b", "a");
        assertThat(sorted(RangeRequest.SortTarget.MOD, RangeRequest.SortOrder.NONE)).containsExactly("b", "c", "a");
        // keys_only leaves the values out of the answer, not out of the sort.
        assertThat(keys(range(all().setKeysOnly(true).setSortTarget(RangeRequest.SortTarget.VALUE))))
                .containsExactly("c", "b", "a");

        // The limit applies after sorting.
        RangeResponse top = range(all().setSortTarget(RangeRequest.SortTarget.MOD).setSortOrder(RangeRequest.SortOrder.DESCEND).setLimit(2));
        assertThat(keys(top)).containsExactly("a", "c");
        assertThat(top.getMore()).isTrue();
        assertThat(top.getCount()).isEqualTo(3);
    }

    private List<String> sorted(RangeRequest.SortTarget target, RangeRequest.SortOrder order) {
        return keys(range(all().setSortTarget(target).setSortOrder(order)));
    }

    @Test
    void minAndMaxModAndCreateRevisionFilters() {
        long ra = putRev("a", "1");
        long rb = putRev("b", "1");
        long rc = putRev("c", "1");
        long ra2 = putRev("a", "2");
        // a: create ra, mod ra2; b: create rb, mod rb; c: create rc, mod rc
        assertThat(keys(range(all().setMinModRevision(rc)))).containsExactly("a", "c");
        assertThat(keys(range(all().setMaxModRevision(rc)))).containsExactly("b", "c");
        assertThat(keys(range(all().setMinModRevision(rc).setMaxModRevision(rc)))).containsExactly("c");
        assertThat(keys(range(all().setMinCreateRevision(rb)))).containsExactly("b", "c");
        assertThat(keys(range(all().setMaxCreateRevision(rb)))).containsExactly("a", "b");
        assertThat(keys(range(all().setMinCreateRevision(rb).setMaxCreateRevision(rb)))).containsExactly("b");
        assertThat(keys(range(all().setMinModRevision(ra2 + 1)))).isEmpty();
        assertThat(keys(range(all().setMaxCreateRevision(ra - 1)))).isEmpty();

        // etcd filters the returned kvs only: count is the number of keys in the range.
        RangeResponse filtered = range(all().setMinModRevision(rc));
        assertThat(filtered.getCount()).isEqualTo(3);
        assertThat(filtered.getMore()).isFalse();
        // more: further keys passed the filter beyond the limit.
        RangeResponse limited = range(all().setMinModRevision(rc).setLimit(1));
        assertThat(keys(limited)).containsExactly("a");
        assertThat(limited.getMore()).isTrue();
    }

    // ---- delete range ----

    @Test
    void deleteRangeReportsTheDeletedCountAndPrevKvsAtOneRevision() {
        putAll("a", "ab", "b");
        KeyValue a = kv("a");
        KeyValue ab = kv("ab");
        long before = revision();

        DeleteRangeResponse d = join(store.deleteRange(delPrefix("a").setPrevKv(true).build()));
        assertThat(d.getDeleted()).isEqualTo(2);
        assertThat(d.getPrevKvsList()).containsExactly(a, ab);
        assertThat(d.getHeader().getRevision()).isEqualTo(before + 1);
        assertThat(revision()).isEqualTo(before + 1);
        assertThat(keys(range(all()))).containsExactly("b");

        DeleteRangeResponse noPrev = join(store.deleteRange(del("b").build()));
        assertThat(noPrev.getDeleted()).isEqualTo(1);
        assertThat(noPrev.getPrevKvsList()).isEmpty();
        assertThat(noPrev.getHeader().getRevision()).isEqualTo(before + 2);

        DeleteRangeResponse nothing = join(store.deleteRange(del("zz").setPrevKv(true).build()));
        assertThat(nothing.getDeleted()).isZero();
        assertThat(nothing.getPrevKvsList()).isEmpty();
        assertThat(nothing.getHeader().getRevision()).as("deleting nothing is not a write").isEqualTo(before + 2);
        assertThat(revision()).isEqualTo(before + 2);
    }

    @Test
    void deleteWithAZeroByteRangeEndAndAnInvertedRange() {
        putAll("a", "b", "c");
        long before = revision();
        DeleteRangeResponse inverted = join(store.deleteRange(del("c").setRangeEnd(bs("a")).build()));
        assertThat(inverted.getDeleted()).isZero();
        assertThat(revision()).isEqualTo(before);

        DeleteRangeResponse fromB = join(store.deleteRange(del("b").setRangeEnd(ZERO).build()));
        assertThat(fromB.getDeleted()).isEqualTo(2);
        assertThat(keys(range(all()))).containsExactly("a");
    }

    @Test
    void aKeyPutAgainAfterADeleteStartsANewGeneration() {
        long r1 = putRev("a", "1");
        long r2 = putRev("a", "2");
        DeleteRangeResponse d = join(store.deleteRange(del("a").setPrevKv(true).build()));
        assertThat(d.getPrevKvs(0)).isEqualTo(kvOf("a", "2", r1, r2, 2));
        assertThat(kv("a")).isNull();

        long r4 = putRev("a", "3");
        assertThat(kv("a")).isEqualTo(kvOf("a", "3", r4, r4, 1));
        long r5 = putRev("a", "4");
        assertThat(kv("a")).isEqualTo(kvOf("a", "4", r4, r5, 2));
        assertThat(kvAt("a", r2)).isEqualTo(kvOf("a", "2", r1, r2, 2));
        // A put over a deleted key has no previous value.
        join(store.deleteRange(del("a").build()));
        assertThat(join(store.put(put("a", "5").setPrevKv(true).build())).hasPrevKv()).isFalse();
    }

    // ---- txn ----

    @Test
    void txnComparesValueVersionCreateAndMod() {
        long created = putRev("k", "m");
        long modified = putRev("k", "m");
        // k: value "m", version 2, create `created`, mod `modified`
        assertThat(succeeds(value("k", EQUAL, "m"))).isTrue();
        assertThat(succeeds(value("k", NOT_EQUAL, "m"))).isFalse();
        assertThat(succeeds(value("k", NOT_EQUAL, "n"))).isTrue();
        assertThat(succeeds(value("k", GREATER, "a"))).isTrue();
        assertThat(succeeds(value("k", GREATER, "z"))).isFalse();
        assertThat(succeeds(value("k", LESS, "z"))).isTrue();
        assertThat(succeeds(value("k", LESS, "m"))).isFalse();
        assertThat(succeeds(value("k", GREATER, "m"))).isFalse();
        assertThat(succeeds(value("k", GREATER, ""))).isTrue();

        assertThat(succeeds(version("k", EQUAL, 2))).isTrue();
        assertThat(succeeds(version("k", NOT_EQUAL, 2))).isFalse();
        assertThat(succeeds(version("k", GREATER, 1))).isTrue();
        assertThat(succeeds(version("k", LESS, 3))).isTrue();
        assertThat(succeeds(version("k", LESS, 2))).isFalse();

        assertThat(succeeds(create("k", EQUAL, created))).isTrue();
        assertThat(succeeds(create("k", LESS, created))).isFalse();
        assertThat(succeeds(create("k", GREATER, created - 1))).isTrue();
        assertThat(succeeds(create("k", NOT_EQUAL, modified))).isTrue();

        assertThat(succeeds(mod("k", EQUAL, modified))).isTrue();
        assertThat(succeeds(mod("k", EQUAL, created))).isFalse();
        assertThat(succeeds(mod("k", GREATER, modified))).isFalse();
        assertThat(succeeds(mod("k", LESS, modified + 1))).isTrue();

        // All compares must hold.
        assertThat(txn(TxnRequest.newBuilder().addCompare(value("k", EQUAL, "m")).addCompare(version("k", EQUAL, 2))).getSucceeded()).isTrue();
        assertThat(txn(TxnRequest.newBuilder().addCompare(value("k", EQUAL, "m")).addCompare(version("k", EQUAL, 3))).getSucceeded()).isFalse();
    }

    @Test
    void comparesOnAMissingKeyUseZeroFieldsButAValueCompareAlwaysFails() {
        assertThat(succeeds(value("nope", EQUAL, ""))).isFalse();
        assertThat(succeeds(value("nope", NOT_EQUAL, "x"))).isFalse();
        assertThat(succeeds(value("nope", LESS, "x"))).isFalse();
        assertThat(succeeds(version("nope", EQUAL, 0))).isTrue();
        assertThat(succeeds(version("nope", GREATER, 0))).isFalse();
        assertThat(succeeds(create("nope", EQUAL, 0))).isTrue();
        assertThat(succeeds(mod("nope", EQUAL, 0))).isTrue();
        assertThat(succeeds(mod("nope", LESS, 5))).isTrue();
        // A deleted key is missing too: the create-if-absent idiom works on it.
        write("gone", "1");
        join(store.deleteRange(del("gone").build()));
        assertThat(succeeds(create("gone", EQUAL, 0))).isTrue();
    }

    @Test
    void aCompareOverARangeMustHoldForEveryKeyInIt() {
        write("p/a", "1");
        write("p/b", "1");
        Compare allOne = Compare.newBuilder(value("p/", EQUAL, "1")).setRangeEnd(prefixEnd(bs("p/"))).build();
        assertThat(succeeds(allOne)).isTrue();
        write("p/b", "2");
        assertThat(succeeds(allOne)).isFalse();
        Compare versionsBelow3 = Compare.newBuilder(version("p/", LESS, 3)).setRangeEnd(prefixEnd(bs("p/"))).build();
        assertThat(succeeds(versionsBelow3)).isTrue();
    }

    @Test
    void txnRunsTheSuccessOrTheFailureBranch() {
        write("k", "v");
        TxnRequest.Builder t = TxnRequest.newBuilder()
                .addCompare(value("k", EQUAL, "v"))
                .addSuccess(op(put("then", "1")))
                .addSuccess(op(get("k")))
                .addFailure(op(put("else", "1")));
        TxnResponse ok = txn(t);
        assertThat(ok.getSucceeded()).isTrue();
        assertThat(ok.getResponsesList()).extracting(ResponseOp::getResponseCase)
                .containsExactly(ResponseOp.ResponseCase.RESPONSE_PUT, ResponseOp.ResponseCase.RESPONSE_RANGE);
        assertThat(keys(ok.getResponses(1).getResponseRange())).containsExactly("k");
        assertThat(kv("then")).isNotNull();
        assertThat(kv("else")).isNull();

        write("k", "changed");
        TxnResponse no = txn(t);
        assertThat(no.getSucceeded()).isFalse();
        assertThat(no.getResponsesList()).extracting(ResponseOp::getResponseCase).containsExactly(ResponseOp.ResponseCase.RESPONSE_PUT);
        assertThat(kv("else")).isNotNull();
        assertThat(kv("then").getVersion()).isEqualTo(1);

        // No compares: success.
        assertThat(txn(TxnRequest.newBuilder()).getSucceeded()).isTrue();
    }

    @Test
    void nestedTxnsDecideOnTheStateBeforeTheOuterTxn() {
        write("k", "v");
        long before = revision();
        TxnRequest.Builder inner = TxnRequest.newBuilder()
                .addCompare(version("a", EQUAL, 0)) // evaluated before the outer put of "a", as etcd does
                .addSuccess(op(put("b", "inner-success")))
                .addFailure(op(put("b", "inner-failure")));
        TxnResponse r = txn(TxnRequest.newBuilder()
                .addCompare(value("k", EQUAL, "v"))
                .addSuccess(op(put("a", "1")))
                .addSuccess(op(inner))
                .addSuccess(op(TxnRequest.newBuilder().addCompare(value("k", EQUAL, "other")).addFailure(op(get("a"))))));
        assertThat(r.getSucceeded()).isTrue();
        TxnResponse innerResp = r.getResponses(1).getResponseTxn();
        assertThat(innerResp.getSucceeded()).isTrue();
        assertThat(innerResp.getResponses(0).getResponseCase()).isEqualTo(ResponseOp.ResponseCase.RESPONSE_PUT);
        TxnResponse second = r.getResponses(2).getResponseTxn();
        assertThat(second.getSucceeded()).isFalse();
        assertThat(second.getResponses(0).getResponseRange().getKvs(0).getValue()).isEqualTo(bs("1"));
        assertThat(kv("b").getValue()).isEqualTo(bs("inner-success"));
        assertThat(kv("a").getModRevision()).isEqualTo(before + 1);
        assertThat(kv("b").getModRevision()).as("nested writes share the txn's revision").isEqualTo(before + 1);
        assertThat(revision()).isEqualTo(before + 1);
    }

    @Test
    void readsInsideATxnSeeTheTxnsEarlierWrites() {
        write("a", "old");
        write("gone", "x");
        long before = revision();
        TxnResponse r = txn(TxnRequest.newBuilder()
                .addSuccess(op(get("a")))
                .addSuccess(op(put("a", "new")))
                .addSuccess(op(get("a")))
                .addSuccess(op(del("gone")))
                .addSuccess(op(all()))
                .addSuccess(op(get("a").setRevision(before))));
        assertThat(r.getResponses(0).getResponseRange().getKvs(0).getValue()).isEqualTo(bs("old"));
        KeyValue seen = r.getResponses(2).getResponseRange().getKvs(0);
        assertThat(seen.getValue()).isEqualTo(bs("new"));
        assertThat(seen.getModRevision()).isEqualTo(before + 1);
        assertThat(seen.getVersion()).isEqualTo(2);
        assertThat(keys(r.getResponses(4).getResponseRange())).containsExactly("a");
        assertThat(r.getResponses(5).getResponseRange().getKvs(0).getValue()).as("explicit past revision").isEqualTo(bs("old"));
        assertThat(kv("a")).isEqualTo(seen);
    }

    @Test
    void aTxnWritesEverythingAtOneRevision() {
        write("c", "1");
        long before = revision();
        TxnResponse r = txn(TxnRequest.newBuilder()
                .addSuccess(op(put("a", "1")))
                .addSuccess(op(put("b", "1").setPrevKv(true)))
                .addSuccess(op(del("c").setPrevKv(true))));
        assertThat(r.getHeader().getRevision()).isEqualTo(before + 1);
        assertThat(revision()).isEqualTo(before + 1);
        assertThat(kv("a").getModRevision()).isEqualTo(before + 1);
        assertThat(kv("b").getModRevision()).isEqualTo(before + 1);
        assertThat(kv("c")).isNull();
        assertThat(r.getResponses(2).getResponseDeleteRange().getPrevKvs(0).getValue()).isEqualTo(bs("1"));
        assertThat(kvAt("c", before)).isNotNull();
        assertThat(kvAt("a", before)).isNull();

        TxnResponse readOnly = txn(TxnRequest.newBuilder().addSuccess(op(all())).addSuccess(op(del("nothing"))));
        assertThat(readOnly.getHeader().getRevision()).isEqualTo(before + 1);
        assertThat(revision()).as("a txn that changes nothing is not a write").isEqualTo(before + 1);
    }

    @Test
    void aTxnWithADuplicateKeyIsRefused() {
        write("a", "0");
        long rev = revision();
        refused(store.txn(TxnRequest.newBuilder().addSuccess(op(put("a", "1"))).addSuccess(op(put("a", "2"))).build()),
                ErrorCode.DUPLICATE_KEY, DUPLICATE_MESSAGE);
        refused(store.txn(TxnRequest.newBuilder().addSuccess(op(put("ab", "1"))).addSuccess(op(delPrefix("a"))).build()),
                ErrorCode.DUPLICATE_KEY, DUPLICATE_MESSAGE);
        refused(store.txn(TxnRequest.newBuilder().addSuccess(op(delPrefix("a"))).addSuccess(op(put("ab", "1"))).build()),
                ErrorCode.DUPLICATE_KEY, DUPLICATE_MESSAGE);
        refused(store.txn(TxnRequest.newBuilder().addSuccess(op(put("a", "1")))
                        .addSuccess(op(TxnRequest.newBuilder().addSuccess(op(put("a", "2"))))).build()),
                ErrorCode.DUPLICATE_KEY, DUPLICATE_MESSAGE);
        assertThat(revision()).isEqualTo(rev);
        assertThat(kv("a").getValue()).isEqualTo(bs("0"));

        // Overlapping deletes are allowed; so is the same key in the two branches of a nested txn.
        TxnResponse ok = txn(TxnRequest.newBuilder().addSuccess(op(delPrefix("a"))).addSuccess(op(del("a"))));
        assertThat(ok.getResponses(0).getResponseDeleteRange().getDeleted()).isEqualTo(1);
        assertThat(ok.getResponses(1).getResponseDeleteRange().getDeleted()).isZero();
        txn(TxnRequest.newBuilder().addSuccess(op(TxnRequest.newBuilder()
                .addCompare(version("a", EQUAL, 0)).addSuccess(op(put("a", "then"))).addFailure(op(put("a", "else"))))));
        assertThat(kv("a").getValue()).isEqualTo(bs("then"));
    }

    @Test
    void aTxnWithTooManyOperationsIsRefused() {
        long rev = revision();
        TxnRequest.Builder big = TxnRequest.newBuilder();
        for (int i = 0; i <= 128; i++) {
            big.addSuccess(op(put("k" + i, "v")));
        }
        refused(store.txn(big.build()), ErrorCode.TOO_MANY_OPS, "etcdserver: too many operations in txn request");
        assertThat(revision()).isEqualTo(rev);

        // etcd limits the compares, the success ops and the failure ops each to --max-txn-ops (128).
        TxnRequest.Builder full = TxnRequest.newBuilder().addCompare(version("k0", EQUAL, 0));
        for (int i = 0; i < 128; i++) {
            full.addSuccess(op(put("k" + i, "v")));
            full.addFailure(op(get("k" + i)));
        }
        assertThat(txn(full).getSucceeded()).isTrue();
        assertThat(range(prefix("k")).getCount()).isEqualTo(128);
        assertThat(revision()).isEqualTo(rev + 1);
    }

    @Test
    void aRefusedTxnChangesNothing() {
        write("a", "1");
        long rev = revision();
        long hash = stateHash(store);
        WatchRecorder w = watch(watchAll());

        refused(store.txn(TxnRequest.newBuilder().addSuccess(op(put("a", "2"))).addSuccess(op(put("b", "1").setLease(12345))).build()),
                ErrorCode.LEASE_NOT_FOUND, LEASE_NOT_FOUND_MESSAGE);
        refused(store.txn(TxnRequest.newBuilder().addSuccess(op(put("a", "2"))).addSuccess(op(get("a").setRevision(rev + 1))).build()),
                ErrorCode.FUTURE_REVISION, FUTURE_MESSAGE);
        refused(store.txn(TxnRequest.newBuilder().addSuccess(op(del("a"))).addSuccess(op(put("x", "1").setIgnoreValue(true).clearValue())).build()),
                ErrorCode.KEY_NOT_FOUND);
        refused(store.txn(TxnRequest.newBuilder().addCompare(value("a", EQUAL, "1"))
                        .addSuccess(op(put("c", "1")))
                        .addSuccess(op(TxnRequest.newBuilder().addSuccess(op(put("d", "1"))).addSuccess(op(put("", "1")))))
                        .build()),
                ErrorCode.INVALID_ARGUMENT, NO_KEY_MESSAGE);
        refused(store.txn(TxnRequest.newBuilder().addSuccess(op(put("a", "2"))).addSuccess(RequestOp.getDefaultInstance()).build()),
                ErrorCode.INVALID_ARGUMENT);

        assertThat(revision()).isEqualTo(rev);
        assertThat(kv("a")).isEqualTo(kvOf("a", "1", rev, rev, 1));
        assertThat(keys(range(all()))).containsExactly("a");
        assertThat(stateHash(store)).isEqualTo(hash);

        // The next write gets the very next revision, and is the only event the watcher sees.
        assertThat(putRev("z", "1")).isEqualTo(rev + 1);
        w.awaitRevision(rev + 1);
        assertThat(w.events()).extracting(KvStoreContract::describe).containsExactly("PUT z@" + (rev + 1));
    }

    @Test
    void aTxnWithAnInvertedRangeAfterAWriteIsAppliedConsistently() {
        write("a", "1");
        long rev = revision();
        TxnResponse r = txn(TxnRequest.newBuilder()
                .addCompare(Compare.newBuilder(version("z", EQUAL, 0)).setRangeEnd(bs("b")).build())
                .addSuccess(op(put("b", "1")))
                .addSuccess(op(get("z").setRangeEnd(bs("a"))))
                .addSuccess(op(del("z").setRangeEnd(bs("a")))));
        assertThat(r.getSucceeded()).isTrue();
        assertThat(r.getResponses(1).getResponseRange().getCount()).isZero();
        assertThat(r.getResponses(2).getResponseDeleteRange().getDeleted()).isZero();
        assertThat(revision()).isEqualTo(rev + 1);
        assertThat(putRev("c", "1")).isEqualTo(rev + 2);
        assertThat(keys(range(all()))).containsExactly("a", "b", "c");
    }

    // ---- compaction ----

    @Test
    void compactionRemovesOldRevisionsButKeepsTheLatestValues() {
        long rz = putRev("z", "kept");
        long ra1 = putRev("a", "1");
        long ra2 = putRev("a", "2");
        putRev("b", "1");
        long rbDel = deleteRev("b");
        long rc = putRev("c", "1");

        CompactionResponse c = compact(rbDel);
        assertThat(c.getHeader().getRevision()).isEqualTo(rc);
        assertThat(revision()).as("compaction is not a write").isEqualTo(rc);

        refused(store.range(get("a").setRevision(ra1).build()), ErrorCode.COMPACTED, COMPACTED_MESSAGE);
        refused(store.range(all().setRevision(rbDel - 1).build()), ErrorCode.COMPACTED, COMPACTED_MESSAGE);
        assertThat(keys(range(all().setRevision(rbDel)))).as("the compact revision itself stays readable").containsExactly("a", "z");
        assertThat(kvAt("a", rbDel)).isEqualTo(kvOf("a", "2", ra1, ra2, 2));
        assertThat(keys(range(all()))).containsExactly("a", "c", "z");
        assertThat(kv("z")).isEqualTo(kvOf("z", "kept", rz, rz, 1));
        assertThat(kv("c")).isEqualTo(kvOf("c", "1", rc, rc, 1));

        // History after the compaction continues the generations.
        long rb = putRev("b", "2");
        assertThat(kv("b")).isEqualTo(kvOf("b", "2", rb, rb, 1));
        assertThat(putRev("a", "3")).isEqualTo(rb + 1);
        assertThat(kv("a")).isEqualTo(kvOf("a", "3", ra1, rb + 1, 3));
    }

    @Test
    void compactingTwiceOrInTheFutureIsRefused() {
        write("a", "1");
        write("a", "2");
        long r = putRev("a", "3");
        compact(r - 1);
        refused(store.compact(CompactionRequest.newBuilder().setRevision(r - 1).build()), ErrorCode.COMPACTED, COMPACTED_MESSAGE);
        refused(store.compact(CompactionRequest.newBuilder().setRevision(r - 2).build()), ErrorCode.COMPACTED, COMPACTED_MESSAGE);
        refused(store.compact(CompactionRequest.newBuilder().setRevision(r + 1).build()), ErrorCode.FUTURE_REVISION, FUTURE_MESSAGE);
        compact(r);
        assertThat(kv("a").getValue()).isEqualTo(bs("3"));
        assertThat(kv("a").getVersion()).isEqualTo(3);
        refused(store.range(get("a").setRevision(r - 1).build()), ErrorCode.COMPACTED, COMPACTED_MESSAGE);
        assertThat(revision()).isEqualTo(r);
    }

    @Test
    void aTxnReadingACompactedRevisionIsRefused() {
        long r1 = putRev("a", "1");
        long r2 = putRev("a", "2");
        compact(r2);
        refused(store.txn(TxnRequest.newBuilder().addSuccess(op(put("b", "1"))).addSuccess(op(get("a").setRevision(r1))).build()),
                ErrorCode.COMPACTED, COMPACTED_MESSAGE);
        assertThat(kv("b")).isNull();
        assertThat(revision()).isEqualTo(r2);
    }

    @Test
    void aReadRacingACompactionGetsTheValueOrACompactedError() throws Exception {
        long first = putRev("k", "0");
        AtomicReference<String> wrong = new AtomicReference<>();
        Thread compactor = new Thread(() -> {
            try {
                for (int i = 1; i <= 1500 && wrong.get() == null; i++) {
                    compact(putRev("k", Integer.toString(i)));
                }
            } catch (Throwable t) {
                wrong.compareAndSet(null, "compactor failed: " + t);
            }
        }, "contract-compactor");
        Runnable reader = () -> {
            while (compactor.isAlive() && wrong.get() == null) {
                // The revision the next compaction removes.
                long rev = Math.max(first, store.currentRevision() - 1);
                try {
                    RangeResponse r = join(store.range(get("k").setRevision(rev).build(), ReadConsistency.SERIALIZABLE));
                    if (r.getKvsCount() != 1 || r.getKvs(0).getModRevision() > rev) {
                        wrong.compareAndSet(null, "read at " + rev + " answered " + r);
                    }
                } catch (StoreException e) {
                    if (e.code() != ErrorCode.COMPACTED) {
                        wrong.compareAndSet(null, "read at " + rev + " failed with " + e);
                    }
                }
            }
        };
        List<Thread> threads = List.of(compactor, new Thread(reader, "contract-reader-1"), new Thread(reader, "contract-reader-2"));
        threads.forEach(Thread::start);
        for (Thread t : threads) {
            t.join(Kv.TIMEOUT_SECONDS * 1000);
            assertThat(t.isAlive()).as("%s still running", t.getName()).isFalse();
        }
        assertThat(wrong.get()).isNull();
    }

    @Test
    void aWatchFromACompactedRevisionIsCanceledWithTheCompactRevision() {
        long r1 = putRev("a", "1");
        long r2 = putRev("a", "2");
        long r3 = putRev("a", "3");
        compact(r2);

        WatchRecorder old = watch(watchKey("a").setStartRevision(r1));
        old.awaitCanceled();
        assertThat(old.canceledCompactRevision()).isEqualTo(r2);
        assertThat(old.events()).isEmpty();

        WatchRecorder fromCompact = watch(watchKey("a").setStartRevision(r2));
        fromCompact.awaitEvents(2);
        assertThat(fromCompact.revisions()).containsExactly(r2, r3);
        assertThat(fromCompact.canceled()).isFalse();

        long r4 = putRev("a", "4");
        fromCompact.awaitRevision(r4);
        assertThat(fromCompact.revisions()).containsExactly(r2, r3, r4);
        assertThat(old.events()).isEmpty();
    }

    // ---- leases ----

    @Test
    void leaseGrantChoosesAnIdWhenAskedForZeroAndKeepsAGivenOne() {
        long rev = revision();
        LeaseGrantResponse chosen = join(store.leaseGrant(LeaseGrantRequest.newBuilder().setTTL(60).build()));
        assertThat(chosen.getID()).isPositive();
        assertThat(chosen.getTTL()).isEqualTo(60);
        long other = grant(60);
        assertThat(other).isPositive().isNotEqualTo(chosen.getID());

        LeaseGrantResponse given = join(store.leaseGrant(LeaseGrantRequest.newBuilder().setID(42).setTTL(30).build()));
        assertThat(given.getID()).isEqualTo(42);
        assertThat(given.getTTL()).isEqualTo(30);
        refused(store.leaseGrant(LeaseGrantRequest.newBuilder().setID(42).setTTL(30).build()), ErrorCode.LEASE_EXISTS,
                "etcdserver: lease already exists");

        assertThat(join(store.leases())).containsExactlyInAnyOrder(chosen.getID(), other, 42L);
        assertThat(revision()).as("granting a lease is not a key write").isEqualTo(rev);
    }

    @Test
    void keysAttachToALeaseAndTimeToLiveListsThem() {
        long id = grant(60);
        join(store.put(put("b", "1").setLease(id).build()));
        join(store.put(put("a", "1").setLease(id).build()));
        write("c", "1");
        assertThat(kv("a").getLease()).isEqualTo(id);
        assertThat(kv("c").getLease()).isZero();

        LeaseTimeToLiveResponse ttl = timeToLive(id);
        assertThat(ttl.getID()).isEqualTo(id);
        assertThat(ttl.getGrantedTTL()).isEqualTo(60);
        assertThat(ttl.getTTL()).isBetween(1L, 60L);
        assertThat(ttl.getKeysList()).containsExactly(bs("a"), bs("b"));

        LeaseTimeToLiveResponse noKeys = join(store.leaseTimeToLive(LeaseTimeToLiveRequest.newBuilder().setID(id).build()));
        assertThat(noKeys.getKeysList()).isEmpty();

        // A later put without the lease detaches the key; deleting it detaches it too.
        write("a", "2");
        join(store.put(put("c", "2").setLease(id).build()));
        join(store.deleteRange(del("b").build()));
        assertThat(timeToLive(id).getKeysList()).containsExactly(bs("c"));
    }

    @Test
    void revokeDeletesEveryAttachedKeyAtOneRevision() {
        long id = grant(60);
        long keep = grant(60);
        join(store.put(put("a", "1").setLease(id).build()));
        join(store.put(put("b", "1").setLease(id).build()));
        join(store.put(put("k", "1").setLease(keep).build()));
        write("c", "1");
        long before = revision();
        WatchRecorder w = watch(watchAll());

        long revoked = join(store.leaseRevoke(id)).getHeader().getRevision();
        assertThat(revoked).isEqualTo(before + 1);
        assertThat(revision()).isEqualTo(before + 1);
        assertThat(keys(range(all()))).containsExactly("c", "k");
        w.awaitEvents(2);
        assertThat(w.batches()).hasSize(1);
        assertThat(w.batches().get(0).revision()).isEqualTo(before + 1);
        assertThat(w.events()).extracting(KvStoreContract::describe)
                .containsExactly("DELETE a@" + (before + 1), "DELETE b@" + (before + 1));

        assertThat(join(store.leases())).containsExactly(keep);
        assertThat(timeToLive(id).getTTL()).as("etcd reports an unknown lease with TTL -1").isEqualTo(-1);
        refused(store.leaseRevoke(id), ErrorCode.LEASE_NOT_FOUND, LEASE_NOT_FOUND_MESSAGE);
        refused(store.put(put("a", "again").setLease(id).build()), ErrorCode.LEASE_NOT_FOUND, LEASE_NOT_FOUND_MESSAGE);

        // A lease without keys revokes without a new revision.
        long empty = grant(10);
        join(store.leaseRevoke(empty));
        assertThat(revision()).isEqualTo(before + 1);
    }

    @Test
    void keepAliveRenewsAKnownLeaseAndAnswersTtlZeroForAnUnknownOne() {
        LeaseKeepAliveResponse unknown = join(store.leaseKeepAlive(12345));
        assertThat(unknown.getID()).isEqualTo(12345);
        assertThat(unknown.getTTL()).isZero();

        long id = grant(30);
        LeaseKeepAliveResponse known = join(store.leaseKeepAlive(id));
        assertThat(known.getID()).isEqualTo(id);
        assertThat(known.getTTL()).isEqualTo(30);
        assertThat(join(store.leases())).containsExactly(id);
    }

    @Test
    void aPutWithAnUnknownLeaseIsRefused() {
        long rev = revision();
        refused(store.put(put("a", "1").setLease(999).build()), ErrorCode.LEASE_NOT_FOUND, LEASE_NOT_FOUND_MESSAGE);
        assertThat(kv("a")).isNull();
        assertThat(revision()).isEqualTo(rev);
        assertThat(join(store.leases())).isEmpty();
    }

    // ---- watch ----

    @Test
    void aWatchFromNowSeesLaterChangesOfItsKeyOnly() {
        write("a", "1");
        WatchRecorder w = watch(watchKey("a"));
        long r1 = putRev("a", "2");
        write("b", "1");
        write("ab", "1");
        long r2 = deleteRev("a");

        List<Event> events = w.awaitEvents(2);
        assertThat(w.revisions()).containsExactly(r1, r2);
        assertThat(events.get(0).getType()).isEqualTo(Event.EventType.PUT);
        assertThat(events.get(0).getKv()).isEqualTo(kvAt("a", r1));
        assertThat(events.get(0).hasPrevKv()).isFalse();
        assertThat(events.get(1).getType()).isEqualTo(Event.EventType.DELETE);
        assertThat(events.get(1).getKv().getKey()).isEqualTo(bs("a"));
        assertThat(events.get(1).getKv().getModRevision()).isEqualTo(r2);
    }

    @Test
    void aWatchFromAPastRevisionReplaysTheHistoryThenContinuesLive() {
        long r1 = putRev("a", "1");
        long r2 = putRev("b", "1");
        long r3 = putRev("a", "2");
        long r4 = deleteRev("a");
        WatchRecorder w = watch(watchKey("a").setStartRevision(r2));
        long r5 = putRev("a", "3");
        w.awaitRevision(r5);
        assertThat(w.events()).extracting(KvStoreContract::describe)
                .containsExactly("PUT a@" + r3, "DELETE a@" + r4, "PUT a@" + r5);
        assertThat(w.events().get(0).getKv()).isEqualTo(kvOf("a", "2", r1, r3, 2));
        assertThat(w.events().get(2).getKv()).isEqualTo(kvOf("a", "3", r5, r5, 1));

        WatchRecorder everything = watch(watchAll().setStartRevision(1));
        everything.awaitRevision(r5);
        assertThat(everything.revisions()).containsExactly(r1, r2, r3, r4, r5);
    }

    @Test
    void aWatchFromAFutureRevisionStartsThere() {
        long rev = revision();
        WatchRecorder w = watch(watchKey("a").setStartRevision(rev + 3));
        for (int i = 1; i <= 4; i++) {
            write("a", "v" + i);
        }
        w.awaitRevision(rev + 4);
        assertThat(w.revisions()).containsExactly(rev + 3, rev + 4);
    }

    @Test
    void watchesStartedDuringWritesMissAndRepeatNothing() throws Exception {
        int writes = 300;
        long first = revision() + 1;
        AtomicReference<Throwable> failure = new AtomicReference<>();
        Thread writer = new Thread(() -> {
            try {
                for (int i = 0; i < writes; i++) {
                    write(i % 2 == 0 ? "w/even" : "w/odd", Integer.toString(i));
                }
            } catch (Throwable t) {
                failure.set(t);
            }
        }, "contract-writer");
        List<WatchRecorder> watchers = new ArrayList<>();
        List<Long> starts = new ArrayList<>();
        writer.start();
        long deadline = System.nanoTime() + Kv.TIMEOUT_SECONDS * 1_000_000_000L;
        for (int i = 0; i < 30; i++) {
            // Spread the registrations over the writes (the writer may also finish first: still valid).
            while (store.currentRevision() < first + i * 10L && writer.isAlive() && System.nanoTime() < deadline) {
                Thread.onSpinWait();
            }
            long current = store.currentRevision();
            // Alternately from a past revision (replay, then live) and from now.
            long start = i % 2 == 0 ? Math.max(first, current - 5) : 0;
            WatchRecorder w = watch(watchPrefix("w/").setStartRevision(start));
            watchers.add(w);
            starts.add(start == 0 ? -1 : start);
        }
        writer.join(Kv.TIMEOUT_SECONDS * 1000);
        assertThat(writer.isAlive()).isFalse();
        assertThat(failure.get()).isNull();
        long last = first + writes - 1;
        assertThat(revision()).isEqualTo(last);
        for (int i = 0; i < watchers.size(); i++) {
            WatchRecorder w = watchers.get(i);
            long start = starts.get(i);
            if (start < 0 && w.batches().isEmpty() && store.currentRevision() == last) {
                continue; // registered after the last write
            }
            w.awaitRevision(last);
            List<Long> revs = w.revisions();
            long from = start > 0 ? start : revs.get(0);
            List<Long> expected = new ArrayList<>();
            for (long r = from; r <= last; r++) {
                expected.add(r);
            }
            assertThat(revs).as("watch %d from %d", i, start).isEqualTo(expected);
        }
    }

    @Test
    void aWatchOfAPrefix() {
        WatchRecorder w = watch(watchPrefix("/registry/pods/"));
        write("/registry/pods/default/a", "1");
        write("/registry/podsecurity/x", "1");
        write("/registry/pods/kube-system/b", "1");
        write("/registry/pod", "1");
        join(store.deleteRange(delPrefix("/registry/").build()));
        w.awaitEvents(4);
        assertThat(keys(w.events().stream().map(Event::getKv).toList())).containsExactly(
                "/registry/pods/default/a", "/registry/pods/kube-system/b",
                "/registry/pods/default/a", "/registry/pods/kube-system/b");
        assertThat(w.batches()).hasSize(3);
    }

    @Test
    void aWatchWithPrevKvGetsThePreviousValues() {
        write("a", "1");
        WatchRecorder with = watch(watchKey("a").setPrevKv(true));
        WatchRecorder without = watch(watchKey("a"));
        write("a", "2");
        join(store.deleteRange(del("a").build()));
        write("a", "3");

        List<Event> events = with.awaitEvents(3);
        assertThat(events.get(0).getPrevKv().getValue()).isEqualTo(bs("1"));
        assertThat(events.get(1).getType()).isEqualTo(Event.EventType.DELETE);
        assertThat(events.get(1).getPrevKv().getValue()).isEqualTo(bs("2"));
        assertThat(events.get(1).getPrevKv().getVersion()).isEqualTo(2);
        assertThat(events.get(2).hasPrevKv()).as("a new generation has no previous value").isFalse();
        assertThat(without.awaitEvents(3)).noneMatch(Event::hasPrevKv);

        // Replayed history carries previous values as well.
        WatchRecorder replay = watch(watchKey("a").setPrevKv(true).setStartRevision(events.get(0).getKv().getModRevision()));
        assertThat(replay.awaitEvents(3)).isEqualTo(events);
    }

    @Test
    void watchFiltersDropPutsOrDeletes() {
        WatchRecorder noPut = watch(watchPrefix("k").addFilters(WatchCreateRequest.FilterType.NOPUT));
        WatchRecorder noDelete = watch(watchPrefix("k").addFilters(WatchCreateRequest.FilterType.NODELETE));
        write("k1", "1");
        write("k2", "1");
        join(store.deleteRange(del("k1").build()));
        long last = putRev("k1", "2");
        noDelete.awaitRevision(last);
        assertThat(noDelete.events()).extracting(Event::getType).containsOnly(Event.EventType.PUT).hasSize(3);
        noPut.awaitEvents(1);
        assertThat(noPut.events()).extracting(KvStoreContract::describe).containsExactly("DELETE k1@" + (last - 1));
    }

    @Test
    void aCanceledWatchGetsNoMoreEvents() {
        WatchRecorder w = new WatchRecorder();
        Watch handle = store.watch(watchKey("a").build(), w);
        long r1 = putRev("a", "1");
        w.awaitRevision(r1);
        handle.cancel();
        WatchRecorder probe = watch(watchKey("a"));
        long r2 = putRev("a", "2");
        probe.awaitRevision(r2);
        assertThat(w.revisions()).containsExactly(r1);
        assertThat(probe.revisions()).containsExactly(r2);
    }

    @Test
    void theEventsOfATxnArriveTogetherAtOneRevision() {
        write("c", "1");
        WatchRecorder w = watch(watchAll());
        long rev = txn(TxnRequest.newBuilder()
                .addSuccess(op(put("b", "1")))
                .addSuccess(op(put("a", "1")))
                .addSuccess(op(del("c")))).getHeader().getRevision();
        w.awaitEvents(3);
        assertThat(w.batches()).hasSize(1);
        assertThat(w.batches().get(0).revision()).isEqualTo(rev);
        assertThat(w.events()).extracting(KvStoreContract::describe)
                .containsExactly("PUT b@" + rev, "PUT a@" + rev, "DELETE c@" + rev);

        WatchRecorder replay = watch(watchAll().setStartRevision(rev));
        replay.awaitEvents(3);
        assertThat(replay.batches()).isEqualTo(w.batches());
    }

    // ---- fence ----

    @Test
    void fencedWritesOfAnOldTermAreRefusedAndChangeNothing() throws Exception {
        long term = currentTerm(store);
        KvStore fenced = store.fenced(term);
        join(fenced.put(put("a", "1").build()));
        long lease = join(fenced.leaseGrant(LeaseGrantRequest.newBuilder().setTTL(60).build())).getID();
        assertThat(kv("a").getValue()).isEqualTo(bs("1"));

        startNewTerm(store);
        long rev = revision();
        long hash = stateHash(store);
        String message = "kuberaft: fenced write refused: proposed for term " + term + " but committed in term " + currentTerm(store);
        refused(fenced.put(put("a", "2").build()), ErrorCode.FENCE_MISMATCH, message);
        refused(fenced.deleteRange(del("a").build()), ErrorCode.FENCE_MISMATCH);
        refused(fenced.txn(TxnRequest.newBuilder().addSuccess(op(put("b", "1"))).build()), ErrorCode.FENCE_MISMATCH);
        refused(fenced.leaseRevoke(lease), ErrorCode.FENCE_MISMATCH);
        refused(fenced.leaseGrant(LeaseGrantRequest.newBuilder().setTTL(60).build()), ErrorCode.FENCE_MISMATCH);
        refused(fenced.compact(CompactionRequest.newBuilder().setRevision(rev).build()), ErrorCode.FENCE_MISMATCH);
        refused(store.fenced(term).put(put("a", "3").build()), ErrorCode.FENCE_MISMATCH);
        assertThat(revision()).isEqualTo(rev);
        assertThat(stateHash(store)).isEqualTo(hash);
        assertThat(kv("a").getValue()).isEqualTo(bs("1"));
        assertThat(join(store.leases())).containsExactly(lease);

        // Reads are not fenced; writes of the current term and unfenced writes go through.
        assertThat(join(fenced.range(get("a").build())).getKvsCount()).isEqualTo(1);
        join(store.fenced(currentTerm(store)).put(put("a", "4").build()));
        join(store.fenced(0).put(put("b", "4").build()));
        assertThat(putRev("c", "4")).isEqualTo(rev + 3);
    }

    // ---- restart ----

    @Test
    void reopeningKeepsRevisionValuesLeasesAndTheCompactionPoint() throws Exception {
        long id = grant(120);
        long idle = grant(30);
        write("a", "1");
        join(store.put(put("l1", "x").setLease(id).build()));
        long compactAt = putRev("a", "2");
        join(store.put(put("l2", "y").setLease(id).build()));
        txn(TxnRequest.newBuilder().addSuccess(op(put("t1", "1"))).addSuccess(op(put("t2", "1"))));
        write("gone", "1");
        deleteRev("gone");
        compact(compactAt);
        write("a", "3");
        long rev = revision();

        List<RangeResponse> history = new ArrayList<>();
        for (long r = compactAt; r <= rev; r++) {
            history.add(range(all().setRevision(r)));
        }
        StoreStatus status = join(store.status(ReadConsistency.LINEARIZABLE));
        long hash = stateHash(store);

        reopen();

        assertThat(revision()).isEqualTo(rev);
        assertThat(store.currentRevision()).isEqualTo(rev);
        StoreStatus after = join(store.status(ReadConsistency.LINEARIZABLE));
        assertThat(after.getRevision()).isEqualTo(status.getRevision());
        assertThat(after.getCompactRevision()).isEqualTo(compactAt);
        assertThat(stateHash(store)).isEqualTo(hash);
        for (long r = compactAt; r <= rev; r++) {
            assertThat(range(all().setRevision(r))).as("revision %d", r).isEqualTo(history.get((int) (r - compactAt)));
        }
        refused(store.range(all().setRevision(compactAt - 1).build()), ErrorCode.COMPACTED, COMPACTED_MESSAGE);
        refused(store.compact(CompactionRequest.newBuilder().setRevision(compactAt).build()), ErrorCode.COMPACTED);
        assertThat(join(store.leases())).containsExactlyInAnyOrder(id, idle);
        assertThat(timeToLive(id).getKeysList()).containsExactly(bs("l1"), bs("l2"));
        assertThat(timeToLive(id).getGrantedTTL()).isEqualTo(120);

        // Writes continue the history: next revision, versions and generations go on.
        assertThat(putRev("a", "4")).isEqualTo(rev + 1);
        assertThat(kv("a").getVersion()).isEqualTo(4);
        join(store.leaseRevoke(id));
        assertThat(keys(range(all()))).containsExactly("a", "t1", "t2");
        WatchRecorder w = watch(watchKey("a").setStartRevision(compactAt));
        w.awaitRevision(rev + 1);
        assertThat(w.events()).extracting(e -> e.getKv().getValue().toStringUtf8()).containsExactly("2", "3", "4");
    }

    @Test
    void aStoreReopenedTwiceWithoutWritesIsUnchanged() throws Exception {
        write("a", "1");
        long hash = stateHash(store);
        reopen();
        reopen();
        assertThat(stateHash(store)).isEqualTo(hash);
        assertThat(values(range(all()))).containsExactly("1");
        assertThat(putRev("b", "1")).isEqualTo(3);
    }
}
