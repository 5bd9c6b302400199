package io.kuberaft.controllers;

import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaimBuilder;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.ResourceQuotaBuilder;
import io.fabric8.kubernetes.api.model.ServiceBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.kuberaft.controllers.endpoints.EndpointsController;
import io.kuberaft.controllers.endpointslice.EndpointSliceController;
import io.kuberaft.controllers.resourcequota.ResourceQuotaController;
import io.kuberaft.controllers.volume.PersistentVolumeController;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static io.kuberaft.controllers.ApiFixture.await;
import static org.assertj.core.api.Assertions.assertThat;

/** What users see of these controllers' work through the real kubectl (skipped where kubectl is absent). */
class KubectlServiceStorageTest {
    static final Path KUBECTL = Path.of("/usr/bin/kubectl");
    @TempDir
    Path tmp;

    private String kubectl(ApiFixture api, String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(KUBECTL.toString(), "--server", api.url(), "--cache-dir", tmp.resolve("kube-cache").toString()));
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
        pb.environment().put("HOME", tmp.toString());
        pb.environment().put("KUBECONFIG", tmp.resolve("no-kubeconfig").toString());
        Process p = pb.start();
        if (!p.waitFor(30, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError("kubectl timed out");
        }
        String out = new String(p.getInputStream().readAllBytes());
        assertThat(p.exitValue()).as(out).isZero();
        return out;
    }

    @Test
    void getAndDescribeShowEndpointsClaimsAndQuotaUsage() throws Exception {
        Assumptions.assumeTrue(Files.isExecutable(KUBECTL), "kubectl not installed");
        try (ApiFixture api = new ApiFixture(tmp.resolve("api"), ControllerOptions.defaults().withStorage(tmp.resolve("hp").toString(), true),
                List.of(EndpointsController::new, EndpointSliceController::new, PersistentVolumeController::new,
                        io.kuberaft.controllers.volume.PvcProtectionController::new, io.kuberaft.controllers.volume.PvProtectionController::new,
                        ResourceQuotaController::new))) {
            KubernetesClient k = api.client();
            k.services().inNamespace("default").resource(new ServiceBuilder().withNewMetadata().withName("web").endMetadata()
                    .withNewSpec().addToSelector("app", "web").addNewPort().withPort(80).withTargetPort(new IntOrString("http")).endPort()
                    .endSpec().build()).create();
            TestPods.pod(k, "web-a", Map.of("app", "web"), "http", 8080, "10.0.0.1", true);
            TestPods.pod(k, "web-b", Map.of("app", "web"), "http", 8080, "10.0.0.2", true);
            k.resourceQuotas().inNamespace("default").resource(new ResourceQuotaBuilder().withNewMetadata().withName("rq").endMetadata()
                    .withNewSpec().addToHard("pods", new Quantity("5")).endSpec().build()).create();
            await(Duration.ofSeconds(20), "default class", () -> k.storage().v1().storageClasses().withName("standard").get() != null);
            k.persistentVolumeClaims().inNamespace("default").resource(new PersistentVolumeClaimBuilder().withNewMetadata().withName("data")
                    .endMetadata().withNewSpec().withAccessModes("ReadWriteOnce").withNewResources()
                    .addToRequests("storage", new Quantity("1Gi")).endResources().endSpec().build()).create();
            await(Duration.ofSeconds(20), "endpoints, slices and binding", () -> k.endpoints().inNamespace("default").withName("web").get() != null
                    && k.discovery().v1().endpointSlices().inNamespace("default").list().getItems().stream()
                            .anyMatch(s -> s.getEndpoints() != null && s.getEndpoints().size() == 2)
                    && "Bound".equals(k.persistentVolumeClaims().inNamespace("default").withName("data").get().getStatus().getPhase()));

            String ep = kubectl(api, "get", "endpoints", "web");
            assertThat(ep).matches("(?s)NAME\\s+ENDPOINTS\\s+AGE\\s+web\\s+10\\.0\\.0\\.1:8080,10\\.0\\.0\\.2:8080\\s+\\d+s\\s*");
            // kubectl 1.32 describes a service's endpoints from its EndpointSlices
            assertThat(kubectl(api, "describe", "svc", "web")).containsPattern("Endpoints:\\s+10\\.0\\.0\\.1:8080,10\\.0\\.0\\.2:8080");
            assertThat(kubectl(api, "describe", "endpoints", "web")).contains("endpoints.kubernetes.io/last-change-trigger-time")
                    .containsPattern("Addresses:\\s+10\\.0\\.0\\.1,10\\.0\\.0\\.2");
            assertThat(kubectl(api, "get", "pvc", "data")).containsPattern("data\\s+Bound\\s+pvc-[0-9a-f-]+\\s+1Gi\\s+RWO\\s+standard");
            assertThat(kubectl(api, "describe", "pvc", "data")).contains("pv.kubernetes.io/bind-completed: yes")
                    .contains("pv.kubernetes.io/bound-by-controller: yes").containsPattern("Status:\\s+Bound");
            assertThat(kubectl(api, "get", "storageclass")).containsPattern("standard \\(default\\)\\s+kuberaft\\.io/hostpath\\s+Delete\\s+Immediate\\s+false");
            assertThat(kubectl(api, "describe", "quota", "rq")).containsPattern("pods\\s+2\\s+5");
        }
    }
}
