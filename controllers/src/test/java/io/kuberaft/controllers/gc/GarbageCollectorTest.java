package io.kuberaft.controllers.gc;

import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.ConfigMapBuilder;
import io.fabric8.kubernetes.api.model.DeletionPropagation;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.OwnerReference;
import io.fabric8.kubernetes.api.model.OwnerReferenceBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.DeploymentBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.kuberaft.controllers.ApiFixture;
import io.kuberaft.controllers.ControllerOptions;
import io.kuberaft.controllers.deployment.DeploymentController;
import io.kuberaft.controllers.replicaset.ReplicaSetController;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import static io.kuberaft.controllers.ApiFixture.await;
import static org.assertj.core.api.Assertions.assertThat;

class GarbageCollectorTest {
    @TempDir
    Path tmp;
    ApiFixture api;
    KubernetesClient k;

    @BeforeEach
    void start() {
        api = new ApiFixture(tmp, ControllerOptions.defaults(), List.of(ReplicaSetController::replicaSets, DeploymentController::new,
                GarbageCollector::new));
        k = api.client();
    }

    @AfterEach
    void stop() {
        api.close();
    }

    private void deployment(String name, int replicas) {
        Deployment d = new DeploymentBuilder().withNewMetadata().withName(name).endMetadata()
                .withNewSpec().withReplicas(replicas).withNewSelector().withMatchLabels(Map.of("app", name)).endSelector()
                .withNewTemplate().withNewMetadata().withLabels(Map.of("app", name)).endMetadata()
                .withNewSpec().addNewContainer().withName("c").withImage("nginx").endContainer().endSpec()
                .endTemplate().endSpec().build();
        k.apps().deployments().inNamespace("default").resource(d).create();
        await(Duration.ofSeconds(30), name + ": " + replicas + " pods", () -> pods(name).size() == replicas);
    }

    private List<Pod> pods(String app) {
        return k.pods().inNamespace("default").withLabel("app", app).list().getItems();
    }

    private int replicaSets(String app) {
        return k.apps().replicaSets().inNamespace("default").withLabel("app", app).list().getItems().size();
    }

    @Test
    void backgroundDeletesTheOwnerAtOnceThenItsDependents() {
        deployment("bg", 2);
        k.apps().deployments().inNamespace("default").withName("bg").withPropagationPolicy(DeletionPropagation.BACKGROUND).delete();
        assertThat(k.apps().deployments().inNamespace("default").withName("bg").get()).isNull();
        await(Duration.ofSeconds(30), "RS and pods collected", () -> replicaSets("bg") == 0 && pods("bg").isEmpty());
    }

    @Test
    void foregroundKeepsTheOwnerUntilItsDependentsAreGone() {
        deployment("fg", 2);
        k.apps().deployments().inNamespace("default").withName("fg").withPropagationPolicy(DeletionPropagation.FOREGROUND).delete();
        Deployment marked = k.apps().deployments().inNamespace("default").withName("fg").get();
        assertThat(marked).isNotNull();
        assertThat(marked.getMetadata().getFinalizers()).contains("foregroundDeletion");
        await(Duration.ofSeconds(30), "deployment gone", () -> k.apps().deployments().inNamespace("default").withName("fg").get() == null);
        // it went last: nothing it owned (transitively) is left
        assertThat(replicaSets("fg")).isZero();
        assertThat(pods("fg")).isEmpty();
    }

    @Test
    void orphanRemovesTheReferencesAndKeepsTheDependents() {
        deployment("or", 2);
        k.apps().deployments().inNamespace("default").withName("or").withPropagationPolicy(DeletionPropagation.ORPHAN).delete();
        await(Duration.ofSeconds(30), "deployment gone", () -> k.apps().deployments().inNamespace("default").withName("or").get() == null);
        var rss = k.apps().replicaSets().inNamespace("default").withLabel("app", "or").list().getItems();
        assertThat(rss).hasSize(1);
        assertThat(rss.get(0).getMetadata().getOwnerReferences()).isNullOrEmpty();
        assertThat(pods("or")).hasSize(2); // still owned by their (kept) RS
    }

    @Test
    void anyKindThroughDiscoveryAndAnOwnerThatStillExistsKeepsItsDependent() {
        ConfigMap owner = k.configMaps().inNamespace("default").resource(new ConfigMapBuilder().withNewMetadata().withName("owner")
                .endMetadata().build()).create();
        ConfigMap other = k.configMaps().inNamespace("default").resource(new ConfigMapBuilder().withNewMetadata().withName("other")
                .endMetadata().build()).create();
        k.configMaps().inNamespace("default").resource(new ConfigMapBuilder().withNewMetadata().withName("dep")
                .withOwnerReferences(ref(owner), ref(other)).endMetadata().build()).create();
        k.configMaps().inNamespace("default").resource(new ConfigMapBuilder().withNewMetadata().withName("dep-only")
                .withOwnerReferences(ref(owner)).endMetadata().build()).create();
        k.configMaps().inNamespace("default").withName("owner").delete();
        await(Duration.ofSeconds(30), "dep-only collected; dep keeps only its live owner", () -> {
            ConfigMap dep = k.configMaps().inNamespace("default").withName("dep").get();
            return k.configMaps().inNamespace("default").withName("dep-only").get() == null && dep != null
                    && dep.getMetadata().getOwnerReferences().size() == 1
                    && dep.getMetadata().getOwnerReferences().get(0).getName().equals("other");
        });
        // a dependent whose owner never existed goes too
        k.configMaps().inNamespace("default").resource(new ConfigMapBuilder().withNewMetadata().withName("dangling")
                .withOwnerReferences(new OwnerReferenceBuilder().withApiVersion("v1").withKind("ConfigMap").withName("ghost")
                        .withUid("00000000-0000-0000-0000-000000000000").build()).endMetadata().build()).create();
        await(Duration.ofSeconds(30), "dangling collected", () -> k.configMaps().inNamespace("default").withName("dangling").get() == null);
    }

    private static OwnerReference ref(HasMetadata o) {
        return new OwnerReferenceBuilder().withApiVersion("v1").withKind("ConfigMap").withName(o.getMetadata().getName())
                .withUid(o.getMetadata().getUid()).build();
    }
}
