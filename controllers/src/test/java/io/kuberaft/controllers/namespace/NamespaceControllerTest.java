package io.kuberaft.controllers.namespace;

import io.fabric8.kubernetes.api.model.ConfigMapBuilder;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.kuberaft.controllers.ApiFixture;
import io.kuberaft.controllers.ControllerOptions;
import io.kuberaft.controllers.serviceaccount.ServiceAccountController;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import static io.kuberaft.controllers.ApiFixture.await;
import static org.assertj.core.api.Assertions.assertThat;

class NamespaceControllerTest {
    @TempDir
    Path tmp;
    ApiFixture api;
    KubernetesClient k;

    @BeforeEach
    void start() {
        api = new ApiFixture(tmp, ControllerOptions.defaults(), List.of(NamespaceController::new, ServiceAccountController::new));
        k = api.client();
    }

    @AfterEach
    void stop() {
        api.close();
    }

    @Test
    void everyNamespaceGetsADefaultServiceAccountBackAfterDeletion() {
        k.namespaces().resource(new NamespaceBuilder().withNewMetadata().withName("team-a").endMetadata().build()).create();
        await(Duration.ofSeconds(20), "default SA in team-a",
                () -> k.serviceAccounts().inNamespace("team-a").withName("default").get() != null);
        k.serviceAccounts().inNamespace("team-a").withName("default").delete();
        await(Duration.ofSeconds(20), "default SA recreated",
                () -> k.serviceAccounts().inNamespace("team-a").withName("default").get() != null);
    }

    @Test
    void deletingANamespaceDeletesItsContentThenTheNamespace() {
        k.namespaces().resource(new NamespaceBuilder().withNewMetadata().withName("doomed").endMetadata().build()).create();
        k.configMaps().inNamespace("doomed").resource(new ConfigMapBuilder().withNewMetadata().withName("cfg").endMetadata()
                .addToData("a", "1").build()).create();
        k.secrets().inNamespace("doomed").resource(new SecretBuilder().withNewMetadata().withName("s").endMetadata()
                .addToStringData("p", "x").build()).create();
        k.pods().inNamespace("doomed").resource(new PodBuilder().withNewMetadata().withName("p").endMetadata()
                .withNewSpec().addNewContainer().withName("c").withImage("nginx").endContainer().endSpec().build()).create();
        // a keeper in another namespace must survive
        k.configMaps().inNamespace("default").resource(new ConfigMapBuilder().withNewMetadata().withName("keep").endMetadata().build()).create();

        k.namespaces().withName("doomed").delete();
        assertThat(k.namespaces().withName("doomed").get().getStatus().getPhase()).isEqualTo("Terminating");
        await(Duration.ofSeconds(30), "namespace doomed gone", () -> k.namespaces().withName("doomed").get() == null);

        assertThat(k.configMaps().inNamespace("doomed").list().getItems()).isEmpty();
        assertThat(k.secrets().inNamespace("doomed").list().getItems()).isEmpty();
        assertThat(k.pods().inNamespace("doomed").list().getItems()).isEmpty();
        assertThat(k.configMaps().inNamespace("default").withName("keep").get()).isNotNull();
    }

    /** As upstream's namespace deleter: one deletecollection per resource, not one delete request per object. */
    @Test
    void theContentGoesWithOneDeleteCollectionPerResource() {
        k.namespaces().resource(new NamespaceBuilder().withNewMetadata().withName("bulk").endMetadata().build()).create();
        for (int i = 0; i < 40; i++) {
            k.configMaps().inNamespace("bulk").resource(new ConfigMapBuilder().withNewMetadata().withName("cm-" + i).endMetadata()
                    .addToData("i", String.valueOf(i)).build()).create();
        }
        k.namespaces().withName("bulk").delete();
        await(Duration.ofSeconds(30), "namespace bulk gone", () -> k.namespaces().withName("bulk").get() == null);

        assertThat(requests("DELETECOLLECTION", "configmaps")).isGreaterThanOrEqualTo(1).isLessThan(5);
        assertThat(requests("DELETE", "configmaps")).isZero();
    }

    private double requests(String verb, String resource) {
        return api.meters().find("apiserver_request_total").tags("verb", verb, "resource", resource).counters().stream()
                .mapToDouble(io.micrometer.core.instrument.Counter::count).sum();
    }

    @Test
    void aNamespaceWaitsForContentWithFinalizersAndSaysSo() {
        k.namespaces().resource(new NamespaceBuilder().withNewMetadata().withName("slow").endMetadata().build()).create();
        k.configMaps().inNamespace("slow").resource(new ConfigMapBuilder().withNewMetadata().withName("held")
                .withFinalizers("example.com/hold").endMetadata().build()).create();
        k.namespaces().withName("slow").delete();
        await(Duration.ofSeconds(20), "NamespaceFinalizersRemaining condition", () -> {
            var ns = k.namespaces().withName("slow").get();
            return ns.getStatus().getConditions() != null && ns.getStatus().getConditions().stream()
                    .anyMatch(c -> c.getType().equals("NamespaceFinalizersRemaining") && c.getStatus().equals("True")
                            && c.getMessage().contains("example.com/hold in 1 resource instances"));
        });
        assertThat(k.namespaces().withName("slow").get()).isNotNull();
        k.configMaps().inNamespace("slow").withName("held").edit(cm -> {
            cm.getMetadata().setFinalizers(List.of());
            return cm;
        });
        await(Duration.ofSeconds(30), "namespace slow gone", () -> k.namespaces().withName("slow").get() == null);
    }
}
