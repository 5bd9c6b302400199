package io.kuberaft.apiserver.metrics;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.kuberaft.apiserver.registry.Objects;
import io.kuberaft.kubeapi.Quantity;

import java.math.BigDecimal;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Map;

/**
 * The metrics.k8s.io/v1beta1 objects made of a node agent's {@code /stats/summary}, shaped as metrics-server serves
 * them: usage as canonical quantities (CPU in cores from {@code usageNanoCores}, memory the working set in bytes,
 * binary), {@code timestamp} when the sample was taken, {@code window} the interval the CPU rate was measured over
 * (as a Go duration), and a {@code creationTimestamp} of now, since metrics objects are made on request.
 */
final class MetricsObjects {
    static final String API_VERSION = ResourceMetrics.GROUP + "/" + ResourceMetrics.VERSION;
    /** What an agent that does not say over how long it measured is taken to have used: metrics-server's resolution. */
    static final long DEFAULT_WINDOW_NANOS = 15_000_000_000L;

    private MetricsObjects() {
    }

    /** A NodeMetrics from the {@code node} block of the node's summary. */
    static ObjectNode nodeMetrics(JsonNode node, JsonNode summary, Instant now) {
        ObjectNode o = Objects.JSON.createObjectNode();
        o.put("kind", "NodeMetrics").put("apiVersion", API_VERSION);
        ObjectNode meta = o.putObject("metadata");
        meta.put("name", Objects.name(node)).put("creationTimestamp", time(now));
        labels(meta, node);
        JsonNode stats = summary.path("node");
        o.put("timestamp", time(sampledAt(stats, now)));
        o.put("window", goDuration(window(stats)));
        o.set("usage", usage(stats));
        return o;
    }

    /**
     * A PodMetrics from the pod's entry in its node's summary: one usage per container it reports, the timestamp and
     * window of the earliest sampled container (as metrics-server). Null when it reports no container.
     */
    static ObjectNode podMetrics(JsonNode pod, JsonNode podStats, Instant now) {
        JsonNode containers = podStats.path("containers");
        if (!containers.isArray() || containers.isEmpty()) {
            return null;
        }
        ObjectNode o = Objects.JSON.createObjectNode();
        o.put("kind", "PodMetrics").put("apiVersion", API_VERSION);
        ObjectNode meta = o.putObject("metadata");
        meta.put("name", Objects.name(pod)).put("namespace", Objects.namespace(pod)).put("creationTimestamp", time(now));
        labels(meta, pod);
        JsonNode earliest = null;
        for (JsonNode c : containers) {
            if (earliest == null || sampledAt(c, now).isBefore(sampledAt(earliest, now))) {
                earliest = c;
            }
        }
        o.put("timestamp", time(sampledAt(earliest, now)));
        o.put("window", goDuration(window(earliest)));
        ArrayNode out = o.putArray("containers");
        for (JsonNode c : containers) {
            ObjectNode cm = out.addObject();
            cm.put("name", c.path("name").asText());
            cm.set("usage", usage(c));
        }
        return o;
    }

    /** {@code {"cpu": "<cores>", "memory": "<bytes>"}} in upstream's canonical forms ({@code 1m}, {@code 250112n}, {@code 4Mi}). */
    private static ObjectNode usage(JsonNode stats) {
        ObjectNode u = Objects.JSON.createObjectNode();
        long nanoCores = Math.max(0, stats.path("cpu").path("usageNanoCores").asLong(0));
        long bytes = Math.max(0, stats.path("memory").path("workingSetBytes").asLong(0));
        u.put("cpu", Quantity.of(BigDecimal.valueOf(nanoCores, 9), Quantity.Format.DECIMAL_SI).toString());
        u.put("memory", Quantity.of(bytes, Quantity.Format.BINARY_SI).toString());
        return u;
    }

    private static void labels(ObjectNode meta, JsonNode object) {
        Map<String, String> labels = Objects.labels(object);
        if (!labels.isEmpty()) {
            ObjectNode l = meta.putObject("labels");
            labels.forEach(l::put);
        }
    }

    private static Instant sampledAt(JsonNode stats, Instant otherwise) {
        String t = stats.path("cpu").path("time").asText("");
        try {
            return t.isEmpty() ? otherwise : Instant.parse(t);
        } catch (RuntimeException e) {
            return otherwise;
        }
    }

    /** The measuring interval in nanoseconds, to the millisecond (metrics-server's samples are that precise). */
    private static long window(JsonNode stats) {
        long w = stats.path("cpu").path("usageWindowNanoSeconds").asLong(0);
        if (w <= 0) {
            w = DEFAULT_WINDOW_NANOS;
        }
        return Math.round(w / 1e6) * 1_000_000L;
    }

    /** metav1.Time: RFC 3339, seconds. */
    static String time(Instant t) {
        return t.truncatedTo(ChronoUnit.SECONDS).toString();
    }

    /** Go's {@code time.Duration.String()}, as metav1.Duration serializes: {@code 15s}, {@code 15.002s}, {@code 1m0.5s}, {@code 250ms}. */
    static String goDuration(long nanos) {
        if (nanos == 0) {
            return "0s";
        }
        String sign = nanos < 0 ? "-" : "";
        long u = Math.abs(nanos);
        if (u < 1_000L) {
            return sign + u + "ns";
        }
        if (u < 1_000_000L) {
            return sign + fraction(u, 1_000L) + "µs";
        }
        if (u < 1_000_000_000L) {
            return sign + fraction(u, 1_000_000L) + "ms";
        }
        long hours = u / 3_600_000_000_000L;
        long minutes = u / 60_000_000_000L % 60;
        StringBuilder b = new StringBuilder(sign);
        if (hours > 0) {
            b.append(hours).append('h');
        }
        if (hours > 0 || minutes > 0) {
            b.append(minutes).append('m');
        }
        return b.append(fraction(u % 60_000_000_000L, 1_000_000_000L)).append('s').toString();
    }

    /** {@code value / unit} with the fraction's trailing zeros dropped. */
    private static String fraction(long value, long unit) {
        long whole = value / unit;
        long rest = value % unit;
        if (rest == 0) {
            return Long.toString(whole);
        }
        String digits = String.format("%0" + Long.toString(unit).length() + "d", rest).substring(1);
        return whole + "." + digits.replaceAll("0+$", "");
    }
}
