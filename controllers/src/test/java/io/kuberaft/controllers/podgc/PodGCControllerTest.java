package io.kuberaft.controllers.podgc;

import io.fabric8.kubernetes.api.model.NodeBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.TaintBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import io.kuberaft.controllers.ApiFixture;
import io.kuberaft.controllers.ControllerOptions;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;

import static io.kuberaft.controllers.ApiFixture.await;
import static org.assertj.core.api.Assertions.assertThat;

class PodGCControllerTest {
    @TempDir
    Path tmp;
    ApiFixture api;
    KubernetesClient k;

    @BeforeEach
    void start() {
        ControllerOptions o = ControllerOptions.defaults().toBuilder().terminatedPodGcThreshold(2).build();
        api = new ApiFixture(tmp, o, List.of(() -> new PodGCController(Duration.ofMillis(300), Duration.ofSeconds(1))));
        k = api.client();
    }

    @AfterEach
    void stop() {
        api.close();
    }

    private void pod(String name, String node) {
        k.pods().inNamespace("default").resource(new PodBuilder().withNewMetadata().withName(name).endMetadata()
                .withNewSpec().withNodeName(node).addNewContainer().withName("c").withImage("nginx").endContainer().endSpec().build()).create();
    }

    private boolean gone(String name) {
        return k.pods().inNamespace("default").withName(name).get() == null;
    }

    @Test
    void podsOfAVanishedNodeGoAfterTheQuarantine() {
        k.nodes().resource(new NodeBuilder().withNewMetadata().withName("real").endMetadata().build()).create();
        pod("orphan", "ghost");
        pod("fine", "real");
        Instant t0 = Instant.now();
        await(Duration.ofSeconds(10), "orphan deleted", () -> gone("orphan"));
        assertThat(Duration.between(t0, Instant.now())).isGreaterThanOrEqualTo(Duration.ofMillis(900));
        assertThat(gone("fine")).isFalse();
    }

    @Test
    void terminatedPodsAboveTheThresholdGoOldestFirst() {
        k.nodes().resource(new NodeBuilder().withNewMetadata().withName("n").endMetadata().build()).create();
        for (int i = 1; i <= 4; i++) {
            pod("done-" + i, "n");
            k.pods().inNamespace("default").withName("done-" + i).subresource("status")
                    .patch(PatchContext.of(PatchType.JSON_MERGE), "{\"status\":{\"phase\":\"Succeeded\"}}");
        }
        pod("running", "n");
        await(Duration.ofSeconds(10), "two oldest terminated pods deleted", () -> gone("done-1") && gone("done-2"));
        assertThat(gone("done-3") || gone("done-4") || gone("running")).isFalse();
    }

    @Test
    void terminatingPodsOnAnOutOfServiceNodeAreForceDeleted() {
        k.nodes().resource(new NodeBuilder().withNewMetadata().withName("down").endMetadata().withNewSpec()
                .withTaints(new TaintBuilder().withKey(PodGCController.OUT_OF_SERVICE).withValue("nodeshutdown").withEffect("NoExecute").build())
                .endSpec().withNewStatus().addNewCondition().withType("Ready").withStatus("False").endCondition().endStatus().build()).create();
        pod("stuck", "down");
        k.pods().inNamespace("default").withName("stuck").delete();
        Pod p = k.pods().inNamespace("default").withName("stuck").get();
        assertThat(p == null || p.getMetadata().getDeletionTimestamp() != null).isTrue();
        await(Duration.ofSeconds(10), "stuck force-deleted", () -> gone("stuck"));
    }
}
