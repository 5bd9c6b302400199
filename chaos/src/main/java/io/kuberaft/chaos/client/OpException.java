package io.kuberaft.chaos.client;

/**
 * A client operation that did not succeed. {@code definite}: it certainly did not take effect (the
 * history records {@code fail}); otherwise it may have (a timeout, a lost connection, a 5xx: {@code info}).
 */
public final class OpException extends Exception {
    public final boolean definite;

    public OpException(boolean definite, String message) {
        super(message, null, false, false);
        this.definite = definite;
    }

    public static OpException definite(String m) {
        return new OpException(true, m);
    }

    public static OpException indefinite(String m) {
        return new OpException(false, m);
    }
}
