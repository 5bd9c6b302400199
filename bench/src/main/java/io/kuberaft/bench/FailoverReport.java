package io.kuberaft.bench;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;

/**
 * What {@code kuberaft bench failover} writes: per leader kill, the time from SIGKILL to the first
 * acknowledged write issued after it, and min / median / max over the kills against the targets.
 */
@JsonPropertyOrder({"system", "kills", "min_ms", "median_ms", "max_ms", "target_median_ms", "target_max_ms", "pass"})
public record FailoverReport(
        @JsonProperty("system") String system,
        @JsonProperty("kills") List<Kill> kills,
        @JsonProperty("min_ms") double minMs,
        @JsonProperty("median_ms") double medianMs,
        @JsonProperty("max_ms") double maxMs,
        @JsonProperty("target_median_ms") double targetMedianMs,
        @JsonProperty("target_max_ms") double targetMaxMs,
        @JsonProperty("pass") boolean pass) {

    public static final double TARGET_MEDIAN_MS = 2000;
    public static final double TARGET_MAX_MS = 3000;

    /** One kill: which replica led (and in which term), and how long writes were unavailable (-1: never came back). */
    @JsonPropertyOrder({"n", "killed", "term", "unavailable_ms", "new_leader"})
    public record Kill(@JsonProperty("n") int n, @JsonProperty("killed") String killed, @JsonProperty("term") long term,
                       @JsonProperty("unavailable_ms") double unavailableMs, @JsonProperty("new_leader") String newLeader) {
    }

    public static FailoverReport of(String system, List<Kill> kills) {
        double[] v = kills.stream().mapToDouble(k -> k.unavailableMs() < 0 ? Double.POSITIVE_INFINITY : k.unavailableMs())
                .sorted().toArray();
        double min = v.length == 0 ? Double.NaN : v[0];
        double max = v.length == 0 ? Double.NaN : v[v.length - 1];
        double median = v.length == 0 ? Double.NaN
                : v.length % 2 == 1 ? v[v.length / 2] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2;
        boolean pass = v.length > 0 && median <= TARGET_MEDIAN_MS && max <= TARGET_MAX_MS;
        return new FailoverReport(system, List.copyOf(kills), finite(min), finite(median), finite(max),
                TARGET_MEDIAN_MS, TARGET_MAX_MS, pass);
    }

    /** JSON has no infinity: a write that never came back is -1. */
    private static double finite(double v) {
        return Double.isFinite(v) ? RunResult.round(v, 1) : -1;
    }

    public String toJson() {
        try {
            return StoreBenchReport.JSON.writeValueAsString(this);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    public void write(Path file) throws IOException {
        Path parent = file.toAbsolutePath().getParent();
        if (parent != null) {
            Files.createDirectories(parent);
        }
        Files.writeString(file, toJson() + "\n");
    }

    public String table() {
        StringBuilder b = new StringBuilder();
        b.append("| kill | leader killed | term | unavailable ms | new leader |\n|---:|---|---:|---:|---|\n");
        for (Kill k : kills) {
            b.append("| ").append(k.n()).append(" | ").append(k.killed()).append(" | ").append(k.term()).append(" | ")
                    .append(k.unavailableMs() < 0 ? "no write came back" : String.format(Locale.ROOT, "%.0f", k.unavailableMs()))
                    .append(" | ").append(k.newLeader() == null ? "-" : k.newLeader()).append(" |\n");
        }
        b.append(String.format(Locale.ROOT, "%nmin %.0f ms, median %.0f ms, max %.0f ms (targets: median <= %.0f ms, max <= %.0f ms): %s%n",
                minMs, medianMs, maxMs, targetMedianMs, targetMaxMs, pass ? "PASS" : "FAIL"));
        return b.toString();
    }
}
