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
}
