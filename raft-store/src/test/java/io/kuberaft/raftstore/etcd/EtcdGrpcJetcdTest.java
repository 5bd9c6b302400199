package io.kuberaft.raftstore.etcd;

import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.KV;
import io.etcd.jetcd.KeyValue;
import io.etcd.jetcd.Lease;
import io.etcd.jetcd.Watch;
import io.etcd.jetcd.common.exception.CompactedException;
import io.etcd.jetcd.kv.GetResponse;
import io.etcd.jetcd.kv.TxnResponse;
import io.etcd.jetcd.lease.LeaseKeepAliveResponse;
import io.etcd.jetcd.lease.LeaseTimeToLiveResponse;
import io.etcd.jetcd.op.Cmp;
import io.etcd.jetcd.op.CmpTarget;
import io.etcd.jetcd.op.Op;
import io.etcd.jetcd.options.GetOption;
import io.etcd.jetcd.options.LeaseOption;
import io.etcd.jetcd.options.PutOption;
import io.etcd.jetcd.options.WatchOption;
import io.etcd.jetcd.support.CloseableClient;
import io.etcd.jetcd.watch.WatchEvent;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.StreamObserver;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** jetcd, the Java etcd client, against the facade. */
class EtcdGrpcJetcdTest extends EtcdServerFixture {
    private Client client;
    private KV kv;

    @BeforeEach
    void connect() {
        client = Client.builder().endpoints("http://127.0.0.1:" + server.port()).build();
        kv = client.getKVClient();
    }

    @AfterEach
    void disconnect() {
        client.close();
    }

    private static ByteSequence b(String s) {
        return ByteSequence.from(s, UTF_8);
    }

    private static <T> T get(CompletableFuture<T> f) throws Exception {
        return f.get(10, TimeUnit.SECONDS);
    }

    @Test
    void putGetDeleteAndTxn() throws Exception {
        assertThat(get(kv.put(b("/j/a"), b("1"))).getHeader().getRevision()).isEqualTo(2);
        get(kv.put(b("/j/b"), b("2")));
        get(kv.put(b("/k"), b("other")));

        GetResponse one = get(kv.get(b("/j/a")));
        assertThat(one.getKvs()).singleElement().satisfies(kv -> {
            assertThat(kv.getValue().toString(UTF_8)).isEqualTo("1");
            assertThat(kv.getCreateRevision()).isEqualTo(2);
            assertThat(kv.getVersion()).isEqualTo(1);
        });
        assertThat(one.getHeader().getMemberId()).isEqualTo(MEMBER_ID);

        GetResponse prefix = get(kv.get(b("/j/"), GetOption.builder().isPrefix(true).build()));
        assertThat(prefix.getKvs()).extracting(kv -> kv.getKey().toString(UTF_8)).containsExactly("/j/a", "/j/b");
        GetResponse serializable = get(kv.get(b("/j/"), GetOption.builder().isPrefix(true).withSerializable(true).build()));
        assertThat(serializable.getCount()).isEqualTo(2);

        TxnResponse swapped = get(kv.txn()
                .If(new Cmp(b("/j/a"), Cmp.Op.EQUAL, CmpTarget.value(b("1"))))
                .Then(Op.put(b("/j/a"), b("swapped"), PutOption.DEFAULT))
                .Else(Op.get(b("/j/a"), GetOption.DEFAULT))
                .commit());
        assertThat(swapped.isSucceeded()).isTrue();
        TxnResponse lost = get(kv.txn()
                .If(new Cmp(b("/j/a"), Cmp.Op.EQUAL, CmpTarget.modRevision(2)))
                .Then(Op.put(b("/j/a"), b("never"), PutOption.DEFAULT))
                .Else(Op.get(b("/j/a"), GetOption.DEFAULT))
                .commit());
        assertThat(lost.isSucceeded()).isFalse();
        assertThat(lost.getGetResponses().get(0).getKvs().get(0).getValue().toString(UTF_8)).isEqualTo("swapped");

        assertThat(get(kv.delete(b("/j/"), io.etcd.jetcd.options.DeleteOption.builder().isPrefix(true).build())).getDeleted())
                .isEqualTo(2);
        assertThat(get(kv.get(b("/j/a"))).getKvs()).isEmpty();
    }

