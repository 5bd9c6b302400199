package io.kuberaft.controllers.podautoscaler;

/**
 * A metric could not be read or turned into a replica count. The message is upstream's error text
 * (wrapped as upstream wraps it), since it ends up verbatim in events and in the ScalingActive condition.
 */
final class MetricException extends Exception {
    MetricException(String message) {
        super(message, null, false, false);
    }

    /** This error with upstream's {@code fmt.Errorf("<prefix>: %v", err)} around it. */
    MetricException wrap(String prefix) {
        return new MetricException(prefix + ": " + getMessage());
    }
}
