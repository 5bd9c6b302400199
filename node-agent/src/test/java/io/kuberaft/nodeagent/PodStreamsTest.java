package io.kuberaft.nodeagent;

import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.BufferedReader;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static io.kuberaft.nodeagent.AgentFixture.await;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * pods/log (follow, previous, since, timestamps, limitBytes, upstream errors) and pods/exec through the API server
 * to a process-runtime agent, with real kubectl where it is installed; and the agent API's authentication.
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class PodStreamsTest {
    private static final Duration WAIT = Duration.ofSeconds(30);
    private static final Path KUBECTL = Path.of("/usr/bin/kubectl");
    @TempDir
    static Path tmp;
    static AgentFixture f;
    static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    @BeforeAll
    static void start() throws Exception {
        f = new AgentFixture(tmp, "process", "streams", 1);
    }

    @AfterAll
    static void stop() {
        if (f != null) {
            f.close();
        }
    }

    private static Pod get(String name) {
        return f.pod(name);
    }

    private static void create(String name, String restartPolicy, String... command) {
        f.client.pods().inNamespace("default").resource(new PodBuilder().withNewMetadata().withName(name).endMetadata()
                .withNewSpec().withNodeName("streams").withRestartPolicy(restartPolicy).withTerminationGracePeriodSeconds(1L)
                .addNewContainer().withName("main").withImage("busybox").withCommand(command)
                .addNewEnv().withName("FOO").withValue("bar").endEnv().endContainer().endSpec().build()).create();
    }

    private static HttpResponse<String> log(String pod, String query) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + f.server.port() + "/api/v1/namespaces/default/pods/"
                + pod + "/log" + query)).timeout(Duration.ofSeconds(30)).build(), HttpResponse.BodyHandlers.ofString());
    }

    private static void awaitRunning(String name) throws InterruptedException {
        await(WAIT, "pod " + name + " Running", () -> "Running".equals(get(name).getStatus().getPhase()), () -> get(name).getStatus());
    }

    @Test
    void logsFollowStreamsLinesAsTheyAreWrittenAndEndsWithTheContainer() throws Exception {
        create("ticker", "Never", "sh", "-c", "for i in 1 2 3 4 5 6; do echo tick $i; sleep 0.4; done");
        awaitRunning("ticker");
        HttpResponse<InputStream> r = HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + f.server.port()
                + "/api/v1/namespaces/default/pods/ticker/log?follow=true")).build(), HttpResponse.BodyHandlers.ofInputStream());
        assertThat(r.statusCode()).isEqualTo(200);
        List<String> lines = new ArrayList<>();
        List<Long> at = new ArrayList<>();
        try (BufferedReader in = new BufferedReader(new InputStreamReader(r.body(), StandardCharsets.UTF_8))) {
            String l;
            while ((l = in.readLine()) != null) {
                lines.add(l);
                at.add(System.nanoTime());
            }
        }
        // The stream ended by itself once the container ended, with every line, and not all at once.
        assertThat(lines).containsExactly("tick 1", "tick 2", "tick 3", "tick 4", "tick 5", "tick 6");
        assertThat(Duration.ofNanos(at.get(5) - at.get(0))).isGreaterThan(Duration.ofMillis(300));
        await(WAIT, "pod ticker Succeeded", () -> "Succeeded".equals(get("ticker").getStatus().getPhase()));

        HttpResponse<String> limited = log("ticker", "?limitBytes=6");
        assertThat(limited.body()).isEqualTo("tick 1");
        String stamped = log("ticker", "?timestamps=true&tailLines=1").body();
        assertThat(stamped).matches("\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d(\\.\\d+)?Z tick 6\n");
        String since = stamped.substring(0, stamped.indexOf(' '));
        assertThat(log("ticker", "?sinceTime=" + since).body()).isEqualTo("tick 6\n");
        assertThat(log("ticker", "?sinceSeconds=3600").body()).startsWith("tick 1\n").endsWith("tick 6\n");

        if (Files.isExecutable(KUBECTL)) {
            create("ticker2", "Never", "sh", "-c", "for i in 1 2 3; do echo line $i; sleep 0.3; done");
            awaitRunning("ticker2");
            Result k = kubectl(null, "logs", "-f", "ticker2");
            assertThat(k.stdout()).isEqualTo("line 1\nline 2\nline 3\n");
            assertThat(k.exit()).isZero();
        }
    }

    @Test
    void logsPreviousShowsTheLastTerminatedRun() throws Exception {
        create("crashy", "Always", "sh", "-c", "echo \"run $(date +%s%N)\"; sleep 0.5; exit 1");
        await(WAIT, "a restart", () -> get("crashy").getStatus().getContainerStatuses().get(0).getRestartCount() >= 1);
        HttpResponse<String> prev = log("crashy", "?previous=true");
        assertThat(prev.statusCode()).isEqualTo(200);
        assertThat(prev.body()).matches("run \\d+\n");
        if (Files.isExecutable(KUBECTL)) {
            Result k = kubectl(null, "logs", "crashy", "--previous");
            assertThat(k.stdout()).matches("run \\d+\n");
        }
    }

    @Test
    void logErrorsAreUpstreams() throws Exception {
        create("steady", "Always", "sleep", "300");
        awaitRunning("steady");
        HttpResponse<String> r = log("steady", "?previous=true");
        assertThat(r.statusCode()).isEqualTo(400);
        assertThat(r.body()).contains("previous terminated container \\\"main\\\" in pod \\\"steady\\\" not found");

        create("nobin", "Always", "/no/such/binary");
        await(WAIT, "nobin waiting", () -> get("nobin").getStatus().getContainerStatuses().get(0).getState().getWaiting() != null
                && "RunContainerError".equals(get("nobin").getStatus().getContainerStatuses().get(0).getState().getWaiting().getReason()));
        assertThat(log("nobin", "").body()).contains("container \\\"main\\\" in pod \\\"nobin\\\" is waiting to start: RunContainerError");

        f.client.pods().inNamespace("default").resource(new PodBuilder().withNewMetadata().withName("two").endMetadata()
                .withNewSpec().withNodeName("streams").addNewContainer().withName("a").withImage("x").withCommand("sleep", "300").endContainer()
                .addNewContainer().withName("b").withImage("x").withCommand("sleep", "300").endContainer().endSpec().build()).create();
        assertThat(log("two", "").body()).contains("a container name must be specified for pod two, choose one of: [a b]");

        f.client.pods().inNamespace("default").resource(new PodBuilder().withNewMetadata().withName("unbound").endMetadata()
                .withNewSpec().addNewContainer().withName("c").withImage("x").endContainer().endSpec().build()).create();
        r = log("unbound", "");
        assertThat(r.statusCode()).isEqualTo(400);
        assertThat(r.body()).contains("pod unbound does not have a host assigned");
    }

    @Test
    void kubectlExecPrintsOutputAndExitsWithTheCommandsCode() throws Exception {
        assumeTrue(Files.isExecutable(KUBECTL), "kubectl not installed");
        create("shell", "Always", "sleep", "300");
        awaitRunning("shell");
        Result r = kubectl(null, "exec", "shell", "--", "sh", "-c", "echo out-$FOO; echo err-line >&2; exit 3");
        assertThat(r.stdout()).isEqualTo("out-bar\n");
        assertThat(r.stderr()).contains("err-line").contains("command terminated with exit code 3");
        assertThat(r.exit()).isEqualTo(3);

        r = kubectl("hello\nworld\n", "exec", "-i", "shell", "-c", "main", "--", "cat");
        assertThat(r.stdout()).isEqualTo("hello\nworld\n");
        assertThat(r.exit()).isZero();

        r = kubectl(null, "exec", "shell", "--", "/no/such/binary");
        assertThat(r.exit()).isNotZero();
        assertThat(r.stderr()).contains("executable file not found");

        // A container of the pod that is not running: the kubelet's refusal, through the API server's stream translator.
        f.client.pods().inNamespace("default").resource(new PodBuilder().withNewMetadata().withName("one-done").endMetadata()
                .withNewSpec().withNodeName("streams").withRestartPolicy("Never").withTerminationGracePeriodSeconds(1L)
                .addNewContainer().withName("main").withImage("busybox").withCommand("sleep", "300").endContainer()
                .addNewContainer().withName("done").withImage("busybox").withCommand("true").endContainer().endSpec().build()).create();
        await(WAIT, "container done terminated", () -> get("one-done").getStatus().getContainerStatuses().stream()
                .anyMatch(cs -> cs.getName().equals("done") && cs.getState().getTerminated() != null), () -> get("one-done").getStatus());
        r = kubectl(null, "exec", "one-done", "-c", "done", "--", "true");
        assertThat(r.exit()).isNotZero();
        assertThat(r.stderr()).isEqualTo("error: Internal error occurred: unable to upgrade connection: container not found (\"done\")\n");
        r = kubectl(null, "attach", "one-done", "-c", "done");
        assertThat(r.exit()).isNotZero();
        assertThat(r.stderr()).endsWith("error: Internal error occurred: unable to upgrade connection: container not found (\"done\")\n");
        r = kubectl(null, "exec", "one-done", "-c", "nope", "--", "true");
        assertThat(r.stderr()).isEqualTo("Error from server (BadRequest): container nope is not valid for pod one-done\n");

        r = kubectl(null, "exec", "unbound-exec", "--", "true");
        assertThat(r.exit()).isNotZero();
        assertThat(r.stderr()).contains("not found");
    }

    @Test
    void theAgentApiRejectsUnauthenticatedCallers() throws Exception {
        String base = "https://127.0.0.1:" + f.agent.apiPort();
        HttpClient anonymous = HttpClient.newBuilder().sslContext(TestPki.ssl(null)).build();
        assertThat(anonymous.send(HttpRequest.newBuilder(URI.create(base + "/healthz")).build(), HttpResponse.BodyHandlers.ofString()).statusCode())
                .isEqualTo(200);
        HttpResponse<String> pods = anonymous.send(HttpRequest.newBuilder(URI.create(base + "/pods")).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(pods.statusCode()).isEqualTo(401);
        HttpResponse<String> logs = anonymous.send(HttpRequest.newBuilder(URI.create(base + "/containerLogs/default/steady/main")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(logs.statusCode()).isEqualTo(401);
        // A certificate from another CA does not get through the TLS handshake.
        TestPki other = TestPki.create(tmp.resolve("other-pki"), "other");
        HttpClient stranger = HttpClient.newBuilder().sslContext(TestPki.ssl(other)).build();
        assertThatThrownBy(() -> {
            HttpResponse<String> x = stranger.send(HttpRequest.newBuilder(URI.create(base + "/pods")).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(x.statusCode()).isEqualTo(401);
            throw new java.io.IOException("answered 401");
        }).isInstanceOf(java.io.IOException.class);
        // The cluster's own client certificate is accepted.
        HttpClient apiServer = HttpClient.newBuilder().sslContext(TestPki.ssl(f.pki)).build();
        assertThat(apiServer.send(HttpRequest.newBuilder(URI.create(base + "/pods")).build(), HttpResponse.BodyHandlers.ofString()).statusCode())
                .isEqualTo(200);
    }

    record Result(int exit, String stdout, String stderr) {
    }

    private static Result kubectl(String stdin, String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(KUBECTL.toString(), "--server", "http://127.0.0.1:" + f.server.port(),
                "--cache-dir", tmp.resolve("kube-cache").toString(), "-n", "default"));
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectOutput(tmp.resolve("kubectl.out").toFile()).redirectError(tmp.resolve("kubectl.err").toFile());
        pb.environment().put("HOME", tmp.toString());
        pb.environment().put("KUBECONFIG", tmp.resolve("no-kubeconfig").toString());
        if (stdin == null) {
            pb.redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
        }
        Process p = pb.start();
        if (stdin != null) {
            try (var out = p.getOutputStream()) {
                out.write(stdin.getBytes(StandardCharsets.UTF_8));
            }
        }
        if (!p.waitFor(60, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError("kubectl " + String.join(" ", args) + " did not finish in 60 s; stderr: " + Files.readString(tmp.resolve("kubectl.err")));
        }
        return new Result(p.exitValue(), Files.readString(tmp.resolve("kubectl.out")), Files.readString(tmp.resolve("kubectl.err")));
    }
}
