package io.kuberaft.apiserver.http;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.kuberaft.apiserver.admission.Cluster;
import io.kuberaft.apiserver.registry.Objects;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Every watcher of a replica is handed the same decode of an event (as upstream's watch cache: one decode, a filter
 * per watcher) and the object's JSON is encoded once for all of them; each watcher still gets its own event type
 * (selector transitions), the deletion's resourceVersion, and JSON equal to what Jackson writes for the event.
 */
class WatchSharedDecodeTest {
    @TempDir
    Path dir;

    @Test
    void watchersShareOneDecodeAndStillSeeTheirOwnEvents() throws Exception {
        ScheduledExecutorService timers = Executors.newSingleThreadScheduledExecutor();
        try (Cluster c = new Cluster(dir)) {
            long from = rv(c.get("", "namespaces", null, "default"));
            List<WatchEvent> all = watch(c, timers, from, Map.of(), "application/json");
            List<WatchEvent> blue = watch(c, timers, from, Map.of("labelSelector", "color=blue"), "application/json");
            List<WatchEvent> table = watch(c, timers, from, Map.of(), "application/json;as=Table;v=v1;g=meta.k8s.io");

            long r1 = rv(c.create("", "configmaps", "default", "metadata: {name: a, labels: {color: red}}\ndata: {k: '1'}"));
            long r2 = rv(c.update("", "configmaps", "default", Cluster.yaml(
                    "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a, labels: {color: blue}}\ndata: {k: '2'}")));
            c.delete("", "configmaps", "default", "a");
            await(all, 3);
            await(blue, 2);
            await(table, 3);

            assertThat(all).extracting(e -> e.type() + "@" + rv(e.object())).containsExactly("ADDED@" + r1, "MODIFIED@" + r2,
                    "DELETED@" + (r2 + 1));
            // red to blue is where this watch's selector starts to match: ADDED, with the object of every other watcher
            assertThat(blue).extracting(e -> e.type() + "@" + rv(e.object())).containsExactly("ADDED@" + r2, "DELETED@" + (r2 + 1));
            assertThat(blue.get(0).shared()).isSameAs(all.get(1).shared());
            assertThat(blue.get(1).shared()).isSameAs(all.get(2).shared());
            assertThat(blue.get(1).object().path("data").path("k").asText()).isEqualTo("2");

            // Each event's JSON is the event itself; a Table watch gets its own rows.
            for (WatchEvent e : all) {
                assertThat(Objects.JSON.readTree(e.json())).isEqualTo(e.node());
            }
            assertThat(table).extracting(e -> e.object().path("kind").asText()).containsOnly("Table");
            assertThat(table).extracting(WatchEvent::shared).containsOnlyNulls();
            JsonNode deletedRow = Objects.JSON.readTree(table.get(2).json()).path("object").path("rows").path(0);
            assertThat(deletedRow.path("object").path("metadata").path("resourceVersion").asText()).isEqualTo(String.valueOf(r2 + 1));
        } finally {
            timers.shutdownNow();
        }
    }

    private static List<WatchEvent> watch(Cluster c, ScheduledExecutorService timers, long from, Map<String, String> params, String accept) {
        List<WatchEvent> got = new CopyOnWriteArrayList<>();
        Map<String, String> q = new java.util.HashMap<>(params);
        q.put("watch", "1");
        q.put("resourceVersion", String.valueOf(from));
        new WatchHandler(c.store, timers, 60_000).start(c.def("", "configmaps"), "default", new ResourceHandler.Query(q), accept,
                CollectingSink.events(got));
        return got;
    }

    private static void await(List<WatchEvent> got, int n) throws InterruptedException {
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (got.size() < n) {
            assertThat(System.nanoTime()).as("waited 10 s for %d events; got %s", n, got).isLessThan(deadline);
            Thread.sleep(20);
        }
    }

    private static long rv(ObjectNode o) {
        return Long.parseLong(o.path("metadata").path("resourceVersion").asText());
    }
}
