package io.kuberaft.apiserver.strategy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.kuberaft.apiserver.admission.Cluster;
import io.kuberaft.apiserver.http.ResourceHandler;
import io.kuberaft.kubeapi.StatusException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.Map;

import static io.kuberaft.apiserver.admission.Cluster.error;
import static io.kuberaft.apiserver.admission.Cluster.fails;
import static org.assertj.core.api.Assertions.assertThat;

class PodStrategyTest {
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
    void createFillsUpstreamDefaults() {
        ObjectNode p = pod("""
                metadata: {name: web}
                spec:
                  containers:
                  - name: nginx
                    image: nginx
                    ports: [{containerPort: 80}]
                  - name: side
                    image: busybox:1.36
                """);
        JsonNode spec = p.path("spec");
        assertThat(spec.path("schedulerName").asText()).isEqualTo("default-scheduler");
        assertThat(spec.path("terminationGracePeriodSeconds").asInt()).isEqualTo(30);
        assertThat(spec.path("dnsPolicy").asText()).isEqualTo("ClusterFirst");
        assertThat(spec.path("restartPolicy").asText()).isEqualTo("Always");
        assertThat(spec.path("securityContext").isObject()).isTrue();
        assertThat(spec.path("enableServiceLinks").asBoolean()).isTrue();
        JsonNode nginx = spec.path("containers").get(0);
        assertThat(nginx.path("imagePullPolicy").asText()).isEqualTo("Always");
        assertThat(nginx.path("terminationMessagePath").asText()).isEqualTo("/dev/termination-log");
        assertThat(nginx.path("terminationMessagePolicy").asText()).isEqualTo("File");
        assertThat(nginx.path("ports").get(0).path("protocol").asText()).isEqualTo("TCP");
        assertThat(nginx.path("resources").isObject()).isTrue();
        assertThat(spec.path("containers").get(1).path("imagePullPolicy").asText()).isEqualTo("IfNotPresent");
        assertThat(p.path("status").path("phase").asText()).isEqualTo("Pending");
        assertThat(p.path("status").path("qosClass").asText()).isEqualTo("BestEffort");
        // admission: service account, tolerations, priority
        assertThat(spec.path("serviceAccountName").asText()).isEqualTo("default");
        assertThat(spec.path("serviceAccount").asText()).isEqualTo("default");
        assertThat(spec.path("priority").asInt()).isZero();
        assertThat(spec.path("preemptionPolicy").asText()).isEqualTo("PreemptLowerPriority");
    }

    @Test
    void imagePullPolicyFollowsTheTag() {
        assertThat(PodSpecs.imageTag("nginx")).isEqualTo("latest");
        assertThat(PodSpecs.imageTag("nginx:latest")).isEqualTo("latest");
        assertThat(PodSpecs.imageTag("localhost:5000/nginx")).isEqualTo("latest");
        assertThat(PodSpecs.imageTag("localhost:5000/nginx:1.2")).isEqualTo("1.2");
        assertThat(PodSpecs.imageTag("nginx@sha256:abc")).isEmpty();
    }

    @Test
    void qosClassFromRequestsAndLimits() {
        ObjectNode guaranteed = pod("""
                metadata: {name: g}
                spec:
                  containers:
                  - {name: a, image: x, resources: {limits: {cpu: 500m, memory: 128Mi}}}
                """);
        assertThat(guaranteed.path("status").path("qosClass").asText()).isEqualTo("Guaranteed");
        // requests default to limits on pods (SetDefaults_Pod), quantities stored canonically
        assertThat(guaranteed.path("spec").path("containers").get(0).path("resources").path("requests").path("cpu").asText()).isEqualTo("500m");
        ObjectNode burstable = pod("""
                metadata: {name: b}
                spec:
                  containers:
                  - {name: a, image: x, resources: {requests: {cpu: 0.5}}}
                """);
        assertThat(burstable.path("status").path("qosClass").asText()).isEqualTo("Burstable");
        assertThat(burstable.path("spec").path("containers").get(0).path("resources").path("requests").path("cpu").asText()).isEqualTo("500m");
    }

