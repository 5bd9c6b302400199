package io.kuberaft.controllers;

import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.ConfigMapBuilder;
import io.kuberaft.controllers.runtime.Controller;
import io.kuberaft.controllers.runtime.ControllerContext;
import io.kuberaft.controllers.runtime.Keys;
import io.kuberaft.controllers.runtime.WorkQueue;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

import static io.kuberaft.controllers.ApiFixture.await;
import static org.assertj.core.api.Assertions.assertThat;

class ControllerManagerTest {
    @TempDir
    Path tmp;

    /** Records the ConfigMaps it reconciles; its first {@code failures} starts fail, as a start whose informers never sync. */
    private static final class Flaky implements Controller {
        final AtomicInteger starts;
        final int failures;
        final Set<String> seen;

        Flaky(AtomicInteger starts, int failures, Set<String> seen) {
            this.starts = starts;
            this.failures = failures;
            this.seen = seen;
        }

        @Override
        public String name() {
            return "flaky";
        }

        @Override
        public void register(ControllerContext ctx, WorkQueue queue) {
            if (starts.incrementAndGet() <= failures) {
                throw new IllegalStateException("informers did not sync");
            }
            ctx.informers().of(ConfigMap.class).addEventHandler(Keys.enqueue(queue));
        }

        @Override
        public void reconcile(String key) {
            seen.add(key);
        }
    }

    @Test
    void aFailedStartIsRetriedWithinTheTerm() {
        AtomicInteger starts = new AtomicInteger();
        Set<String> seen = ConcurrentHashMap.newKeySet();
        try (ApiFixture api = new ApiFixture(tmp, ControllerOptions.defaults(), List.of(() -> new Flaky(starts, 2, seen)))) {
            api.client().configMaps().inNamespace("default").resource(new ConfigMapBuilder().withNewMetadata().withName("c1").endMetadata()
                    .build()).create();
            // two failures: retried after 1 s, then 2 s
            await(Duration.ofSeconds(15), "the controller running after two failed starts", () -> seen.contains("default/c1"));
            assertThat(starts.get()).isEqualTo(3);
            assertThat(api.manager().activeTerm()).isEqualTo(1);
        }
    }

    @Test
    void noRetryOnceTheTermIsOver() throws InterruptedException {
        AtomicInteger starts = new AtomicInteger();
        Set<String> seen = ConcurrentHashMap.newKeySet();
        try (ApiFixture api = new ApiFixture(tmp, ControllerOptions.defaults(), List.of(() -> new Flaky(starts, Integer.MAX_VALUE, seen)))) {
            await(Duration.ofSeconds(5), "a first failed start", () -> starts.get() >= 1);
            api.manager().onNotLeader();
            int after = starts.get();
            // retries were due after 1 s and 3 s; once the replica no longer leads at most a start already under way
            // (begun before onNotLeader) may still show
            long end = System.nanoTime() + Duration.ofSeconds(4).toNanos();
            while (System.nanoTime() < end) {
                assertThat(starts.get()).isLessThanOrEqualTo(after + 1);
                Thread.sleep(200);
            }
            assertThat(api.manager().activeTerm()).isZero();
        }
    }
}
