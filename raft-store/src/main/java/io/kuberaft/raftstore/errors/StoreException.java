package io.kuberaft.raftstore.errors;

/** A request the store refused, with a code that callers map to their protocol in one place. */
public class StoreException extends RuntimeException {
    private final ErrorCode code;

    public StoreException(ErrorCode code, String message) {
        super(message);
        this.code = code;
    }

    public StoreException(ErrorCode code, String message, Throwable cause) {
        super(message, cause);
        this.code = code;
    }

    public ErrorCode code() {
        return code;
    }

    /** Whether sending the same request again (with the same request id) can succeed. */
    public boolean retryable() {
        return code == ErrorCode.NO_LEADER || code == ErrorCode.UNAVAILABLE || code == ErrorCode.TIMEOUT;
    }

    public static StoreException compacted() {
        return new StoreException(ErrorCode.COMPACTED, "etcdserver: mvcc: required revision has been compacted");
    }

    public static StoreException futureRevision() {
        return new StoreException(ErrorCode.FUTURE_REVISION, "etcdserver: mvcc: required revision is a future revision");
    }

    public static StoreException keyNotProvided() {
        return new StoreException(ErrorCode.INVALID_ARGUMENT, "etcdserver: key is not provided");
    }

    public static StoreException leaseNotFound() {
        return new StoreException(ErrorCode.LEASE_NOT_FOUND, "etcdserver: requested lease not found");
    }

    /** Unwraps the CompletionException layers that futures add. */
    public static StoreException unwrap(Throwable t) {
        Throwable c = t;
        while (c != null) {
            if (c instanceof StoreException se) {
                return se;
            }
            c = c.getCause();
        }
        return new StoreException(ErrorCode.INTERNAL, String.valueOf(t), t);
    }
}
