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

/** The seed's ResourceQuota scenarios (000:5238-5417) and the accounting around them. */
class ResourceQuotaTest {
    @TempDir
    Path dir;
    Cluster c;

    @BeforeEach
    void start() {
        c = new Cluster(dir);
        c.namespace("namespace-rq");
    }

    @AfterEach
    void stop() {
        c.close();
    }

    private ObjectNode pod(String name, String resources) {
        return c.create("", "pods", "namespace-rq", "metadata: {name: " + name + "}\nspec: {containers: [{name: a, image: nginx"
                + (resources.isEmpty() ? "" : ", resources: " + resources) + "}]}");
    }

    private JsonNode used() {
        return c.get("", "resourcequotas", "namespace-rq", "rq").path("status").path("used");
    }

    @Test
    void podCount() {
        ObjectNode rq = c.create("", "resourcequotas", "namespace-rq", "metadata: {name: rq}\nspec: {hard: {pods: 2}}");
        assertThat(rq.path("status").path("hard").path("pods").asText()).isEqualTo("2");
        assertThat(rq.path("status").path("used").path("pods").asText()).isEqualTo("0");
        pod("pod-rq-1", "");
        pod("pod-rq-2", "");
        assertThat(used().path("pods").asText()).isEqualTo("2");
        fails(() -> pod("pod-rq-3", ""), 403,
                "pods \"pod-rq-3\" is forbidden: exceeded quota: rq, requested: pods=1, used: pods=2, limited: pods=2");
        c.delete("", "pods", "namespace-rq", "pod-rq-1");
        assertThat(used().path("pods").asText()).isEqualTo("1");
        pod("pod-rq-3", "");
        assertThat(used().path("pods").asText()).isEqualTo("2");
    }

    @Test
    void computeResources() {
        c.create("", "resourcequotas", "namespace-rq", """
                metadata: {name: rq}
                spec: {hard: {requests.cpu: '1', requests.memory: 1Gi, limits.cpu: '2', limits.memory: 2Gi}}
                """);
        fails(() -> pod("no-resources", ""), 403, "pods \"no-resources\" is forbidden: failed quota: rq: must specify limits.cpu for: a; "
                + "limits.memory for: a; requests.cpu for: a; requests.memory for: a");
        fails(() -> pod("pod-rq-over-cpu", "{requests: {cpu: '2', memory: 100Mi}, limits: {cpu: '2', memory: 100Mi}}"), 403,
                "pods \"pod-rq-over-cpu\" is forbidden: exceeded quota: rq, requested: requests.cpu=2, used: requests.cpu=0, limited: requests.cpu=1");
        fails(() -> pod("pod-rq-over-memory", "{requests: {cpu: 100m, memory: 2Gi}, limits: {cpu: 100m, memory: 2Gi}}"), 403,
                "pods \"pod-rq-over-memory\" is forbidden: exceeded quota: rq, requested: requests.memory=2Gi, used: requests.memory=0, "
                        + "limited: requests.memory=1Gi");
        pod("fits", "{requests: {cpu: 500m, memory: 512Mi}, limits: {cpu: '1', memory: 1Gi}}");
        JsonNode used = used();
        assertThat(used.path("requests.cpu").asText()).isEqualTo("500m");
        assertThat(used.path("requests.memory").asText()).isEqualTo("512Mi");
        assertThat(used.path("limits.cpu").asText()).isEqualTo("1");
        assertThat(used.path("limits.memory").asText()).isEqualTo("1Gi");
        fails(() -> pod("second", "{requests: {cpu: 600m, memory: 100Mi}, limits: {cpu: 600m, memory: 100Mi}}"), 403,
                "pods \"second\" is forbidden: exceeded quota: rq, requested: requests.cpu=600m, used: requests.cpu=500m, limited: requests.cpu=1");
        // A pod that finishes stops counting for compute resources.
        c.api.guaranteedUpdate(c.def("", "pods"), "namespace-rq", "fits", true, cur -> {
            ((ObjectNode) cur.path("status")).put("phase", "Succeeded");
            return cur;
        }, io.kuberaft.apiserver.registry.GenericRegistry.WriteOptions.DEFAULT);
        assertThat(used().path("requests.cpu").asText()).isEqualTo("0");
        pod("second", "{requests: {cpu: 600m, memory: 100Mi}, limits: {cpu: 600m, memory: 100Mi}}");
    }

