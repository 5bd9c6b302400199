package io.kuberaft.apiserver.strategy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.kuberaft.apiserver.admission.Cluster;
import io.kuberaft.kubeapi.StatusException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;

import static io.kuberaft.apiserver.admission.Cluster.error;
import static io.kuberaft.apiserver.admission.Cluster.fails;
import static org.assertj.core.api.Assertions.assertThat;

class WorkloadStrategiesTest {
    @TempDir
    Path dir;
    Cluster c;

    static final String TEMPLATE = """
              template:
                metadata: {labels: {app: web}}
                spec: {containers: [{name: nginx, image: nginx:1.25}]}
            """;

    @BeforeEach
    void start() {
        c = new Cluster(dir);
    }

    @AfterEach
    void stop() {
        c.close();
    }

    @Test
    void deploymentDefaults() {
        ObjectNode d = c.create("apps", "deployments", "default", "metadata: {name: web}\nspec:\n  selector: {matchLabels: {app: web}}\n" + TEMPLATE);
        JsonNode spec = d.path("spec");
        assertThat(spec.path("replicas").asInt()).isEqualTo(1);
        assertThat(spec.path("strategy").path("type").asText()).isEqualTo("RollingUpdate");
        assertThat(spec.path("strategy").path("rollingUpdate").path("maxUnavailable").asText()).isEqualTo("25%");
        assertThat(spec.path("strategy").path("rollingUpdate").path("maxSurge").asText()).isEqualTo("25%");
        assertThat(spec.path("revisionHistoryLimit").asInt()).isEqualTo(10);
        assertThat(spec.path("progressDeadlineSeconds").asInt()).isEqualTo(600);
        JsonNode pod = spec.path("template").path("spec");
        assertThat(pod.path("restartPolicy").asText()).isEqualTo("Always");
        assertThat(pod.path("schedulerName").asText()).isEqualTo("default-scheduler");
        assertThat(pod.path("containers").get(0).path("imagePullPolicy").asText()).isEqualTo("IfNotPresent");
        assertThat(pod.has("enableServiceLinks")).as("pod-only default").isFalse();
        assertThat(d.path("status").isObject()).isTrue();
    }

    @Test
    void deploymentValidation() {
        fails(() -> c.create("apps", "deployments", "default",
                        "metadata: {name: web}\nspec:\n  selector: {matchLabels: {app: api}}\n" + TEMPLATE), 422,
                "Deployment.apps \"web\" is invalid: spec.template.metadata.labels: Invalid value: map[string]string{\"app\":\"web\"}: "
                        + "`selector` does not match template `labels`");
        fails(() -> c.create("apps", "deployments", "default", "metadata: {name: web}\nspec:\n" + TEMPLATE), 422,
                "Deployment.apps \"web\" is invalid: spec.selector: Required value");
        StatusException e = error(() -> c.create("apps", "deployments", "default",
                "metadata: {name: web}\nspec:\n  replicas: -1\n  selector: {matchLabels: {app: web}}\n"
                        + "  strategy: {type: RollingUpdate, rollingUpdate: {maxSurge: 0, maxUnavailable: 0}}\n" + TEMPLATE));
        assertThat(e.causes()).extracting(StatusException.Cause::field, StatusException.Cause::message).containsExactly(
                org.assertj.core.groups.Tuple.tuple("spec.replicas", "Invalid value: -1: must be greater than or equal to 0"),
                org.assertj.core.groups.Tuple.tuple("spec.strategy.rollingUpdate.maxUnavailable",
                        "Invalid value: intstr.IntOrString{Type:0, IntVal:0, StrVal:\"\"}: may not be 0 when `maxSurge` is 0"));
        fails(() -> c.create("apps", "deployments", "default", "metadata: {name: web}\nspec:\n  selector: {matchLabels: {app: web}}\n"
                        + "  template:\n    metadata: {labels: {app: web}}\n    spec: {restartPolicy: Never, containers: [{name: a, image: x}]}\n"),
                422, "Deployment.apps \"web\" is invalid: spec.template.spec.restartPolicy: Unsupported value: \"Never\": supported values: \"Always\"");
    }

