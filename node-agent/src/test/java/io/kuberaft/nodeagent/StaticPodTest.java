package io.kuberaft.nodeagent;

import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.KubernetesClient;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

import static io.kuberaft.nodeagent.AgentFixture.await;
import static org.assertj.core.api.Assertions.assertThat;

/** Static pods: run from --pod-manifest-path, mirrored in the API, recreated after a delete, gone with their file, and run standalone. */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class StaticPodTest {
    private static final Duration WAIT = Duration.ofSeconds(30);
    private static final String MANIFEST = """
            apiVersion: v1
            kind: Pod
            metadata:
              name: web
              labels:
                role: static
            spec:
              containers:
              - name: web
                image: nginx
            """;
    @TempDir
    static Path tmp;
    static AgentFixture f;
    static Path manifests;

    @BeforeAll
    static void start() throws Exception {
        manifests = Files.createDirectories(tmp.resolve("manifests"));
        Files.writeString(manifests.resolve("web.yaml"), MANIFEST);
        f = new AgentFixture(tmp, "simulated", "static1", 1, c -> c.withPodManifestPath(manifests));
    }

    @AfterAll
    static void stop() {
        if (f != null) {
            f.close();
        }
    }

    private static Pod mirror() {
        return f.client.pods().inNamespace("default").withName("web-static1").get();
    }

    @Test
    void theMirrorPodAppearsIsRecreatedAfterADeleteAndGoesWithItsFile() throws Exception {
        await(WAIT, "mirror pod web-static1 Running", () -> "Running".equals(mirror().getStatus().getPhase()), StaticPodTest::mirror);
        Pod m = mirror();
        assertThat(m.getMetadata().getAnnotations()).containsEntry("kubernetes.io/config.source", "file")
                .containsKey("kubernetes.io/config.mirror").containsKey("kubernetes.io/config.hash");
        assertThat(m.getMetadata().getAnnotations().get("kubernetes.io/config.mirror"))
                .isEqualTo(m.getMetadata().getAnnotations().get("kubernetes.io/config.hash"));
        assertThat(m.getMetadata().getLabels()).containsEntry("role", "static");
        assertThat(m.getSpec().getNodeName()).isEqualTo("static1");
        assertThat(m.getMetadata().getOwnerReferences()).singleElement().satisfies(o -> {
            assertThat(o.getKind()).isEqualTo("Node");
            assertThat(o.getName()).isEqualTo("static1");
            assertThat(o.getUid()).isEqualTo(f.client.nodes().withName("static1").get().getMetadata().getUid());
        });
        String firstUid = m.getMetadata().getUid();
        String containerId = m.getStatus().getContainerStatuses().get(0).getContainerID();

        f.client.pods().inNamespace("default").withName("web-static1").delete();
        await(WAIT, "a new mirror pod", () -> mirror() != null && !mirror().getMetadata().getUid().equals(firstUid)
                && mirror().getMetadata().getDeletionTimestamp() == null && "Running".equals(mirror().getStatus().getPhase()), StaticPodTest::mirror);
        // The static pod itself kept running: deleting its mirror does not restart it.
        assertThat(mirror().getStatus().getContainerStatuses().get(0).getContainerID()).isEqualTo(containerId);

        Files.delete(manifests.resolve("web.yaml"));
        await(WAIT, "mirror pod gone", () -> mirror() == null, StaticPodTest::mirror);
        await(WAIT, "static pod stopped", () -> f.agent.findPod("default", "web-static1").isEmpty());
    }

    @Test
    void staticPodsRunWithoutAnApiServer(@TempDir Path own) throws Exception {
        Path dir = Files.createDirectories(own.resolve("manifests"));
        Files.writeString(dir.resolve("web.yaml"), MANIFEST);
        // Nothing listens on port 1: the agent is standalone.
        try (KubernetesClient nowhere = AgentFixture.client(1);
             NodeAgent lonely = new NodeAgent(nowhere, AgentConfig.defaults("lonely", 1, "simulated", own.resolve("agent"))
                     .withAgentPort(0).withPodManifestPath(dir), Clock.systemUTC()).start()) {
            await(WAIT, "static pod web-lonely running", () -> lonely.findPod("default", "web-lonely")
                    .flatMap(w -> w.container("web")).map(c -> c.exit().isEmpty()).orElse(false));
        }
    }

    /** No client at all (no kubeconfig), as a kubelet without one: the static pods run, and nothing else is attempted. */
    @Test
    void withoutAKubeconfigTheAgentRunsItsStaticPodsStandalone(@TempDir Path own) throws Exception {
        Path dir = Files.createDirectories(own.resolve("manifests"));
        Files.writeString(dir.resolve("web.yaml"), MANIFEST.replace("image: nginx", "image: busybox\n    command: [\"sleep\", \"300\"]"));
        try (NodeAgent alone = new NodeAgent(null, AgentConfig.defaults("alone", 1, "process", own.resolve("agent"))
                .withAgentPort(0).withPodManifestPath(dir), Clock.systemUTC())) {
            org.assertj.core.api.Assertions.assertThatThrownBy(() -> new NodeAgent(null, AgentConfig.defaults("x", 1, "simulated",
                    own.resolve("x")).withAgentPort(0), Clock.systemUTC()).start()).isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("--pod-manifest-path");
            alone.start();
            await(WAIT, "static pod web-alone running as a process", () -> alone.findPod("default", "web-alone")
                    .flatMap(w -> w.container("web")).map(c -> c.exit().isEmpty()).orElse(false));
            assertThat(alone.nodeNames()).containsExactly("alone");
        }
    }

    /**
     * The tutorial's standalone kubelet (seed 003: {@code enableServer: false}, {@code readOnlyPort: 10255}): the static
     * pod runs, {@code /healthz?verbose} and {@code /pods} answer on the plain-HTTP read-only port without credentials,
     * logs and exec are not served there, and no agent API listens.
     */
    @Test
    void theReadOnlyPortServesHealthAndPodsWithoutCredentials(@TempDir Path own) throws Exception {
        Path dir = Files.createDirectories(own.resolve("manifests"));
        Files.writeString(dir.resolve("web.yaml"), MANIFEST);
        int port;
        try (java.net.ServerSocket free = new java.net.ServerSocket(0)) {
            port = free.getLocalPort();
        }
        java.net.http.HttpClient http = java.net.http.HttpClient.newHttpClient();
        String base = "http://127.0.0.1:" + port;
        try (NodeAgent alone = new NodeAgent(null, AgentConfig.defaults("ro", 1, "simulated", own.resolve("agent"))
                .withPodManifestPath(dir).withServing("127.0.0.1", false, port), Clock.systemUTC())) {
            alone.start();
            assertThat(alone.apiPort()).as("enableServer: false").isZero();
            assertThat(alone.readOnlyPort()).isEqualTo(port);
            assertThat(get(http, base + "/healthz?verbose").body()).isEqualTo("[+]ping ok\n[+]log ok\n[+]syncloop ok\nhealthz check passed\n");
            await(WAIT, "web-ro in /pods", () -> bodyOf(http, base + "/pods").contains("\"name\":\"web-ro\""));
            com.fasterxml.jackson.databind.JsonNode pods = new com.fasterxml.jackson.databind.ObjectMapper().readTree(get(http, base + "/pods").body());
            assertThat(pods.path("kind").asText()).isEqualTo("PodList");
            assertThat(pods.path("items").get(0).path("metadata").path("annotations").path("kubernetes.io/config.source").asText()).isEqualTo("file");
            await(WAIT, "web-ro has a pod IP", () -> bodyOf(http, base + "/pods").contains("\"podIP\""));
            assertThat(get(http, base + "/containerLogs/default/web-ro/web").statusCode()).isEqualTo(404);
            assertThat(get(http, base + "/runningpods/").statusCode()).isEqualTo(404);
        }
    }

    private static String bodyOf(java.net.http.HttpClient http, String url) {
        try {
            return get(http, url).body();
        } catch (Exception e) {
            return "";
        }
    }

    private static java.net.http.HttpResponse<String> get(java.net.http.HttpClient http, String url) throws Exception {
        return http.send(java.net.http.HttpRequest.newBuilder(java.net.URI.create(url)).build(), java.net.http.HttpResponse.BodyHandlers.ofString());
    }
}
