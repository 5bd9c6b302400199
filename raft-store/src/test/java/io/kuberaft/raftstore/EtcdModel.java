package io.kuberaft.raftstore;

import com.google.protobuf.ByteString;
import io.etcd.jetcd.api.Compare;
import io.etcd.jetcd.api.CompactionRequest;
import io.etcd.jetcd.api.CompactionResponse;
import io.etcd.jetcd.api.DeleteRangeRequest;
import io.etcd.jetcd.api.DeleteRangeResponse;
import io.etcd.jetcd.api.Event;
import io.etcd.jetcd.api.KeyValue;
import io.etcd.jetcd.api.PutRequest;
import io.etcd.jetcd.api.PutResponse;
import io.etcd.jetcd.api.RangeRequest;
import io.etcd.jetcd.api.RangeResponse;
import io.etcd.jetcd.api.RequestOp;
import io.etcd.jetcd.api.ResponseHeader;
import io.etcd.jetcd.api.ResponseOp;
import io.etcd.jetcd.api.TxnRequest;
import io.etcd.jetcd.api.TxnResponse;
import io.kuberaft.raftstore.errors.ErrorCode;
import io.kuberaft.raftstore.errors.StoreException;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.NavigableMap;
import java.util.Set;
import java.util.TreeMap;

/**
 * A deliberately naive reference of etcd's MVCC semantics for the property test: it keeps the whole
 * key space of every revision and every revision's events, and shares no code with the store. Only
 * what the property test generates is modelled (no leases, no ignore_value / ignore_lease).
 *
 * <p>Where etcd leaves a choice to the implementation the model takes the store's: ties of a sort are
 * in key order, and duplicate keys of a txn are looked for along the branches the compares choose
 * (etcd's gRPC layer also rejects them in branches not taken).
 */
final class EtcdModel {
    static final Comparator<ByteString> BYTES = ByteString.unsignedLexicographicalComparator();
    private static final ByteString ZERO = ByteString.copyFrom(new byte[] {0});
    private static final int MAX_TXN_OPS = 128;

    /** Index = revision. Revision 1 is the empty store etcd starts at; index 0 is unused. */
    private final List<NavigableMap<ByteString, KeyValue>> states = new ArrayList<>();
    private final List<List<Event>> events = new ArrayList<>();
    private long compacted;

    EtcdModel() {
        for (int i = 0; i < 2; i++) {
            states.add(new TreeMap<>(BYTES));
            events.add(List.of());
        }
    }

    long revision() {
        return states.size() - 1;
    }

    long compacted() {
        return compacted;
    }

    /** The events of revision {@code rev}, in the order they happened. */
    List<Event> events(long rev) {
        return events.get((int) rev);
    }

    // ---- the operations ----

    PutResponse put(PutRequest p) {
        requireKey(p.getKey());
        Working w = new Working();
        PutResponse.Builder r = w.put(p);
        w.commit();
        return r.setHeader(header(revision())).build();
    }

    DeleteRangeResponse deleteRange(DeleteRangeRequest d) {
        requireKey(d.getKey());
        Working w = new Working();
        DeleteRangeResponse.Builder r = w.delete(d);
        w.commit();
        return r.setHeader(header(revision())).build();
    }

    RangeResponse range(RangeRequest r) {
        requireKey(r.getKey());
        long rev = r.getRevision() <= 0 ? revision() : r.getRevision();
        if (rev > revision()) {
            throw error(ErrorCode.FUTURE_REVISION);
        }
        if (rev < compacted) {
            throw error(ErrorCode.COMPACTED);
        }
        // etcd's header carries the store's current revision, also for a past read.
        return rangeOf(states.get((int) rev), r).setHeader(header(revision())).build();
    }

    CompactionResponse compact(CompactionRequest c) {
        if (c.getRevision() <= compacted) {
            throw error(ErrorCode.COMPACTED);
        }
        if (c.getRevision() > revision()) {
            throw error(ErrorCode.FUTURE_REVISION);
        }
        compacted = c.getRevision();
        return CompactionResponse.newBuilder().setHeader(header(revision())).build();
    }

    TxnResponse txn(TxnRequest t) {
        NavigableMap<ByteString, KeyValue> before = states.get((int) revision());
        // Every compare, nested ones included, is decided on the state before the txn.
        List<Boolean> path = new ArrayList<>();
        decide(t, before, path);
        validate(t, path.iterator(), new HashSet<>(), new ArrayList<>());
        Working w = new Working();
        TxnResponse.Builder r = execute(t, path.iterator(), w);
        w.commit();
        return r.setHeader(header(revision())).build();
    }

    // ---- txn ----

    private void decide(TxnRequest t, NavigableMap<ByteString, KeyValue> state, List<Boolean> path) {
        boolean ok = t.getCompareList().stream().allMatch(c -> holds(c, state));
        path.add(ok);
        for (RequestOp op : ok ? t.getSuccessList() : t.getFailureList()) {
            if (op.hasRequestTxn()) {
                decide(op.getRequestTxn(), state, path);
            }
        }
    }

