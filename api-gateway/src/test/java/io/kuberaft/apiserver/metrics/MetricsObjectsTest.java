package io.kuberaft.apiserver.metrics;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.kuberaft.apiserver.registry.Objects;
import org.junit.jupiter.api.Test;

import java.time.Instant;

import static org.assertj.core.api.Assertions.assertThat;

/** Summary blocks to metrics objects: canonical quantities, Go durations, metrics-server's timestamp and window of a pod. */
class MetricsObjectsTest {
    private static final Instant NOW = Instant.parse("2026-11-23T10:00:30.700Z");

    @Test
    void durationsPrintAsGoDoes() {
        assertThat(MetricsObjects.goDuration(0)).isEqualTo("0s");
        assertThat(MetricsObjects.goDuration(15_000_000_000L)).isEqualTo("15s");
        assertThat(MetricsObjects.goDuration(15_002_000_000L)).isEqualTo("15.002s");
        assertThat(MetricsObjects.goDuration(20_064_000_000L)).isEqualTo("20.064s");
        assertThat(MetricsObjects.goDuration(60_500_000_000L)).isEqualTo("1m0.5s");
        assertThat(MetricsObjects.goDuration(3_600_000_000_000L)).isEqualTo("1h0m0s");
        assertThat(MetricsObjects.goDuration(3_723_000_000_001L)).isEqualTo("1h2m3.000000001s");
        assertThat(MetricsObjects.goDuration(250_000_000L)).isEqualTo("250ms");
        assertThat(MetricsObjects.goDuration(1_500L)).isEqualTo("1.5µs");
        assertThat(MetricsObjects.goDuration(100L)).isEqualTo("100ns");
        assertThat(MetricsObjects.goDuration(-1_500_000_000L)).isEqualTo("-1.5s");
    }

    private static ObjectNode stats(String name, String time, long nanoCores, long bytes, long windowNanos) {
        ObjectNode c = Objects.JSON.createObjectNode().put("name", name);
        ObjectNode cpu = c.putObject("cpu").put("time", time).put("usageNanoCores", nanoCores);
        if (windowNanos > 0) {
            cpu.put("usageWindowNanoSeconds", windowNanos);
        }
        c.putObject("memory").put("time", time).put("workingSetBytes", bytes);
        return c;
    }

    @Test
    void aNodesUsageInCanonicalQuantitiesWithItsLabels() throws Exception {
        ObjectNode node = (ObjectNode) Objects.JSON.readTree("{\"metadata\":{\"name\":\"n1\",\"labels\":{\"zone\":\"a\"}}}");
        ObjectNode summary = Objects.JSON.createObjectNode();
        summary.set("node", stats(null, "2026-11-23T10:00:29.123456Z", 329_087_452L, 2_814_136_320L, 20_064_400_000L));
        JsonNode m = MetricsObjects.nodeMetrics(node, summary, NOW);
        assertThat(m.toString()).isEqualTo("{\"kind\":\"NodeMetrics\",\"apiVersion\":\"metrics.k8s.io/v1beta1\",\"metadata\":{\"name\":\"n1\","
                + "\"creationTimestamp\":\"2026-11-23T10:00:30Z\",\"labels\":{\"zone\":\"a\"}},\"timestamp\":\"2026-11-23T10:00:29Z\","
                + "\"window\":\"20.064s\",\"usage\":{\"cpu\":\"329087452n\",\"memory\":\"2748180Ki\"}}");
        summary.set("node", stats(null, "2026-11-23T10:00:29Z", 1_000_000L, 4L * 1024 * 1024, 0));
        m = MetricsObjects.nodeMetrics(node, summary, NOW);
        assertThat(m.path("usage").toString()).as("exact values shorten as upstream's canonical form").isEqualTo("{\"cpu\":\"1m\",\"memory\":\"4Mi\"}");
        assertThat(m.path("window").asText()).as("an agent that does not say: metrics-server's resolution").isEqualTo("15s");
        summary.set("node", stats(null, "2026-11-23T10:00:29Z", 0, 1000, 0));
        assertThat(MetricsObjects.nodeMetrics(node, summary, NOW).path("usage").toString()).isEqualTo("{\"cpu\":\"0\",\"memory\":\"1k\"}");
    }

    @Test
    void aPodTakesTheTimestampAndWindowOfItsEarliestSampledContainer() throws Exception {
        ObjectNode pod = (ObjectNode) Objects.JSON.readTree("{\"metadata\":{\"name\":\"web\",\"namespace\":\"default\"}}");
        ObjectNode podStats = Objects.JSON.createObjectNode();
        podStats.putArray("containers").add(stats("app", "2026-11-23T10:00:29Z", 250_000_000L, 64L * 1024 * 1024, 15_000_000_000L))
                .add(stats("side", "2026-11-23T10:00:27Z", 1_234_567L, 123_456_789L, 12_345_678_901L));
        JsonNode m = MetricsObjects.podMetrics(pod, podStats, NOW);
        assertThat(m.toString()).isEqualTo("{\"kind\":\"PodMetrics\",\"apiVersion\":\"metrics.k8s.io/v1beta1\",\"metadata\":{\"name\":\"web\","
                + "\"namespace\":\"default\",\"creationTimestamp\":\"2026-11-23T10:00:30Z\"},\"timestamp\":\"2026-11-23T10:00:27Z\","
                + "\"window\":\"12.346s\",\"containers\":[{\"name\":\"app\",\"usage\":{\"cpu\":\"250m\",\"memory\":\"64Mi\"}},"
                + "{\"name\":\"side\",\"usage\":{\"cpu\":\"1234567n\",\"memory\":\"123456789\"}}]}");
        assertThat(MetricsTable.INSTANCE.cells((ObjectNode) m, 0)).containsExactly("web", "251234567n", "190565653", "12.346s");
        podStats.putArray("containers");
        assertThat(MetricsObjects.podMetrics(pod, podStats, NOW)).as("no container sampled: no metrics").isNull();
    }
}
