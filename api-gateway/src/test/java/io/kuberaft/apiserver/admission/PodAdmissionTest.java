package io.kuberaft.apiserver.admission;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.kuberaft.kubeapi.StatusException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;

import static io.kuberaft.apiserver.admission.Cluster.fails;
import static org.assertj.core.api.Assertions.assertThat;

/** ServiceAccount, DefaultTolerationSeconds, Priority and RuntimeClass on pods. */
class PodAdmissionTest {
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

    private ObjectNode pod(String yaml) {
        return c.create("", "pods", "default", yaml);
    }

    @Test
    void serviceAccountTokenVolumeAsUpstreamShowsIt() {
        ObjectNode p = pod("""
                metadata: {name: web}
                spec:
                  initContainers: [{name: init, image: busybox}]
                  containers: [{name: a, image: nginx}, {name: b, image: nginx, volumeMounts: [{name: own, mountPath: /var/run/secrets/kubernetes.io/serviceaccount}]}]
                  volumes: [{name: own, emptyDir: {}}]
                """);
        JsonNode spec = p.path("spec");
        assertThat(spec.path("serviceAccountName").asText()).isEqualTo("default");
        JsonNode volume = spec.path("volumes").get(1);
        String name = volume.path("name").asText();
        assertThat(name).matches("kube-api-access-[bcdfghjklmnpqrstvwxz2456789]{5}");
        assertThat(volume.path("projected").toString()).isEqualTo("{\"defaultMode\":420,\"sources\":["
                + "{\"serviceAccountToken\":{\"expirationSeconds\":3607,\"path\":\"token\"}},"
                + "{\"configMap\":{\"items\":[{\"key\":\"ca.crt\",\"path\":\"ca.crt\"}],\"name\":\"kube-root-ca.crt\"}},"
                + "{\"downwardAPI\":{\"items\":[{\"fieldRef\":{\"apiVersion\":\"v1\",\"fieldPath\":\"metadata.namespace\"},\"path\":\"namespace\"}]}}]}");
        String mount = "{\"mountPath\":\"/var/run/secrets/kubernetes.io/serviceaccount\",\"name\":\"" + name + "\",\"readOnly\":true}";
        assertThat(spec.path("containers").get(0).path("volumeMounts").get(0).toString()).isEqualTo(mount);
        assertThat(spec.path("initContainers").get(0).path("volumeMounts").get(0).toString()).isEqualTo(mount);
        assertThat(spec.path("containers").get(1).path("volumeMounts")).hasSize(1);
    }

    @Test
    void namedServiceAccountsMustExist() {
        fails(() -> pod("metadata: {name: p}\nspec: {serviceAccountName: robot, containers: [{name: a, image: x}]}"), 403,
                "pods \"p\" is forbidden: error looking up service account default/robot: serviceaccount \"robot\" not found");
        c.create("", "serviceaccounts", "default", "metadata: {name: robot}\nautomountServiceAccountToken: false\nimagePullSecrets: [{name: regcred}]");
        ObjectNode p = pod("metadata: {name: p}\nspec: {serviceAccount: robot, containers: [{name: a, image: x}]}");
        assertThat(p.path("spec").path("serviceAccountName").asText()).isEqualTo("robot");
        assertThat(p.path("spec").path("volumes").isMissingNode()).isTrue();
        assertThat(p.path("spec").path("imagePullSecrets").get(0).path("name").asText()).isEqualTo("regcred");
        ObjectNode q = pod("metadata: {name: q}\nspec: {automountServiceAccountToken: false, containers: [{name: a, image: x}]}");
        assertThat(q.path("spec").path("volumes").isMissingNode()).isTrue();
    }

