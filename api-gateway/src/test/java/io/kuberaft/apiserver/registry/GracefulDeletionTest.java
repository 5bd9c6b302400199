package io.kuberaft.apiserver.registry;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.kuberaft.apiserver.admission.Cluster;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Instant;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Upstream's BeforeDelete for an object already being deleted: a later delete may only shorten its grace period.
 * The kubelet's final delete (grace 0) of a pod a finalizer holds leaves it with grace 0, so removing the finalizer
 * then deletes it; a longer grace period changes nothing.
 */
class GracefulDeletionTest {
    @TempDir
    Path dir;

    @Test
    void aFinalDeleteShortensTheGracePeriodAndTheLastFinalizerThenRemovesThePod() throws Exception {
        try (Cluster c = new Cluster(dir)) {
            var pods = c.def("", "pods");
            c.create("", "pods", "default", "metadata: {name: held, finalizers: [example.com/hold]}\n"
                    + "spec: {nodeName: n1, containers: [{name: app, image: nginx}]}");
            c.api.delete(pods, "default", "held", 0, null, 30L, null, GenericRegistry.WriteOptions.DEFAULT);
            ObjectNode marked = c.get("", "pods", "default", "held");
            Instant first = Instant.parse(marked.path("metadata").path("deletionTimestamp").asText());
            assertThat(marked.path("metadata").path("deletionGracePeriodSeconds").asLong()).isEqualTo(30);

            c.api.delete(pods, "default", "held", 0, null, 60L, null, GenericRegistry.WriteOptions.DEFAULT);
            assertThat(c.get("", "pods", "default", "held").path("metadata").path("deletionGracePeriodSeconds").asLong())
                    .as("never lengthened").isEqualTo(30);

            c.api.delete(pods, "default", "held", 0, null, 0L, null, GenericRegistry.WriteOptions.DEFAULT);
            ObjectNode last = c.get("", "pods", "default", "held");
            assertThat(last.path("metadata").path("deletionGracePeriodSeconds").asLong()).isZero();
            assertThat(Instant.parse(last.path("metadata").path("deletionTimestamp").asText())).isEqualTo(first.minusSeconds(30));

            ObjectNode released = last.deepCopy();
            ((ObjectNode) released.get("metadata")).putArray("finalizers");
            c.api.update(pods, "default", "held", released, GenericRegistry.WriteOptions.DEFAULT);
            assertThat(c.store.getOrNull(pods, "default", "held", io.kuberaft.raftstore.ReadConsistency.LINEARIZABLE)).isNull();
        }
    }
}
