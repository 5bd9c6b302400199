package io.kuberaft.apiserver.crd;

import io.kuberaft.apiserver.InProcessKubectl;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Real kubectl 1.32 with a CustomResourceDefinition (upstream's CronTab example, with printer columns, status and
 * scale subresources): apply the CRD, then get by plural and short name, apply custom resources, explain, schema
 * violations, strategic merge patch refused, scale, and deleting the CRD deleting its resources.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class KubectlCustomResourceTest {
    @TempDir
    static Path tmp;
    static InProcessKubectl k;

    static final String CRD = """
            apiVersion: apiextensions.k8s.io/v1
            kind: CustomResourceDefinition
            metadata:
              name: crontabs.stable.example.com
            spec:
              group: stable.example.com
              scope: Namespaced
              names:
                plural: crontabs
                singular: crontab
                kind: CronTab
                shortNames: [ct]
                categories: [all]
              versions:
              - name: v1
                served: true
                storage: true
                subresources:
                  status: {}
                  scale:
                    specReplicasPath: .spec.replicas
                    statusReplicasPath: .status.replicas
                additionalPrinterColumns:
                - name: Spec
                  type: string
                  jsonPath: .spec.cronSpec
                - name: Replicas
                  type: integer
                  jsonPath: .spec.replicas
                - name: Age
                  type: date
                  jsonPath: .metadata.creationTimestamp
                schema:
                  openAPIV3Schema:
                    description: CronTab runs an image on a schedule.
                    type: object
                    properties:
                      spec:
                        type: object
                        description: The schedule and what to run.
                        required: [cronSpec]
                        properties:
                          cronSpec:
                            type: string
                            description: A cron expression.
                            pattern: '^(\\d+|\\*)(/\\d+)?(\\s+(\\d+|\\*)(/\\d+)?){4}$'
                          image:
                            type: string
                          replicas:
                            type: integer
                            minimum: 1
                            maximum: 10
                            default: 1
                      status:
                        type: object
                        properties:
                          replicas:
                            type: integer
            """;

    @BeforeAll
    static void start() throws Exception {
        Assumptions.assumeTrue(InProcessKubectl.available(), "kubectl not installed: skipping the end-to-end test");
        k = new InProcessKubectl(tmp);
    }

    @AfterAll
    static void stop() {
        if (k != null) {
            k.close();
        }
    }

    static Path manifest(String name, String yaml) throws Exception {
        Path f = tmp.resolve(name);
        Files.writeString(f, yaml);
        return f;
    }

    static String all(InProcessKubectl.Result r) {
        return r.out() + r.err();
    }

    @Test
    @Order(1)
    void crdIsCreatedAndEstablished() throws Exception {
        InProcessKubectl.Result r = k.kubectl(60, "apply", "-f", manifest("crd.yaml", CRD).toString()).ok();
        assertThat(r.out()).contains("customresourcedefinition.apiextensions.k8s.io/crontabs.stable.example.com created");
        k.kubectl(60, "wait", "--for=condition=Established", "--timeout=30s", "crd/crontabs.stable.example.com").ok();
        assertThat(k.kubectl(30, "get", "crd", "crontabs.stable.example.com", "-o",
                "jsonpath={.status.conditions[*].type}={.status.conditions[*].status}").ok().out())
                .isEqualTo("NamesAccepted Established=True True");
    }

    @Test
    @Order(2)
    void customResourcesAreServed() throws Exception {
        Path cr = manifest("ct.yaml", """
                apiVersion: stable.example.com/v1
                kind: CronTab
                metadata:
                  name: my-new-cron-object
                spec:
                  cronSpec: "* * * * */5"
                  image: my-awesome-cron-image
                """);
        // discovery may be cached by kubectl for a moment: the CRD was just registered
        InProcessKubectl.Result r = k.kubectl(60, "apply", "-f", cr.toString());
        assertThat(r.code()).as(all(r)).isZero();
        assertThat(r.out()).contains("crontab.stable.example.com/my-new-cron-object created");
        InProcessKubectl.Result get = k.kubectl(30, "get", "crontabs").ok();
        assertThat(get.out()).containsPattern("NAME\\s+SPEC\\s+REPLICAS\\s+AGE")
                .containsPattern("my-new-cron-object\\s+\\* \\* \\* \\* \\*/5\\s+1\\s+\\d+s");
        assertThat(k.kubectl(30, "get", "ct", "my-new-cron-object", "-o", "jsonpath={.spec.replicas}").ok().out()).isEqualTo("1");
        assertThat(k.kubectl(30, "get", "all").ok().out()).contains("crontab.stable.example.com/my-new-cron-object");
        assertThat(k.kubectl(60, "apply", "-f", cr.toString()).ok().out()).contains("unchanged");
        assertThat(k.kubectl(30, "patch", "ct", "my-new-cron-object", "--type=merge", "-p", "{\"spec\":{\"image\":\"v2\"}}").ok().out())
                .contains("crontab.stable.example.com/my-new-cron-object patched");
        assertThat(k.kubectl(30, "patch", "ct", "my-new-cron-object", "--type=json",
                "-p", "[{\"op\":\"replace\",\"path\":\"/spec/image\",\"value\":\"v3\"}]").ok().out()).contains("patched");
        InProcessKubectl.Result smp = k.kubectl(30, "patch", "ct", "my-new-cron-object", "-p", "{\"spec\":{\"image\":\"v4\"}}");
        assertThat(smp.code()).isNotZero();
        assertThat(smp.err()).contains("error: application/strategic-merge-patch+json is not supported by stable.example.com/v1, Kind=CronTab");
    }

    @Test
    @Order(3)
    void explainShowsTheSchema() throws Exception {
        InProcessKubectl.Result r = k.kubectl(60, "explain", "crontab.spec").ok();
        assertThat(r.out()).contains("KIND:       CronTab").contains("GROUP:      stable.example.com")
                .contains("The schedule and what to run.").contains("cronSpec\t<string> -required-").contains("A cron expression.");
    }

    @Test
    @Order(4)
    void schemaViolationsAre422WithCauses() throws Exception {
        Path bad = manifest("bad.yaml", """
                apiVersion: stable.example.com/v1
                kind: CronTab
                metadata:
                  name: bad
                spec:
                  cronSpec: "* * * *"
                  replicas: 15
                """);
        InProcessKubectl.Result r = k.kubectl(60, "apply", "-f", bad.toString());
        assertThat(r.code()).isNotZero();
        assertThat(r.err()).contains("The CronTab \"bad\" is invalid: ")
                .contains("* spec.cronSpec: Invalid value: \"* * * *\": spec.cronSpec in body should match '^(\\d+|\\*)(/\\d+)?(\\s+(\\d+|\\*)(/\\d+)?){4}$'")
                .contains("* spec.replicas: Invalid value: 15: spec.replicas in body should be less than or equal to 10");
        Path unknown = manifest("unknown.yaml", """
                apiVersion: stable.example.com/v1
                kind: CronTab
                metadata:
                  name: unknown
                spec:
                  cronSpec: "* * * * *"
                  imag: typo
                """);
        InProcessKubectl.Result u = k.kubectl(60, "apply", "-f", unknown.toString());
        assertThat(u.err()).contains("Error from server (BadRequest): error when creating \"" + unknown + "\": CronTab in version \"v1\" "
                + "cannot be handled as a CronTab: strict decoding error: unknown field \"spec.imag\"");
    }

    @Test
    @Order(5)
    void scaleSubresource() throws Exception {
        assertThat(k.kubectl(30, "scale", "ct", "my-new-cron-object", "--replicas=3").ok().out())
                .contains("crontab.stable.example.com/my-new-cron-object scaled");
        assertThat(k.kubectl(30, "get", "ct", "my-new-cron-object", "-o", "jsonpath={.spec.replicas}").ok().out()).isEqualTo("3");
    }

    @Test
    @Order(6)
    void deletingTheCrdDeletesItsResources() throws Exception {
        k.kubectl(60, "delete", "crd", "crontabs.stable.example.com").ok();
        InProcessKubectl.Result r = k.kubectl(30, "get", "crontabs");
        assertThat(r.code()).isNotZero();
        assertThat(k.store().range(io.etcd.jetcd.api.RangeRequest.newBuilder()
                .setKey(com.google.protobuf.ByteString.copyFromUtf8("/registry/crontabs.stable.example.com/"))
                .setRangeEnd(com.google.protobuf.ByteString.copyFromUtf8("/registry/crontabs.stable.example.com0")).build(),
                io.kuberaft.raftstore.ReadConsistency.LINEARIZABLE).get().getCount()).isZero();
    }
}
