package io.kuberaft.raftstore.etcd;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.kuberaft.raftstore.errors.ErrorCode;
import io.kuberaft.raftstore.errors.StoreException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one table from the store's refusals to gRPC statuses, as etcd's server maps them
 * (etcd's {@code api/v3rpc/rpctypes}). The description is the store's message, which is etcd's own
 * text where etcd has one: etcd clients recognize errors by that text ("etcdserver: key is not
 * provided"), so it must pass through unchanged.
 */
public final class GrpcErrors {
    private static final Logger LOG = LoggerFactory.getLogger(GrpcErrors.class);

    private GrpcErrors() {
    }

    /** The gRPC code of a store error code. Exhaustive: a new ErrorCode does not compile until mapped here. */
    public static Status.Code codeOf(ErrorCode code) {
        return switch (code) {
            case INVALID_ARGUMENT, REQUEST_TOO_LARGE, DUPLICATE_KEY, TOO_MANY_OPS, KEY_NOT_FOUND -> Status.Code.INVALID_ARGUMENT;
            case COMPACTED, FUTURE_REVISION -> Status.Code.OUT_OF_RANGE;
            case LEASE_NOT_FOUND -> Status.Code.NOT_FOUND;
            case LEASE_EXISTS, FENCE_MISMATCH -> Status.Code.FAILED_PRECONDITION;
            case NO_LEADER, UNAVAILABLE, TIMEOUT -> Status.Code.UNAVAILABLE;
            case INTERNAL -> Status.Code.INTERNAL;
        };
    }

    /** etcd's message for a code, used only when the store gave none. */
    static String defaultMessage(ErrorCode code) {
        return switch (code) {
            case INVALID_ARGUMENT -> "etcdserver: invalid argument";
            case REQUEST_TOO_LARGE -> "etcdserver: request is too large";
            case DUPLICATE_KEY -> "etcdserver: duplicate key given in txn request";
            case TOO_MANY_OPS -> "etcdserver: too many operations in txn request";
            case KEY_NOT_FOUND -> "etcdserver: key not found";
            case COMPACTED -> "etcdserver: mvcc: required revision has been compacted";
            case FUTURE_REVISION -> "etcdserver: mvcc: required revision is a future revision";
            case LEASE_NOT_FOUND -> "etcdserver: requested lease not found";
            case LEASE_EXISTS -> "etcdserver: lease already exists";
            case FENCE_MISMATCH -> "kuberaft: fenced write refused";
            case NO_LEADER -> "etcdserver: no leader";
            case UNAVAILABLE -> "etcdserver: server stopped";
            case TIMEOUT -> "etcdserver: request timed out";
            case INTERNAL -> "etcdserver: internal error";
        };
    }

    /** Any failure of a store call (possibly wrapped by futures) as the status the client receives. */
    public static StatusRuntimeException toStatus(Throwable failure) {
        if (failure instanceof StatusRuntimeException sre) {
            return sre;
        }
        StoreException e = StoreException.unwrap(failure);
        if (e.code() == ErrorCode.INTERNAL) {
            LOG.warn("etcd facade: internal error", failure);
        }
        String message = e.getMessage() == null || e.getMessage().isEmpty() ? defaultMessage(e.code()) : e.getMessage();
        return Status.fromCode(codeOf(e.code())).withDescription(message).asRuntimeException();
    }
}
