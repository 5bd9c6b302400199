package io.kuberaft.raftstore;

import com.google.protobuf.ByteString;
import io.etcd.jetcd.api.CompactionRequest;
import io.etcd.jetcd.api.Compare;
import io.etcd.jetcd.api.DeleteRangeRequest;
import io.etcd.jetcd.api.Event;
import io.etcd.jetcd.api.PutRequest;
import io.etcd.jetcd.api.RangeRequest;
import io.etcd.jetcd.api.RequestOp;
import io.etcd.jetcd.api.ResponseOp;
import io.etcd.jetcd.api.TxnRequest;
import io.etcd.jetcd.api.TxnResponse;
import io.etcd.jetcd.api.WatchCreateRequest;
import io.kuberaft.raftstore.errors.ErrorCode;
import io.kuberaft.raftstore.errors.StoreException;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.RandomDistribution;
import net.jqwik.api.ShrinkingMode;
import net.jqwik.api.Tuple;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.function.Supplier;
import java.util.function.UnaryOperator;
import java.util.stream.Stream;

import static io.kuberaft.raftstore.Kv.ZERO;
import static io.kuberaft.raftstore.Kv.bs;
import static io.kuberaft.raftstore.Kv.join;
import static io.kuberaft.raftstore.Kv.prefixEnd;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Model-based test of the MVCC store: random sequences of put, delete, txn (with compares, nested
 * txns and reads), compaction, range reads at past revisions and restarts, each run against a real
 * {@link LocalKvStore} and the naive {@link EtcdModel}. Every response (kvs, count, more, revision,
 * error code) must match; at the end every readable revision, the watch history and the live watch
 * events must match too, before and after a final reopen.
 */
class MvccModelPropertyTest {

    /** The store under test; override to run the same property against another implementation. */
    protected WatchableKvStore open(Path dir) {
        return new LocalKvStore(dir);
    }

    protected void close(WatchableKvStore store) {
        ((LocalKvStore) store).close();
    }

    @Property(tries = 80, shrinking = ShrinkingMode.BOUNDED)
    void theStoreAnswersEveryRequestAsTheModelDoes(@ForAll("scripts") List<Op> script) throws IOException {
        Path dir = Files.createTempDirectory("kuberaft-mvcc-model");
        WatchableKvStore store = open(dir);
        try {
            EtcdModel model = new EtcdModel();
            // One live watch (from "now") per incarnation of the store, with the revisions it covered.
            List<LiveWatch> live = new ArrayList<>();
            live.add(new LiveWatch(watchAll(store, 0), model.revision()));
            for (int step = 0; step < script.size(); step++) {
                Op op = script.get(step);
                if (op instanceof Reopen) {
                    live.get(live.size() - 1).until = model.revision();
                    close(store);
                    store = open(dir);
                    live.add(new LiveWatch(watchAll(store, 0), model.revision()));
                } else {
                    apply(op, store, model, "step " + step + ": " + op);
                }
                assertThat(store.currentRevision()).as("revision after step %d: %s", step, op).isEqualTo(model.revision());
            }
            live.get(live.size() - 1).until = model.revision();
            verifyHistory(store, model);
            for (LiveWatch w : live) {
                w.verify(model);
            }

            long hash = stateHash(store);
            close(store);
            store = open(dir);
            verifyHistory(store, model);
            if (store instanceof LocalKvStore) {
                assertThat(stateHash(store)).as("hash after reopen").isEqualTo(hash);
            }
        } finally {
            try {
                close(store);
            } finally {
                deleteRecursively(dir);
            }
        }
    }

    // ---- running one step against both ----

