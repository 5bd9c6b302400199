package io.kuberaft.apiserver.http;

import io.kuberaft.apiserver.InProcessKubectl;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Real kubectl 1.32 relying on server-side field validation: the OpenAPI v3 documents advertise
 * {@code fieldValidation}, so {@code apply} sends {@code fieldValidation=Strict} and prints the server's error;
 * {@code --validate=false} sends Ignore and {@code --validate=warn} prints the server's warnings.
 */
class KubectlFieldValidationTest {
    @TempDir
    static Path tmp;
    static InProcessKubectl k;

    @BeforeAll
    static void start() {
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

    static final String TYPO = """
            apiVersion: v1
            kind: Pod
            metadata:
              name: typo
            spec:
              containers:
              - name: c
                image: nginx
                imagePullPolcy: Always
            """;

    @Test
    void applyOfATypoFailsAsUpstream() throws Exception {
        Path f = manifest("typo.yaml", TYPO);
        InProcessKubectl.Result r = k.kubectl(60, "apply", "-f", f.toString());
        assertThat(r.code()).as(r.out() + r.err()).isNotZero();
        assertThat(r.err()).isEqualTo("Error from server (BadRequest): error when creating \"" + f + "\": Pod in version \"v1\" "
                + "cannot be handled as a Pod: strict decoding error: unknown field \"spec.containers[0].imagePullPolcy\"\n");
        assertThat(k.kubectl(30, "get", "pod", "typo").err()).contains("NotFound");
    }

    @Test
    void validateFalseIgnoresAndValidateWarnWarns() throws Exception {
        Path f = manifest("typo2.yaml", TYPO.replace("name: typo", "name: typo2"));
        InProcessKubectl.Result r = k.kubectl(60, "apply", "--validate=false", "-f", f.toString()).ok();
        assertThat(r.out()).contains("pod/typo2 created");
        assertThat(r.err()).isEmpty();
        Path g = manifest("typo3.yaml", TYPO.replace("name: typo", "name: typo3"));
        InProcessKubectl.Result w = k.kubectl(60, "create", "--validate=warn", "-f", g.toString()).ok();
        assertThat(w.out()).contains("pod/typo3 created");
        assertThat(w.err()).contains("Warning: unknown field \"spec.containers[0].imagePullPolcy\"");
        assertThat(k.kubectl(30, "get", "pod", "typo3", "-o", "yaml").ok().out()).doesNotContain("imagePullPolcy");
    }

    /** Upstream's pod warnings reach kubectl as `Warning:` lines, for a pod and for a Deployment's template, on create and apply. */
    @Test
    void podWarningsAreShownByKubectl() throws Exception {
        Path f = manifest("dup-env.yaml", """
                apiVersion: apps/v1
                kind: Deployment
                metadata:
                  name: dup-env
                spec:
                  selector: {matchLabels: {app: dup-env}}
                  template:
                    metadata:
                      labels: {app: dup-env}
                      annotations: {seccomp.security.alpha.kubernetes.io/pod: runtime/default}
                    spec:
                      nodeSelector: {beta.kubernetes.io/os: linux}
                      containers:
                      - name: c
                        image: nginx
                        env:
                        - {name: MODE, value: a}
                        - {name: MODE, value: b}
                """);
        InProcessKubectl.Result r = k.kubectl(60, "apply", "-f", f.toString()).ok();
        assertThat(r.out()).contains("deployment.apps/dup-env created");
        assertThat(r.err()).contains(
                "Warning: spec.template.spec.containers[0].env[1]: hides previous definition of \"MODE\", which may be dropped when using apply",
                "Warning: spec.template.metadata.annotations[seccomp.security.alpha.kubernetes.io/pod]: non-functional in v1.27+; "
                        + "use the \"seccompProfile\" field instead",
                "Warning: spec.template.spec.nodeSelector[beta.kubernetes.io/os]: deprecated since v1.14; use \"kubernetes.io/os\" instead");
        Path pod = manifest("neg-grace.yaml", """
                apiVersion: v1
                kind: Pod
                metadata: {name: neg-grace}
                spec:
                  terminationGracePeriodSeconds: -5
                  containers:
                  - {name: c, image: nginx, resources: {requests: {memory: 100m}}}
                """);
        InProcessKubectl.Result p = k.kubectl(60, "create", "-f", pod.toString()).ok();
        assertThat(p.err()).contains(
                "Warning: spec.terminationGracePeriodSeconds: must be >= 0; negative values are invalid and will be treated as 1",
                "Warning: spec.containers[0].resources.requests[memory]: fractional byte value \"100m\" is invalid, must be an integer");
        assertThat(k.kubectl(60, "apply", "-f", manifest("plain.yaml", TYPO.replace("name: typo", "name: plain")
                .replace("    imagePullPolcy: Always\n", "")).toString()).ok().err()).as("no warning for a plain pod").isEmpty();
    }

    @Test
    void wrongTypeFailsWithTheDecodingError() throws Exception {
        Path f = manifest("svc.yaml", """
                apiVersion: v1
                kind: Service
                metadata:
                  name: map-ports
                spec:
                  selector:
                    app: node
                  ports:
                    port: 80
                    targetPort: 8080
                """);
        InProcessKubectl.Result r = k.kubectl(60, "apply", "-f", f.toString());
        assertThat(r.err()).contains("Error from server (BadRequest): error when creating \"" + f + "\": Service in version \"v1\" "
                + "cannot be handled as a Service: json: cannot unmarshal object into Go struct field ServiceSpec.spec.ports of type "
                + "[]v1.ServicePort");
    }
}
