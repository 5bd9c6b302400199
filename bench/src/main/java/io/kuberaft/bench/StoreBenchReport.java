package io.kuberaft.bench;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/** What {@code kuberaft bench store} writes: {@code {"runs":[{system,op,clients,ops_per_s,p50_ms,p99_ms}]}}. */
public record StoreBenchReport(@JsonProperty("runs") List<RunResult> runs) {
    public static final String KUBERAFT = "kuberaft";
    public static final String ETCD = "etcd";
    static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    public StoreBenchReport {
        runs = List.copyOf(runs);
    }

    public String toJson() {
        try {
            return JSON.writeValueAsString(this);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    public static StoreBenchReport fromJson(String json) throws IOException {
        return JSON.readValue(json, StoreBenchReport.class);
    }

    public void write(Path file) throws IOException {
        Path parent = file.toAbsolutePath().getParent();
        if (parent != null) {
            Files.createDirectories(parent);
        }
        Files.writeString(file, toJson() + "\n");
    }

    Optional<RunResult> find(String system, String op, int clients) {
        return runs.stream().filter(r -> r.system().equals(system) && r.op().equals(op) && r.clients() == clients).findFirst();
    }

    /**
     * A Markdown table, one row per (op, clients): both systems side by side and the ratios
     * kuberaft/etcd (throughput: higher is better; latency: lower is better).
     */
    public String table() {
        List<String[]> keys = new ArrayList<>();
        for (RunResult r : runs) {
            if (keys.stream().noneMatch(k -> k[0].equals(r.op()) && Integer.parseInt(k[1]) == r.clients())) {
                keys.add(new String[] {r.op(), String.valueOf(r.clients())});
            }
        }
        StringBuilder b = new StringBuilder();
        b.append("| op | clients | kuberaft ops/s | etcd ops/s | ratio | kuberaft p50 ms | etcd p50 ms | ratio | kuberaft p99 ms | etcd p99 ms | ratio |\n");
        b.append("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n");
        for (String[] k : keys) {
            int c = Integer.parseInt(k[1]);
            Optional<RunResult> a = find(KUBERAFT, k[0], c);
            Optional<RunResult> e = find(ETCD, k[0], c);
            b.append("| ").append(k[0]).append(" | ").append(c)
                    .append(" | ").append(a.map(r -> fmt(r.opsPerS(), 0)).orElse("-"))
                    .append(" | ").append(e.map(r -> fmt(r.opsPerS(), 0)).orElse("-"))
                    .append(" | ").append(ratio(a.map(RunResult::opsPerS), e.map(RunResult::opsPerS)))
                    .append(" | ").append(a.map(r -> fmt(r.p50Ms(), 2)).orElse("-"))
                    .append(" | ").append(e.map(r -> fmt(r.p50Ms(), 2)).orElse("-"))
                    .append(" | ").append(ratio(a.map(RunResult::p50Ms), e.map(RunResult::p50Ms)))
                    .append(" | ").append(a.map(r -> fmt(r.p99Ms(), 2)).orElse("-"))
                    .append(" | ").append(e.map(r -> fmt(r.p99Ms(), 2)).orElse("-"))
                    .append(" | ").append(ratio(a.map(RunResult::p99Ms), e.map(RunResult::p99Ms)))
                    .append(" |\n");
        }
        if (runs.stream().anyMatch(r -> r.serverCpuMsPerOp() >= 0)) {
            b.append("\nCPU time per request (ms), all server processes together / the load generator:\n\n");
            b.append("| op | clients | kuberaft servers | etcd servers | ratio | load generator (kuberaft run) | load generator (etcd run) |\n");
            b.append("|---|---:|---:|---:|---:|---:|---:|\n");
            for (String[] k : keys) {
                int c = Integer.parseInt(k[1]);
                Optional<RunResult> a = find(KUBERAFT, k[0], c).filter(r -> r.serverCpuMsPerOp() >= 0);
                Optional<RunResult> e = find(ETCD, k[0], c).filter(r -> r.serverCpuMsPerOp() >= 0);
                b.append("| ").append(k[0]).append(" | ").append(c)
                        .append(" | ").append(a.map(r -> fmt(r.serverCpuMsPerOp(), 3)).orElse("-"))
                        .append(" | ").append(e.map(r -> fmt(r.serverCpuMsPerOp(), 3)).orElse("-"))
                        .append(" | ").append(ratio(a.map(RunResult::serverCpuMsPerOp), e.map(RunResult::serverCpuMsPerOp)))
                        .append(" | ").append(find(KUBERAFT, k[0], c).filter(r -> r.clientCpuMsPerOp() >= 0).map(r -> fmt(r.clientCpuMsPerOp(), 3)).orElse("-"))
                        .append(" | ").append(find(ETCD, k[0], c).filter(r -> r.clientCpuMsPerOp() >= 0).map(r -> fmt(r.clientCpuMsPerOp(), 3)).orElse("-"))
                        .append(" |\n");
            }
        }
        long errors = runs.stream().mapToLong(RunResult::errors).sum();
        if (errors > 0) {
            b.append("\n").append(errors).append(" request(s) failed during the measured runs (see the JSON).\n");
        }
        return b.toString();
    }

    private static String ratio(Optional<Double> a, Optional<Double> e) {
        if (a.isEmpty() || e.isEmpty() || e.get() == 0) {
            return "-";
        }
        return fmt(a.get() / e.get(), 2);
    }

    private static String fmt(double v, int decimals) {
        return String.format(java.util.Locale.ROOT, "%." + decimals + "f", v);
    }
}