    @Test
    void schedulingGatesAreQualifiedNamesOnceEach() {
        StatusException e = error(() -> pod("""
                metadata: {name: gates}
                spec:
                  schedulingGates: [{name: example.com/a}, {name: example.com/a}, {name: "bad name"}]
                  containers: [{name: a, image: x}]
                """));
        assertThat(e.code()).isEqualTo(422);
        assertThat(e.causes()).extracting(StatusException.Cause::field, StatusException.Cause::reason).contains(
                org.assertj.core.groups.Tuple.tuple("spec.schedulingGates[1].name", "FieldValueDuplicate"),
                org.assertj.core.groups.Tuple.tuple("spec.schedulingGates[2].name", "FieldValueInvalid"));
        ObjectNode gated = pod("""
                metadata: {name: gated}
                spec: {schedulingGates: [{name: example.com/a}], containers: [{name: a, image: x}]}
                """);
        assertThat(gated.at("/status/conditions/0/reason").asText()).isEqualTo("SchedulingGated");
    }

    @Test
    void malformedQuantityIsABadRequest() {
        fails(() -> pod("""
                metadata: {name: q}
                spec: {containers: [{name: a, image: x, resources: {requests: {memory: 12 MB}}}]}
                """), 400, "Pod in version \"v1\" cannot be handled as a Pod: quantities must match the regular expression "
                + "'^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'");
    }

    @Test
    void validationCausesCarryUpstreamPathsAndMessages() {
        fails(() -> pod("metadata: {name: empty}\nspec: {containers: []}"), 422,
                "Pod \"empty\" is invalid: spec.containers: Required value");
        StatusException e = error(() -> pod("""
                metadata: {name: bad}
                spec:
                  containers:
                  - {name: Web, image: nginx}
                  - {name: db, image: ""}
                  - {name: db, image: redis, ports: [{containerPort: 70000}, {containerPort: 80, protocol: HTTP}]}
                """));
        assertThat(e.code()).isEqualTo(422);
        assertThat(e.causes()).extracting(StatusException.Cause::field, StatusException.Cause::message).contains(
                org.assertj.core.groups.Tuple.tuple("spec.containers[0].name", "Invalid value: \"Web\": a lowercase RFC 1123 label must consist "
                        + "of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  "
                        + "or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')"),
                org.assertj.core.groups.Tuple.tuple("spec.containers[1].image", "Required value"),
                org.assertj.core.groups.Tuple.tuple("spec.containers[2].name", "Duplicate value: \"db\""),
                org.assertj.core.groups.Tuple.tuple("spec.containers[2].ports[0].containerPort", "Invalid value: 70000: must be between 1 and 65535, inclusive"),
                org.assertj.core.groups.Tuple.tuple("spec.containers[2].ports[1].protocol", "Unsupported value: \"HTTP\": supported values: \"SCTP\", \"TCP\", \"UDP\""));
        assertThat(e.causes()).extracting(StatusException.Cause::reason).contains("FieldValueInvalid", "FieldValueRequired",
                "FieldValueDuplicate", "FieldValueNotSupported");
        fails(() -> pod("metadata: {name: r}\nspec: {restartPolicy: Sometimes, containers: [{name: a, image: x}]}"), 422,
                "Pod \"r\" is invalid: spec.restartPolicy: Unsupported value: \"Sometimes\": supported values: \"Always\", \"OnFailure\", \"Never\"");
        fails(() -> pod("metadata: {name: v}\nspec: {containers: [{name: a, image: x, volumeMounts: [{name: data, mountPath: /d}]}]}"), 422,
                "Pod \"v\" is invalid: spec.containers[0].volumeMounts[0].name: Not found: \"data\"");
        fails(() -> pod("metadata: {name: l}\nspec: {containers: [{name: a, image: x, resources: {requests: {memory: 2Gi}, limits: {memory: 1Gi}}}]}"),
                422, "Pod \"l\" is invalid: spec.containers[0].resources.requests: Invalid value: \"2Gi\": must be less than or equal to memory limit of 1Gi");
    }

