package io.kuberaft.controllers.podautoscaler;

import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.metrics.v1beta1.ContainerMetrics;
import io.fabric8.kubernetes.api.model.metrics.v1beta1.PodMetrics;

import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * PodMetrics turned into one resource's usage per pod, as upstream's resource metrics client does: a pod's
 * usage is the sum over its containers, and a pod with a container lacking the resource has no sample at
 * all; for a ContainerResource metric, only the named container counts, and a pod without it is an error.
 */
final class ResourceUsage {
    private ResourceUsage() {
    }

    static Map<String, PodMetric> perPod(List<PodMetrics> items, String resource, String container) throws MetricException {
        if (items.isEmpty()) {
            throw new MetricException("no metrics returned from resource metrics API");
        }
        Map<String, PodMetric> out = new HashMap<>();
        for (PodMetrics m : items) {
            String pod = m.getMetadata().getName();
            List<ContainerMetrics> containers = m.getContainers() == null ? List.of() : m.getContainers();
            if (container != null) {
                ContainerMetrics c = containers.stream().filter(x -> container.equals(x.getName())).findFirst().orElse(null);
                if (c == null) {
                    throw new MetricException("failed to get container metrics: container " + container + " not present in metrics for pod "
                            + m.getMetadata().getNamespace() + "/" + pod);
                }
                Quantity q = c.getUsage() == null ? null : c.getUsage().get(resource);
                if (q != null) {
                    out.put(pod, new PodMetric(milli(q), timestamp(m), window(m)));
                }
                continue;
            }
            boolean missing = containers.isEmpty();
            long sum = 0;
            for (ContainerMetrics c : containers) {
                Quantity q = c.getUsage() == null ? null : c.getUsage().get(resource);
                if (q == null) {
                    missing = true;
                    break;
                }
                sum += milli(q);
            }
            if (!missing) {
                out.put(pod, new PodMetric(sum, timestamp(m), window(m)));
            }
        }
        return out;
    }

    private static long milli(Quantity q) {
        return io.kuberaft.kubeapi.Quantity.parse(q.toString()).milliValue();
    }

    private static Instant timestamp(PodMetrics m) {
        try {
            return m.getTimestamp() == null ? Instant.EPOCH : Instant.parse(m.getTimestamp());
        } catch (RuntimeException e) {
            return Instant.EPOCH;
        }
    }

    private static Duration window(PodMetrics m) {
        return m.getWindow() == null || m.getWindow().getDuration() == null ? Duration.ZERO : m.getWindow().getDuration();
    }
}