    @Test
    void deploymentSelectorIsImmutableAndSpecChangesBumpGeneration() {
        ObjectNode d = c.create("apps", "deployments", "default", "metadata: {name: web}\nspec:\n  selector: {matchLabels: {app: web}}\n" + TEMPLATE);
        ((ObjectNode) d.path("spec")).put("replicas", 3);
        ObjectNode scaled = c.update("apps", "deployments", "default", d);
        assertThat(scaled.path("metadata").path("generation").asLong()).isEqualTo(2);
        ObjectNode changed = scaled.deepCopy();
        ((ObjectNode) changed.path("spec").path("selector").path("matchLabels")).put("tier", "fe");
        ((ObjectNode) changed.path("spec").path("template").path("metadata").path("labels")).put("tier", "fe");
        fails(() -> c.update("apps", "deployments", "default", changed), 422, "Deployment.apps \"web\" is invalid: spec.selector: Invalid value: "
                + "v1.LabelSelector{MatchLabels:map[string]string{\"app\":\"web\", \"tier\":\"fe\"}, "
                + "MatchExpressions:[]v1.LabelSelectorRequirement(nil)}: field is immutable");
    }

    @Test
    void onlyTheKindsUpstreamCountsHaveAGenerationAndDeploymentsCountAnnotationChangesToo() {
        ObjectNode d = c.create("apps", "deployments", "default", "metadata: {name: gen}\nspec:\n  selector: {matchLabels: {app: web}}\n" + TEMPLATE);
        assertThat(d.path("metadata").path("generation").asLong()).isEqualTo(1);
        ((ObjectNode) d.path("metadata")).putObject("annotations").put("note", "x");
        ObjectNode annotated = c.update("apps", "deployments", "default", d);
        assertThat(annotated.path("metadata").path("generation").asLong()).as("annotations are copied to ReplicaSets").isEqualTo(2);
        ((ObjectNode) annotated.path("metadata")).putObject("labels").put("team", "a");
        assertThat(c.update("apps", "deployments", "default", annotated).path("metadata").path("generation").asLong())
                .as("a label change is not counted").isEqualTo(2);
        // the deployment controller's revision annotation goes through the status subresource (UpdateStatus): it is
        // stored without a generation bump, while a label or spec change sent there is dropped
        ObjectNode viaStatus = c.api.guaranteedUpdate(c.def("apps", "deployments"), "default", "gen", true, x -> {
            ((ObjectNode) x.path("metadata").path("annotations")).put("deployment.kubernetes.io/revision", "1");
            ((ObjectNode) x.path("metadata").path("labels")).put("team", "b");
            ((ObjectNode) x.path("spec")).put("replicas", 5);
            ((ObjectNode) x.path("status")).put("observedGeneration", 2);
            return x;
        }, io.kuberaft.apiserver.registry.GenericRegistry.WriteOptions.DEFAULT);
        assertThat(viaStatus.path("metadata").path("annotations").path("deployment.kubernetes.io/revision").asText()).isEqualTo("1");
        assertThat(viaStatus.path("metadata").path("generation").asLong()).isEqualTo(2);
        assertThat(viaStatus.path("metadata").path("labels").path("team").asText()).isEqualTo("a");
        assertThat(viaStatus.path("spec").path("replicas").asInt()).isEqualTo(1);
        assertThat(viaStatus.path("status").path("observedGeneration").asInt()).isEqualTo(2);

        ObjectNode cm = c.create("", "configmaps", "default", "metadata: {name: cm, generation: 7}\ndata: {a: b}");
        assertThat(cm.path("metadata").has("generation")).as("configmaps have none, and a client cannot set one").isFalse();
        ((ObjectNode) cm.path("data")).put("a", "c");
        ((ObjectNode) cm.path("metadata")).put("generation", 3);
        assertThat(c.update("", "configmaps", "default", cm).path("metadata").has("generation")).isFalse();

        ObjectNode np = c.create("networking.k8s.io", "networkpolicies", "default", "metadata: {name: np}\nspec: {podSelector: {}}");
        assertThat(np.path("metadata").path("generation").asLong()).isEqualTo(1);
        ((ObjectNode) np.path("spec")).putObject("podSelector").putObject("matchLabels").put("app", "x");
        assertThat(c.update("networking.k8s.io", "networkpolicies", "default", np).path("metadata").path("generation").asLong()).isEqualTo(2);
        assertThat(c.namespace("gen-ns").path("metadata").has("generation")).isFalse();
    }

