package io.kuberaft.apiserver.admission;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;

import static io.kuberaft.apiserver.admission.Cluster.fails;
import static org.assertj.core.api.Assertions.assertThat;

/** The seed scenarios of LimitRange (000:4843-5230) with upstream's messages. */
class LimitRangerTest {
    @TempDir
    Path dir;
    Cluster c;

    @BeforeEach
    void start() {
        c = new Cluster(dir);
    }

    @AfterEach
    void stop() {
        c.close();
    }

    @Test
    void defaultsAreAppliedAndAnnotated() {
        c.namespace("limit");
        c.create("", "limitranges", "limit", """
                metadata: {name: container-limit-range}
                spec:
                  limits:
                  - type: Container
                    default: {memory: 256Mi}
                    defaultRequest: {memory: 128Mi}
                """);
        ObjectNode p = c.create("", "pods", "limit", "metadata: {name: node}\nspec: {containers: [{name: node, image: node}]}");
        JsonNode resources = p.path("spec").path("containers").get(0).path("resources");
        assertThat(resources.path("limits").path("memory").asText()).isEqualTo("256Mi");
        assertThat(resources.path("requests").path("memory").asText()).isEqualTo("128Mi");
        assertThat(p.path("metadata").path("annotations").path("kubernetes.io/limit-ranger").asText())
                .isEqualTo("LimitRanger plugin set: memory request for container node; memory limit for container node");
        assertThat(p.path("status").path("qosClass").asText()).isEqualTo("Burstable");
    }

    @Test
    void cpuDefaults() {
        c.namespace("limit-cpu");
        c.create("", "limitranges", "limit-cpu", """
                metadata: {name: limit-range-cpu}
                spec: {limits: [{type: Container, default: {cpu: '2'}, defaultRequest: {cpu: 500m}}]}
                """);
        ObjectNode p = c.create("", "pods", "limit-cpu", "metadata: {name: node}\nspec: {containers: [{name: node, image: node}]}");
        JsonNode resources = p.path("spec").path("containers").get(0).path("resources");
        assertThat(resources.path("limits").path("cpu").asText()).isEqualTo("2");
        assertThat(resources.path("requests").path("cpu").asText()).isEqualTo("500m");
    }

    @Test
    void minAndMax() {
        c.namespace("limit-min-max");
        c.create("", "limitranges", "limit-min-max", """
                metadata: {name: limit-range-min-max}
                spec:
                  limits:
                  - type: Container
                    min: {memory: 10Mi}
                    max: {memory: 1Gi}
                    defaultRequest: {memory: 100Mi}
                """);
        ObjectNode ok = c.create("", "pods", "limit-min-max", "metadata: {name: ok}\nspec: {containers: [{name: a, image: x, "
                + "resources: {requests: {memory: 150Mi}}}]}");
        assertThat(ok.path("spec").path("containers").get(0).path("resources").path("limits").path("memory").asText()).isEqualTo("1Gi");
        fails(() -> c.create("", "pods", "limit-min-max", "metadata: {name: limit-pod-min}\nspec: {containers: [{name: a, image: x, "
                        + "resources: {requests: {memory: 5Mi}}}]}"), 403,
                "pods \"limit-pod-min\" is forbidden: minimum memory usage per Container is 10Mi, but request is 5Mi");
        fails(() -> c.create("", "pods", "limit-min-max", "metadata: {name: limit-pod-max}\nspec: {containers: [{name: a, image: x, "
                        + "resources: {requests: {memory: 2Gi}}}]}"), 422,
                "Pod \"limit-pod-max\" is invalid: spec.containers[0].resources.requests: Invalid value: \"2Gi\": must be less than or equal "
                        + "to memory limit of 1Gi");
        fails(() -> c.create("", "pods", "limit-min-max", "metadata: {name: too-big}\nspec: {containers: [{name: a, image: x, "
                        + "resources: {limits: {memory: 2Gi}}}]}"), 403,
                "pods \"too-big\" is forbidden: maximum memory usage per Container is 1Gi, but limit is 2Gi");
    }

    @Test
    void podAndClaimLimits() {
        c.namespace("pl");
        c.create("", "limitranges", "pl", """
                metadata: {name: lr}
                spec:
                  limits:
                  - {type: Pod, max: {cpu: '1'}}
                  - {type: PersistentVolumeClaim, min: {storage: 1Gi}, max: {storage: 2Gi}}
                """);
        fails(() -> c.create("", "pods", "pl", "metadata: {name: p}\nspec: {containers: [{name: a, image: x, resources: {limits: {cpu: 600m}}}, "
                        + "{name: b, image: x, resources: {limits: {cpu: 600m}}}]}"), 403,
                "pods \"p\" is forbidden: maximum cpu usage per Pod is 1, but limit is 1200m");
        fails(() -> c.create("", "persistentvolumeclaims", "pl", "metadata: {name: small}\nspec: {accessModes: [ReadWriteOnce], "
                        + "resources: {requests: {storage: 500Mi}}}"), 403,
                "persistentvolumeclaims \"small\" is forbidden: minimum storage usage per PersistentVolumeClaim is 1Gi, but request is 500Mi");
        fails(() -> c.create("", "persistentvolumeclaims", "pl", "metadata: {name: big}\nspec: {accessModes: [ReadWriteOnce], "
                        + "resources: {requests: {storage: 5Gi}}}"), 403,
                "persistentvolumeclaims \"big\" is forbidden: maximum storage usage per PersistentVolumeClaim is 2Gi, but request is 5Gi");
    }
}
