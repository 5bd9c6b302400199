package io.kuberaft.controllers.podautoscaler;

import java.time.Duration;
import java.time.Instant;

/**
 * One pod's usage of one resource, in thousandths (millicores, or milli-bytes for memory, as upstream's
 * MilliValue), with when the metrics pipeline sampled it and over which window.
 */
record PodMetric(long milliValue, Instant timestamp, Duration window) {
    static PodMetric of(long milliValue) {
        return new PodMetric(milliValue, Instant.EPOCH, Duration.ZERO);
    }
}
