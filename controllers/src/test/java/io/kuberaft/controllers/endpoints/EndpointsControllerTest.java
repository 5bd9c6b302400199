package io.kuberaft.controllers.endpoints;

import io.fabric8.kubernetes.api.model.EndpointSubset;
import io.fabric8.kubernetes.api.model.Endpoints;
import io.fabric8.kubernetes.api.model.EndpointsBuilder;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.ServiceBuilder;
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

class EndpointsControllerTest {
    @TempDir
    Path tmp;
    ApiFixture api;
    KubernetesClient k;

    @BeforeEach
    void start() {
        api = new ApiFixture(tmp, ControllerOptions.defaults(), List.of(EndpointsController::new));
        k = api.client();
    }

    @AfterEach
    void stop() {
        api.close();
    }

    private Endpoints endpoints(String name) {
        return k.endpoints().inNamespace("default").withName(name).get();
    }

    private static String describe(Endpoints ep) {
        if (ep == null || ep.getSubsets() == null) {
            return "<none>";
        }
        return ep.getSubsets().stream().map(EndpointsControllerTest::describe).collect(Collectors.joining(" | "));
    }

    private static String describe(EndpointSubset s) {
        String ready = s.getAddresses() == null ? "" : s.getAddresses().stream().map(a -> a.getIp()).collect(Collectors.joining(","));
        String notReady = s.getNotReadyAddresses() == null ? "" : s.getNotReadyAddresses().stream().map(a -> a.getIp()).collect(Collectors.joining(","));
        String ports = s.getPorts() == null ? "" : s.getPorts().stream().map(p -> p.getName() + ":" + p.getPort()).collect(Collectors.joining(","));
        return "ready=[" + ready + "] notReady=[" + notReady + "] ports=[" + ports + "]";
    }

    @Test
    void endpointsFromReadyAndNotReadyPodsWithNamedTargetPorts() {
        k.services().inNamespace("default").resource(new ServiceBuilder().withNewMetadata().withName("web").addToLabels("tier", "front")
                .endMetadata().withNewSpec().addToSelector("app", "web")
                .addNewPort().withName("http").withPort(80).withTargetPort(new IntOrString("http")).endPort()
                .addNewPort().withName("metrics").withPort(9090).withTargetPort(new IntOrString(9090)).endPort()
                .endSpec().build()).create();
        pod(k, "web-a", Map.of("app", "web"), "http", 8080, "10.0.0.1", true);
        pod(k, "web-b", Map.of("app", "web"), "http", 8081, "10.0.0.2", false);
        pod(k, "web-c", Map.of("app", "web"), null, 0, "10.0.0.3", true);
        pod(k, "other", Map.of("app", "db"), "http", 8080, "10.0.0.9", true);

        String expected = "ready=[10.0.0.1] notReady=[] ports=[http:8080,metrics:9090]"
                + " | ready=[] notReady=[10.0.0.2] ports=[http:8081,metrics:9090]"
                + " | ready=[10.0.0.3] notReady=[] ports=[metrics:9090]";
        await(Duration.ofSeconds(20), "endpoints of web", () -> describe(endpoints("web")).equals(expected));
        Endpoints ep = endpoints("web");
        assertThat(ep.getMetadata().getLabels()).containsEntry("tier", "front");
        assertThat(ep.getMetadata().getAnnotations()).containsKey(PodEndpoints.LAST_CHANGE_TRIGGER_TIME);
        var addr = ep.getSubsets().get(0).getAddresses().get(0);
        assertThat(addr.getNodeName()).isEqualTo("node-1");
        assertThat(addr.getTargetRef().getKind()).isEqualTo("Pod");
        assertThat(addr.getTargetRef().getName()).isEqualTo("web-a");

        // web-b becomes ready; web-a is deleted: it leaves the endpoints
        setStatus(k, "web-b", "10.0.0.2", true);
        k.pods().inNamespace("default").withName("web-a").withGracePeriod(0).delete();
        await(Duration.ofSeconds(20), "web-b ready, web-a gone", () -> describe(endpoints("web")).equals(
                "ready=[10.0.0.2] notReady=[] ports=[http:8081,metrics:9090] | ready=[10.0.0.3] notReady=[] ports=[metrics:9090]"));

        // the Endpoints go with the Service
        k.services().inNamespace("default").withName("web").delete();
        await(Duration.ofSeconds(20), "endpoints deleted with the service", () -> endpoints("web") == null);
    }

    @Test
    void publishNotReadyAddressesAndTerminatingPods() {
        k.services().inNamespace("default").resource(new ServiceBuilder().withNewMetadata().withName("db").endMetadata()
                .withNewSpec().withClusterIP("None").withPublishNotReadyAddresses(true).addToSelector("app", "db")
                .addNewPort().withName("sql").withPort(5432).endPort().endSpec().build()).create();
        pod(k, "db-0", Map.of("app", "db"), null, 0, "10.0.1.1", false);
        await(Duration.ofSeconds(20), "not-ready pod published as ready",
                () -> describe(endpoints("db")).equals("ready=[10.0.1.1] notReady=[] ports=[sql:5432]"));
        assertThat(endpoints("db").getMetadata().getLabels()).containsEntry(PodEndpoints.HEADLESS_LABEL, "");
    }

    @Test
    void selectorlessServiceEndpointsAreLeftAlone() throws Exception {
        k.services().inNamespace("default").resource(new ServiceBuilder().withNewMetadata().withName("ext").endMetadata()
                .withNewSpec().addNewPort().withPort(80).endPort().endSpec().build()).create();
        k.endpoints().inNamespace("default").resource(new EndpointsBuilder().withNewMetadata().withName("ext").endMetadata()
                .addNewSubset().addNewAddress().withIp("192.168.1.10").endAddress().addNewPort().withPort(8080).endPort().endSubset()
                .build()).create();
        // a selector service created afterwards proves the controller has run past the selectorless one
        k.services().inNamespace("default").resource(new ServiceBuilder().withNewMetadata().withName("probe").endMetadata()
                .withNewSpec().addToSelector("app", "none").addNewPort().withPort(80).endPort().endSpec().build()).create();
        await(Duration.ofSeconds(20), "endpoints of probe", () -> endpoints("probe") != null);
        assertThat(describe(endpoints("ext"))).isEqualTo("ready=[192.168.1.10] notReady=[] ports=[null:8080]");
        assertThat(endpoints("probe").getSubsets()).isNullOrEmpty();
    }
}