    private void apply(Op op, WatchableKvStore store, EtcdModel model, String what) {
        if (op instanceof Put p) {
            PutRequest req = p.request();
            same(what, () -> model.put(req), store.put(req), UnaryOperator.identity());
        } else if (op instanceof Delete d) {
            DeleteRangeRequest req = d.request();
            same(what, () -> model.deleteRange(req), store.deleteRange(req), UnaryOperator.identity());
        } else if (op instanceof Range r) {
            RangeRequest req = r.request(model);
            same(what, () -> model.range(req), store.range(req), UnaryOperator.identity());
        } else if (op instanceof Txn t) {
            TxnRequest req = t.request(model);
            same(what, () -> model.txn(req), store.txn(req), MvccModelPropertyTest::withoutInnerHeaders);
        } else if (op instanceof Compact c) {
            CompactionRequest req = CompactionRequest.newBuilder().setRevision(c.rev().resolve(model, true)).build();
            same(what, () -> model.compact(req), store.compact(req), UnaryOperator.identity());
        } else {
            throw new IllegalStateException("not a store request: " + op);
        }
    }

    /** Same outcome: equal responses (after {@code normalize}), or refusals with the same code. */
    private static <T> void same(String what, Supplier<T> model, CompletableFuture<T> actual, UnaryOperator<T> normalize) {
        T expected = null;
        ErrorCode expectedError = null;
        try {
            expected = model.get();
        } catch (StoreException e) {
            expectedError = e.code();
        }
        T got = null;
        ErrorCode gotError = null;
        try {
            got = join(actual);
        } catch (StoreException e) {
            gotError = e.code();
        }
        assertThat(gotError).as("error of %s", what).isEqualTo(expectedError);
        if (expectedError == null) {
            assertThat(normalize.apply(got)).as("response to %s", what).isEqualTo(normalize.apply(expected));
        }
    }

    /** Headers of the responses inside a txn are not part of the contract (etcd fills them loosely). */
    static TxnResponse withoutInnerHeaders(TxnResponse t) {
        TxnResponse.Builder b = t.toBuilder().clearResponses();
        for (ResponseOp op : t.getResponsesList()) {
            ResponseOp.Builder o = op.toBuilder();
            switch (op.getResponseCase()) {
                case RESPONSE_RANGE -> o.setResponseRange(op.getResponseRange().toBuilder().clearHeader());
                case RESPONSE_PUT -> o.setResponsePut(op.getResponsePut().toBuilder().clearHeader());
                case RESPONSE_DELETE_RANGE -> o.setResponseDeleteRange(op.getResponseDeleteRange().toBuilder().clearHeader());
                case RESPONSE_TXN -> o.setResponseTxn(withoutInnerHeaders(op.getResponseTxn()).toBuilder().clearHeader());
                default -> {
                }
            }
            b.addResponses(o);
        }
        return b.build();
    }

    // ---- final checks ----

    /** Every revision still readable reads as the model's; older ones are refused as compacted. */
    private static void verifyHistory(WatchableKvStore store, EtcdModel model) {
        long current = model.revision();
        assertThat(store.currentRevision()).isEqualTo(current);
        assertThat(join(store.status(ReadConsistency.LINEARIZABLE)).getCompactRevision()).isEqualTo(model.compacted());
        for (long rev = Math.max(1, model.compacted()); rev <= current; rev++) {
            RangeRequest all = RangeRequest.newBuilder().setKey(ZERO).setRangeEnd(ZERO).setRevision(rev).build();
            assertThat(join(store.range(all))).as("everything at revision %d", rev).isEqualTo(model.range(all));
        }
        if (model.compacted() > 1) {
            RangeRequest old = RangeRequest.newBuilder().setKey(ZERO).setRangeEnd(ZERO).setRevision(model.compacted() - 1).build();
            Kv.refused(store.range(old), ErrorCode.COMPACTED);
        }
        // The watch history after the compaction point replays exactly the model's events.
        long from = Math.max(2, model.compacted() + 1);
        if (from <= current) {
            WatchRecorder replay = watchAll(store, from);
            List<WatchRecorder.Batch> expected = batches(model, from, current);
            if (!expected.isEmpty()) {
                replay.awaitRevision(expected.get(expected.size() - 1).revision());
            }
            assertThat(replay.batches()).as("watch replay from %d", from).isEqualTo(expected);
        }
    }

