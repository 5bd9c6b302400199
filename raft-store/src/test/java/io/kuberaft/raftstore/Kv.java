package io.kuberaft.raftstore;

import com.google.protobuf.ByteString;
import io.etcd.jetcd.api.Compare;
import io.etcd.jetcd.api.DeleteRangeRequest;
import io.etcd.jetcd.api.KeyValue;
import io.etcd.jetcd.api.PutRequest;
import io.etcd.jetcd.api.RangeRequest;
import io.etcd.jetcd.api.RangeResponse;
import io.etcd.jetcd.api.RequestOp;
import io.etcd.jetcd.api.TxnRequest;
import io.kuberaft.raftstore.errors.ErrorCode;
import io.kuberaft.raftstore.errors.StoreException;

import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

/** Request builders and future helpers shared by the store's tests. */
final class Kv {
    static final long TIMEOUT_SECONDS = 20;
    static final ByteString ZERO = ByteString.copyFrom(new byte[] {0});

    private Kv() {
    }

    static ByteString bs(String s) {
        return ByteString.copyFromUtf8(s);
    }

    /** etcd's clientv3.GetPrefixRangeEnd: the prefix with its last byte below 0xff incremented. */
    static ByteString prefixEnd(ByteString prefix) {
        byte[] end = prefix.toByteArray();
        for (int i = end.length - 1; i >= 0; i--) {
            if ((end[i] & 0xff) < 0xff) {
                end[i]++;
                return ByteString.copyFrom(end, 0, i + 1);
            }
        }
        return ZERO;
    }

    static PutRequest.Builder put(String key, String value) {
        return PutRequest.newBuilder().setKey(bs(key)).setValue(bs(value));
    }

    static RangeRequest.Builder get(String key) {
        return RangeRequest.newBuilder().setKey(bs(key));
    }

    static RangeRequest.Builder prefix(String prefix) {
        return RangeRequest.newBuilder().setKey(bs(prefix)).setRangeEnd(prefixEnd(bs(prefix)));
    }

    /** Every key. */
    static RangeRequest.Builder all() {
        return RangeRequest.newBuilder().setKey(ZERO).setRangeEnd(ZERO);
    }

    static DeleteRangeRequest.Builder del(String key) {
        return DeleteRangeRequest.newBuilder().setKey(bs(key));
    }

    static DeleteRangeRequest.Builder delPrefix(String prefix) {
        return DeleteRangeRequest.newBuilder().setKey(bs(prefix)).setRangeEnd(prefixEnd(bs(prefix)));
    }

    static RequestOp op(PutRequest.Builder p) {
        return RequestOp.newBuilder().setRequestPut(p).build();
    }

    static RequestOp op(RangeRequest.Builder r) {
        return RequestOp.newBuilder().setRequestRange(r).build();
    }

    static RequestOp op(DeleteRangeRequest.Builder d) {
        return RequestOp.newBuilder().setRequestDeleteRange(d).build();
    }

    static RequestOp op(TxnRequest.Builder t) {
        return RequestOp.newBuilder().setRequestTxn(t).build();
    }

    static Compare.Builder cmp(String key, Compare.CompareTarget target, Compare.CompareResult result) {
        return Compare.newBuilder().setKey(bs(key)).setTarget(target).setResult(result);
    }

    static Compare value(String key, Compare.CompareResult result, String value) {
        return cmp(key, Compare.CompareTarget.VALUE, result).setValue(bs(value)).build();
    }

    static Compare version(String key, Compare.CompareResult result, long version) {
        return cmp(key, Compare.CompareTarget.VERSION, result).setVersion(version).build();
    }

    static Compare create(String key, Compare.CompareResult result, long rev) {
        return cmp(key, Compare.CompareTarget.CREATE, result).setCreateRevision(rev).build();
    }

    static Compare mod(String key, Compare.CompareResult result, long rev) {
        return cmp(key, Compare.CompareTarget.MOD, result).setModRevision(rev).build();
    }

    static List<String> keys(RangeResponse r) {
        return keys(r.getKvsList());
    }

    static List<String> keys(List<KeyValue> kvs) {
        return kvs.stream().map(kv -> kv.getKey().toStringUtf8()).toList();
    }

    static List<String> values(RangeResponse r) {
        return r.getKvsList().stream().map(kv -> kv.getValue().toStringUtf8()).toList();
    }

    /** The future's value; a refusal is rethrown as the StoreException itself. */
    static <T> T join(CompletableFuture<T> f) {
        try {
            return f.get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof RuntimeException re) {
                throw re;
            }
            throw new AssertionError(e.getCause());
        } catch (InterruptedException | TimeoutException e) {
            throw new AssertionError("store did not answer within " + TIMEOUT_SECONDS + " s", e);
        }
    }

    /** Asserts the future fails with a StoreException of {@code code} and returns it. */
    static StoreException refused(CompletableFuture<?> f, ErrorCode code) {
        Object value;
        try {
            value = f.get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            Throwable cause = e.getCause();
            assertThat(cause).as("failure of the request").isInstanceOf(StoreException.class);
            StoreException se = (StoreException) cause;
            assertThat(se.code()).as("error code (message: %s)", se.getMessage()).isEqualTo(code);
            return se;
        } catch (InterruptedException | TimeoutException e) {
            throw new AssertionError("store did not answer within " + TIMEOUT_SECONDS + " s", e);
        }
        return fail("expected a refusal with %s but the request succeeded with %s", code, value);
    }

    static StoreException refused(CompletableFuture<?> f, ErrorCode code, String message) {
        StoreException e = refused(f, code);
        assertThat(e.getMessage()).isEqualTo(message);
        return e;
    }
}
