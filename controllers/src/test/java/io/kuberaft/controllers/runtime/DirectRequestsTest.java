package io.kuberaft.controllers.runtime;

import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import io.kuberaft.controllers.ApiFixture;
import io.kuberaft.controllers.ControllerOptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * A controller's status patch is one PATCH (fabric8's own patch GETs first), fenced like every request of its client;
 * a GET of any version (resourceVersion=0) answers the object or 404.
 */
class DirectRequestsTest {
    @TempDir
    Path tmp;

    private static double requests(ApiFixture api, String verb) {
        return api.meters().find("apiserver_request_total").tags("verb", verb, "resource", "pods").counters().stream()
                .mapToDouble(c -> c.count()).sum();
    }

    @Test
    void aPatchIsOneRequestAndTheServersRefusalsComeBackAsTheirStatus() {
        try (ApiFixture api = new ApiFixture(tmp, ControllerOptions.defaults(), List.of());
             KubernetesClient term1 = LeaderSession.client(api.url(), "", 1)) {
            api.client().pods().inNamespace("default").resource(new PodBuilder().withNewMetadata().withName("web").endMetadata()
                    .withNewSpec().addNewContainer().withName("c").withImage("nginx").endContainer().endSpec().build()).create();
            double gets = requests(api, "GET");
            double patches = requests(api, "PATCH");

            Pod patched = DirectRequests.patch(term1, term1.pods().inNamespace("default").withName("web").subresource("status"),
                    PatchType.STRATEGIC_MERGE, "{\"status\":{\"conditions\":[{\"type\":\"PodScheduled\",\"status\":\"False\","
                            + "\"reason\":\"Unschedulable\"}]}}", Pod.class);
            assertThat(patched.getStatus().getConditions()).anyMatch(c -> c.getType().equals("PodScheduled") && c.getReason().equals("Unschedulable"));
            assertThat(requests(api, "PATCH") - patches).isEqualTo(1);
            assertThat(requests(api, "GET") - gets).as("no GET before the PATCH").isZero();

            assertThatThrownBy(() -> DirectRequests.patch(term1, term1.pods().inNamespace("default").withName("nope").subresource("status"),
                    PatchType.JSON_MERGE, "{\"status\":{\"phase\":\"Failed\"}}", null))
                    .isInstanceOfSatisfying(KubernetesClientException.class, e -> {
                        assertThat(e.getCode()).isEqualTo(404);
                        assertThat(e.getStatus().getMessage()).isEqualTo("pods \"nope\" not found");
                    });
            assertThatThrownBy(() -> DirectRequests.patch(term1, term1.pods().inNamespace("default").withName("web"), PatchType.JSON,
                    "{not json", null))
                    .isInstanceOfSatisfying(KubernetesClientException.class, e -> assertThat(e.getCode()).isEqualTo(400));

            assertThat(DirectRequests.getAnyVersion(term1, term1.pods().inNamespace("default").withName("web"), Pod.class)
                    .getStatus().getConditions()).anyMatch(c -> c.getReason().equals("Unschedulable"));
            assertThatThrownBy(() -> DirectRequests.getAnyVersion(term1, term1.pods().inNamespace("default").withName("nope"), Pod.class))
                    .isInstanceOfSatisfying(KubernetesClientException.class, e -> assertThat(e.getCode()).isEqualTo(404));

            api.store().setTerm(2); // a new leader: the old term's patches are refused like its other writes
            assertThatThrownBy(() -> DirectRequests.patch(term1, term1.pods().inNamespace("default").withName("web").subresource("status"),
                    PatchType.JSON_MERGE, "{\"status\":{\"phase\":\"Failed\"}}", null))
                    .isInstanceOfSatisfying(KubernetesClientException.class, e -> {
                        assertThat(e.getCode()).isEqualTo(409);
                        assertThat(e.getMessage()).contains("fenced write refused");
                    });
            assertThat(api.client().pods().inNamespace("default").withName("web").get().getStatus().getPhase()).isNotEqualTo("Failed");
        }
    }
}
