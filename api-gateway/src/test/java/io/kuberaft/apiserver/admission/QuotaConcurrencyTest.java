package io.kuberaft.apiserver.admission;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.kuberaft.apiserver.registry.GenericRegistry;
import io.kuberaft.apiserver.registry.ResourceDefinition;
import io.kuberaft.kubeapi.StatusException;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Quota usage is charged in the create's own txn: threads on several API replicas (registries over one store)
 * creating pods at once never get more pods than the quota allows, and {@code status.used} always equals what
 * is stored.
 */
class QuotaConcurrencyTest {

    @Property(tries = 8)
    void concurrentCreatesNeverExceedTheQuota(@ForAll @IntRange(min = 1, max = 6) int hard,
                                              @ForAll @IntRange(min = 2, max = 12) int threads) throws Exception {
        Path dir = Files.createTempDirectory("quota");
        try (Cluster c = new Cluster(dir)) {
            c.namespace("q");
            c.create("", "resourcequotas", "q", "metadata: {name: rq}\nspec: {hard: {pods: '" + hard + "'}}");
            List<GenericRegistry> replicas = List.of(c.api, c.replica(), c.replica());
            ResourceDefinition pods = c.def("", "pods");
            int attempts = threads * 2;
            AtomicInteger created = new AtomicInteger();
            AtomicInteger refused = new AtomicInteger();
            AtomicInteger conflicts = new AtomicInteger();
            ExecutorService pool = Executors.newFixedThreadPool(threads);
            CountDownLatch go = new CountDownLatch(1);
            List<Future<?>> futures = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                int thread = t;
                futures.add(pool.submit(() -> {
                    go.await();
                    for (int i = 0; i < 2; i++) {
                        GenericRegistry r = replicas.get((thread + i) % replicas.size());
                        try {
                            r.create(pods, "q", Cluster.yaml("metadata: {name: p-" + thread + "-" + i + "}\nspec: {containers: [{name: a, image: x}]}"),
                                    GenericRegistry.WriteOptions.DEFAULT);
                            created.incrementAndGet();
                        } catch (StatusException e) {
                            if (e.code() == 403) {
                                assertThat(e.getMessage()).contains("exceeded quota: rq, requested: pods=1, used: pods=" + hard + ", limited: pods=" + hard);
                                refused.incrementAndGet();
                            } else {
                                assertThat(e.code()).as(e.getMessage()).isEqualTo(409);
                                conflicts.incrementAndGet();
                            }
                        }
                    }
                    return null;
                }));
            }
            go.countDown();
            for (Future<?> f : futures) {
                f.get();
            }
            pool.shutdown();
            net.jqwik.api.statistics.Statistics.label("some creates exhausted their retries (409)").collect(conflicts.get() > 0);
            int stored = c.list("", "pods", "q").size();
            assertThat(created.get()).isLessThanOrEqualTo(hard).isEqualTo(stored);
            assertThat(created.get() + refused.get() + conflicts.get()).isEqualTo(attempts);
            if (conflicts.get() == 0) {
                assertThat(created.get()).isEqualTo(Math.min(hard, attempts));
            }
            assertThat(c.get("", "resourcequotas", "q", "rq").path("status").path("used").path("pods").asInt()).isEqualTo(stored);
        } finally {
            delete(dir);
        }
    }

    @Property(tries = 5)
    void usageStaysExactUnderConcurrentCreatesAndDeletes(@ForAll @IntRange(min = 2, max = 8) int threads) throws Exception {
        Path dir = Files.createTempDirectory("quota");
        try (Cluster c = new Cluster(dir)) {
            c.namespace("q");
            c.create("", "resourcequotas", "q", "metadata: {name: rq}\nspec: {hard: {pods: '5', requests.cpu: '2', count/configmaps: '100'}}");
            List<GenericRegistry> replicas = List.of(c.api, c.replica());
            ResourceDefinition pods = c.def("", "pods");
            ExecutorService pool = Executors.newFixedThreadPool(threads);
            List<Future<?>> futures = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                int thread = t;
                futures.add(pool.submit(() -> {
                    ThreadLocalRandom rnd = ThreadLocalRandom.current();
                    for (int i = 0; i < 12; i++) {
                        GenericRegistry r = replicas.get(rnd.nextInt(replicas.size()));
                        String name = "p-" + rnd.nextInt(8);
                        try {
                            if (rnd.nextBoolean()) {
                                r.create(pods, "q", Cluster.yaml("metadata: {name: " + name + "}\nspec: {containers: [{name: a, image: x, "
                                        + "resources: {requests: {cpu: 300m}}}]}"), GenericRegistry.WriteOptions.DEFAULT);
                            } else {
                                r.delete(pods, "q", name, 0, null, null, null, GenericRegistry.WriteOptions.DEFAULT);
                            }
                        } catch (StatusException e) {
                            assertThat(e.code()).as(e.getMessage()).isIn(403, 404, 409);
                        }
                    }
                    return thread;
                }));
            }
            for (Future<?> f : futures) {
                f.get();
            }
            pool.shutdown();
            List<ObjectNode> stored = c.list("", "pods", "q");
            var used = c.get("", "resourcequotas", "q", "rq").path("status").path("used");
            assertThat(used.path("pods").asInt()).isEqualTo(stored.size()).isLessThanOrEqualTo(5);
            assertThat(io.kuberaft.kubeapi.Quantity.parse(used.path("requests.cpu").asText()).milliValue()).isEqualTo(300L * stored.size());
        } finally {
            delete(dir);
        }
    }

    private static void delete(Path dir) throws IOException {
        try (Stream<Path> files = Files.walk(dir)) {
            files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
    }
}