    private static boolean holds(Compare c, NavigableMap<ByteString, KeyValue> state) {
        requireKey(c.getKey());
        List<KeyValue> kvs = select(state, c.getKey(), c.getRangeEnd());
        if (kvs.isEmpty()) {
            // A value compare on a missing key is false; the other targets compare against zero.
            return c.getTarget() != Compare.CompareTarget.VALUE && holds(c, KeyValue.getDefaultInstance());
        }
        return kvs.stream().allMatch(kv -> holds(c, kv));
    }

    private static boolean holds(Compare c, KeyValue kv) {
        int order = switch (c.getTarget()) {
            case VALUE -> BYTES.compare(kv.getValue(), c.getValue());
            case VERSION -> Long.compare(kv.getVersion(), c.getVersion());
            case CREATE -> Long.compare(kv.getCreateRevision(), c.getCreateRevision());
            case MOD -> Long.compare(kv.getModRevision(), c.getModRevision());
            default -> throw new IllegalArgumentException("not generated: " + c.getTarget());
        };
        return switch (c.getResult()) {
            case EQUAL -> order == 0;
            case NOT_EQUAL -> order != 0;
            case GREATER -> order > 0;
            case LESS -> order < 0;
            default -> throw new IllegalArgumentException("not generated: " + c.getResult());
        };
    }

    private void validate(TxnRequest t, Iterator<Boolean> path, Set<ByteString> puts, List<RangeRequest> deletes) {
        List<RequestOp> chosen = path.next() ? t.getSuccessList() : t.getFailureList();
        if (Math.max(t.getCompareCount(), Math.max(t.getSuccessCount(), t.getFailureCount())) > MAX_TXN_OPS) {
            throw error(ErrorCode.TOO_MANY_OPS);
        }
        for (RequestOp op : chosen) {
            switch (op.getRequestCase()) {
                case REQUEST_RANGE -> {
                    RangeRequest r = op.getRequestRange();
                    requireKey(r.getKey());
                    if (r.getRevision() > revision()) {
                        throw error(ErrorCode.FUTURE_REVISION);
                    }
                    if (r.getRevision() > 0 && r.getRevision() < compacted) {
                        throw error(ErrorCode.COMPACTED);
                    }
                }
                case REQUEST_PUT -> {
                    ByteString key = op.getRequestPut().getKey();
                    requireKey(key);
                    if (!puts.add(key) || deletes.stream().anyMatch(d -> contains(d.getKey(), d.getRangeEnd(), key))) {
                        throw error(ErrorCode.DUPLICATE_KEY);
                    }
                }
                case REQUEST_DELETE_RANGE -> {
                    DeleteRangeRequest d = op.getRequestDeleteRange();
                    requireKey(d.getKey());
                    if (puts.stream().anyMatch(k -> contains(d.getKey(), d.getRangeEnd(), k))) {
                        throw error(ErrorCode.DUPLICATE_KEY);
                    }
                    deletes.add(RangeRequest.newBuilder().setKey(d.getKey()).setRangeEnd(d.getRangeEnd()).build());
                }
                case REQUEST_TXN -> validate(op.getRequestTxn(), path, puts, deletes);
                default -> throw error(ErrorCode.INVALID_ARGUMENT);
            }
        }
    }

    private TxnResponse.Builder execute(TxnRequest t, Iterator<Boolean> path, Working w) {
        boolean succeeded = path.next();
        TxnResponse.Builder r = TxnResponse.newBuilder().setSucceeded(succeeded);
        for (RequestOp op : succeeded ? t.getSuccessList() : t.getFailureList()) {
            ResponseOp.Builder resp = ResponseOp.newBuilder();
            switch (op.getRequestCase()) {
                case REQUEST_RANGE -> {
                    RangeRequest rr = op.getRequestRange();
                    // Reads inside a txn see its earlier writes; an explicit revision reads history.
                    NavigableMap<ByteString, KeyValue> state = rr.getRevision() > 0 ? states.get((int) rr.getRevision()) : w.state;
                    resp.setResponseRange(rangeOf(state, rr));
                }
                case REQUEST_PUT -> resp.setResponsePut(w.put(op.getRequestPut()));
                case REQUEST_DELETE_RANGE -> resp.setResponseDeleteRange(w.delete(op.getRequestDeleteRange()));
                case REQUEST_TXN -> resp.setResponseTxn(execute(op.getRequestTxn(), path, w));
                default -> throw new IllegalStateException("validated");
            }
            r.addResponses(resp);
        }
        return r;
    }

    // ---- one write: every change at the next revision ----

    private final class Working {
        final long next = revision() + 1;
        final NavigableMap<ByteString, KeyValue> state = new TreeMap<>(states.get((int) revision()));
        final List<Event> changes = new ArrayList<>();

