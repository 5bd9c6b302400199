package io.kuberaft.nodeagent;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.kuberaft.nodeagent.runtime.SimulatedRuntime;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static io.kuberaft.nodeagent.AgentFixture.await;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/**
 * {@code /stats/summary} of an agent hosting two simulated nodes, over HTTPS with the API server's client certificate
 * as the API server calls it: the usage the pods' annotations say, per node or for all of them.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class StatsSummaryTest {
    private static final Duration WAIT = Duration.ofSeconds(30);
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final long MI = 1024 * 1024;
    @TempDir
    static Path tmp;
    static AgentFixture f;

    @BeforeAll
    static void start() throws Exception {
        f = new AgentFixture(tmp, "simulated", "stats", 2);
    }

    @AfterAll
    static void stop() {
        if (f != null) {
            f.close();
        }
    }

    private static HttpResponse<String> get(String pathAndQuery) {
        return f.agentGet(pathAndQuery);
    }

    private static JsonNode summary(String node) {
        HttpResponse<String> r = get("/stats/summary?node=" + node);
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        assertThat(r.headers().firstValue("Content-Type")).hasValue("application/json");
        try {
            return JSON.readTree(r.body());
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    private static JsonNode pod(JsonNode summary, String name) {
        for (JsonNode p : summary.path("pods")) {
            if (p.path("podRef").path("name").asText().equals(name)) {
                return p;
            }
        }
        return null;
    }

    private static JsonNode container(JsonNode pod, String name) {
        for (JsonNode c : pod.path("containers")) {
            if (c.path("name").asText().equals(name)) {
                return c;
            }
        }
        return null;
    }

    private static double milli(JsonNode statsBlock) {
        return statsBlock.path("cpu").path("usageNanoCores").asLong() / 1e6;
    }

    private static void create(String name, String node, String restartPolicy, Map<String, String> annotations, String... containers) {
        PodBuilder b = new PodBuilder().withNewMetadata().withName(name).withNamespace("default").withAnnotations(annotations).endMetadata()
                .withNewSpec().withNodeName(node).withRestartPolicy(restartPolicy).withTerminationGracePeriodSeconds(0L).endSpec();
        for (String c : containers) {
            b.editSpec().addNewContainer().withName(c).withImage("nginx").endContainer().endSpec();
        }
        f.client.pods().inNamespace("default").resource(b.build()).create();
    }

    private static String phase(String name) {
        Pod p = f.client.pods().inNamespace("default").withName(name).get();
        return p == null || p.getStatus() == null ? null : p.getStatus().getPhase();
    }

    private static Map<String, String> sim(String... kv) {
        Map<String, String> m = new HashMap<>();
        for (int i = 0; i < kv.length; i += 2) {
            m.put(SimulatedRuntime.PREFIX + kv[i], kv[i + 1]);
        }
        return m;
    }

    @Test
    void eachRunningContainerReportsWhatItsAnnotationsSayAndPodsAndTheNodeSumThem() throws Exception {
        create("busy", "stats-0", "Always", sim("cpu-usage", "300m", "memory-usage", "100Mi"), "app");
        create("duo", "stats-0", "Always", sim("cpu-usage", "100m", "cpu-usage.side", "20m", "memory-usage", "8Mi"), "app", "side");
        create("idle", "stats-0", "Always", Map.of(), "app");
        create("elsewhere", "stats-1", "Always", Map.of(), "app");
        create("done", "stats-0", "Never", sim("run-seconds", "0.5"), "app");
        await(WAIT, "pods running, done Succeeded", () -> "Running".equals(phase("busy")) && "Running".equals(phase("duo"))
                && "Running".equals(phase("idle")) && "Running".equals(phase("elsewhere")) && "Succeeded".equals(phase("done")));

        JsonNode s = summary("stats-0");
        assertThat(s.path("node").path("nodeName").asText()).isEqualTo("stats-0");
        List<String> names = new ArrayList<>();
        s.path("pods").forEach(p -> names.add(p.path("podRef").path("name").asText()));
        assertThat(names).as("running pods of this node only: the exited one has no usage").containsExactlyInAnyOrder("busy", "duo", "idle");

        JsonNode busy = pod(s, "busy");
        Pod busyPod = f.client.pods().inNamespace("default").withName("busy").get();
        assertThat(busy.path("podRef").path("namespace").asText()).isEqualTo("default");
        assertThat(busy.path("podRef").path("uid").asText()).isEqualTo(busyPod.getMetadata().getUid());
        JsonNode app = container(busy, "app");
        // the annotation held since the container started, so the rate since then is exact (to the nanocore)
        assertThat(milli(app)).isCloseTo(300.0, within(0.001));
        assertThat(app.path("memory").path("workingSetBytes").asLong()).isEqualTo(100 * MI);
        assertThat(app.path("cpu").path("usageCoreNanoSeconds").asLong()).isPositive();
        long window = app.path("cpu").path("usageWindowNanoSeconds").asLong();
        Duration sinceStart = Duration.between(Instant.parse(app.path("startTime").asText()), Instant.parse(app.path("cpu").path("time").asText()));
        assertThat(window).as("no older sample: measured since the container started").isEqualTo(sinceStart.toNanos()).isPositive();

        JsonNode duo = pod(s, "duo");
        assertThat(milli(container(duo, "app"))).isCloseTo(100.0, within(0.001));
        assertThat(milli(container(duo, "side"))).as("the per-container annotation").isCloseTo(20.0, within(0.001));
        assertThat(milli(duo)).as("the pod: its containers' sum").isCloseTo(120.0, within(0.002));
        assertThat(duo.path("memory").path("workingSetBytes").asLong()).isEqualTo(16 * MI);

        JsonNode idle = container(pod(s, "idle"), "app");
        assertThat(milli(idle)).as("idle default").isCloseTo(1.0, within(0.001));
        assertThat(idle.path("memory").path("workingSetBytes").asLong()).isEqualTo(4 * MI);

        assertThat(milli(s.path("node"))).as("the node: its pods' sum").isCloseTo(421.0, within(0.01));
        assertThat(s.path("node").path("memory").path("workingSetBytes").asLong()).isEqualTo(120 * MI);

        JsonNode other = summary("stats-1");
        assertThat(pod(other, "elsewhere")).isNotNull();
        assertThat(pod(other, "busy")).isNull();

        f.client.pods().inNamespace("default").withName("idle").delete();
        await(WAIT, "the deleted pod gone from the summary", () -> pod(summary("stats-0"), "idle") == null);
    }

    @Test
    void annotatingARunningPodChangesItsRateWithinTheWindow() throws Exception {
        create("load", "stats-1", "Always", sim("cpu-usage", "10m"), "app");
        await(WAIT, "load running", () -> "Running".equals(phase("load")));
        assertThat(milli(container(pod(summary("stats-1"), "load"), "app"))).isCloseTo(10.0, within(0.001));
        f.client.pods().inNamespace("default").withName("load").edit(p -> new PodBuilder(p).editMetadata()
                .addToAnnotations(SimulatedRuntime.PREFIX + "cpu-usage", "800m").addToAnnotations(SimulatedRuntime.PREFIX + "memory-usage", "1Gi")
                .endMetadata().build());
        long start = System.nanoTime();
        await(Duration.ofSeconds(40), "the rate near 800m", () -> milli(container(pod(summary("stats-1"), "load"), "app")) > 790,
                () -> container(pod(summary("stats-1"), "load"), "app"));
        assertThat(Duration.ofNanos(System.nanoTime() - start)).as("within the 15 s window (and a little)").isLessThan(Duration.ofSeconds(25));
        assertThat(container(pod(summary("stats-1"), "load"), "app").path("memory").path("workingSetBytes").asLong()).isEqualTo(1024 * MI);
    }

    @Test
    void anAgentOfSeveralNodesAnswersForTheNamedOneOrAllOfThem() throws Exception {
        JsonNode all = JSON.readTree(get("/stats/summary?node=*").body());
        List<String> nodes = new ArrayList<>();
        all.path("items").forEach(i -> nodes.add(i.path("node").path("nodeName").asText()));
        assertThat(nodes).containsExactlyInAnyOrder("stats-0", "stats-1");
        HttpResponse<String> unnamed = get("/stats/summary");
        assertThat(unnamed.statusCode()).isEqualTo(404);
        assertThat(unnamed.body()).contains("this agent runs 2 nodes: name one with ?node=");
        HttpResponse<String> unknown = get("/stats/summary?node=nope");
        assertThat(unknown.statusCode()).isEqualTo(404);
        assertThat(unknown.body()).contains("node nope is not run by this agent");
        HttpClient anonymous = HttpClient.newBuilder().sslContext(TestPki.ssl(null)).build();
        assertThat(anonymous.send(HttpRequest.newBuilder(URI.create("https://127.0.0.1:" + f.agent.apiPort() + "/stats/summary?node=*")).build(),
                HttpResponse.BodyHandlers.ofString()).statusCode()).isEqualTo(401);
    }
}
