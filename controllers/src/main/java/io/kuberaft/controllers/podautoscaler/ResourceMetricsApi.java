package io.kuberaft.controllers.podautoscaler;

import com.fasterxml.jackson.databind.JsonNode;
import io.fabric8.kubernetes.api.model.Duration;
import io.fabric8.kubernetes.api.model.metrics.v1beta1.PodMetrics;
import io.fabric8.kubernetes.api.model.metrics.v1beta1.PodMetricsList;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;

import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * The resource metrics API as upstream's resource metrics client reads it:
 * {@code GET /apis/metrics.k8s.io/v1beta1/namespaces/<ns>/pods?labelSelector=<selector>}, through the
 * controllers' own client (so through any replica's API, like every other request).
 */
public final class ResourceMetricsApi implements PodMetricsSource {
    private final KubernetesClient client;

    public ResourceMetricsApi(KubernetesClient client) {
        this.client = client;
    }

    @Override
    public List<PodMetrics> list(String namespace, String labelSelector) throws MetricsUnavailableException {
        String path = "/apis/metrics.k8s.io/v1beta1/namespaces/" + namespace + "/pods";
        if (labelSelector != null && !labelSelector.isEmpty()) {
            path += "?labelSelector=" + URLEncoder.encode(labelSelector, StandardCharsets.UTF_8);
        }
        String body;
        try {
            body = client.raw(path);
        } catch (KubernetesClientException e) {
            throw new MetricsUnavailableException(message(e.getCode(), e.getStatus() == null ? null : e.getStatus().getMessage(), e));
        }
        if (body == null) {
            throw new MetricsUnavailableException(message(404, null, null));
        }
        try {
            return decode(client.getKubernetesSerialization(), body);
        } catch (RuntimeException e) {
            throw new MetricsUnavailableException("unable to decode the resource metrics API's answer: " + e.getMessage());
        }
    }

    /** A PodMetricsList's items, each window read as Go writes durations (fabric8's own reading garbles fractions). */
    static List<PodMetrics> decode(KubernetesSerialization serialization, String body) {
        PodMetricsList list = serialization.unmarshal(body, PodMetricsList.class);
        List<PodMetrics> items = list.getItems() == null ? List.of() : list.getItems();
        JsonNode raw = serialization.unmarshal(body, JsonNode.class).path("items");
        for (int i = 0; i < items.size(); i++) {
            String window = raw.path(i).path("window").asText("");
            Duration d;
            try {
                d = window.isEmpty() ? null : new Duration(GoDuration.parse(window));
            } catch (IllegalArgumentException e) {
                d = null;
            }
            items.get(i).setWindow(d);
        }
        return items;
    }

    /**
     * client-go's text for a failed list of pods.metrics.k8s.io: an API that is not served (404) or not
     * available (503) reads as in a cluster without metrics-server; other failures keep the server's message.
     */
    static String message(int code, String serverMessage, Exception cause) {
        return switch (code) {
            case 404 -> "the server could not find the requested resource (get pods.metrics.k8s.io)";
            case 503 -> "the server is currently unable to handle the request (get pods.metrics.k8s.io)";
            default -> serverMessage != null && !serverMessage.isEmpty() ? serverMessage
                    : cause != null ? cause.getMessage() : "unknown error (get pods.metrics.k8s.io)";
        };
    }
}