        PutResponse.Builder put(PutRequest p) {
            KeyValue prev = state.get(p.getKey());
            KeyValue kv = KeyValue.newBuilder().setKey(p.getKey()).setValue(p.getValue())
                    .setCreateRevision(prev == null ? next : prev.getCreateRevision())
                    .setModRevision(next)
                    .setVersion(prev == null ? 1 : prev.getVersion() + 1)
                    .build();
            state.put(p.getKey(), kv);
            changes.add(Event.newBuilder().setType(Event.EventType.PUT).setKv(kv).build());
            PutResponse.Builder r = PutResponse.newBuilder();
            if (p.getPrevKv() && prev != null) {
                r.setPrevKv(prev);
            }
            return r;
        }

        DeleteRangeResponse.Builder delete(DeleteRangeRequest d) {
            List<KeyValue> gone = select(state, d.getKey(), d.getRangeEnd());
            for (KeyValue kv : gone) {
                state.remove(kv.getKey());
                changes.add(Event.newBuilder().setType(Event.EventType.DELETE)
                        .setKv(KeyValue.newBuilder().setKey(kv.getKey()).setModRevision(next)).build());
            }
            DeleteRangeResponse.Builder r = DeleteRangeResponse.newBuilder().setDeleted(gone.size());
            if (d.getPrevKv()) {
                r.addAllPrevKvs(gone);
            }
            return r;
        }

        void commit() {
            if (!changes.isEmpty()) {
                states.add(state);
                events.add(List.copyOf(changes));
            }
        }
    }

    // ---- reads ----

    private static RangeResponse.Builder rangeOf(NavigableMap<ByteString, KeyValue> state, RangeRequest r) {
        List<KeyValue> inRange = select(state, r.getKey(), r.getRangeEnd());
        List<KeyValue> kvs = new ArrayList<>(inRange.stream().filter(kv -> passes(r, kv)).toList());
        RangeRequest.SortOrder order = r.getSortOrder();
        if (order == RangeRequest.SortOrder.NONE && r.getSortTarget() != RangeRequest.SortTarget.KEY) {
            order = RangeRequest.SortOrder.ASCEND;
        }
        if (order != RangeRequest.SortOrder.NONE) {
            Comparator<KeyValue> c = switch (r.getSortTarget()) {
                case KEY -> Comparator.comparing(KeyValue::getKey, BYTES);
                case VERSION -> Comparator.comparingLong(KeyValue::getVersion);
                case CREATE -> Comparator.comparingLong(KeyValue::getCreateRevision);
                case MOD -> Comparator.comparingLong(KeyValue::getModRevision);
                case VALUE -> Comparator.comparing(KeyValue::getValue, BYTES);
                default -> throw new IllegalArgumentException("not generated");
            };
            kvs.sort(order == RangeRequest.SortOrder.DESCEND ? c.reversed() : c);
        }
        boolean more = false;
        if (r.getLimit() > 0 && kvs.size() > r.getLimit()) {
            kvs = kvs.subList(0, (int) r.getLimit());
            more = true;
        }
        RangeResponse.Builder b = RangeResponse.newBuilder().setCount(inRange.size());
        if (!r.getCountOnly()) {
            for (KeyValue kv : kvs) {
                b.addKvs(r.getKeysOnly() ? kv.toBuilder().clearValue().build() : kv);
            }
            b.setMore(more);
        }
        return b;
    }

    private static boolean passes(RangeRequest r, KeyValue kv) {
        return (r.getMinModRevision() == 0 || kv.getModRevision() >= r.getMinModRevision())
                && (r.getMaxModRevision() == 0 || kv.getModRevision() <= r.getMaxModRevision())
                && (r.getMinCreateRevision() == 0 || kv.getCreateRevision() >= r.getMinCreateRevision())
                && (r.getMaxCreateRevision() == 0 || kv.getCreateRevision() <= r.getMaxCreateRevision());
    }

    /** The live keys of etcd's range [key, rangeEnd), in key order. */
    static List<KeyValue> select(NavigableMap<ByteString, KeyValue> state, ByteString key, ByteString rangeEnd) {
        return state.values().stream().filter(kv -> contains(key, rangeEnd, kv.getKey())).toList();
    }

    /** etcd's range convention: empty end = the key alone, "\0" = every key from key on, else half-open. */
    static boolean contains(ByteString key, ByteString rangeEnd, ByteString k) {
        if (rangeEnd.isEmpty()) {
            return k.equals(key);
        }
        if (rangeEnd.equals(ZERO)) {
            return BYTES.compare(k, key) >= 0;
        }
        return BYTES.compare(k, key) >= 0 && BYTES.compare(k, rangeEnd) < 0;
    }

    private static void requireKey(ByteString key) {
        if (key.isEmpty()) {
            throw error(ErrorCode.INVALID_ARGUMENT);
        }
    }

    private static ResponseHeader header(long rev) {
        return ResponseHeader.newBuilder().setRevision(rev).build();
    }

    private static StoreException error(ErrorCode code) {
        return new StoreException(code, "model: " + code);
    }
}