    @Test
    void emptyKeyIsAnInvalidArgument() {
        assertThatThrownBy(() -> get(kv.put(ByteSequence.EMPTY, b("v"))))
                .isInstanceOf(ExecutionException.class)
                .cause().isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
                    assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
                    assertThat(e.getStatus().getDescription()).isEqualTo("etcdserver: key is not provided");
                });
    }

    @Test
    void watchSeesPutsAndDeletesInOrder() throws Exception {
        List<WatchEvent> events = new CopyOnWriteArrayList<>();
        Watch.Watcher watcher = client.getWatchClient().watch(b("/w/"), WatchOption.builder().isPrefix(true).withPrevKV(true).build(),
                r -> events.addAll(r.getEvents()));
        await("watch registered", () -> store.engine().mvcc().watchHub().size() == 1);
        get(kv.put(b("/w/a"), b("1")));
        get(kv.put(b("/w/a"), b("2")));
        get(kv.put(b("/elsewhere"), b("x")));
        get(kv.delete(b("/w/a")));
        await("three events", () -> events.size() == 3);
        assertThat(events).extracting(WatchEvent::getEventType)
                .containsExactly(WatchEvent.EventType.PUT, WatchEvent.EventType.PUT, WatchEvent.EventType.DELETE);
        assertThat(events.get(1).getPrevKV().getValue().toString(UTF_8)).isEqualTo("1");
        assertThat(events).extracting(e -> e.getKeyValue().getModRevision()).containsExactly(2L, 3L, 5L);
        watcher.close();
        await("watch canceled on the server", () -> store.engine().mvcc().watchHub().size() == 0);
    }

    @Test
    void watchFromAPastRevisionReplaysHistory() throws Exception {
        get(kv.put(b("/h"), b("1")));
        get(kv.put(b("/h"), b("2")));
        List<KeyValue> seen = new CopyOnWriteArrayList<>();
        try (Watch.Watcher ignored = client.getWatchClient().watch(b("/h"), WatchOption.builder().withRevision(2).build(),
                r -> r.getEvents().forEach(e -> seen.add(e.getKeyValue())))) {
            await("history replayed", () -> seen.size() == 2);
            assertThat(seen).extracting(kv -> kv.getValue().toString(UTF_8)).containsExactly("1", "2");
        }
    }

    @Test
    void watchFromACompactedRevisionFailsWithCompactedException() throws Exception {
        get(kv.put(b("/c"), b("1")));
        get(kv.put(b("/c"), b("2")));
        get(kv.put(b("/c"), b("3")));
        get(kv.compact(3));
        AtomicReference<Throwable> error = new AtomicReference<>();
        client.getWatchClient().watch(b("/c"), WatchOption.builder().withRevision(2).build(), r -> { }, error::set);
        await("the watch fails", () -> error.get() != null);
        assertThat(error.get()).isInstanceOfSatisfying(CompactedException.class,
                e -> assertThat(e.getCompactedRevision()).isEqualTo(3));
    }

    @Test
    void leaseGrantKeepAliveTimeToLiveRevoke() throws Exception {
        Lease lease = client.getLeaseClient();
        long id = get(lease.grant(60)).getID();
        get(kv.put(b("/l/a"), b("v"), PutOption.builder().withLeaseId(id).build()));

        assertThat(get(lease.keepAliveOnce(id)).getTTL()).isEqualTo(60);

        BlockingQueue<LeaseKeepAliveResponse> renewals = new LinkedBlockingQueue<>();
        try (CloseableClient ignored = lease.keepAlive(id, new StreamObserver<>() {
            @Override
            public void onNext(LeaseKeepAliveResponse value) {
                renewals.add(value);
            }

            @Override
            public void onError(Throwable t) {
            }

            @Override
            public void onCompleted() {
            }
        })) {
            LeaseKeepAliveResponse r = renewals.poll(10, TimeUnit.SECONDS);
            assertThat(r).isNotNull();
            assertThat(r.getID()).isEqualTo(id);
            assertThat(r.getTTL()).isEqualTo(60);
        }

        LeaseTimeToLiveResponse ttl = get(lease.timeToLive(id, LeaseOption.builder().withAttachedKeys().build()));
        assertThat(ttl.getGrantedTTL()).isEqualTo(60);
        assertThat(ttl.getTTL()).isBetween(1L, 60L);
        assertThat(ttl.getKeys()).containsExactly(b("/l/a"));

        get(lease.revoke(id));
        assertThat(get(kv.get(b("/l/a"))).getKvs()).as("revoking deletes the lease's keys").isEmpty();
        assertThat(get(lease.timeToLive(id, LeaseOption.DEFAULT)).getTTL()).isEqualTo(-1);
        assertThatThrownBy(() -> get(lease.revoke(id))).cause().hasMessageContaining("requested lease not found");
    }

    @Test
    void maintenanceStatus() throws Exception {
        io.etcd.jetcd.maintenance.StatusResponse s = get(client.getMaintenanceClient().statusMember("http://127.0.0.1:" + server.port()));
        assertThat(s.getVersion()).isEqualTo(MaintenanceService.VERSION);
        assertThat(s.getLeader()).isEqualTo(MEMBER_ID);
        assertThat(s.getRaftTerm()).isEqualTo(1);
    }
}
