package io.kuberaft.apiserver.http;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.etcd.jetcd.api.CompactionRequest;
import io.kuberaft.apiserver.admission.Cluster;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.function.Predicate;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A watch that starts right at the compaction point: the first event's previous revision is gone.
 * Found by the chaos watch workload (chaos/ci-short.sh, seed 7, run watch_kill-leader+partition-leader+
 * pause-leader): a watcher resuming from 197 on a replica compacted at 198 got "ADDED" for revision 198
 * of a ConfigMap it already held at 197 (the replayed event had no previous value, which the API took
 * for an object newly matching the watch; a DELETED without one was silently dropped). Such a watch
 * now ends with 410 Expired and the client relists; one starting after the compaction point is served.
 */
class WatchCompactedTest {
    @TempDir
    Path dir;

    @Test
    void aWatchWhoseFirstPreviousRevisionIsCompactedExpiresInsteadOfSendingAdded() throws Exception {
        ScheduledExecutorService timers = Executors.newSingleThreadScheduledExecutor();
        try (Cluster c = new Cluster(dir)) {
            long r1 = rv(c.create("", "configmaps", "default", "metadata: {name: a}\ndata: {value: '1'}"));
            long r2 = rv(c.update("", "configmaps", "default", Cluster.yaml("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\ndata: {value: '2'}")));
            long r3 = rv(c.update("", "configmaps", "default", Cluster.yaml("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\ndata: {value: '3'}")));
            assertThat(r1).isLessThan(r2);
            c.kv.compact(CompactionRequest.newBuilder().setRevision(r3).build()).join(); // revision r2 is gone

            List<ObjectNode> fromR2 = watch(c, timers, r2);
            await(fromR2, e -> e.path("type").asText().equals("ERROR"));
            assertThat(fromR2).extracting(e -> e.path("type").asText()).containsExactly("ERROR");
            assertThat(fromR2.get(0).path("object").path("code").asInt()).isEqualTo(410);

            List<ObjectNode> fromR3 = watch(c, timers, r3);
            long r4 = rv(c.update("", "configmaps", "default", Cluster.yaml("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\ndata: {value: '4'}")));
            await(fromR3, e -> e.path("type").asText().equals("MODIFIED"));
            assertThat(fromR3).extracting(e -> e.path("type").asText() + "@" + e.path("object").path("metadata").path("resourceVersion").asText())
                    .containsExactly("MODIFIED@" + r4);
        } finally {
            timers.shutdownNow();
        }
    }

    private static List<ObjectNode> watch(Cluster c, ScheduledExecutorService timers, long from) {
        List<ObjectNode> got = new CopyOnWriteArrayList<>();
        new WatchHandler(c.store, timers, 60_000).start(c.def("", "configmaps"), "default",
                new ResourceHandler.Query(Map.of("watch", "1", "resourceVersion", String.valueOf(from))), "application/json",
                CollectingSink.trees(got));
        return got;
    }

    private static long rv(ObjectNode o) {
        return Long.parseLong(o.path("metadata").path("resourceVersion").asText());
    }

    private static void await(List<ObjectNode> got, Predicate<ObjectNode> p) throws InterruptedException {
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (got.stream().noneMatch(p)) {
            assertThat(System.nanoTime()).as("waited 10 s for an event; got %s", got).isLessThan(deadline);
            Thread.sleep(20);
        }
    }
}
