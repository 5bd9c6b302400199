package io.kuberaft.controllers;

import io.fabric8.kubernetes.api.model.ConfigMapBuilder;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.kuberaft.controllers.runtime.LeaderSession;
import io.kuberaft.controllers.serviceaccount.ServiceAccountController;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import static io.kuberaft.controllers.ApiFixture.await;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** ARCHITECTURE.md decision 5 through the API: a term's client cannot write once the store has moved on. */
class FenceTest {
    @TempDir
    Path tmp;

    @Test
    void writesOfAnOldTermAreRefusedAndTheNewTermsControllersTakeOver() {
        try (ApiFixture api = new ApiFixture(tmp, ControllerOptions.defaults(), List.of(ServiceAccountController::new));
             KubernetesClient term1 = LeaderSession.client(api.url(), "", 1)) {
            KubernetesClient k = api.client();
            term1.configMaps().inNamespace("default").resource(new ConfigMapBuilder().withNewMetadata().withName("t1").endMetadata().build()).create();

            api.store().setTerm(2); // a new leader was elected
            assertThatThrownBy(() -> term1.configMaps().inNamespace("default")
                    .resource(new ConfigMapBuilder().withNewMetadata().withName("late").endMetadata().build()).create())
                    .isInstanceOfSatisfying(KubernetesClientException.class, e -> {
                        assertThat(e.getCode()).isEqualTo(409);
                        assertThat(e.getMessage()).contains("fenced write refused");
                    });
            assertThat(k.configMaps().inNamespace("default").withName("late").get()).isNull();

            // the term-1 controllers are now powerless: a new namespace gets no default SA from them ...
            k.namespaces().resource(new NamespaceBuilder().withNewMetadata().withName("after").endMetadata().build()).create();
            // ... until this replica's controllers start in term 2
            api.manager().onLeaderReady(2);
            await(Duration.ofSeconds(20), "default SA from the term-2 controllers",
                    () -> k.serviceAccounts().inNamespace("after").withName("default").get() != null);
            assertThat(api.manager().activeTerm()).isEqualTo(2);
        }
    }

    @Test
    void aMalformedFenceHeaderIsABadRequest() throws Exception {
        try (ApiFixture api = new ApiFixture(tmp, ControllerOptions.defaults(), List.of())) {
            var http = java.net.http.HttpClient.newHttpClient();
            var resp = http.send(java.net.http.HttpRequest.newBuilder(java.net.URI.create(api.url() + "/api/v1/namespaces/default/configmaps"))
                    .header("X-Kuberaft-Fence-Term", "soon").header("Content-Type", "application/json")
                    .POST(java.net.http.HttpRequest.BodyPublishers.ofString("{\"metadata\":{\"name\":\"x\"}}")).build(),
                    java.net.http.HttpResponse.BodyHandlers.ofString());
            assertThat(resp.statusCode()).isEqualTo(400);
            assertThat(resp.body()).contains("\"reason\":\"BadRequest\"").contains("X-Kuberaft-Fence-Term must be a positive integer");
            assertThat(api.client().configMaps().inNamespace("default").withName("x").get()).isNull();
        }
    }
}
