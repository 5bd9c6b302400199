package io.kuberaft.bench;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;

/**
 * One measured load run: {@code clients} closed-loop clients doing {@code op} against {@code system}.
 * The first six fields are the report contract ({@code {"runs":[...]}}); {@code ops}, {@code errors}
 * and {@code seconds} say how much the figures rest on. The CPU time the server processes (all
 * members together) and the load generator used per successful request is what other processes
 * on a shared machine skew least: it says how much work one request costs each system.
 */
@JsonPropertyOrder({"system", "op", "clients", "ops_per_s", "p50_ms", "p99_ms", "ops", "errors", "seconds",
        "server_cpu_ms_per_op", "client_cpu_ms_per_op"})
public record RunResult(
        @JsonProperty("system") String system,
        @JsonProperty("op") String op,
        @JsonProperty("clients") int clients,
        @JsonProperty("ops_per_s") double opsPerS,
        @JsonProperty("p50_ms") double p50Ms,
        @JsonProperty("p99_ms") double p99Ms,
        @JsonProperty("ops") long ops,
        @JsonProperty("errors") long errors,
        @JsonProperty("seconds") double seconds,
        @JsonProperty("server_cpu_ms_per_op") double serverCpuMsPerOp,
        @JsonProperty("client_cpu_ms_per_op") double clientCpuMsPerOp) {

    static double round(double v, int decimals) {
        double f = Math.pow(10, decimals);
        return Math.round(v * f) / f;
    }
}