    @Test
    void replacingWithTheOriginalManifestKeepsTheGeneration() {
        String manifest = "metadata: {name: web}\nspec:\n  selector: {matchLabels: {app: web}}\n" + TEMPLATE;
        ObjectNode d = c.create("apps", "deployments", "default", manifest);
        ObjectNode replace = Cluster.yaml(manifest);
        ObjectNode updated = c.update("apps", "deployments", "default", replace);
        assertThat(updated.path("metadata").path("generation").asLong()).as("defaults re-applied, spec unchanged").isEqualTo(1);
        assertThat(updated.path("spec").path("revisionHistoryLimit").asInt()).isEqualTo(10);
        assertThat(d.path("metadata").path("uid").asText()).isEqualTo(updated.path("metadata").path("uid").asText());
    }

    @Test
    void replicaSetsReplicationControllersStatefulSetsDaemonSets() {
        ObjectNode rs = c.create("apps", "replicasets", "default", "metadata: {name: rs}\nspec:\n  selector: {matchLabels: {app: web}}\n" + TEMPLATE);
        assertThat(rs.path("spec").path("replicas").asInt()).isEqualTo(1);
        assertThat(rs.path("status").path("replicas").asInt()).isZero();

        ObjectNode rc = c.create("", "replicationcontrollers", "default", "metadata: {name: rc}\nspec:\n" + TEMPLATE);
        assertThat(rc.path("spec").path("selector").path("app").asText()).isEqualTo("web");
        assertThat(rc.path("metadata").path("labels").path("app").asText()).isEqualTo("web");
        assertThat(rc.path("spec").path("replicas").asInt()).isEqualTo(1);

        ObjectNode sts = c.create("apps", "statefulsets", "default", "metadata: {name: db}\nspec:\n  serviceName: db\n"
                + "  selector: {matchLabels: {app: web}}\n" + TEMPLATE
                + "  volumeClaimTemplates:\n  - metadata: {name: data}\n    spec: {accessModes: [ReadWriteOnce], resources: {requests: {storage: 1Gi}}}\n");
        JsonNode s = sts.path("spec");
        assertThat(s.path("podManagementPolicy").asText()).isEqualTo("OrderedReady");
        assertThat(s.path("updateStrategy").path("type").asText()).isEqualTo("RollingUpdate");
        assertThat(s.path("updateStrategy").path("rollingUpdate").path("partition").asInt()).isZero();
        assertThat(s.path("persistentVolumeClaimRetentionPolicy").path("whenDeleted").asText()).isEqualTo("Retain");
        assertThat(s.path("revisionHistoryLimit").asInt()).isEqualTo(10);
        assertThat(s.path("volumeClaimTemplates").get(0).path("spec").path("volumeMode").asText()).isEqualTo("Filesystem");
        ObjectNode stsChange = sts.deepCopy();
        ((ObjectNode) stsChange.path("spec")).put("serviceName", "other");
        fails(() -> c.update("apps", "statefulsets", "default", stsChange), 422, "StatefulSet.apps \"db\" is invalid: spec: Forbidden: updates to "
                + "statefulset spec for fields other than 'replicas', 'ordinals', 'template', 'updateStrategy', 'revisionHistoryLimit', "
                + "'persistentVolumeClaimRetentionPolicy' and 'minReadySeconds' are forbidden");

        ObjectNode ds = c.create("apps", "daemonsets", "default", "metadata: {name: ds}\nspec:\n  selector: {matchLabels: {app: web}}\n" + TEMPLATE);
        assertThat(ds.path("spec").path("updateStrategy").path("rollingUpdate").path("maxUnavailable").asInt()).isEqualTo(1);
        assertThat(ds.path("spec").path("updateStrategy").path("rollingUpdate").path("maxSurge").asInt()).isZero();
        assertThat(ds.path("status").path("desiredNumberScheduled").asInt()).isZero();
    }