    @Test
    void updatesMayChangeImagesDeadlineAndAddTolerationsOnly() {
        ObjectNode p = pod("metadata: {name: u}\nspec: {containers: [{name: a, image: nginx:1.0}]}");
        ((ObjectNode) p.path("spec").path("containers").get(0)).put("image", "nginx:1.1");
        ((ObjectNode) p.path("spec")).put("activeDeadlineSeconds", 100);
        ((ObjectNode) p.path("spec")).withArray("tolerations").addObject().put("key", "k").put("operator", "Exists");
        ObjectNode updated = c.update("", "pods", "default", p);
        assertThat(updated.path("spec").path("containers").get(0).path("image").asText()).isEqualTo("nginx:1.1");
        assertThat(updated.path("metadata").has("generation")).as("pods have no generation in 1.32").isFalse();

        ((ObjectNode) updated.path("spec")).put("restartPolicy", "Never");
        StatusException e = error(() -> c.update("", "pods", "default", updated));
        assertThat(e.code()).isEqualTo(422);
        assertThat(e.causes()).singleElement().satisfies(cause -> {
            assertThat(cause.field()).isEqualTo("spec");
            assertThat(cause.reason()).isEqualTo("FieldValueForbidden");
            assertThat(cause.message()).startsWith("Forbidden: pod updates may not change fields other than `spec.containers[*].image`,"
                    + "`spec.initContainers[*].image`,`spec.activeDeadlineSeconds`,`spec.tolerations` (only additions to existing tolerations),"
                    + "`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative)\n");
            assertThat(cause.message()).contains("RestartPolicy");
        });
        ObjectNode again = c.get("", "pods", "default", "u");
        ((ObjectNode) again.path("spec")).remove("tolerations");
        assertThat(error(() -> c.update("", "pods", "default", again)).causes()).extracting(StatusException.Cause::message)
                .contains("Forbidden: existing toleration can not be modified except its tolerationSeconds");
    }

    @Test
    void boundPodsAreDeletedGracefully() {
        PodStrategy s = new PodStrategy();
        ObjectNode unbound = Cluster.yaml("spec: {terminationGracePeriodSeconds: 30}");
        ObjectNode bound = Cluster.yaml("spec: {nodeName: n1, terminationGracePeriodSeconds: 30}");
        ObjectNode done = Cluster.yaml("spec: {nodeName: n1, terminationGracePeriodSeconds: 30}\nstatus: {phase: Succeeded}");
        assertThat(s.gracePeriodSeconds(unbound, null)).isZero();
        assertThat(s.gracePeriodSeconds(bound, null)).isEqualTo(30);
        assertThat(s.gracePeriodSeconds(bound, 5L)).isEqualTo(5);
        assertThat(s.gracePeriodSeconds(bound, -3L)).isEqualTo(1);
        assertThat(s.gracePeriodSeconds(done, null)).isZero();

        ObjectNode p = pod("metadata: {name: g}\nspec: {nodeName: n1, containers: [{name: a, image: x}]}");
        ObjectNode marked = c.delete("", "pods", "default", "g");
        assertThat(marked.path("metadata").path("deletionGracePeriodSeconds").asLong()).isEqualTo(30);
        assertThat(c.get("", "pods", "default", "g").path("metadata").has("deletionTimestamp")).isTrue();
        assertThat(p).isNotNull();
        pod("metadata: {name: h}\nspec: {containers: [{name: a, image: x}]}");
        c.delete("", "pods", "default", "h");
        assertThat(c.get("", "pods", "default", "h")).isNull();
    }

    @Test
    void fieldSelectors() {
        pod("metadata: {name: a}\nspec: {nodeName: n1, containers: [{name: a, image: x}]}");
        pod("metadata: {name: b}\nspec: {containers: [{name: a, image: x}], restartPolicy: Never}");
        assertThat(select("spec.nodeName=n1")).containsExactly("a");
        assertThat(select("spec.nodeName=")).containsExactly("b");
        assertThat(select("status.phase=Pending,spec.restartPolicy=Never")).containsExactly("b");
        assertThat(select("spec.schedulerName=default-scheduler,spec.serviceAccountName=default")).containsExactly("a", "b");
        assertThat(select("status.podIP=")).containsExactly("a", "b");
        assertThat(select("spec.hostNetwork=false")).containsExactly("a", "b");
        fails(() -> select("spec.containers=x"), 400, "field label not supported: spec.containers");
    }

    private java.util.List<String> select(String selector) {
        var def = c.def("", "pods");
        var filter = ResourceHandler.filter(def, new ResourceHandler.Query(Map.of("fieldSelector", selector)));
        return c.list("", "pods", "default").stream().filter(filter).map(o -> o.path("metadata").path("name").asText()).toList();
    }
}
