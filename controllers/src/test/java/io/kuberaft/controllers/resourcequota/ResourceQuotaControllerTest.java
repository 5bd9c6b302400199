package io.kuberaft.controllers.resourcequota;

import io.fabric8.kubernetes.api.model.ConfigMapBuilder;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaimBuilder;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.ResourceQuotaBuilder;
import io.fabric8.kubernetes.api.model.ServiceBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
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
import java.util.TreeMap;

import static io.kuberaft.controllers.ApiFixture.await;
import static org.assertj.core.api.Assertions.assertThat;

class ResourceQuotaControllerTest {
    @TempDir
    Path tmp;
    ApiFixture api;
    KubernetesClient k;

    @BeforeEach
    void start() {
        api = new ApiFixture(tmp, ControllerOptions.defaults().withResourceQuotaSyncPeriod(Duration.ofMillis(500)),
                List.of(ResourceQuotaController::new));
        k = api.client();
    }

    @AfterEach
    void stop() {
        api.close();
    }

    private void pod(String name, String cpu) {
        PodBuilder b = new PodBuilder().withNewMetadata().withName(name).endMetadata().withNewSpec()
                .addNewContainer().withName("c").withImage("nginx").endContainer().endSpec();
        if (cpu != null) {
            b.editSpec().editFirstContainer().withNewResources().addToRequests("cpu", new Quantity(cpu)).addToLimits("cpu", new Quantity(cpu))
                    .endResources().endContainer().endSpec();
        }
        k.pods().inNamespace("default").resource(b.build()).create();
    }

    private Map<String, String> used(String quota) {
        var q = k.resourceQuotas().inNamespace("default").withName(quota).get();
        Map<String, String> out = new TreeMap<>();
        if (q.getStatus() != null && q.getStatus().getUsed() != null) {
            q.getStatus().getUsed().forEach((key, v) -> out.put(key, v.toString()));
        }
        return out;
    }

    @Test
    void usedFollowsCreatesAndDeletesAndDriftIsRepaired() {
        pod("be", null);
        pod("burst", "500m");
        k.configMaps().inNamespace("default").resource(new ConfigMapBuilder().withNewMetadata().withName("cm1").endMetadata().build()).create();
        k.services().inNamespace("default").resource(new ServiceBuilder().withNewMetadata().withName("np").endMetadata().withNewSpec()
                .withType("NodePort").addNewPort().withPort(80).endPort().endSpec().build()).create();
        k.persistentVolumeClaims().inNamespace("default").resource(new PersistentVolumeClaimBuilder().withNewMetadata().withName("c1")
                .endMetadata().withNewSpec().withAccessModes("ReadWriteOnce").withNewResources()
                .addToRequests("storage", new Quantity("1Gi")).endResources().endSpec().build()).create();

        k.resourceQuotas().inNamespace("default").resource(new ResourceQuotaBuilder().withNewMetadata().withName("rq").endMetadata()
                .withNewSpec().addToHard("pods", new Quantity("10")).addToHard("requests.cpu", new Quantity("4"))
                .addToHard("count/configmaps", new Quantity("5")).addToHard("services.nodeports", new Quantity("3"))
                .addToHard("services", new Quantity("5")).addToHard("requests.storage", new Quantity("10Gi"))
                .addToHard("persistentvolumeclaims", new Quantity("4")).endSpec().build()).create();
        k.resourceQuotas().inNamespace("default").resource(new ResourceQuotaBuilder().withNewMetadata().withName("be").endMetadata()
                .withNewSpec().addToHard("pods", new Quantity("10")).withScopes("BestEffort").endSpec().build()).create();

        // services: "kubernetes" and "np"
        Map<String, String> expected = Map.of("pods", "2", "requests.cpu", "500m", "count/configmaps", "1", "services.nodeports", "1",
                "services", "2", "requests.storage", "1Gi", "persistentvolumeclaims", "1");
        await(Duration.ofSeconds(20), "used of rq", () -> used("rq").equals(expected));
        await(Duration.ofSeconds(20), "used of the BestEffort quota", () -> used("be").equals(Map.of("pods", "1")));
        assertThat(k.resourceQuotas().inNamespace("default").withName("rq").get().getStatus().getHard().get("requests.cpu").toString())
                .isEqualTo("4");

        pod("more", "250m");
        k.configMaps().inNamespace("default").withName("cm1").delete();
        await(Duration.ofSeconds(20), "used after a create and a delete", () -> used("rq").get("pods").equals("3")
                && used("rq").get("requests.cpu").equals("750m") && used("rq").get("count/configmaps").equals("0"));

        // drift (a status written behind the admission's back) is recalculated
        k.resourceQuotas().inNamespace("default").withName("rq").subresource("status").patch(PatchContext.of(PatchType.JSON_MERGE),
                "{\"status\":{\"used\":{\"pods\":\"99\"}}}");
        await(Duration.ofSeconds(20), "drift repaired", () -> "3".equals(used("rq").get("pods")));

        // a new hard resource gets its used
        k.resourceQuotas().inNamespace("default").withName("rq").edit(q -> {
            q.getSpec().getHard().put("limits.cpu", new Quantity("8"));
            return q;
        });
        await(Duration.ofSeconds(20), "limits.cpu used", () -> "750m".equals(used("rq").get("limits.cpu")));
    }
}