    @Test
    void jobsGetAGeneratedSelectorAndAnImmutableTemplate() {
        ObjectNode job = c.create("batch", "jobs", "default", """
                metadata: {name: pi}
                spec:
                  template:
                    spec:
                      restartPolicy: Never
                      containers: [{name: pi, image: perl}]
                """);
        String uid = job.path("metadata").path("uid").asText();
        JsonNode spec = job.path("spec");
        assertThat(spec.path("completions").asInt()).isEqualTo(1);
        assertThat(spec.path("parallelism").asInt()).isEqualTo(1);
        assertThat(spec.path("backoffLimit").asInt()).isEqualTo(6);
        assertThat(spec.path("completionMode").asText()).isEqualTo("NonIndexed");
        assertThat(spec.path("suspend").asBoolean(true)).isFalse();
        assertThat(spec.path("podReplacementPolicy").asText()).isEqualTo("TerminatingOrFailed");
        assertThat(spec.path("selector").path("matchLabels").path("batch.kubernetes.io/controller-uid").asText()).isEqualTo(uid);
        JsonNode labels = spec.path("template").path("metadata").path("labels");
        assertThat(labels.path("job-name").asText()).isEqualTo("pi");
        assertThat(labels.path("batch.kubernetes.io/job-name").asText()).isEqualTo("pi");
        assertThat(labels.path("controller-uid").asText()).isEqualTo(uid);

        ObjectNode changed = job.deepCopy();
        ((ObjectNode) changed.path("spec").path("template").path("spec").path("containers").get(0)).put("image", "perl:5");
        StatusException e = error(() -> c.update("batch", "jobs", "default", changed));
        assertThat(e.causes()).extracting(StatusException.Cause::field, StatusException.Cause::message)
                .containsExactly(org.assertj.core.groups.Tuple.tuple("spec.template", "Invalid value: core.PodTemplateSpec{...}: field is immutable"));

        fails(() -> c.create("batch", "jobs", "default", "metadata: {name: bad}\nspec: {template: {spec: {containers: [{name: a, image: x}]}}}"),
                422, "Job.batch \"bad\" is invalid: spec.template.spec.restartPolicy: Unsupported value: \"Always\": supported values: \"OnFailure\", \"Never\"");
        StatusException pfp = error(() -> c.create("batch", "jobs", "default", """
                metadata: {name: pfp}
                spec:
                  podFailurePolicy:
                    rules:
                    - {action: Explode, onExitCodes: {operator: In, values: [42]}}
                    - {action: Ignore}
                  template:
                    spec:
                      restartPolicy: OnFailure
                      containers: [{name: pi, image: perl}]
                """));
        assertThat(pfp.causes()).extracting(StatusException.Cause::field).containsExactlyInAnyOrder("spec.template.spec.restartPolicy",
                "spec.podFailurePolicy.rules[0].action", "spec.podFailurePolicy.rules[1]");
        assertThat(pfp.getMessage()).contains("only \"Never\" is supported when podFailurePolicy is specified");

        // per-index backoff and success policies are for Indexed Jobs, with upstream's messages
        StatusException indexedOnly = error(() -> c.create("batch", "jobs", "default", """
                metadata: {name: nonindexed}
                spec:
                  completions: 3
                  backoffLimitPerIndex: 1
                  maxFailedIndexes: 4
                  successPolicy: {rules: [{succeededIndexes: "0"}]}
                  template: {spec: {restartPolicy: Never, containers: [{name: pi, image: perl}]}}
                """));
        assertThat(indexedOnly.causes()).extracting(StatusException.Cause::field, StatusException.Cause::message).containsExactlyInAnyOrder(
                org.assertj.core.groups.Tuple.tuple("spec.backoffLimitPerIndex", "Invalid value: 1: requires indexed completion mode"),
                org.assertj.core.groups.Tuple.tuple("spec.maxFailedIndexes", "Invalid value: 4: must be less than or equal to completions"),
                org.assertj.core.groups.Tuple.tuple("spec.successPolicy", "Invalid value: batch.SuccessPolicy{...}: requires indexed completion mode"));
        StatusException rules = error(() -> c.create("batch", "jobs", "default", """
                metadata: {name: badrules}
                spec:
                  completionMode: Indexed
                  completions: 3
                  maxFailedIndexes: 1
                  successPolicy: {rules: [{}, {succeededIndexes: "x-1"}, {succeededCount: 5}]}
                  template: {spec: {restartPolicy: Never, containers: [{name: pi, image: perl}]}}
                """));
        assertThat(rules.causes()).extracting(StatusException.Cause::field).containsExactlyInAnyOrder("spec.backoffLimitPerIndex",
                "spec.successPolicy.rules[0]", "spec.successPolicy.rules[1].succeededIndexes", "spec.successPolicy.rules[2].succeededCount");
        ObjectNode ok = c.create("batch", "jobs", "default", """
                metadata: {name: perindex}
                spec:
                  completionMode: Indexed
                  completions: 3
                  backoffLimitPerIndex: 1
                  maxFailedIndexes: 2
                  successPolicy: {rules: [{succeededIndexes: "0-1", succeededCount: 1}]}
                  template: {spec: {restartPolicy: Never, containers: [{name: pi, image: perl}]}}
                """);
        assertThat(ok.path("spec").path("backoffLimit").asInt()).isEqualTo(Integer.MAX_VALUE);
    }

