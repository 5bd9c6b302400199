package io.kuberaft.controllers.endpointslice;

import io.fabric8.kubernetes.api.model.EndpointsBuilder;
import io.fabric8.kubernetes.api.model.ServiceBuilder;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.kuberaft.controllers.ApiFixture;
import io.kuberaft.controllers.ControllerOptions;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.stream.Collectors;

import static io.kuberaft.controllers.ApiFixture.await;
import static org.assertj.core.api.Assertions.assertThat;

class EndpointSliceMirroringControllerTest {
    @TempDir
    Path tmp;
    ApiFixture api;
    KubernetesClient k;

    @BeforeEach
    void start() {
        api = new ApiFixture(tmp, ControllerOptions.defaults(), List.of(EndpointSliceMirroringController::new));
        k = api.client();
    }

    @AfterEach
    void stop() {
        api.close();
    }

    private List<EndpointSlice> slices(String svc) {
        return k.discovery().v1().endpointSlices().inNamespace("default").withLabel(EndpointSliceController.SERVICE_NAME, svc)
                .list().getItems();
    }

    private String summary(String svc) {
        return slices(svc).stream().flatMap(s -> s.getEndpoints().stream())
                .map(e -> e.getAddresses().get(0) + (e.getConditions().getReady() ? "+" : "-")).sorted().collect(Collectors.joining(","));
    }

    @Test
    void userEndpointsOfASelectorlessServiceAreMirrored() {
        k.services().inNamespace("default").resource(new ServiceBuilder().withNewMetadata().withName("ext").endMetadata()
                .withNewSpec().addNewPort().withName("web").withPort(80).endPort().endSpec().build()).create();
        var ep = k.endpoints().inNamespace("default").resource(new EndpointsBuilder().withNewMetadata().withName("ext").endMetadata()
                .addNewSubset().addNewAddress().withIp("192.168.1.10").endAddress().addNewAddress().withIp("192.168.1.11").endAddress()
                .addNewNotReadyAddress().withIp("192.168.1.12").endNotReadyAddress()
                .addNewPort().withName("web").withPort(8080).endPort().endSubset().build()).create();
        await(Duration.ofSeconds(20), "mirrored slice", () -> summary("ext").equals("192.168.1.10+,192.168.1.11+,192.168.1.12-"));
        EndpointSlice s = slices("ext").get(0);
        assertThat(s.getMetadata().getLabels()).containsEntry("endpointslice.kubernetes.io/managed-by", "endpointslicemirroring-controller.k8s.io");
        assertThat(s.getMetadata().getOwnerReferences().get(0).getKind()).isEqualTo("Endpoints");
        assertThat(s.getMetadata().getOwnerReferences().get(0).getUid()).isEqualTo(ep.getMetadata().getUid());
        assertThat(s.getPorts().get(0).getPort()).isEqualTo(8080);

        k.endpoints().inNamespace("default").withName("ext").edit(e -> {
            e.getSubsets().get(0).getAddresses().remove(1);
            return e;
        });
        await(Duration.ofSeconds(20), "mirror follows", () -> summary("ext").equals("192.168.1.10+,192.168.1.12-") && slices("ext").size() == 1);

        k.endpoints().inNamespace("default").withName("ext").edit(e -> {
            e.getMetadata().getLabels().put("endpointslice.kubernetes.io/skip-mirror", "true");
            return e;
        });
        await(Duration.ofSeconds(20), "skip-mirror removes the slices", () -> slices("ext").isEmpty());
    }
}
