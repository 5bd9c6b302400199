package io.kuberaft.raftstore.etcd;

import com.google.protobuf.ByteString;
import io.etcd.jetcd.api.AlarmRequest;
import io.etcd.jetcd.api.ClusterGrpc;
import io.etcd.jetcd.api.CompactionRequest;
import io.etcd.jetcd.api.Compare;
import io.etcd.jetcd.api.DeleteRangeRequest;
import io.etcd.jetcd.api.Event;
import io.etcd.jetcd.api.KVGrpc;
import io.etcd.jetcd.api.LeaseGrantRequest;
import io.etcd.jetcd.api.LeaseGrantResponse;
import io.etcd.jetcd.api.LeaseGrpc;
import io.etcd.jetcd.api.LeaseKeepAliveRequest;
import io.etcd.jetcd.api.LeaseKeepAliveResponse;
import io.etcd.jetcd.api.LeaseRevokeRequest;
import io.etcd.jetcd.api.LeaseTimeToLiveRequest;
import io.etcd.jetcd.api.LeaseTimeToLiveResponse;
import io.etcd.jetcd.api.MaintenanceGrpc;
import io.etcd.jetcd.api.MemberListRequest;
import io.etcd.jetcd.api.MemberListResponse;
import io.etcd.jetcd.api.PutRequest;
import io.etcd.jetcd.api.PutResponse;
import io.etcd.jetcd.api.RangeRequest;
import io.etcd.jetcd.api.RangeResponse;
import io.etcd.jetcd.api.RequestOp;
import io.etcd.jetcd.api.ResponseHeader;
import io.etcd.jetcd.api.StatusRequest;
import io.etcd.jetcd.api.StatusResponse;
import io.etcd.jetcd.api.TxnRequest;
import io.etcd.jetcd.api.TxnResponse;
import io.etcd.jetcd.api.WatchCancelRequest;
import io.etcd.jetcd.api.WatchCreateRequest;
import io.etcd.jetcd.api.WatchGrpc;
import io.etcd.jetcd.api.WatchProgressRequest;
import io.etcd.jetcd.api.WatchRequest;
import io.etcd.jetcd.api.WatchResponse;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import io.grpc.stub.StreamObserver;
import io.kuberaft.raftstore.ProposingKvStore;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

import java.time.Duration;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.fail;

/** The facade on the wire, through grpc-java stubs generated from etcd's proto: what any etcd client sees. */
class EtcdGrpcWireTest extends EtcdServerFixture {

    private KVGrpc.KVBlockingStub kv() {
        return KVGrpc.newBlockingStub(channel()).withDeadlineAfter(10, TimeUnit.SECONDS);
    }

    private LeaseGrpc.LeaseBlockingStub lease() {
        return LeaseGrpc.newBlockingStub(channel()).withDeadlineAfter(10, TimeUnit.SECONDS);
    }

    private static ByteString bs(String s) {
        return ByteString.copyFromUtf8(s);
    }

    private PutResponse put(String key, String value) {
        return kv().put(PutRequest.newBuilder().setKey(bs(key)).setValue(bs(value)).build());
    }

    private static void assertHeader(ResponseHeader h, long revision) {
        assertThat(h.getClusterId()).isEqualTo(MEMBER_ID);
        assertThat(h.getMemberId()).isEqualTo(MEMBER_ID);
        assertThat(h.getRaftTerm()).isEqualTo(1);
        assertThat(h.getRevision()).isEqualTo(revision);
    }

