package io.kuberaft.apiserver.http;

import com.fasterxml.jackson.databind.node.ObjectNode;
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
 * A watch resumed from a resourceVersion this replica has not applied yet (the client saw it through
 * another replica, or the list it resumes from was answered before this replica published it): its
 * bookmarks must not report a revision below the one it resumed from. A lower one sends client-go's
 * reflector back in time: it resumes from it on the next watch and gets the events in between again.
 */
class WatchBookmarkTest {
    @TempDir
    Path dir;

    @Test
    void bookmarksNeverGoBehindTheResourceVersionTheWatchResumedFrom() throws Exception {
        ScheduledExecutorService timers = Executors.newSingleThreadScheduledExecutor();
        try (Cluster c = new Cluster(dir)) {
            ObjectNode cm = c.create("", "configmaps", "default", "metadata: {name: a}\ndata: {value: '0'}");
            long applied = Long.parseLong(cm.path("metadata").path("resourceVersion").asText());
            long from = applied + 3; // written, and seen by the client elsewhere; not applied here yet
            List<ObjectNode> got = new CopyOnWriteArrayList<>();
            new WatchHandler(c.store, timers, 60_000).start(c.def("", "configmaps"), "default",
                    new ResourceHandler.Query(Map.of("watch", "1", "resourceVersion", String.valueOf(from), "allowWatchBookmarks", "true")),
                    "application/json", CollectingSink.trees(got));
            await(got, e -> e.path("type").asText().equals("BOOKMARK"));
            assertThat(rv(got.get(0))).as("the first bookmark").isGreaterThanOrEqualTo(from);

            // this replica catches up: revisions applied+1 .. applied+4; only the one after `from` is an event
            for (int i = 1; i <= 4; i++) {
                cm = c.update("", "configmaps", "default", Cluster.yaml("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\ndata: {value: '" + i + "'}"));
            }
            long last = Long.parseLong(cm.path("metadata").path("resourceVersion").asText());
            assertThat(last).isGreaterThan(from);
            await(got, e -> rv(e) == last);
            assertThat(got).filteredOn(e -> !e.path("type").asText().equals("BOOKMARK")).extracting(WatchBookmarkTest::rv)
                    .allSatisfy(r -> assertThat(r).isGreaterThan(from));
        } finally {
            timers.shutdownNow();
        }
    }

    private static long rv(ObjectNode event) {
        return Long.parseLong(event.path("object").path("metadata").path("resourceVersion").asText());
    }

    private static void await(List<ObjectNode> got, Predicate<ObjectNode> p) throws InterruptedException {
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (got.stream().noneMatch(p)) {
            assertThat(System.nanoTime()).as("waited 10 s for an event; got %s", got).isLessThan(deadline);
            Thread.sleep(20);
        }
    }
}
