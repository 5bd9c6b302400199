package io.kuberaft.controllers;

import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;

import java.time.Instant;
import java.time.temporal.ChronoUnit;

/** What a kubelet would report, written by a test through {@code pods/status}. */
public final class PodPhases {
    private PodPhases() {
    }

    public static void running(KubernetesClient k, Pod p, boolean ready) {
        String now = Instant.now().truncatedTo(ChronoUnit.SECONDS).toString();
        patch(k, p, "{\"status\":{\"phase\":\"Running\",\"conditions\":[{\"type\":\"Ready\",\"status\":\"" + (ready ? "True" : "False")
                + "\",\"lastTransitionTime\":\"" + now + "\"}]}}");
    }

    public static void succeeded(KubernetesClient k, Pod p) {
        patch(k, p, "{\"status\":{\"phase\":\"Succeeded\",\"conditions\":[{\"type\":\"Ready\",\"status\":\"False\",\"reason\":\"PodCompleted\"}]}}");
    }

    public static void failed(KubernetesClient k, Pod p) {
        patch(k, p, "{\"status\":{\"phase\":\"Failed\",\"conditions\":[{\"type\":\"Ready\",\"status\":\"False\",\"reason\":\"PodFailed\"}]}}");
    }

    private static void patch(KubernetesClient k, Pod p, String body) {
        k.pods().inNamespace(p.getMetadata().getNamespace()).withName(p.getMetadata().getName()).subresource("status")
                .patch(PatchContext.of(PatchType.JSON_MERGE), body);
    }
}
