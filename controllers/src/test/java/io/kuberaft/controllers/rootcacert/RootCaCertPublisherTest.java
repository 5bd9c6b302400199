package io.kuberaft.controllers.rootcacert;

import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.kuberaft.controllers.ApiFixture;
import io.kuberaft.controllers.ControllerOptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import static io.kuberaft.controllers.ApiFixture.await;
import static org.assertj.core.api.Assertions.assertThat;

class RootCaCertPublisherTest {
    static final String PEM = "-----BEGIN CERTIFICATE-----\nMIIBdummy\n-----END CERTIFICATE-----\n";
    @TempDir
    Path tmp;

    private static ConfigMap cm(KubernetesClient k, String ns) {
        return k.configMaps().inNamespace(ns).withName(RootCaCertPublisher.NAME).get();
    }

    @Test
    void everyNamespaceGetsTheCaBundleBackAfterDeletionOrEdit() {
        try (ApiFixture api = new ApiFixture(tmp, ControllerOptions.defaults().withRootCaPem(PEM), List.of(RootCaCertPublisher::new))) {
            KubernetesClient k = api.client();
            await(Duration.ofSeconds(20), "kube-root-ca.crt in default and kube-system",
                    () -> cm(k, "default") != null && cm(k, "kube-system") != null);
            assertThat(cm(k, "default").getData()).containsExactly(java.util.Map.entry("ca.crt", PEM));
            assertThat(cm(k, "default").getMetadata().getAnnotations()).containsKey("kubernetes.io/description");
            k.namespaces().resource(new NamespaceBuilder().withNewMetadata().withName("team").endMetadata().build()).create();
            await(Duration.ofSeconds(20), "in a new namespace", () -> cm(k, "team") != null);
            k.configMaps().inNamespace("team").withName(RootCaCertPublisher.NAME).edit(c -> {
                c.getData().put("ca.crt", "tampered");
                return c;
            });
            await(Duration.ofSeconds(20), "restored", () -> PEM.equals(cm(k, "team").getData().get("ca.crt")));
            k.configMaps().inNamespace("team").withName(RootCaCertPublisher.NAME).delete();
            await(Duration.ofSeconds(20), "recreated", () -> cm(k, "team") != null);
        }
    }

    @Test
    void withoutACaAnEmptyBundleIsPublishedForThePodsServiceAccountVolumes() {
        try (ApiFixture api = new ApiFixture(tmp, ControllerOptions.defaults(), List.of(RootCaCertPublisher::new))) {
            KubernetesClient k = api.client();
            await(Duration.ofSeconds(20), "kube-root-ca.crt in default", () -> cm(k, "default") != null);
            assertThat(cm(k, "default").getData()).isEqualTo(java.util.Map.of("ca.crt", ""));
        }
    }
}
