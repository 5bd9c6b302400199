package io.kuberaft.raftstore.etcd;

import io.etcd.jetcd.api.Compare;
import io.etcd.jetcd.api.DeleteRangeRequest;
import io.etcd.jetcd.api.PutRequest;
import io.etcd.jetcd.api.RangeRequest;
import io.etcd.jetcd.api.RequestOp;
import io.etcd.jetcd.api.TxnRequest;
import io.kuberaft.raftstore.apply.KvApplier;
import io.kuberaft.raftstore.errors.ErrorCode;
import io.kuberaft.raftstore.errors.StoreException;

/**
 * The stateless checks etcd's gRPC layer makes before a request reaches Raft ({@code v3rpc/key.go}),
 * so a malformed request costs no log entry. The store checks again at apply (it must: not every
 * caller comes through this facade); the two agree on codes and messages.
 */
final class RequestChecks {
    private RequestChecks() {
    }

    static void range(RangeRequest r) {
        if (r.getKey().isEmpty()) {
            throw StoreException.keyNotProvided();
        }
    }

    static void put(PutRequest r) {
        if (r.getKey().isEmpty()) {
            throw StoreException.keyNotProvided();
        }
        if (r.getIgnoreValue() && !r.getValue().isEmpty()) {
            throw new StoreException(ErrorCode.INVALID_ARGUMENT, "etcdserver: value is provided");
        }
        if (r.getIgnoreLease() && r.getLease() != 0) {
            throw new StoreException(ErrorCode.INVALID_ARGUMENT, "etcdserver: lease is provided");
        }
    }

    static void deleteRange(DeleteRangeRequest r) {
        if (r.getKey().isEmpty()) {
            throw StoreException.keyNotProvided();
        }
    }

    /** etcd's checkTxnRequest: each list of each level within the op limit, every op well formed. */
    static void txn(TxnRequest r) {
        int ops = Math.max(r.getCompareCount(), Math.max(r.getSuccessCount(), r.getFailureCount()));
        if (ops > KvApplier.MAX_TXN_OPS) {
            throw new StoreException(ErrorCode.TOO_MANY_OPS, "etcdserver: too many operations in txn request");
        }
        for (Compare c : r.getCompareList()) {
            if (c.getKey().isEmpty()) {
                throw StoreException.keyNotProvided();
            }
        }
        for (RequestOp op : r.getSuccessList()) {
            requestOp(op);
        }
        for (RequestOp op : r.getFailureList()) {
            requestOp(op);
        }
    }

    private static void requestOp(RequestOp op) {
        switch (op.getRequestCase()) {
            case REQUEST_RANGE -> range(op.getRequestRange());
            case REQUEST_PUT -> put(op.getRequestPut());
            case REQUEST_DELETE_RANGE -> deleteRange(op.getRequestDeleteRange());
            case REQUEST_TXN -> txn(op.getRequestTxn());
            case REQUEST_NOT_SET -> throw new StoreException(ErrorCode.INVALID_ARGUMENT, "etcdserver: empty request op in txn");
        }
    }
}
