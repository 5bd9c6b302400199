package io.kuberaft.controllers.deployment;

import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.DeploymentStrategyBuilder;
import io.fabric8.kubernetes.api.model.apps.ReplicaSet;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.Watch;
import io.fabric8.kubernetes.client.Watcher;
import io.fabric8.kubernetes.client.WatcherException;
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
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;

import static io.kuberaft.controllers.ApiFixture.await;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The Deployment controller alone, the test playing a ReplicaSet controller that is slow to report: the
 * status of an old ReplicaSet still counts the pods its spec has already shed. Under load this is the
 * normal state for a moment after every scale-down; it must never read as "more unhealthy replicas to
 * clean up than there are" and scale the old ReplicaSet back up (found by the rolling-update census
 * on CI: 6 pods live with replicas 4 and maxSurge 1).
 */
class LaggingReplicaSetStatusTest {
    @TempDir
    Path tmp;
    ApiFixture api;
    KubernetesClient k;

    @BeforeEach
    void start() {
        api = new ApiFixture(tmp, ControllerOptions.defaults(), List.of(DeploymentController::new));
        k = api.client();
    }

    @AfterEach
    void stop() {
        api.close();
    }

    private Optional<ReplicaSet> replicaSet(String image) {
        return k.apps().replicaSets().inNamespace("default").list().getItems().stream()
                .filter(rs -> rs.getSpec().getTemplate().getSpec().getContainers().get(0).getImage().equals(image)).findFirst();
    }

    private int spec(String name) {
        return k.apps().replicaSets().inNamespace("default").withName(name).get().getSpec().getReplicas();
    }

    /** What a ReplicaSet controller writes once it has {@code available} ready pods (however many its spec asks for). */
    private void reportAvailable(String name, int available) {
        k.apps().replicaSets().inNamespace("default").withName(name).subresource("status").patch(PatchContext.of(PatchType.JSON_MERGE),
                "{\"status\":{\"replicas\":" + available + ",\"fullyLabeledReplicas\":" + available + ",\"readyReplicas\":" + available
                        + ",\"availableReplicas\":" + available + "}}");
    }

    @Test
    void anOldReplicaSetWhoseStatusLagsItsScaleDownIsNeverScaledBackUp() {
        Deployment d = DeploymentControllerTest.deployment("web", 4, "nginx:1");
        d.getSpec().setStrategy(new DeploymentStrategyBuilder().withType("RollingUpdate")
                .withNewRollingUpdate().withMaxSurge(new IntOrString(1)).withMaxUnavailable(new IntOrString(1)).endRollingUpdate().build());
        k.apps().deployments().inNamespace("default").resource(d).create();
        await(Duration.ofSeconds(20), "the first ReplicaSet at 4", () -> replicaSet("nginx:1").map(rs -> rs.getSpec().getReplicas() == 4).orElse(false));
        String old = replicaSet("nginx:1").orElseThrow().getMetadata().getName();
        reportAvailable(old, 4);

        List<Integer> oldSpecs = new CopyOnWriteArrayList<>();
        var list = k.apps().replicaSets().inNamespace("default").withField("metadata.name", old).list();
        try (Watch ignored = k.apps().replicaSets().inNamespace("default").withField("metadata.name", old)
                .watch(new io.fabric8.kubernetes.api.model.ListOptionsBuilder().withResourceVersion(list.getMetadata().getResourceVersion()).build(),
                        new Watcher<>() {
                            @Override
                            public void eventReceived(Action action, ReplicaSet rs) {
                                oldSpecs.add(rs.getSpec().getReplicas());
                            }

                            @Override
                            public void onClose(WatcherException cause) {
                            }
                        })) {
            k.apps().deployments().inNamespace("default").withName("web").patch(PatchContext.of(PatchType.STRATEGIC_MERGE),
                    "{\"spec\":{\"template\":{\"spec\":{\"containers\":[{\"name\":\"c\",\"image\":\"nginx:2\"}]}}}}");
            // the surge pod, and one old replica given up for maxUnavailable; the old status still says 4 available
            await(Duration.ofSeconds(20), "new at 1, old at 3", () -> replicaSet("nginx:2").map(rs -> rs.getSpec().getReplicas() == 1).orElse(false)
                    && spec(old) == 3);
            String neu = replicaSet("nginx:2").orElseThrow().getMetadata().getName();
            // the new pod is available: availability (4 + 1 counted) allows scaling the old one further down
            reportAvailable(neu, 1);
            await(Duration.ofSeconds(20), "old scaled below 3", () -> spec(old) < 3);
            // of the old 4 "available" only the 3 its spec keeps stay: 3 + 1 new allow one more down, not two
            assertThat(spec(old)).as("replicas - maxUnavailable = 3 stay available: 2 old + 1 new").isEqualTo(2);
            await(Duration.ofSeconds(5), "the watch caught up", () -> oldSpecs.contains(spec(old)));
            assertThat(oldSpecs).as("the old ReplicaSet's spec.replicas, event by event").isSortedAccordingTo((a, b) -> Integer.compare(b, a));
        }
        assertThat(k.v1().events().inNamespace("default").list().getItems().stream().map(e -> e.getMessage()))
                .filteredOn(m -> m.startsWith("Scaled up replica set " + old)).containsExactly("Scaled up replica set " + old + " from 0 to 4");
    }
}