    /** A watch from "now" saw exactly the model's events of the revisions its store incarnation wrote. */
    private static final class LiveWatch {
        final WatchRecorder recorder;
        final long after;
        long until;

        LiveWatch(WatchRecorder recorder, long after) {
            this.recorder = recorder;
            this.after = after;
        }

        void verify(EtcdModel model) {
            List<WatchRecorder.Batch> expected = batches(model, after + 1, until);
            if (!expected.isEmpty()) {
                recorder.awaitRevision(expected.get(expected.size() - 1).revision());
            }
            assertThat(recorder.batches()).as("live watch events of revisions %d..%d", after + 1, until).isEqualTo(expected);
        }
    }

    private static List<WatchRecorder.Batch> batches(EtcdModel model, long from, long to) {
        List<WatchRecorder.Batch> out = new ArrayList<>();
        for (long rev = from; rev <= to; rev++) {
            List<Event> events = model.events(rev);
            if (!events.isEmpty()) {
                out.add(new WatchRecorder.Batch(rev, events));
            }
        }
        return out;
    }

    private static WatchRecorder watchAll(WatchableKvStore store, long from) {
        WatchRecorder w = new WatchRecorder();
        store.watch(WatchCreateRequest.newBuilder().setKey(ZERO).setRangeEnd(ZERO).setStartRevision(from).build(), w);
        return w;
    }

    private static long stateHash(WatchableKvStore store) {
        return store instanceof LocalKvStore l ? l.engine().mvcc().hash() : 0;
    }

