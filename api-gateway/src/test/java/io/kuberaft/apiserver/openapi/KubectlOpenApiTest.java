package io.kuberaft.apiserver.openapi;

import io.kuberaft.apiserver.ApiServer;
import io.kuberaft.raftstore.ClusterView;
import io.kuberaft.raftstore.LocalKvStore;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The real kubectl (1.32) against an in-process server: {@code apply -f} with default validation (which
 * downloads /openapi/v3 and /openapi/v2), strict client-side validation of unknown fields, and
 * {@code explain}. Skipped when /usr/bin/kubectl is absent.
 */
class KubectlOpenApiTest {
    private static final Path KUBECTL = Path.of("/usr/bin/kubectl");
    private static final Path SEED = Path.of(System.getProperty("kuberaft.shared", "/work/shared"),
            "manifests/seed/000_3055_Deployment-Service.yaml");

    @TempDir
    static Path tmp;
    static LocalKvStore store;
    static ApiServer server;

    @BeforeAll
    static void start() throws IOException {
        Assumptions.assumeTrue(Files.isExecutable(KUBECTL), "kubectl not installed at /usr/bin/kubectl: skipping the end-to-end test");
        Assumptions.assumeTrue(Files.isReadable(SEED), "seed manifest " + SEED + " missing: skipping the end-to-end test");
        store = new LocalKvStore(tmp.resolve("store"));
        server = ApiServer.start(ApiServer.Options.plain("127.0.0.1", 0), store,
                ClusterView.standalone("m1", () -> 0), new SimpleMeterRegistry(), () -> "");
    }

    @AfterAll
    static void stop() {
        if (server != null) {
            server.close();
        }
        if (store != null) {
            store.close();
        }
    }

    record Result(int code, String out, String err) {
        String all() {
            return out + err;
        }
    }

    static Result kubectl(String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(KUBECTL.toString(), "--server", "http://127.0.0.1:" + server.port(),
                "--cache-dir", tmp.resolve("kube-cache").toString(), "--request-timeout", "30s"));
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd);
        pb.environment().put("HOME", tmp.toString());
        pb.environment().put("KUBECONFIG", tmp.resolve("no-kubeconfig").toString());
        Path out = Files.createTempFile(tmp, "out", ".txt");
        Path err = Files.createTempFile(tmp, "err", ".txt");
        pb.redirectOutput(out.toFile()).redirectError(err.toFile());
        Process p = pb.start();
        if (!p.waitFor(90, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError("kubectl " + String.join(" ", args) + " timed out");
        }
        Result r = new Result(p.exitValue(), Files.readString(out), Files.readString(err));
        System.out.println("$ kubectl " + String.join(" ", args) + "  (exit " + r.code() + ")\n" + r.all());
        return r;
    }

    @Test
    void applyWithDefaultValidationCreatesTheDeployment() throws Exception {
        Result r = kubectl("apply", "-f", SEED.toString());
        assertThat(r.out()).as(r.all()).contains("deployment.apps/deployment created");
        // the Service in that file has `ports:` as a map: validation rejects it, as upstream does
        assertThat(r.err()).as(r.all()).doesNotContain("failed to download openapi");
    }

    @Test
    void unknownFieldFailsStrictValidation() throws Exception {
        Path f = tmp.resolve("unknown-field.yaml");
        Files.writeString(f, """
                apiVersion: apps/v1
                kind: Deployment
                metadata:
                  name: bogus
                spec:
                  replicas: 1
                  selector:
                    matchLabels: {app: bogus}
                  template:
                    metadata:
                      labels: {app: bogus}
                    spec:
                      containers:
                      - name: c
                        image: nginx
                        notAField: 1
                """, StandardCharsets.UTF_8);
        Result r = kubectl("apply", "-f", f.toString());
        assertThat(r.code()).as(r.all()).isNotZero();
        assertThat(r.err()).as(r.all()).contains("unknown field").contains("notAField");
        assertThat(kubectl("get", "deployment", "bogus").err()).contains("NotFound");
    }

    @Test
    void explainPrintsFieldDocumentation() throws Exception {
        Result r = kubectl("explain", "pod.spec.containers.livenessProbe");
        assertThat(r.code()).as(r.all()).isZero();
        assertThat(r.out()).contains("KIND:       Pod").contains("FIELD: livenessProbe <Probe>")
                .contains("Probe describes a health check").contains("initialDelaySeconds");
    }
}