    @Test
    void cronJobs() {
        ObjectNode cj = c.create("batch", "cronjobs", "default", """
                metadata: {name: hello}
                spec:
                  schedule: "*/1 * * * *"
                  jobTemplate:
                    spec:
                      template:
                        spec:
                          restartPolicy: OnFailure
                          containers: [{name: hello, image: busybox}]
                """);
        assertThat(cj.path("spec").path("concurrencyPolicy").asText()).isEqualTo("Allow");
        assertThat(cj.path("spec").path("suspend").asBoolean(true)).isFalse();
        assertThat(cj.path("spec").path("successfulJobsHistoryLimit").asInt()).isEqualTo(3);
        assertThat(cj.path("spec").path("failedJobsHistoryLimit").asInt()).isEqualTo(1);
        assertThat(CronJobStrategy.scheduleProblem("@hourly")).isNull();
        assertThat(CronJobStrategy.scheduleProblem("0 0 * * MON-FRI")).isNull();
        assertThat(CronJobStrategy.scheduleProblem("every minute")).isEqualTo("expected exactly 5 fields, found 2: every minute");
        assertThat(CronJobStrategy.scheduleProblem("61 * * * *")).isNotNull();
        fails(() -> c.create("batch", "cronjobs", "default", "metadata: {name: " + "x".repeat(53) + "}\nspec: {schedule: '@daily', "
                        + "jobTemplate: {spec: {template: {spec: {restartPolicy: Never, containers: [{name: a, image: x}]}}}}}"),
                422, "CronJob.batch \"" + "x".repeat(53) + "\" is invalid: metadata.name: Invalid value: \"" + "x".repeat(53)
                        + "\": must be no more than 52 characters");
    }
}
