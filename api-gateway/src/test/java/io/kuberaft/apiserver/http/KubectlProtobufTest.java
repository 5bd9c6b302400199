package io.kuberaft.apiserver.http;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.kuberaft.apiserver.ApiServer;
import io.kuberaft.raftstore.ClusterView;
import io.kuberaft.raftstore.LocalKvStore;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The real kubectl's typed {@code create} commands, which send protobuf bodies, against an in-process
 * API server; the stored objects are read back as JSON.
 */
class KubectlProtobufTest {
    private static final Path KUBECTL = Path.of("/usr/bin/kubectl");
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    static Path dir;
    private static LocalKvStore store;
    private static ApiServer server;

    record Result(int exit, String out, String err) {
    }

    @BeforeAll
    static void start() {
        assumeTrue(Files.isExecutable(KUBECTL), "skipped: " + KUBECTL + " is not installed, the kubectl end-to-end test needs it");
        store = new LocalKvStore(dir.resolve("kv"));
        server = ApiServer.start(ApiServer.Options.plain("127.0.0.1", 0), store, ClusterView.standalone("m1", () -> 0),
                new SimpleMeterRegistry(), () -> "");
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

    private static Result kubectl(String... args) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of(KUBECTL.toString(), "--server", "http://127.0.0.1:" + server.port()));
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd);
        pb.environment().put("HOME", dir.toString()); // kubectl's discovery cache goes under $HOME/.kube
        pb.environment().put("KUBECONFIG", dir.resolve("no-kubeconfig").toString());
        Path out = Files.createTempFile(dir, "kubectl", ".out");
        Path err = Files.createTempFile(dir, "kubectl", ".err");
        Process p = pb.redirectOutput(out.toFile()).redirectError(err.toFile()).start();
        if (!p.waitFor(90, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError("kubectl " + String.join(" ", args) + " did not finish in 90 s");
        }
        return new Result(p.exitValue(), Files.readString(out, StandardCharsets.UTF_8), Files.readString(err, StandardCharsets.UTF_8));
    }

    private static String ok(String... args) throws IOException, InterruptedException {
        Result r = kubectl(args);
        assertThat(r.exit()).as("kubectl %s\nstdout: %s\nstderr: %s", String.join(" ", args), r.out(), r.err()).isZero();
        return r.out();
    }

    private static JsonNode get(String... args) throws IOException, InterruptedException {
        List<String> a = new ArrayList<>(List.of("get"));
        a.addAll(List.of(args));
        a.addAll(List.of("-o", "json"));
        return JSON.readTree(ok(a.toArray(String[]::new)));
    }

    @Test
    void typedCreateCommandsSendProtobufAndStoreTheObjects() throws Exception {
        // -v=8 shows the request headers: this command really sends a protobuf body.
        Result ns = kubectl("create", "namespace", "demo", "-v=8");
        assertThat(ns.exit()).as(ns.err()).isZero();
        assertThat(ns.out()).contains("namespace/demo created");
        assertThat(ns.err()).contains("Content-Type: application/vnd.kubernetes.protobuf");

        assertThat(ok("create", "configmap", "cfg", "--from-literal=a=b", "--from-literal=c=d", "-n", "demo"))
                .contains("configmap/cfg created");
        assertThat(ok("create", "secret", "generic", "s", "--from-literal=k=v", "-n", "demo")).contains("secret/s created");
        assertThat(ok("create", "deployment", "web", "--image=nginx", "--port=80", "-n", "demo"))
                .contains("deployment.apps/web created");
        assertThat(ok("create", "serviceaccount", "sa1", "-n", "demo")).contains("serviceaccount/sa1 created");

        JsonNode n = get("namespace", "demo");
        assertThat(n.path("metadata").path("name").asText()).isEqualTo("demo");
        assertThat(n.path("metadata").path("uid").asText()).isNotEmpty();
        assertThat(n.path("metadata").has("generateName")).isFalse();

        JsonNode cm = get("configmap", "cfg", "-n", "demo");
        assertThat(cm.path("data")).isEqualTo(JSON.readTree("{\"a\":\"b\",\"c\":\"d\"}"));
        assertThat(cm.path("metadata").path("namespace").asText()).isEqualTo("demo");

        JsonNode s = get("secret", "s", "-n", "demo");
        assertThat(s.path("data").path("k").asText()).isEqualTo(Base64.getEncoder().encodeToString("v".getBytes(StandardCharsets.UTF_8)));

        JsonNode d = get("deployment", "web", "-n", "demo");
        assertThat(d.path("metadata").path("labels").path("app").asText()).isEqualTo("web");
        assertThat(d.path("spec").path("replicas").asInt()).isEqualTo(1);
        assertThat(d.path("spec").path("selector")).isEqualTo(JSON.readTree("{\"matchLabels\":{\"app\":\"web\"}}"));
        JsonNode c = d.path("spec").path("template").path("spec").path("containers").path(0);
        assertThat(c.path("name").asText()).isEqualTo("nginx");
        assertThat(c.path("image").asText()).isEqualTo("nginx");
        assertThat(c.path("ports")).hasSize(1);
        assertThat(c.path("ports").path(0).path("containerPort").asInt()).isEqualTo(80);
        assertThat(c.has("workingDir")).as("Go zero values are not stored").isFalse();

        JsonNode sa = get("serviceaccount", "sa1", "-n", "demo");
        assertThat(sa.path("metadata").path("name").asText()).isEqualTo("sa1");
    }
}