    @Test
    void defaultTolerationSeconds() {
        ObjectNode p = pod("metadata: {name: t}\nspec: {containers: [{name: a, image: x}], tolerations: [{key: node.kubernetes.io/unreachable, "
                + "operator: Exists, effect: NoExecute, tolerationSeconds: 10}]}");
        JsonNode tolerations = p.path("spec").path("tolerations");
        assertThat(tolerations).hasSize(2);
        assertThat(tolerations.get(1).toString()).isEqualTo("{\"effect\":\"NoExecute\",\"key\":\"node.kubernetes.io/not-ready\","
                + "\"operator\":\"Exists\",\"tolerationSeconds\":300}");
        ObjectNode all = pod("metadata: {name: u}\nspec: {containers: [{name: a, image: x}], tolerations: [{operator: Exists}]}");
        assertThat(all.path("spec").path("tolerations")).hasSize(1);
        ObjectNode none = pod("metadata: {name: v}\nspec: {containers: [{name: a, image: x}]}");
        assertThat(none.path("spec").path("tolerations")).extracting(t -> t.path("key").asText())
                .containsExactly("node.kubernetes.io/not-ready", "node.kubernetes.io/unreachable");
    }

    @Test
    void priorityFromTheClass() {
        ObjectNode critical = pod("metadata: {name: c}\nspec: {priorityClassName: system-node-critical, containers: [{name: a, image: x}]}");
        assertThat(critical.path("spec").path("priority").asLong()).isEqualTo(2000001000L);
        fails(() -> pod("metadata: {name: d}\nspec: {priorityClassName: gold, containers: [{name: a, image: x}]}"), 403,
                "pods \"d\" is forbidden: no PriorityClass with name gold was found");
        c.create("scheduling.k8s.io", "priorityclasses", null, "metadata: {name: gold}\nvalue: 1000\nglobalDefault: true\npreemptionPolicy: Never");
        ObjectNode byDefault = pod("metadata: {name: e}\nspec: {containers: [{name: a, image: x}]}");
        assertThat(byDefault.path("spec").path("priorityClassName").asText()).isEqualTo("gold");
        assertThat(byDefault.path("spec").path("priority").asLong()).isEqualTo(1000);
        assertThat(byDefault.path("spec").path("preemptionPolicy").asText()).isEqualTo("Never");
        fails(() -> pod("metadata: {name: f}\nspec: {priority: 5, containers: [{name: a, image: x}]}"), 403,
                "pods \"f\" is forbidden: the integer value of priority (5) must not be provided in pod spec; priority admission controller "
                        + "computed 1000 from the given PriorityClass name");
        // only one class may be the global default
        fails(() -> c.create("scheduling.k8s.io", "priorityclasses", null, "metadata: {name: silver}\nvalue: 500\nglobalDefault: true"), 403,
                "priorityclasses.scheduling.k8s.io \"silver\" is forbidden: PriorityClass gold is already marked as default. Only one default can exist");
        ObjectNode bronze = c.create("scheduling.k8s.io", "priorityclasses", null, "metadata: {name: bronze}\nvalue: 100");
        bronze.put("description", "changed");
        c.update("scheduling.k8s.io", "priorityclasses", null, bronze);
    }

