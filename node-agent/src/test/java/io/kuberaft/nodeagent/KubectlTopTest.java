package io.kuberaft.nodeagent;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.kuberaft.kubeapi.Quantity;
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
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static io.kuberaft.nodeagent.AgentFixture.await;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The API server's metrics.k8s.io from a real agent of two simulated nodes: over HTTP as metrics-server answers, and
 * through the real {@code kubectl top} and {@code kubectl get} where kubectl is installed.
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class KubectlTopTest {
    private static final Duration WAIT = Duration.ofSeconds(30);
    private static final Path KUBECTL = Path.of("/usr/bin/kubectl");
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private static final String BASE = "/apis/metrics.k8s.io/v1beta1";
    private static final String RFC3339 = "\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\dZ";
    @TempDir
    static Path tmp;
    static AgentFixture f;

    @BeforeAll
    static void start() throws Exception {
        f = new AgentFixture(tmp, "simulated", "top", 2);
        f.client.namespaces().resource(new NamespaceBuilder().withNewMetadata().withName("team").endMetadata().build()).create();
        AgentFixture.publishRootCa(f.client, "team");
        create("default", "web-a", "top-0", Map.of("app", "web"), sim("cpu-usage", "400m", "memory-usage", "100Mi"), "nginx");
        create("default", "web-b", "top-1", Map.of("app", "web"), Map.of(), "nginx");
        create("default", "duo", "top-0", Map.of("app", "duo"), sim("cpu-usage", "50m", "cpu-usage.side", "2m", "memory-usage.side", "1Mi"),
                "main", "side");
        create("team", "solo", "top-1", Map.of(), sim("memory-usage", "1536Ki"), "app");
        await(WAIT, "pods Running", () -> running("default", "web-a") && running("default", "web-b") && running("default", "duo")
                && running("team", "solo"));
    }

    @AfterAll
    static void stop() {
        if (f != null) {
            f.close();
        }
    }

    private static Map<String, String> sim(String... kv) {
        Map<String, String> m = new HashMap<>();
        for (int i = 0; i < kv.length; i += 2) {
            m.put(SimulatedRuntime.PREFIX + kv[i], kv[i + 1]);
        }
        return m;
    }

    private static void create(String ns, String name, String node, Map<String, String> labels, Map<String, String> annotations, String... containers) {
        PodBuilder b = new PodBuilder().withNewMetadata().withName(name).withNamespace(ns).withLabels(labels).withAnnotations(annotations).endMetadata()
                .withNewSpec().withNodeName(node).withTerminationGracePeriodSeconds(0L).endSpec();
        for (String c : containers) {
            b.editSpec().addNewContainer().withName(c).withImage("nginx").endContainer().endSpec();
        }
        f.client.pods().inNamespace(ns).resource(b.build()).create();
    }

    private static boolean running(String ns, String name) {
        Pod p = f.client.pods().inNamespace(ns).withName(name).get();
        return p != null && p.getStatus() != null && "Running".equals(p.getStatus().getPhase());
    }

    private static HttpResponse<String> get(String path) {
        try {
            return HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + f.server.port() + path)).timeout(Duration.ofSeconds(20)).build(),
                    HttpResponse.BodyHandlers.ofString());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    record Result(int exit, String stdout, String stderr) {
    }

    private static Result kubectl(String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(KUBECTL.toString(), "--server", "http://127.0.0.1:" + f.server.port(),
                "--cache-dir", tmp.resolve("kube-cache").toString(), "-n", "default"));
        cmd.addAll(List.of(args));
        Path out = Files.createTempFile(tmp, "out", ".txt");
        Path err = Files.createTempFile(tmp, "err", ".txt");
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectOutput(out.toFile()).redirectError(err.toFile())
                .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
        pb.environment().put("HOME", tmp.toString());
        pb.environment().put("KUBECONFIG", tmp.resolve("no-kubeconfig").toString());
        Process p = pb.start();
        if (!p.waitFor(60, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError("kubectl " + String.join(" ", args) + " did not finish in 60 s: " + Files.readString(err));
        }
        return new Result(p.exitValue(), Files.readString(out), Files.readString(err));
    }

    private static JsonNode json(String path) throws Exception {
        HttpResponse<String> r = get(path);
        assertThat(r.statusCode()).as(path + ": " + r.body()).isEqualTo(200);
        assertThat(r.headers().firstValue("Content-Type")).hasValue("application/json");
        return JSON.readTree(r.body());
    }

    private static List<String> names(JsonNode list) {
        List<String> out = new ArrayList<>();
        list.path("items").forEach(i -> out.add((i.path("metadata").has("namespace") ? i.path("metadata").path("namespace").asText() + "/" : "")
                + i.path("metadata").path("name").asText()));
        return out;
    }

    /** CPU in millicores (to the nanocore). */
    private static double milli(JsonNode quantity) {
        return Quantity.parse(quantity.asText()).decimalValue().doubleValue() * 1000;
    }

    @Test
    void podAndNodeMetricsAreWhatTheAgentMeasuredShapedAsMetricsServers() throws Exception {
        JsonNode duo = json(BASE + "/namespaces/default/pods/duo");
        assertThat(duo.path("kind").asText()).isEqualTo("PodMetrics");
        assertThat(duo.path("apiVersion").asText()).isEqualTo("metrics.k8s.io/v1beta1");
        assertThat(duo.path("metadata").path("name").asText()).isEqualTo("duo");
        assertThat(duo.path("metadata").path("namespace").asText()).isEqualTo("default");
        assertThat(duo.path("metadata").path("labels").toString()).isEqualTo("{\"app\":\"duo\"}");
        assertThat(duo.path("metadata").path("creationTimestamp").asText()).matches(RFC3339);
        assertThat(duo.path("timestamp").asText()).matches(RFC3339);
        // a Go duration, as metrics-server prints it: "473ms" for a container younger than a second, "15.2s", "1m0.5s"
        assertThat(duo.path("window").asText()).matches("(\\d+m)?\\d+(\\.\\d+)?(ms|s)");
        List<String> fields = new ArrayList<>();
        duo.fieldNames().forEachRemaining(fields::add);
        assertThat(fields).containsExactly("kind", "apiVersion", "metadata", "timestamp", "window", "containers");
        JsonNode main = duo.path("containers").path(0);
        JsonNode side = duo.path("containers").path(1);
        assertThat(main.path("name").asText()).isEqualTo("main");
        assertThat(milli(main.path("usage").path("cpu"))).isCloseTo(50, within(0.001));
        assertThat(main.path("usage").path("memory").asText()).isEqualTo("4Mi");
        assertThat(side.path("name").asText()).isEqualTo("side");
        assertThat(milli(side.path("usage").path("cpu"))).isCloseTo(2, within(0.001));
        assertThat(side.path("usage").path("memory").asText()).isEqualTo("1Mi");

        JsonNode all = json(BASE + "/pods");
        assertThat(all.path("kind").asText()).isEqualTo("PodMetricsList");
        assertThat(all.path("metadata").toString()).isEqualTo("{}");
        assertThat(names(all)).containsExactly("default/duo", "default/web-a", "default/web-b", "team/solo");
        assertThat(names(json(BASE + "/namespaces/team/pods"))).containsExactly("team/solo");
        assertThat(names(json(BASE + "/namespaces/default/pods?labelSelector=app%3Dweb"))).containsExactly("default/web-a", "default/web-b");
        assertThat(names(json(BASE + "/pods?fieldSelector=metadata.name%3Dweb-a"))).containsExactly("default/web-a");
        assertThat(names(json(BASE + "/pods?fieldSelector=metadata.namespace%3Dteam"))).containsExactly("team/solo");
        assertThat(json(BASE + "/namespaces/team/pods/solo").path("containers").path(0).path("usage").path("memory").asText()).isEqualTo("1536Ki");

        JsonNode nodes = json(BASE + "/nodes");
        assertThat(nodes.path("kind").asText()).isEqualTo("NodeMetricsList");
        assertThat(names(nodes)).containsExactly("top-0", "top-1");
        JsonNode top0 = nodes.path("items").path(0);
        assertThat(top0.path("metadata").path("labels").path("kubernetes.io/hostname").asText()).isEqualTo("top-0");
        assertThat(milli(top0.path("usage").path("cpu"))).as("web-a and duo").isCloseTo(452, within(0.01));
        assertThat(top0.path("usage").path("memory").asText()).isEqualTo("105Mi");
        JsonNode top1 = json(BASE + "/nodes/top-1");
        assertThat(milli(top1.path("usage").path("cpu"))).as("web-b and solo").isCloseTo(2, within(0.001));
        assertThat(top1.path("usage").path("memory").asText()).isEqualTo("5632Ki");
        assertThat(names(json(BASE + "/nodes?labelSelector=kubernetes.io%2Fhostname%3Dtop-1"))).containsExactly("top-1");
    }

    @Test
    void kubectlTopAndGetPrintThem() throws Exception {
        assumeTrue(Files.isExecutable(KUBECTL), "kubectl not installed");
        assertThat(kubectl("top", "pods").stdout()).isEqualTo("""
                NAME    CPU(cores)   MEMORY(bytes)  \s
                duo     52m          5Mi            \s
                web-a   400m         100Mi          \s
                web-b   1m           4Mi            \s
                """);
        assertThat(kubectl("top", "pods", "--containers").stdout()).isEqualTo("""
                POD     NAME    CPU(cores)   MEMORY(bytes)  \s
                duo     main    50m          4Mi            \s
                duo     side    2m           1Mi            \s
                web-a   nginx   400m         100Mi          \s
                web-b   nginx   1m           4Mi            \s
                """);
        assertThat(kubectl("top", "pods", "-A").stdout()).isEqualTo("""
                NAMESPACE   NAME    CPU(cores)   MEMORY(bytes)  \s
                default     duo     52m          5Mi            \s
                default     web-a   400m         100Mi          \s
                default     web-b   1m           4Mi            \s
                team        solo    1m           1Mi            \s
                """);
        assertThat(kubectl("top", "pod", "-l", "app=web").stdout()).isEqualTo("""
                NAME    CPU(cores)   MEMORY(bytes)  \s
                web-a   400m         100Mi          \s
                web-b   1m           4Mi            \s
                """);
        // CPU(%) and MEMORY(%) of the nodes' allocatable (4 cores, 8Gi)
        assertThat(kubectl("top", "nodes").stdout()).isEqualTo("""
                NAME    CPU(cores)   CPU(%)   MEMORY(bytes)   MEMORY(%)  \s
                top-0   452m         11%      105Mi           1%         \s
                top-1   2m           0%       5Mi             0%         \s
                """);
        Result nope = kubectl("top", "pod", "nope");
        assertThat(nope.exit()).isEqualTo(1);
        assertThat(nope.stderr()).isEqualTo("Error from server (NotFound): pods \"nope\" not found\n");
        assertThat(kubectl("top", "node", "nope").stderr()).isEqualTo("Error from server (NotFound): node \"nope\" not found\n");
        Result podMetrics = kubectl("get", "podmetrics", "-A");
        assertThat(podMetrics.stdout()).startsWith("NAMESPACE   NAME    CPU    MEMORY   WINDOW\n")
                .containsPattern("default +web-a +400m +100Mi +\\d+(\\.\\d+)?s\n").containsPattern("team +solo +1m +1536Ki +");
        assertThat(kubectl("get", "nodemetrics", "top-1").stdout()).startsWith("NAME    CPU   MEMORY   WINDOW\n").contains("top-1   2m    5632Ki");
        assertThat(kubectl("get", "podmetrics", "duo", "-o", "jsonpath={.containers[*].name}").stdout()).isEqualTo("main side");
    }

    /** The body of GET {@code path}, whatever the status. */
    private static JsonNode body(String path) {
        try {
            return JSON.readTree(get(path).body());
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    private static double surgeMilli() {
        return milli(body(BASE + "/namespaces/default/pods/surge").path("containers").path(0).path("usage").path("cpu"));
    }

    /** {@code kubectl annotate} a simulated pod's usage: kubectl top follows within the rate's 15 s window and the API server's cache. */
    @Test
    void anAnnotationChangeShowsInTopWithinTheWindow() throws Exception {
        create("default", "surge", "top-1", Map.of("app", "surge"), Map.of(), "app");
        await(WAIT, "surge running with metrics", () -> running("default", "surge")
                && get(BASE + "/namespaces/default/pods/surge").statusCode() == 200);
        try {
            f.client.pods().inNamespace("default").withName("surge").edit(p -> new PodBuilder(p).editMetadata()
                    .addToAnnotations(SimulatedRuntime.PREFIX + "cpu-usage", "700m").endMetadata().build());
            long start = System.nanoTime();
            await(Duration.ofSeconds(40), "surge near 700m", () -> surgeMilli() > 690, KubectlTopTest::surgeMilli);
            assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(30));
            if (Files.isExecutable(KUBECTL)) {
                assertThat(kubectl("top", "pod", "surge", "--no-headers").stdout()).matches("surge +(69\\d|70\\d)m +4Mi +\n");
            }
        } finally {
            // the other tests count every pod and the nodes' totals
            f.client.pods().inNamespace("default").withName("surge").delete();
            await(WAIT, "surge gone, and from top-1's usage", () -> f.client.pods().inNamespace("default").withName("surge").get() == null
                    && milli(body(BASE + "/nodes/top-1").path("usage").path("cpu")) < 10);
        }
    }
}
