package io.kuberaft.controllers.podautoscaler;

import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.metrics.v1beta1.PodMetrics;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ResourceUsageTest {
    /** A PodMetricsList as metrics-server serves it. */
    static final String LIST = """
            {"kind":"PodMetricsList","apiVersion":"metrics.k8s.io/v1beta1","metadata":{},"items":[
             {"metadata":{"name":"web-1","namespace":"default"},"timestamp":"2025-06-01T12:00:00Z","window":"15.2s",
              "containers":[{"name":"app","usage":{"cpu":"250m","memory":"64Mi"}},{"name":"proxy","usage":{"cpu":"1","memory":"16Mi"}}]},
             {"metadata":{"name":"web-2","namespace":"default"},"timestamp":"2025-06-01T12:00:01Z","window":"15s",
              "containers":[{"name":"app","usage":{"cpu":"125000u"}},{"name":"proxy","usage":{"cpu":"5m"}}]}]}
            """;

    static List<PodMetrics> items() {
        return ResourceMetricsApi.decode(new KubernetesSerialization(), LIST);
    }

    @Test
    void aPodsUsageIsTheSumOfItsContainers() throws Exception {
        Map<String, PodMetric> cpu = ResourceUsage.perPod(items(), "cpu", null);
        assertThat(cpu).containsOnlyKeys("web-1", "web-2");
        assertThat(cpu.get("web-1")).isEqualTo(new PodMetric(1250, Instant.parse("2025-06-01T12:00:00Z"), Duration.ofMillis(15200)));
        assertThat(cpu.get("web-2").milliValue()).isEqualTo(130);
        // a pod with a container lacking the resource has no sample at all
        Map<String, PodMetric> memory = ResourceUsage.perPod(items(), "memory", null);
        assertThat(memory).containsOnlyKeys("web-1");
        assertThat(memory.get("web-1").milliValue()).isEqualTo(80L * 1024 * 1024 * 1000);
    }

    @Test
    void oneContainersUsage() throws Exception {
        assertThat(ResourceUsage.perPod(items(), "cpu", "proxy")).extractingByKeys("web-1", "web-2")
                .extracting(PodMetric::milliValue).containsExactly(1000L, 5L);
        assertThat(ResourceUsage.perPod(items(), "memory", "app")).containsOnlyKeys("web-1");
        assertThatThrownBy(() -> ResourceUsage.perPod(items(), "cpu", "db"))
                .hasMessage("failed to get container metrics: container db not present in metrics for pod default/web-1");
        assertThatThrownBy(() -> ResourceUsage.perPod(List.of(), "cpu", null)).hasMessage("no metrics returned from resource metrics API");
    }

    @Test
    void goDurations() {
        assertThat(GoDuration.parse("10.483s")).isEqualTo(Duration.ofMillis(10483));
        assertThat(GoDuration.parse("1m0s")).isEqualTo(Duration.ofMinutes(1));
        assertThat(GoDuration.parse("1h2m3.5s")).isEqualTo(Duration.ofSeconds(3723, 500_000_000));
        assertThat(GoDuration.parse("250ms")).isEqualTo(Duration.ofMillis(250));
        assertThat(GoDuration.parse("0")).isEqualTo(Duration.ZERO);
        assertThatThrownBy(() -> GoDuration.parse("15")).hasMessage("time: invalid duration \"15\"");
        assertThatThrownBy(() -> GoDuration.parse("s")).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void quantitiesInEveryForm() {
        assertThat(MetricReplicas.milliQuantity(250)).isEqualTo(new Quantity("250m"));
        assertThat(MetricReplicas.milliQuantity(250).toString()).isEqualTo("250m");
        assertThat(MetricReplicas.milliQuantity(1000).toString()).isEqualTo("1");
        assertThat(MetricReplicas.milliQuantity(2_000_000).toString()).isEqualTo("2k");
    }
}
