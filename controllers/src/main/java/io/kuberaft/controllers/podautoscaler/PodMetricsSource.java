package io.kuberaft.controllers.podautoscaler;

import io.fabric8.kubernetes.api.model.metrics.v1beta1.PodMetrics;

import java.util.List;

/**
 * Where the autoscaler reads pods' resource usage: the resource metrics API (metrics.k8s.io/v1beta1
 * PodMetrics) in production ({@link ResourceMetricsApi}); a test may stand in its own.
 */
public interface PodMetricsSource {
    /**
     * The PodMetrics of the pods of {@code namespace} that match {@code labelSelector} (the scale's
     * status.selector, query-string form).
     *
     * @throws MetricsUnavailableException when the API cannot be read; its message is client-go's error text
     */
    List<PodMetrics> list(String namespace, String labelSelector) throws MetricsUnavailableException;

    /** The metrics API did not answer with a list. */
    final class MetricsUnavailableException extends Exception {
        public MetricsUnavailableException(String message) {
            super(message, null, false, false);
        }
    }
}
