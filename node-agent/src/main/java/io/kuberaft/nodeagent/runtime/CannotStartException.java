package io.kuberaft.nodeagent.runtime;

/**
 * A container the runtime cannot start: the reason and message become the container's waiting state
 * (as {@code CreateContainerConfigError}, {@code CreateContainerError}, {@code RunContainerError} upstream).
 */
public final class CannotStartException extends Exception {
    private final String reason;

    public CannotStartException(String reason, String message) {
        super(message);
        this.reason = reason;
    }

    public String reason() {
        return reason;
    }
}
