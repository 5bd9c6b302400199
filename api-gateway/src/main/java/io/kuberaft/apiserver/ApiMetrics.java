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

    void longRunning(int delta) {
        longRunning.addAndGet(delta);
    }
}