    private static void deleteRecursively(Path dir) throws IOException {
        try (Stream<Path> paths = Files.walk(dir)) {
            for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }

    // ---- the generated operations ----

    static final List<String> KEYS = List.of("a", "ab", "abc", "b", "ba", "c", "d");
    static final List<String> VALUES = List.of("", "0", "1", "10", "x", "y");

    sealed interface Op permits TxnOp, Compact, Reopen {
    }

    /** What a txn may contain. */
    sealed interface TxnOp extends Op permits Put, Delete, Range, Txn {
    }

    record Put(String key, String value, boolean prevKv) implements TxnOp {
        PutRequest request() {
            return PutRequest.newBuilder().setKey(bs(key)).setValue(bs(value)).setPrevKv(prevKv).build();
        }
    }

    record Delete(Span span, boolean prevKv) implements TxnOp {
        DeleteRangeRequest request() {
            return DeleteRangeRequest.newBuilder().setKey(span.key()).setRangeEnd(span.end()).setPrevKv(prevKv).build();
        }
    }

    record Filters(long minMod, long maxMod, long minCreate, long maxCreate) {
    }

    record Range(Span span, Rev rev, long limit, boolean countOnly, boolean keysOnly,
                 RangeRequest.SortTarget target, RangeRequest.SortOrder order, Filters filters) implements TxnOp {
        RangeRequest request(EtcdModel model) {
            return RangeRequest.newBuilder().setKey(span.key()).setRangeEnd(span.end())
                    .setRevision(rev.resolve(model, false)).setLimit(limit)
                    .setCountOnly(countOnly).setKeysOnly(keysOnly).setSortTarget(target).setSortOrder(order)
                    .setMinModRevision(filters.minMod()).setMaxModRevision(filters.maxMod())
                    .setMinCreateRevision(filters.minCreate()).setMaxCreateRevision(filters.maxCreate())
                    .build();
        }
    }

    record Cmp(String key, boolean prefix, Compare.CompareTarget target, Compare.CompareResult result, String value, long number) {
        Compare compare() {
            Compare.Builder b = Compare.newBuilder().setKey(bs(key)).setTarget(target).setResult(result);
            if (prefix) {
                b.setRangeEnd(prefixEnd(bs(key)));
            }
            return switch (target) {
                case VALUE -> b.setValue(bs(value)).build();
                case VERSION -> b.setVersion(number % 4).build();
                case CREATE -> b.setCreateRevision(number).build();
                case MOD -> b.setModRevision(number).build();
                default -> throw new IllegalArgumentException(target.toString());
            };
        }
    }

    record Txn(List<Cmp> compares, List<TxnOp> success, List<TxnOp> failure) implements TxnOp {
        TxnRequest request(EtcdModel model) {
            TxnRequest.Builder b = TxnRequest.newBuilder();
            compares.forEach(c -> b.addCompare(c.compare()));
            success.forEach(op -> b.addSuccess(requestOp(op, model)));
            failure.forEach(op -> b.addFailure(requestOp(op, model)));
            return b.build();
        }

        private static RequestOp requestOp(TxnOp op, EtcdModel model) {
            RequestOp.Builder b = RequestOp.newBuilder();
            if (op instanceof Put p) {
                b.setRequestPut(p.request());
            } else if (op instanceof Delete d) {
                b.setRequestDeleteRange(d.request());
            } else if (op instanceof Range r) {
                b.setRequestRange(r.request(model));
            } else {
                b.setRequestTxn(((Txn) op).request(model));
            }
            return b.build();
        }
    }

    record Compact(Rev rev) implements Op {
    }

    record Reopen() implements Op {
    }

    /** A key range in etcd's conventions. */
    record Span(Kind kind, String a, String b) {
        enum Kind { KEY, PREFIX, FROM, ALL, BETWEEN }

        ByteString key() {
            return kind == Kind.ALL ? ZERO : bs(a);
        }

        ByteString end() {
            return switch (kind) {
                case KEY -> ByteString.EMPTY;
                case PREFIX -> prefixEnd(bs(a));
                case FROM, ALL -> ZERO;
                case BETWEEN -> bs(b); // possibly empty or inverted: both are legal and select nothing
            };
        }
    }

    /** A revision relative to the model's state when the step runs: history, its edges and beyond. */
    record Rev(Kind kind, int back) {
        enum Kind { LATEST, PAST, OLDEST, COMPACTED, FUTURE }

        long resolve(EtcdModel model, boolean forCompaction) {
            long current = model.revision();
            long oldest = Math.max(1, model.compacted());
            return switch (kind) {
                case LATEST -> forCompaction ? current : 0;
                case PAST -> Math.max(oldest, current - back);
                case OLDEST -> oldest;
                case COMPACTED -> Math.max(1, oldest - 1 - back);
                case FUTURE -> current + 1 + back % 3;
            };
        }
    }

    @Provide
    Arbitrary<List<Op>> scripts() {
        return Arbitraries.frequencyOf(
                Tuple.of(6, asOp(puts())),
                Tuple.of(2, asOp(deletes())),
                Tuple.of(4, asOp(ranges())),
                Tuple.of(4, asOp(txns(2))),
                Tuple.of(1, asOp(revs().map(Compact::new))),
                Tuple.of(1, asOp(Arbitraries.just(new Reopen())))
        ).list().ofMinSize(1).ofMaxSize(50).withSizeDistribution(RandomDistribution.uniform());
    }

    private static Arbitrary<Op> asOp(Arbitrary<? extends Op> a) {
        return a.map(op -> (Op) op);
    }

    private static Arbitrary<TxnOp> asTxnOp(Arbitrary<? extends TxnOp> a) {
        return a.map(op -> (TxnOp) op);
    }

    private static Arbitrary<Put> puts() {
        return Combinators.combine(Arbitraries.of(KEYS), Arbitraries.of(VALUES), Arbitraries.of(true, false)).as(Put::new);
    }

    private static Arbitrary<Delete> deletes() {
        return Combinators.combine(spans(), Arbitraries.of(true, false)).as(Delete::new);
    }

    private static Arbitrary<Span> spans() {
        return Combinators.combine(
                Arbitraries.frequencyOf(Tuple.of(3, Arbitraries.just(Span.Kind.KEY)), Tuple.of(3, Arbitraries.just(Span.Kind.PREFIX)),
                        Tuple.of(1, Arbitraries.just(Span.Kind.FROM)), Tuple.of(1, Arbitraries.just(Span.Kind.ALL)),
                        Tuple.of(2, Arbitraries.just(Span.Kind.BETWEEN))),
                Arbitraries.of(KEYS), Arbitraries.of(KEYS)).as(Span::new);
    }

    private static Arbitrary<Rev> revs() {
        return Combinators.combine(
                Arbitraries.frequencyOf(Tuple.of(4, Arbitraries.just(Rev.Kind.LATEST)), Tuple.of(5, Arbitraries.just(Rev.Kind.PAST)),
                        Tuple.of(1, Arbitraries.just(Rev.Kind.OLDEST)), Tuple.of(1, Arbitraries.just(Rev.Kind.COMPACTED)),
                        Tuple.of(1, Arbitraries.just(Rev.Kind.FUTURE))),
                Arbitraries.integers().between(0, 12)).as(Rev::new);
    }

    private static Arbitrary<Range> ranges() {
        Arbitrary<Long> filter = Arbitraries.frequencyOf(Tuple.of(6, Arbitraries.just(0L)), Tuple.of(1, Arbitraries.longs().between(1, 30)));
        Arbitrary<Filters> filters = Combinators.combine(filter, filter, filter, filter).as(Filters::new);
        Arbitrary<Long> limits = Arbitraries.frequencyOf(Tuple.of(3, Arbitraries.just(0L)), Tuple.of(2, Arbitraries.longs().between(1, 4)));
        return Combinators.combine(spans(), revs(), limits,
                rarely(), rarely(),
                Arbitraries.of(RangeRequest.SortTarget.KEY, RangeRequest.SortTarget.VERSION, RangeRequest.SortTarget.CREATE,
                        RangeRequest.SortTarget.MOD, RangeRequest.SortTarget.VALUE),
                Arbitraries.of(RangeRequest.SortOrder.NONE, RangeRequest.SortOrder.ASCEND, RangeRequest.SortOrder.DESCEND),
                filters).as(Range::new);
    }

    private static Arbitrary<Boolean> rarely() {
        return Arbitraries.frequencyOf(Tuple.of(3, Arbitraries.just(false)), Tuple.of(1, Arbitraries.just(true)));
    }

    private static Arbitrary<Cmp> compares() {
        return Combinators.combine(Arbitraries.of(KEYS), rarely(),
                Arbitraries.of(Compare.CompareTarget.VALUE, Compare.CompareTarget.VERSION, Compare.CompareTarget.CREATE, Compare.CompareTarget.MOD),
                Arbitraries.of(Compare.CompareResult.EQUAL, Compare.CompareResult.NOT_EQUAL, Compare.CompareResult.GREATER, Compare.CompareResult.LESS),
                Arbitraries.of(VALUES), Arbitraries.longs().between(0, 20)).as(Cmp::new);
    }

    private static Arbitrary<Txn> txns(int depth) {
        Arbitrary<TxnOp> ops = depth > 1
                ? Arbitraries.frequencyOf(Tuple.of(5, asTxnOp(puts())), Tuple.of(2, asTxnOp(deletes())),
                        Tuple.of(3, asTxnOp(ranges())), Tuple.of(1, asTxnOp(txns(depth - 1))))
                : Arbitraries.frequencyOf(Tuple.of(5, asTxnOp(puts())), Tuple.of(2, asTxnOp(deletes())), Tuple.of(3, asTxnOp(ranges())));
        return Combinators.combine(compares().list().ofMaxSize(2), ops.list().ofMaxSize(4), ops.list().ofMaxSize(3)).as(Txn::new);
    }
}