    @Test
    void runtimeClassSetsOverheadAndSchedulingOrRejectsThePod() throws Exception {
        fails(() -> pod("metadata: {name: a}\nspec: {runtimeClassName: gvisor, containers: [{name: a, image: x}]}"), 403,
                "pods \"a\" is forbidden: pod rejected: RuntimeClass \"gvisor\" not found");
        fails(() -> pod("metadata: {name: b}\nspec: {overhead: {cpu: 250m}, containers: [{name: a, image: x}]}"), 403,
                "pods \"b\" is forbidden: pod rejected: Pod Overhead set without corresponding RuntimeClass defined Overhead");
        c.create("node.k8s.io", "runtimeclasses", null, """
                metadata: {name: kata}
                handler: kata
                overhead: {podFixed: {cpu: 250m, memory: 120Mi}}
                scheduling:
                  nodeSelector: {runtime: kata}
                  tolerations: [{key: runtime, operator: Equal, value: kata, effect: NoSchedule}, {key: node.kubernetes.io/not-ready, operator: Exists, effect: NoExecute}]
                """);
        ObjectNode p = pod("metadata: {name: c}\nspec: {runtimeClassName: kata, nodeSelector: {disk: ssd}, containers: [{name: a, image: x}]}");
        JsonNode spec = p.path("spec");
        assertThat(spec.path("overhead").toString()).isEqualTo("{\"cpu\":\"250m\",\"memory\":\"120Mi\"}");
        assertThat(spec.path("nodeSelector").toString()).isEqualTo("{\"disk\":\"ssd\",\"runtime\":\"kata\"}");
        // the class's not-ready toleration (any time) covers the 300 s one DefaultTolerationSeconds added (key order aside)
        assertThat((Object) io.kuberaft.apiserver.registry.Objects.JSON.readTree(spec.path("tolerations").toString())).isEqualTo(io.kuberaft.apiserver.registry.Objects.JSON.readTree("[{\"effect\":\"NoExecute\","
                + "\"key\":\"node.kubernetes.io/unreachable\",\"operator\":\"Exists\",\"tolerationSeconds\":300},{\"effect\":\"NoSchedule\","
                + "\"key\":\"runtime\",\"operator\":\"Equal\",\"value\":\"kata\"},{\"effect\":\"NoExecute\",\"key\":\"node.kubernetes.io/not-ready\","
                + "\"operator\":\"Exists\"}]"));
        // an overhead equal to the class's (in another notation) is accepted; a different one is not
        pod("metadata: {name: d}\nspec: {runtimeClassName: kata, overhead: {cpu: '0.25', memory: 120Mi}, containers: [{name: a, image: x}]}");
        fails(() -> pod("metadata: {name: e}\nspec: {runtimeClassName: kata, overhead: {cpu: 1}, containers: [{name: a, image: x}]}"), 403,
                "pods \"e\" is forbidden: pod rejected: Pod's Overhead doesn't match RuntimeClass's defined Overhead");
        fails(() -> pod("metadata: {name: f}\nspec: {runtimeClassName: kata, nodeSelector: {runtime: runc}, containers: [{name: a, image: x}]}"), 403,
                "pods \"f\" is forbidden: conflict: runtimeClass.scheduling.nodeSelector[runtime] = kata; pod.spec.nodeSelector[runtime] = runc");
        // the handler is a DNS label and immutable
        StatusException bad = Cluster.error(() -> c.create("node.k8s.io", "runtimeclasses", null, "metadata: {name: x}\nhandler: Kata_1"));
        assertThat(bad.code()).isEqualTo(422);
        assertThat(bad.getMessage()).startsWith("RuntimeClass.node.k8s.io \"x\" is invalid: handler: Invalid value: \"Kata_1\": a lowercase RFC 1123 label");
        ObjectNode kata = c.get("node.k8s.io", "runtimeclasses", null, "kata");
        kata.put("handler", "kata2");
        fails(() -> c.update("node.k8s.io", "runtimeclasses", null, kata), 422,
                "RuntimeClass.node.k8s.io \"kata\" is invalid: handler: Invalid value: \"kata2\": field is immutable");
    }

    @Test
    void defaultStorageClass() {
        c.create("storage.k8s.io", "storageclasses", null, "metadata: {name: standard, annotations: "
                + "{storageclass.kubernetes.io/is-default-class: 'true'}}\nprovisioner: k8s.io/minikube-hostpath");
        ObjectNode pvc = c.create("", "persistentvolumeclaims", "default",
                "metadata: {name: d}\nspec: {accessModes: [ReadWriteOnce], resources: {requests: {storage: 1Gi}}}");
        assertThat(pvc.path("spec").path("storageClassName").asText()).isEqualTo("standard");
        ObjectNode none = c.create("", "persistentvolumeclaims", "default",
                "metadata: {name: e}\nspec: {storageClassName: '', accessModes: [ReadWriteOnce], resources: {requests: {storage: 1Gi}}}");
        assertThat(none.path("spec").path("storageClassName").asText()).isEmpty();
    }
}