    @Test
    void objectCountsAndServices() {
        c.create("", "configmaps", "namespace-rq", "metadata: {name: existing}");
        ObjectNode rq = c.create("", "resourcequotas", "namespace-rq", """
                metadata: {name: rq}
                spec: {hard: {configmaps: '2', count/secrets: '1', services: '2', services.nodeports: '1', count/deployments.apps: '0'}}
                """);
        assertThat(rq.path("status").path("used").path("configmaps").asText()).as("existing objects are counted").isEqualTo("1");
        c.create("", "configmaps", "namespace-rq", "metadata: {name: second}");
        fails(() -> c.create("", "configmaps", "namespace-rq", "metadata: {name: third}"), 403,
                "configmaps \"third\" is forbidden: exceeded quota: rq, requested: configmaps=1, used: configmaps=2, limited: configmaps=2");
        c.create("", "secrets", "namespace-rq", "metadata: {name: s1}");
        fails(() -> c.create("", "secrets", "namespace-rq", "metadata: {name: s2}"), 403,
                "secrets \"s2\" is forbidden: exceeded quota: rq, requested: count/secrets=1, used: count/secrets=1, limited: count/secrets=1");
        c.create("", "services", "namespace-rq", "metadata: {name: np}\nspec: {type: NodePort, ports: [{port: 80}]}");
        fails(() -> c.create("", "services", "namespace-rq", "metadata: {name: np2}\nspec: {type: NodePort, ports: [{port: 80}]}"), 403,
                "services \"np2\" is forbidden: exceeded quota: rq, requested: services.nodeports=1, used: services.nodeports=1, "
                        + "limited: services.nodeports=1");
        fails(() -> c.create("apps", "deployments", "namespace-rq", "metadata: {name: d}\nspec: {selector: {matchLabels: {a: b}}, "
                        + "template: {metadata: {labels: {a: b}}, spec: {containers: [{name: a, image: x}]}}}"), 403,
                "deployments.apps \"d\" is forbidden: exceeded quota: rq, requested: count/deployments.apps=1, "
                        + "used: count/deployments.apps=0, limited: count/deployments.apps=0");
        assertThat(used().path("services").asText()).isEqualTo("1");
        c.delete("", "services", "namespace-rq", "np");
        assertThat(used().path("services").asText()).isEqualTo("0");
        assertThat(used().path("services.nodeports").asText()).isEqualTo("0");
    }

    @Test
    void claimsAndStorage() {
        c.create("", "resourcequotas", "namespace-rq", """
                metadata: {name: rq}
                spec: {hard: {persistentvolumeclaims: '2', requests.storage: 3Gi, fast.storageclass.storage.k8s.io/requests.storage: 1Gi}}
                """);
        c.create("", "persistentvolumeclaims", "namespace-rq",
                "metadata: {name: a}\nspec: {accessModes: [ReadWriteOnce], resources: {requests: {storage: 2Gi}}}");
        fails(() -> c.create("", "persistentvolumeclaims", "namespace-rq",
                        "metadata: {name: b}\nspec: {accessModes: [ReadWriteOnce], resources: {requests: {storage: 2Gi}}}"), 403,
                "persistentvolumeclaims \"b\" is forbidden: exceeded quota: rq, requested: requests.storage=2Gi, used: requests.storage=2Gi, "
                        + "limited: requests.storage=3Gi");
        fails(() -> c.create("", "persistentvolumeclaims", "namespace-rq",
                        "metadata: {name: c}\nspec: {storageClassName: fast, accessModes: [ReadWriteOnce], resources: {requests: {storage: 1536Mi}}}"),
                403, "persistentvolumeclaims \"c\" is forbidden: exceeded quota: rq, requested: fast.storageclass.storage.k8s.io/requests.storage=1536Mi,"
                        + "requests.storage=1536Mi, used: fast.storageclass.storage.k8s.io/requests.storage=0,requests.storage=2Gi, "
                        + "limited: fast.storageclass.storage.k8s.io/requests.storage=1Gi,requests.storage=3Gi");
        assertThat(used().path("persistentvolumeclaims").asText()).isEqualTo("1");
        assertThat(used().path("requests.storage").asText()).isEqualTo("2Gi");
    }

    @Test
    void scopesAndQuotaUpdates() {
        c.create("", "resourcequotas", "namespace-rq", "metadata: {name: rq}\nspec: {hard: {pods: '1'}, scopes: [BestEffort]}");
        pod("be-1", "");
        pod("burstable", "{requests: {cpu: 100m}}");
        fails(() -> pod("be-2", ""), 403, "pods \"be-2\" is forbidden: exceeded quota: rq, requested: pods=1, used: pods=1, limited: pods=1");
        ObjectNode rq = c.get("", "resourcequotas", "namespace-rq", "rq");
        ((ObjectNode) rq.path("spec").path("hard")).put("pods", "3").put("count/configmaps", "5");
        ObjectNode updated = c.update("", "resourcequotas", "namespace-rq", rq);
        assertThat(updated.path("status").path("hard").path("pods").asText()).isEqualTo("3");
        assertThat(updated.path("status").path("used").path("count/configmaps").asText()).isEqualTo("0");
        pod("be-2", "");
    }
}
