package io.kuberaft.controllers.disruption;

import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.OwnerReference;
import io.fabric8.kubernetes.api.model.apps.ReplicaSet;
import io.fabric8.kubernetes.api.model.apps.ReplicaSetBuilder;
import io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudget;
import io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudgetBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.kuberaft.controllers.ApiFixture;
import io.kuberaft.controllers.ControllerOptions;
import io.kuberaft.controllers.runtime.ControllerRefs;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import static io.kuberaft.controllers.ApiFixture.await;
import static io.kuberaft.controllers.TestPods.pod;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class DisruptionControllerTest {
    @TempDir
    Path tmp;
    ApiFixture api;
    KubernetesClient k;

    @BeforeEach
    void start() {
        api = new ApiFixture(tmp, ControllerOptions.defaults(), List.of(DisruptionController::new));
        k = api.client();
    }

    @AfterEach
    void stop() {
        api.close();
    }

    private PodDisruptionBudget pdb(String name) {
        return k.policy().v1().podDisruptionBudget().inNamespace("default").withName(name).get();
    }

    private boolean status(String name, int expected, int desired, int healthy, int allowed) {
        var s = pdb(name).getStatus();
        return s != null && s.getExpectedPods() != null && s.getExpectedPods() == expected && s.getDesiredHealthy() == desired
                && s.getCurrentHealthy() == healthy && s.getDisruptionsAllowed() == allowed;
    }

    private OwnerReference replicaSet(String name, int replicas) {
        ReplicaSet rs = k.apps().replicaSets().inNamespace("default").resource(new ReplicaSetBuilder().withNewMetadata().withName(name)
                .endMetadata().withNewSpec().withReplicas(replicas).withNewSelector().addToMatchLabels("app", name).endSelector()
                .withNewTemplate().withNewMetadata().addToLabels("app", name).endMetadata().withNewSpec().addNewContainer().withName("c")
                .withImage("nginx").endContainer().endSpec().endTemplate().endSpec().build()).create();
        return ControllerRefs.controllerRef(rs);
    }

    @Test
    void drainSequenceFirstEvictionAllowedSecondRefusedUntilTheReplacementIsReady() {
        OwnerReference rs = replicaSet("web", 3);
        for (int i = 0; i < 3; i++) {
            pod(k, "web-" + i, Map.of("app", "web"), null, 0, "10.0.0." + (i + 1), true, rs);
        }
        k.policy().v1().podDisruptionBudget().inNamespace("default").resource(new PodDisruptionBudgetBuilder().withNewMetadata()
                .withName("web-pdb").endMetadata().withNewSpec().withMaxUnavailable(new IntOrString(1))
                .withNewSelector().addToMatchLabels("app", "web").endSelector().endSpec().build()).create();
        await(Duration.ofSeconds(20), "status 3/2/3/1", () -> status("web-pdb", 3, 2, 3, 1));
        var st = pdb("web-pdb").getStatus();
        assertThat(st.getObservedGeneration()).isEqualTo(1L);
        assertThat(st.getConditions()).singleElement().satisfies(c -> {
            assertThat(c.getType()).isEqualTo("DisruptionAllowed");
            assertThat(c.getStatus()).isEqualTo("True");
            assertThat(c.getReason()).isEqualTo("SufficientPods");
        });

        assertThat(k.pods().inNamespace("default").withName("web-0").evict()).as("first eviction 201").isTrue();
        assertThat(k.pods().inNamespace("default").withName("web-1").evict()).as("second eviction 429").isFalse();
        // web-0 terminates (grace period): 2 healthy of 2 desired, its disruptedPods entry dropped
        await(Duration.ofSeconds(20), "status 3/2/2/0", () -> status("web-pdb", 3, 2, 2, 0)
                && (pdb("web-pdb").getStatus().getDisruptedPods() == null || pdb("web-pdb").getStatus().getDisruptedPods().isEmpty()));
        assertThat(pdb("web-pdb").getStatus().getConditions().get(0).getReason()).isEqualTo("InsufficientPods");
        assertThat(k.pods().inNamespace("default").withName("web-1").evict()).as("still 429").isFalse();

        // the kubelet finishes web-0; the ReplicaSet's replacement becomes ready
        k.pods().inNamespace("default").withName("web-0").withGracePeriod(0).delete();
        pod(k, "web-3", Map.of("app", "web"), null, 0, "10.0.0.4", true, rs);
        await(Duration.ofSeconds(20), "status 3/2/3/1 again", () -> status("web-pdb", 3, 2, 3, 1));
        assertThat(k.pods().inNamespace("default").withName("web-1").evict()).as("third eviction 201").isTrue();
    }

    @Test
    void percentagesAndIntegerMinAvailableAndSeveralBudgets() {
        OwnerReference rs = replicaSet("api", 4);
        for (int i = 0; i < 3; i++) {
            pod(k, "api-" + i, Map.of("app", "api"), null, 0, "10.0.1." + (i + 1), i < 2, rs);
        }
        k.policy().v1().podDisruptionBudget().inNamespace("default").resource(new PodDisruptionBudgetBuilder().withNewMetadata()
                .withName("pct").endMetadata().withNewSpec().withMinAvailable(new IntOrString("30%"))
                .withNewSelector().addToMatchLabels("app", "api").endSelector().endSpec().build()).create();
        // expected = RS scale 4, desired = ceil(30% of 4) = 2, healthy = 2 ready pods
        await(Duration.ofSeconds(20), "pct 4/2/2/0", () -> status("pct", 4, 2, 2, 0));
        k.policy().v1().podDisruptionBudget().inNamespace("default").resource(new PodDisruptionBudgetBuilder().withNewMetadata()
                .withName("int").endMetadata().withNewSpec().withMinAvailable(new IntOrString(1))
                .withNewSelector().addToMatchLabels("app", "api").endSelector().endSpec().build()).create();
        // integer minAvailable: expected = the pods selected
        await(Duration.ofSeconds(20), "int 3/1/2/1", () -> status("int", 3, 1, 2, 1));
        assertThatThrownBy(() -> k.pods().inNamespace("default").withName("api-0").evict())
                .isInstanceOfSatisfying(KubernetesClientException.class, e -> assertThat(e.getCode()).isEqualTo(500));
    }
}
