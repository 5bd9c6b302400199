package io.kuberaft.apiserver;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/** apiserver_request_total, apiserver_request_duration_seconds, apiserver_longrunning_requests. */
final class ApiMetrics {
    private final MeterRegistry registry;
    private final AtomicLong longRunning = new AtomicLong();

    ApiMetrics(MeterRegistry registry) {
        this.registry = registry;
        registry.gauge("apiserver_longrunning_requests", longRunning);
    }

    void record(String verb, String resource, int code, long nanos) {
        Counter.builder("apiserver_request_total").description("Counter of apiserver requests broken out by verb, resource and code")
                .tags("verb", verb, "resource", resource, "code", String.valueOf(code)).register(registry).increment();
        Timer.builder("apiserver_request_duration_seconds").description("Response latency distribution by verb and resource")
                .tags("verb", verb, "resource", resource).publishPercentileHistogram()
                .register(registry).record(nanos, TimeUnit.NANOSECONDS);
    }

    private static final java.util.Set<String> CONNECT = java.util.Set.of("exec", "attach", "portforward", "proxy");

    /**
     * The {@code verb} label as upstream's cleanVerb reports it: the installer's verb of the route (POST, PUT, PATCH, DELETE,
     * DELETECOLLECTION, GET, LIST, WATCH, CONNECT for exec/attach/portforward/proxy) and APPLY for a server-side apply
     * patch; a request outside the resource API (health, discovery, metrics) is its HTTP method.
     */
    static String verb(io.kuberaft.apiserver.http.RequestInfo info, String method, String contentType) {
        if (info == null) {
            return method;
        }
        if (info.subresource() != null && CONNECT.contains(info.subresource())) {
            return "CONNECT";
        }
        return switch (info.verb()) {
            case "create" -> "POST";
            case "update" -> "PUT";
            case "patch" -> contentType != null && io.kuberaft.apiserver.http.MediaTypes.base(contentType)
                    .equals(io.kuberaft.apiserver.http.MediaTypes.APPLY_PATCH) ? "APPLY" : "PATCH";
            default -> info.verb().toUpperCase(java.util.Locale.ROOT);
        };
    }

    void longRunning(int delta) {
        longRunning.addAndGet(delta);
    }
}
