package io.kuberaft.chaos.client;

import com.google.protobuf.ByteString;
import io.etcd.jetcd.api.Compare;
import io.etcd.jetcd.api.KVGrpc;
import io.etcd.jetcd.api.KeyValue;
import io.etcd.jetcd.api.PutRequest;
import io.etcd.jetcd.api.RangeRequest;
import io.etcd.jetcd.api.RangeResponse;
import io.etcd.jetcd.api.RequestOp;
import io.etcd.jetcd.api.TxnRequest;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.NettyChannelBuilder;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The register and set through the etcd v3 facade of one replica, with the raw gRPC stubs of
 * jetcd-grpc (no client-side retries): read = linearizable Range, write = Put, compare-and-set = Txn
 * comparing the value ({@code from} null: create revision 0); set elements are keys under a prefix,
 * read back with one Range.
 */
public final class EtcdClient implements StoreClient {
    private static final String REG = "/chaos/reg/";
    private static final String SET = "/chaos/set/";
    private final ManagedChannel channel;
    private final Duration timeout;

    public EtcdClient(String endpoint, Duration timeout) {
        this.channel = NettyChannelBuilder.forTarget(endpoint).usePlaintext().build();
        this.timeout = timeout;
    }

    private KVGrpc.KVBlockingStub kv() {
        return KVGrpc.newBlockingStub(channel).withDeadlineAfter(timeout.toMillis(), TimeUnit.MILLISECONDS);
    }

    private static ByteString b(String s) {
        return ByteString.copyFrom(s, StandardCharsets.UTF_8);
    }

    /**
     * 4xx-like codes were refused (definite). UNAVAILABLE is indeterminate, except when the connection could not be
     * made at all (a ConnectException in the causes, as for a killed replica): the request was never sent, as
     * {@link KubeClient} counts a refused connection. Counting those as {@code info} left keys with a hundred
     * open-ended writes after a majority kill, and the linearizability search could not finish on them. The same for
     * "etcdserver: no leader": kuberaft refuses with it only before proposing anything (RaftKvStore; etcd's gRPC
     * interceptor does the same), so counting it as a failure also checks that promise.
     */
    static OpException error(StatusRuntimeException e) {
        Status.Code c = e.getStatus().getCode();
        String m = c + ": " + e.getStatus().getDescription();
        if (c == Status.Code.UNAVAILABLE && e.getStatus().getDescription() != null
                && e.getStatus().getDescription().startsWith("etcdserver: no leader")) {
            return OpException.definite(m);
        }
        for (Throwable t = e.getCause(); t != null; t = t.getCause()) {
            if (t instanceof java.net.ConnectException) {
                return OpException.definite(m + " (" + t.getMessage() + ")");
            }
        }
        return switch (c) {
            case INVALID_ARGUMENT, FAILED_PRECONDITION, OUT_OF_RANGE, PERMISSION_DENIED, UNAUTHENTICATED, ALREADY_EXISTS, NOT_FOUND -> OpException.definite(m);
            default -> OpException.indefinite(m);
        };
    }

    @Override
    public Long read(String key) throws OpException {
        try {
            RangeResponse r = kv().range(RangeRequest.newBuilder().setKey(b(REG + key)).build());
            return r.getKvsCount() == 0 ? null : Long.parseLong(r.getKvs(0).getValue().toStringUtf8());
        } catch (StatusRuntimeException e) {
            throw error(e);
        }
    }

    @Override
    public void write(String key, long value) throws OpException {
        try {
            kv().put(PutRequest.newBuilder().setKey(b(REG + key)).setValue(b(Long.toString(value))).build());
        } catch (StatusRuntimeException e) {
            throw error(e);
        }
    }

    @Override
    public boolean cas(String key, Long from, long to) throws OpException {
        Compare.Builder cmp = Compare.newBuilder().setKey(b(REG + key)).setResult(Compare.CompareResult.EQUAL);
        if (from == null) {
            cmp.setTarget(Compare.CompareTarget.CREATE).setCreateRevision(0);
        } else {
            cmp.setTarget(Compare.CompareTarget.VALUE).setValue(b(Long.toString(from)));
        }
        TxnRequest txn = TxnRequest.newBuilder().addCompare(cmp)
                .addSuccess(RequestOp.newBuilder().setRequestPut(PutRequest.newBuilder().setKey(b(REG + key)).setValue(b(Long.toString(to))))).build();
        try {
            return kv().txn(txn).getSucceeded();
        } catch (StatusRuntimeException e) {
            throw error(e);
        }
    }

    @Override
    public void add(long element) throws OpException {
        try {
            kv().put(PutRequest.newBuilder().setKey(b(SET + element)).setValue(b(Long.toString(element))).build());
        } catch (StatusRuntimeException e) {
            throw error(e);
        }
    }

    @Override
    public List<Long> readSet() throws OpException {
        try {
            RangeResponse r = kv().range(RangeRequest.newBuilder().setKey(b(SET)).setRangeEnd(b(SET.substring(0, SET.length() - 1) + "0")).build());
            List<Long> out = new ArrayList<>();
            for (KeyValue kv : r.getKvsList()) {
                out.add(Long.parseLong(kv.getValue().toStringUtf8()));
            }
            return out;
        } catch (StatusRuntimeException e) {
            throw error(e);
        }
    }

    @Override
    public void close() {
        channel.shutdownNow();
    }
}
