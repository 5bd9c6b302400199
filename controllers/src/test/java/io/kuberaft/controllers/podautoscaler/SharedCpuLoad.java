package io.kuberaft.controllers.podautoscaler;

import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.metrics.v1beta1.PodMetrics;
import io.fabric8.kubernetes.api.model.metrics.v1beta1.PodMetricsBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.kuberaft.kubeapi.LabelSelector;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A stand-in for the resource metrics API, which this branch's API server does not serve yet: a total cpu
 * load (millicores) the test sets, shared evenly by the running pods of the selector, reported for their one
 * container as metrics-server would. It counts its calls, so a test can wait for syncs to have happened.
 */
final class SharedCpuLoad implements PodMetricsSource {
    private volatile KubernetesClient client;
    private volatile long totalMilli;
    private final AtomicInteger calls = new AtomicInteger();

    /** The source for a term: it lists the pods through that term's client. */
    SharedCpuLoad through(KubernetesClient termClient) {
        this.client = termClient;
        return this;
    }

    void set(long milli) {
        totalMilli = milli;
    }

    int calls() {
        return calls.get();
    }

    @Override
    public List<PodMetrics> list(String namespace, String labelSelector) {
        calls.incrementAndGet();
        LabelSelector sel = LabelSelector.parse(labelSelector);
        List<Pod> running = new ArrayList<>();
        for (Pod p : client.pods().inNamespace(namespace).list().getItems()) {
            Map<String, String> labels = p.getMetadata().getLabels() == null ? Map.of() : p.getMetadata().getLabels();
            if (sel.matches(labels) && p.getMetadata().getDeletionTimestamp() == null && p.getStatus() != null
                    && "Running".equals(p.getStatus().getPhase())) {
                running.add(p);
            }
        }
        List<PodMetrics> out = new ArrayList<>();
        for (Pod p : running) {
            out.add(new PodMetricsBuilder().withNewMetadata().withName(p.getMetadata().getName()).withNamespace(namespace).endMetadata()
                    .withTimestamp(Instant.now().toString()).withWindow(new io.fabric8.kubernetes.api.model.Duration(java.time.Duration.ofSeconds(30)))
                    .addNewContainer().withName("c").withUsage(Map.of("cpu", new Quantity((totalMilli / running.size()) + "m"))).endContainer()
                    .build());
        }
        return out;
    }
}
