package io.kuberaft.controllers.endpointslice;

import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.NodeBuilder;
import io.fabric8.kubernetes.api.model.ServiceBuilder;
import io.fabric8.kubernetes.api.model.discovery.v1.Endpoint;
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
import java.util.Map;
import java.util.stream.Collectors;

import static io.kuberaft.controllers.ApiFixture.await;
import static io.kuberaft.controllers.TestPods.pod;
import static io.kuberaft.controllers.TestPods.setStatus;
import static org.assertj.core.api.Assertions.assertThat;

class EndpointSliceControllerTest {
    @TempDir
    Path tmp;
    ApiFixture api;
    KubernetesClient k;

    @BeforeEach
    void start() {
        api = new ApiFixture(tmp, ControllerOptions.defaults(), List.of(EndpointSliceController::new));
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

    private static int count(List<EndpointSlice> slices) {
        return slices.stream().mapToInt(s -> s.getEndpoints() == null ? 0 : s.getEndpoints().size()).sum();
    }

    @Test
    void slicesCarryConditionsPortsAndOwner() {
        k.nodes().resource(new NodeBuilder().withNewMetadata().withName("node-1")
                .addToLabels("topology.kubernetes.io/zone", "zone-a").endMetadata().build()).create();
        var svc = k.services().inNamespace("default").resource(new ServiceBuilder().withNewMetadata().withName("web").endMetadata()
                .withNewSpec().addToSelector("app", "web")
                .addNewPort().withName("http").withPort(80).withTargetPort(new IntOrString("http")).endPort().endSpec().build()).create();
        await(Duration.ofSeconds(20), "placeholder slice", () -> slices("web").size() == 1 && count(slices("web")) == 0);

        pod(k, "web-a", Map.of("app", "web"), "http", 8080, "10.0.0.1", true);
        pod(k, "web-b", Map.of("app", "web"), "http", 8080, "10.0.0.2", false);
        await(Duration.ofSeconds(20), "two endpoints in one slice", () -> slices("web").size() == 1 && count(slices("web")) == 2);
        EndpointSlice s = slices("web").get(0);
        assertThat(s.getMetadata().getName()).startsWith("web-").hasSize("web-".length() + 5);
        assertThat(s.getMetadata().getLabels()).containsEntry(EndpointSliceController.MANAGED_BY, "endpointslice-controller.k8s.io");
        assertThat(s.getMetadata().getOwnerReferences()).singleElement().satisfies(r -> {
            assertThat(r.getKind()).isEqualTo("Service");
            assertThat(r.getUid()).isEqualTo(svc.getMetadata().getUid());
            assertThat(r.getController()).isTrue();
        });
        assertThat(s.getAddressType()).isEqualTo("IPv4");
        assertThat(s.getMetadata().getGeneration()).as("EndpointSlices count their changes, as upstream's strategy").isPositive();
        assertThat(s.getPorts()).singleElement().satisfies(p -> {
            assertThat(p.getName()).isEqualTo("http");
            assertThat(p.getPort()).isEqualTo(8080);
            assertThat(p.getProtocol()).isEqualTo("TCP");
        });
        Map<String, Endpoint> byPod = s.getEndpoints().stream().collect(Collectors.toMap(e -> e.getTargetRef().getName(), e -> e));
        assertThat(byPod.get("web-a").getAddresses()).containsExactly("10.0.0.1");
        assertThat(byPod.get("web-a").getConditions().getReady()).isTrue();
        assertThat(byPod.get("web-a").getConditions().getServing()).isTrue();
        assertThat(byPod.get("web-a").getConditions().getTerminating()).isFalse();
        assertThat(byPod.get("web-a").getNodeName()).isEqualTo("node-1");
        assertThat(byPod.get("web-a").getZone()).isEqualTo("zone-a");
        assertThat(byPod.get("web-b").getConditions().getReady()).isFalse();

        // a terminating pod stays, serving but not ready (the pod has finalizer-free grace: delete with the default grace)
        k.pods().inNamespace("default").withName("web-a").delete();
        await(Duration.ofSeconds(20), "web-a terminating", () -> slices("web").get(0).getEndpoints().stream()
                .anyMatch(e -> e.getTargetRef().getName().equals("web-a") && e.getConditions().getTerminating()
                        && !e.getConditions().getReady() && e.getConditions().getServing()));
        String rv = slices("web").get(0).getMetadata().getResourceVersion();
        setStatus(k, "web-b", "10.0.0.2", true);
        await(Duration.ofSeconds(20), "web-b ready", () -> slices("web").get(0).getEndpoints().stream()
                .anyMatch(e -> e.getTargetRef().getName().equals("web-b") && e.getConditions().getReady()));
        assertThat(slices("web").get(0).getMetadata().getResourceVersion()).isNotEqualTo(rv);
    }

    @Test
    void moreThanAHundredEndpointsSplitIntoSlices() throws Exception {
        k.services().inNamespace("default").resource(new ServiceBuilder().withNewMetadata().withName("big").endMetadata()
                .withNewSpec().addToSelector("app", "big").addNewPort().withName("http").withPort(80).endPort().endSpec().build()).create();
        for (int i = 0; i < 105; i++) {
            pod(k, "big-" + i, Map.of("app", "big"), null, 0, "10.1." + (i / 200) + "." + (i % 200 + 1), true);
        }
        await(Duration.ofSeconds(30), "105 endpoints in 2 slices", () -> {
            List<EndpointSlice> l = slices("big");
            return l.size() == 2 && count(l) == 105;
        });
        // how the 105 are split depends on how the pods arrived (upstream fills the slices with room first): [5, 100]
        // when they come at once, e.g. [9, 96] when they trickle in on a loaded machine; never more than 100 in one
        assertThat(slices("big")).allSatisfy(s -> assertThat(s.getEndpoints().size()).isBetween(1, 100));
        // settled: no further writes
        String before = slices("big").stream().map(s -> s.getMetadata().getResourceVersion()).sorted().toList().toString();
        Thread.sleep(500);
        assertThat(slices("big").stream().map(s -> s.getMetadata().getResourceVersion()).sorted().toList().toString()).isEqualTo(before);

        // deleting 10 pods leaves 95: existing slices shrink, none is re-created
        for (int i = 0; i < 10; i++) {
            k.pods().inNamespace("default").withName("big-" + i).withGracePeriod(0).delete();
        }
        await(Duration.ofSeconds(30), "95 endpoints", () -> count(slices("big")) == 95);

        k.services().inNamespace("default").withName("big").delete();
        await(Duration.ofSeconds(20), "slices gone with the service", () -> slices("big").isEmpty());
    }
}