    private static void assertStatus(Executable call, Status.Code code, String description) {
        assertThatThrownBy(call::execute).isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
            assertThat(e.getStatus().getCode()).isEqualTo(code);
            if (description != null) {
                assertThat(e.getStatus().getDescription()).isEqualTo(description);
            }
        });
    }

    // ---- KV ----

    @Test
    void everyKvResponseCarriesAFullHeader() {
        assertHeader(put("/a", "1").getHeader(), 2);
        assertHeader(put("/b", "2").getHeader(), 3);

        RangeResponse all = kv().range(RangeRequest.newBuilder().setKey(bs("/")).setRangeEnd(bs("0")).build());
        assertHeader(all.getHeader(), 3);
        assertThat(all.getKvsList()).extracting(kv -> kv.getValue().toStringUtf8()).containsExactly("1", "2");

        RangeResponse serializable = kv().range(RangeRequest.newBuilder().setKey(bs("/a")).setSerializable(true).build());
        assertHeader(serializable.getHeader(), 3);
        assertThat(serializable.getKvs(0).getModRevision()).isEqualTo(2);

        TxnResponse txn = kv().txn(TxnRequest.newBuilder()
                .addCompare(Compare.newBuilder().setKey(bs("/a")).setTarget(Compare.CompareTarget.VALUE)
                        .setResult(Compare.CompareResult.EQUAL).setValue(bs("1")))
                .addSuccess(RequestOp.newBuilder().setRequestPut(PutRequest.newBuilder().setKey(bs("/a")).setValue(bs("one"))))
                .build());
        assertThat(txn.getSucceeded()).isTrue();
        assertHeader(txn.getHeader(), 4);

        assertHeader(kv().deleteRange(DeleteRangeRequest.newBuilder().setKey(bs("/b")).build()).getHeader(), 5);
        assertHeader(kv().compact(CompactionRequest.newBuilder().setRevision(4).build()).getHeader(), 5);
    }

    @Test
    void emptyKeysAreRefusedWithEtcdsError() {
        String msg = "etcdserver: key is not provided";
        assertStatus(() -> kv().put(PutRequest.newBuilder().setValue(bs("v")).build()), Status.Code.INVALID_ARGUMENT, msg);
        assertStatus(() -> kv().range(RangeRequest.getDefaultInstance()), Status.Code.INVALID_ARGUMENT, msg);
        assertStatus(() -> kv().deleteRange(DeleteRangeRequest.getDefaultInstance()), Status.Code.INVALID_ARGUMENT, msg);
        assertStatus(() -> kv().txn(TxnRequest.newBuilder()
                .addSuccess(RequestOp.newBuilder().setRequestPut(PutRequest.newBuilder().setValue(bs("v")))).build()),
                Status.Code.INVALID_ARGUMENT, msg);
        assertThat(store.currentRevision()).as("nothing was written").isEqualTo(1);
    }

    @Test
    void malformedTxnsAreRefused() {
        TxnRequest.Builder tooMany = TxnRequest.newBuilder();
        for (int i = 0; i < 129; i++) {
            tooMany.addSuccess(RequestOp.newBuilder().setRequestPut(PutRequest.newBuilder().setKey(bs("/k" + i))));
        }
        assertStatus(() -> kv().txn(tooMany.build()), Status.Code.INVALID_ARGUMENT, "etcdserver: too many operations in txn request");

        RequestOp putA = RequestOp.newBuilder().setRequestPut(PutRequest.newBuilder().setKey(bs("/a"))).build();
        assertStatus(() -> kv().txn(TxnRequest.newBuilder().addSuccess(putA).addSuccess(putA).build()),
                Status.Code.INVALID_ARGUMENT, "etcdserver: duplicate key given in txn request");

        assertStatus(() -> kv().put(PutRequest.newBuilder().setKey(bs("/a")).setValue(bs("v")).setIgnoreValue(true).build()),
                Status.Code.INVALID_ARGUMENT, "etcdserver: value is provided");
    }

    @Test
    void oversizedRequestsFailAndTheServerKeepsServing() {
        // Over the 2 MiB transport limit: gRPC refuses the message before the facade sees it.
        ByteString twoMiB = ByteString.copyFrom(new byte[2 * 1024 * 1024]);
        assertStatus(() -> kv().put(PutRequest.newBuilder().setKey(bs("/big")).setValue(twoMiB).build()),
                Status.Code.RESOURCE_EXHAUSTED, null);

        // Under the transport limit but over etcd's 1.5 MiB request limit: the store's refusal.
        ByteString oneSixMiB = ByteString.copyFrom(new byte[ProposingKvStore.MAX_REQUEST_BYTES + 100 * 1024]);
        assertStatus(() -> kv().put(PutRequest.newBuilder().setKey(bs("/big")).setValue(oneSixMiB).build()),
                Status.Code.INVALID_ARGUMENT, "etcdserver: request is too large");

        assertHeader(put("/small", "ok").getHeader(), 2);
        assertThat(kv().range(RangeRequest.newBuilder().setKey(bs("/big")).build()).getCount()).isZero();
    }

    @Test
    void compactedAndFutureRevisionsAreOutOfRange() {
        put("/a", "1");
        put("/a", "2");
        put("/a", "3");
        kv().compact(CompactionRequest.newBuilder().setRevision(3).build());
        assertStatus(() -> kv().range(RangeRequest.newBuilder().setKey(bs("/a")).setRevision(2).build()),
                Status.Code.OUT_OF_RANGE, "etcdserver: mvcc: required revision has been compacted");
        assertStatus(() -> kv().range(RangeRequest.newBuilder().setKey(bs("/a")).setRevision(99).build()),
                Status.Code.OUT_OF_RANGE, "etcdserver: mvcc: required revision is a future revision");
    }

    // ---- Watch ----

    /** A client watch stream whose responses land in a queue. */
    private final class WatchClient implements ClientResponseObserver<WatchRequest, WatchResponse> {
        final BlockingQueue<WatchResponse> responses = new LinkedBlockingQueue<>();
        final AtomicReference<Throwable> error = new AtomicReference<>();
        volatile boolean completed;
        ClientCallStreamObserver<WatchRequest> requests;

        WatchClient() {
            WatchGrpc.newStub(channel()).watch(this);
        }

        @Override
        public void beforeStart(ClientCallStreamObserver<WatchRequest> requestStream) {
            this.requests = requestStream;
        }

        @Override
        public void onNext(WatchResponse value) {
            responses.add(value);
        }

        @Override
        public void onError(Throwable t) {
            error.set(t);
        }

        @Override
        public void onCompleted() {
            completed = true;
        }

        void create(WatchCreateRequest.Builder create) {
            requests.onNext(WatchRequest.newBuilder().setCreateRequest(create).build());
        }

        WatchResponse next() throws InterruptedException {
            WatchResponse r = responses.poll(10, TimeUnit.SECONDS);
            if (r == null) {
                fail("no watch response within 10 s (stream error: " + error.get() + ")");
            }
            return r;
        }

        long createAndAwait(WatchCreateRequest.Builder create) throws InterruptedException {
            create(create);
            WatchResponse created = next();
            assertThat(created.getCreated()).isTrue();
            assertThat(created.getCanceled()).isFalse();
            return created.getWatchId();
        }
    }

    @Test
    void watchCreatesWithPerStreamIdsAndDeliversEventsWithTheirRevision() throws Exception {
        WatchClient w = new WatchClient();
        long prefixWatch = w.createAndAwait(WatchCreateRequest.newBuilder().setKey(bs("/w/")).setRangeEnd(bs("/w0")).setPrevKv(true));
        long keyWatch = w.createAndAwait(WatchCreateRequest.newBuilder().setKey(bs("/w/b"))
                .addFilters(WatchCreateRequest.FilterType.NODELETE));
        assertThat(prefixWatch).isEqualTo(0);
        assertThat(keyWatch).isEqualTo(1);

        put("/w/a", "1");
        WatchResponse ev = w.next();
        assertThat(ev.getWatchId()).isEqualTo(prefixWatch);
        assertHeader(ev.getHeader(), 2);
        assertThat(ev.getEventsList()).singleElement().satisfies(e -> {
            assertThat(e.getType()).isEqualTo(Event.EventType.PUT);
            assertThat(e.getKv().getKey().toStringUtf8()).isEqualTo("/w/a");
            assertThat(e.getKv().getModRevision()).isEqualTo(2);
        });

        put("/w/a", "2");
        assertThat(w.next().getEvents(0).getPrevKv().getValue().toStringUtf8()).isEqualTo("1");

        put("/w/b", "x");
        WatchResponse first = w.next();
        WatchResponse second = w.next();
        assertThat(java.util.List.of(first.getWatchId(), second.getWatchId())).containsExactlyInAnyOrder(prefixWatch, keyWatch);

        kv().deleteRange(DeleteRangeRequest.newBuilder().setKey(bs("/w/b")).build());
        WatchResponse del = w.next();
        assertThat(del.getWatchId()).as("the NODELETE watch is filtered").isEqualTo(prefixWatch);
        assertThat(del.getEvents(0).getType()).isEqualTo(Event.EventType.DELETE);
        w.requests.onCompleted();
    }

    @Test
    void watchReplaysHistoryFromStartRevisionAndWaitsForAFutureOne() throws Exception {
        put("/h", "1"); // rev 2
        put("/h", "2"); // rev 3
        WatchClient w = new WatchClient();
        w.createAndAwait(WatchCreateRequest.newBuilder().setKey(bs("/h")).setStartRevision(2));
        assertThat(w.next().getEvents(0).getKv().getModRevision()).isEqualTo(2);
        assertThat(w.next().getEvents(0).getKv().getModRevision()).isEqualTo(3);

        long future = w.createAndAwait(WatchCreateRequest.newBuilder().setKey(bs("/h")).setStartRevision(5));
        put("/h", "3"); // rev 4: before the future watch's start
        WatchResponse r4 = w.next();
        assertThat(r4.getWatchId()).isNotEqualTo(future);
        put("/h", "4"); // rev 5
        WatchResponse a = w.next();
        WatchResponse b = w.next();
        assertThat(java.util.List.of(a.getWatchId(), b.getWatchId())).contains(future);
        assertThat(w.responses).isEmpty();
    }

    @Test
    void cancelRepliesCanceledAndStopsEvents() throws Exception {
        WatchClient w = new WatchClient();
        long id = w.createAndAwait(WatchCreateRequest.newBuilder().setKey(bs("/c")));
        await("watch registered", () -> store.engine().mvcc().watchHub().size() == 1);
        w.requests.onNext(WatchRequest.newBuilder().setCancelRequest(WatchCancelRequest.newBuilder().setWatchId(id)).build());
        WatchResponse canceled = w.next();
        assertThat(canceled.getCanceled()).isTrue();
        assertThat(canceled.getWatchId()).isEqualTo(id);
        assertThat(store.engine().mvcc().watchHub().size()).isZero();

        put("/c", "after cancel");
        // a marker on another watch proves nothing for the canceled one was queued before it
        long marker = w.createAndAwait(WatchCreateRequest.newBuilder().setKey(bs("/m")));
        put("/m", "marker");
        assertThat(w.next().getWatchId()).isEqualTo(marker);
    }

    @Test
    void progressRequestAnswersWithTheRevisionAndNoEvents() throws Exception {
        put("/p", "1");
        WatchClient w = new WatchClient();
        w.requests.onNext(WatchRequest.newBuilder().setProgressRequest(WatchProgressRequest.getDefaultInstance()).build());
        WatchResponse noWatches = w.next();
        assertThat(noWatches.getWatchId()).isEqualTo(-1);
        assertHeader(noWatches.getHeader(), 2);

        w.createAndAwait(WatchCreateRequest.newBuilder().setKey(bs("/other")));
        put("/p", "2");
        w.requests.onNext(WatchRequest.newBuilder().setProgressRequest(WatchProgressRequest.getDefaultInstance()).build());
        WatchResponse progress = w.next();
        assertThat(progress.getEventsCount()).isZero();
        assertThat(progress.getCreated()).isFalse();
        assertThat(progress.getCanceled()).isFalse();
        assertThat(progress.getWatchId()).isEqualTo(-1);
        assertHeader(progress.getHeader(), 3);
    }

    @Test
    void progressNotifyWatchesGetProgressWhenIdle() throws Exception {
        WatchClient w = new WatchClient();
        long quiet = w.createAndAwait(WatchCreateRequest.newBuilder().setKey(bs("/quiet")));
        long id = w.createAndAwait(WatchCreateRequest.newBuilder().setKey(bs("/idle")).setProgressNotify(true));
        put("/elsewhere", "x"); // rev 2, matches neither watch
        WatchResponse progress = w.next(); // within a few ticks of PROGRESS_INTERVAL
        assertThat(progress.getWatchId()).isEqualTo(id).isNotEqualTo(quiet);
        assertThat(progress.getEventsCount()).isZero();
        assertThat(progress.getHeader().getRevision()).isGreaterThanOrEqualTo(1);
        WatchResponse again = w.next();
        assertThat(again.getWatchId()).isEqualTo(id);
        assertHeader(again.getHeader(), 2);
    }

    @Test
    void watchFromACompactedRevisionIsCanceledWithTheCompactRevision() throws Exception {
        put("/k", "1");
        put("/k", "2");
        put("/k", "3"); // rev 4
        kv().compact(CompactionRequest.newBuilder().setRevision(3).build());
        WatchClient w = new WatchClient();
        long id = w.createAndAwait(WatchCreateRequest.newBuilder().setKey(bs("/k")).setStartRevision(2));
        WatchResponse canceled = w.next();
        assertThat(canceled.getWatchId()).isEqualTo(id);
        assertThat(canceled.getCanceled()).isTrue();
        assertThat(canceled.getCompactRevision()).isEqualTo(3);
        assertThat(canceled.getCancelReason()).isEqualTo("etcdserver: mvcc: required revision has been compacted");
        assertThat(server.activeWatches()).isZero();
    }

    @Test
    void anEmptyWatchRangeIsCreatedCanceled() throws Exception {
        WatchClient w = new WatchClient();
        w.create(WatchCreateRequest.newBuilder().setKey(bs("/z")).setRangeEnd(bs("/a")));
        WatchResponse r = w.next();
        assertThat(r.getCreated()).isTrue();
        assertThat(r.getCanceled()).isTrue();
        assertThat(r.getWatchId()).isEqualTo(-1);
    }

    @Test
    void closingTheStreamCancelsItsWatches() throws Exception {
        WatchClient w = new WatchClient();
        w.createAndAwait(WatchCreateRequest.newBuilder().setKey(bs("/x")));
        w.createAndAwait(WatchCreateRequest.newBuilder().setKey(bs("/y")));
        // "created" is queued before the store registers the watch: wait for the registration itself
        await("both watches registered", () -> store.engine().mvcc().watchHub().size() == 2);
        w.requests.cancel("client goes away", null);
        await("watches canceled after the client cancelled the stream",
                () -> store.engine().mvcc().watchHub().size() == 0 && server.activeWatchStreams() == 0);

        WatchClient halfClosing = new WatchClient();
        halfClosing.createAndAwait(WatchCreateRequest.newBuilder().setKey(bs("/x")));
        halfClosing.requests.onCompleted();
        await("stream ended after the client half-closed", () -> halfClosing.completed);
        assertThat(store.engine().mvcc().watchHub().size()).isZero();
    }

    @Test
    void aSlowWatcherDoesNotHoldUpWrites() throws Exception {
        // The client asks for no messages at all: every event must queue in the facade, not block apply.
        AtomicReference<ClientCallStreamObserver<WatchRequest>> req = new AtomicReference<>();
        WatchGrpc.newStub(channel()).watch(new ClientResponseObserver<WatchRequest, WatchResponse>() {
            @Override
            public void beforeStart(ClientCallStreamObserver<WatchRequest> requestStream) {
                requestStream.disableAutoRequestWithInitial(0);
                req.set(requestStream);
            }

            @Override
            public void onNext(WatchResponse value) {
            }

            @Override
            public void onError(Throwable t) {
            }

            @Override
            public void onCompleted() {
            }
        });
        req.get().onNext(WatchRequest.newBuilder().setCreateRequest(WatchCreateRequest.newBuilder().setKey(bs("/s/"))
                .setRangeEnd(bs("/s0"))).build());
        await("watch registered", () -> store.engine().mvcc().watchHub().size() == 1);
        String value = "v".repeat(16 * 1024);
        long start = System.nanoTime();
        for (int i = 0; i < 200; i++) {
            put("/s/" + i, value);
        }
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(20));
        req.get().cancel("done", null);
    }

    // ---- Lease ----

    @Test
    void leaseLifecycle() throws Exception {
        LeaseGrantResponse grant = lease().leaseGrant(LeaseGrantRequest.newBuilder().setTTL(60).build());
        assertThat(grant.getID()).isPositive();
        assertThat(grant.getTTL()).isEqualTo(60);
        assertHeader(grant.getHeader(), 1);
        kv().put(PutRequest.newBuilder().setKey(bs("/l")).setValue(bs("v")).setLease(grant.getID()).build());

        LeaseTimeToLiveResponse ttl = lease().leaseTimeToLive(LeaseTimeToLiveRequest.newBuilder().setID(grant.getID()).setKeys(true).build());
        assertThat(ttl.getGrantedTTL()).isEqualTo(60);
        assertThat(ttl.getTTL()).isBetween(1L, 60L);
        assertThat(ttl.getKeysList()).containsExactly(bs("/l"));
        assertThat(ttl.getHeader().getMemberId()).isEqualTo(MEMBER_ID);

        BlockingQueue<LeaseKeepAliveResponse> answers = new LinkedBlockingQueue<>();
        StreamObserver<LeaseKeepAliveRequest> keepAlive = LeaseGrpc.newStub(channel()).leaseKeepAlive(new StreamObserver<>() {
            @Override
            public void onNext(LeaseKeepAliveResponse value) {
                answers.add(value);
            }

            @Override
            public void onError(Throwable t) {
            }

            @Override
            public void onCompleted() {
            }
        });
        keepAlive.onNext(LeaseKeepAliveRequest.newBuilder().setID(grant.getID()).build());
        LeaseKeepAliveResponse renewed = answers.poll(10, TimeUnit.SECONDS);
        assertThat(renewed).isNotNull();
        assertThat(renewed.getID()).isEqualTo(grant.getID());
        assertThat(renewed.getTTL()).isEqualTo(60);
        assertThat(renewed.getHeader().getClusterId()).isEqualTo(MEMBER_ID);
        keepAlive.onNext(LeaseKeepAliveRequest.newBuilder().setID(12345).build());
        LeaseKeepAliveResponse unknown = answers.poll(10, TimeUnit.SECONDS);
        assertThat(unknown).isNotNull();
        assertThat(unknown.getID()).isEqualTo(12345);
        assertThat(unknown.getTTL()).as("etcd answers a keep-alive of an unknown lease with TTL 0").isZero();
        keepAlive.onCompleted();

        lease().leaseRevoke(LeaseRevokeRequest.newBuilder().setID(grant.getID()).build());
        assertThat(kv().range(RangeRequest.newBuilder().setKey(bs("/l")).build()).getCount()).isZero();
        assertThat(lease().leaseTimeToLive(LeaseTimeToLiveRequest.newBuilder().setID(grant.getID()).build()).getTTL()).isEqualTo(-1);
        assertStatus(() -> lease().leaseRevoke(LeaseRevokeRequest.newBuilder().setID(grant.getID()).build()),
                Status.Code.NOT_FOUND, "etcdserver: requested lease not found");

        assertThat(lease().leaseGrant(LeaseGrantRequest.newBuilder().setTTL(5).setID(7).build()).getID()).isEqualTo(7);
        assertStatus(() -> lease().leaseGrant(LeaseGrantRequest.newBuilder().setTTL(5).setID(7).build()),
                Status.Code.FAILED_PRECONDITION, "etcdserver: lease already exists");
    }

    // ---- Maintenance and Cluster ----

    @Test
    void statusReportsTheMembersRaftState() {
        put("/s", "1");
        StatusResponse s = MaintenanceGrpc.newBlockingStub(channel()).status(StatusRequest.getDefaultInstance());
        assertThat(s.getVersion()).startsWith("3.5.");
        assertThat(s.getLeader()).isEqualTo(MEMBER_ID);
        assertThat(s.getRaftTerm()).isEqualTo(1);
        assertThat(s.getRaftIndex()).isEqualTo(store.engine().mvcc().appliedIndex());
        assertThat(s.getRaftAppliedIndex()).isEqualTo(store.engine().mvcc().appliedIndex());
        assertThat(s.getDbSize()).isPositive();
        assertThat(s.getErrorsList()).isEmpty();
        assertHeader(s.getHeader(), 2);

        io.etcd.jetcd.api.HashKVResponse h = MaintenanceGrpc.newBlockingStub(channel())
                .hashKV(io.etcd.jetcd.api.HashKVRequest.getDefaultInstance());
        assertThat(Integer.toUnsignedLong(h.getHash())).isEqualTo(store.engine().mvcc().hash());

        assertStatus(() -> MaintenanceGrpc.newBlockingStub(channel()).alarm(AlarmRequest.getDefaultInstance()),
                Status.Code.UNIMPLEMENTED, null);
    }

    @Test
    void memberListShowsTheClusterView() {
        MemberListResponse r = ClusterGrpc.newBlockingStub(channel()).memberList(MemberListRequest.getDefaultInstance());
        assertHeader(r.getHeader(), 1);
        assertThat(r.getMembersList()).singleElement().satisfies(m -> {
            assertThat(m.getID()).isEqualTo(MEMBER_ID);
            assertThat(m.getName()).isEqualTo(MEMBER);
        });
    }

    @Test
    void closeEndsOpenWatchStreamsWithUnavailable() throws Exception {
        WatchClient w = new WatchClient();
        w.createAndAwait(WatchCreateRequest.newBuilder().setKey(bs("/x")));
        long start = System.nanoTime();
        server.close();
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(2));
        await("the client sees the stream end", () -> w.error.get() != null);
        assertThat(Status.fromThrowable(w.error.get()).getCode()).isEqualTo(Status.Code.UNAVAILABLE);
        assertThat(store.engine().mvcc().watchHub().size()).isZero();
    }
}
