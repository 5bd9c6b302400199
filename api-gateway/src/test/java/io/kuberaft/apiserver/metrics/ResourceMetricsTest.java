package io.kuberaft.apiserver.metrics;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.kuberaft.apiserver.InProcessKubectl;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * metrics.k8s.io on an API server without working agents: discovery (legacy and aggregated, and what kubectl makes of
 * it), the OpenAPI documents still served, get and list only, metrics-server's errors, and agents that are down or
 * never answer costing at most the timeout, never an error. The metrics of real agents: node-agent's KubectlTopTest.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class ResourceMetricsTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private static final String BASE = "/apis/metrics.k8s.io/v1beta1";
    @TempDir
    static Path tmp;
    static InProcessKubectl k;
    /** An "agent" that accepts connections and never says a word. */
    static ServerSocket silent;
    static final List<Socket> held = new CopyOnWriteArrayList<>();

    @BeforeAll
    static void start() throws Exception {
        k = new InProcessKubectl(tmp);
        silent = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        Thread t = new Thread(() -> {
            while (!silent.isClosed()) {
                try {
                    held.add(silent.accept());
                } catch (IOException e) {
                    return;
                }
            }
        }, "silent-agent");
        t.setDaemon(true);
        t.start();
        int closed;
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            closed = s.getLocalPort();
        }
        node("ghost", "closed", closed);
        node("mute", "silent", silent.getLocalPort());
        send("POST", "/api/v1/namespaces/default/pods", "application/json", "{\"metadata\":{\"name\":\"p\",\"labels\":{\"app\":\"web\"}},"
                + "\"spec\":{\"nodeName\":\"ghost\",\"containers\":[{\"name\":\"c\",\"image\":\"nginx\"}]}}");
        send("PATCH", "/api/v1/namespaces/default/pods/p/status", "application/merge-patch+json", "{\"status\":{\"phase\":\"Running\"}}");
        send("POST", "/api/v1/namespaces/default/pods", "application/json", "{\"metadata\":{\"name\":\"pending\"},"
                + "\"spec\":{\"nodeName\":\"ghost\",\"containers\":[{\"name\":\"c\",\"image\":\"nginx\"}]}}");
    }

    @AfterAll
    static void stop() throws IOException {
        if (silent != null) {
            silent.close();
        }
        for (Socket s : held) {
            s.close();
        }
        if (k != null) {
            k.close();
        }
    }

    private static void node(String name, String agentLabel, int port) throws Exception {
        send("POST", "/api/v1/nodes", "application/json", "{\"metadata\":{\"name\":\"" + name + "\",\"labels\":{\"agent\":\"" + agentLabel + "\"}}}");
        send("PATCH", "/api/v1/nodes/" + name + "/status", "application/merge-patch+json", "{\"status\":{\"addresses\":[{\"type\":\"InternalIP\","
                + "\"address\":\"127.0.0.1\"}],\"daemonEndpoints\":{\"kubeletEndpoint\":{\"Port\":" + port + "}}}}");
    }

    private static HttpResponse<String> send(String method, String path, String contentType, String body) throws Exception {
        HttpResponse<String> r = request(method, path, contentType, body, null);
        assertThat(r.statusCode()).as(method + " " + path + ": " + r.body()).isBetween(200, 201);
        return r;
    }

    private static HttpResponse<String> request(String method, String path, String contentType, String body, String accept) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + k.server().port() + path)).timeout(Duration.ofSeconds(30))
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        if (contentType != null) {
            b.header("Content-Type", contentType);
        }
        if (accept != null) {
            b.header("Accept", accept);
        }
        return HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    private static HttpResponse<String> get(String path) throws Exception {
        return request("GET", path, null, null, null);
    }

    private static JsonNode json(HttpResponse<String> r) throws IOException {
        return JSON.readTree(r.body());
    }

    private static void assertStatus(HttpResponse<String> r, int code, String reason, String message) throws IOException {
        assertThat(r.statusCode()).as(r.body()).isEqualTo(code);
        JsonNode s = json(r);
        assertThat(s.path("kind").asText()).isEqualTo("Status");
        assertThat(s.path("reason").asText()).isEqualTo(reason);
        assertThat(s.path("message").asText()).isEqualTo(message);
    }

    @Test
    void discoveryHasTheGroupAsMetricsServerRegistersIt() throws Exception {
        JsonNode groups = json(get("/apis"));
        JsonNode metrics = null;
        for (JsonNode g : groups.path("groups")) {
            if (g.path("name").asText().equals("metrics.k8s.io")) {
                metrics = g;
            }
        }
        assertThat(metrics).isNotNull();
        assertThat(metrics.path("preferredVersion").toString()).isEqualTo("{\"groupVersion\":\"metrics.k8s.io/v1beta1\",\"version\":\"v1beta1\"}");
        assertThat(json(get("/apis/metrics.k8s.io")).path("versions").toString())
                .isEqualTo("[{\"groupVersion\":\"metrics.k8s.io/v1beta1\",\"version\":\"v1beta1\"}]");
        assertThat(json(get(BASE)).toString()).isEqualTo("{\"kind\":\"APIResourceList\",\"apiVersion\":\"v1\",\"groupVersion\":\"metrics.k8s.io/v1beta1\","
                + "\"resources\":[{\"name\":\"nodes\",\"singularName\":\"\",\"namespaced\":false,\"kind\":\"NodeMetrics\",\"verbs\":[\"get\",\"list\"]},"
                + "{\"name\":\"pods\",\"singularName\":\"\",\"namespaced\":true,\"kind\":\"PodMetrics\",\"verbs\":[\"get\",\"list\"]}]}");
        HttpResponse<String> aggregated = request("GET", "/apis", null, null,
                "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json");
        JsonNode group = null;
        for (JsonNode g : json(aggregated).path("items")) {
            if (g.path("metadata").path("name").asText().equals("metrics.k8s.io")) {
                group = g;
            }
        }
        assertThat(group).isNotNull();
        assertThat(group.path("versions").toString()).isEqualTo("[{\"version\":\"v1beta1\",\"resources\":["
                + "{\"resource\":\"nodes\",\"responseKind\":{\"group\":\"metrics.k8s.io\",\"version\":\"v1beta1\",\"kind\":\"NodeMetrics\"},"
                + "\"scope\":\"Cluster\",\"singularResource\":\"\",\"verbs\":[\"get\",\"list\"]},"
                + "{\"resource\":\"pods\",\"responseKind\":{\"group\":\"metrics.k8s.io\",\"version\":\"v1beta1\",\"kind\":\"PodMetrics\"},"
                + "\"scope\":\"Namespaced\",\"singularResource\":\"\",\"verbs\":[\"get\",\"list\"]}],\"freshness\":\"Current\"}]");
    }

    @Test
    void kubectlListsTheResourcesAndItsOpenApiStillWorks() throws Exception {
        Assumptions.assumeTrue(InProcessKubectl.available(), "kubectl not installed");
        InProcessKubectl.Result r = k.kubectl(60, "api-resources", "--api-group=metrics.k8s.io").ok();
        assertThat(r.out()).isEqualTo("""
                NAME    SHORTNAMES   APIVERSION               NAMESPACED   KIND
                nodes                metrics.k8s.io/v1beta1   false        NodeMetrics
                pods                 metrics.k8s.io/v1beta1   true         PodMetrics
                """);
        assertThat(k.kubectl(60, "get", "--raw", "/openapi/v3").ok().out()).contains("\"apis/metrics.k8s.io/v1beta1\"");
        assertThat(k.kubectl(60, "get", "--raw", "/openapi/v3/apis/metrics.k8s.io/v1beta1").ok().out())
                .contains("/apis/metrics.k8s.io/v1beta1/namespaces/{namespace}/pods/{name}").doesNotContain("\"delete\"");
        assertThat(k.kubectl(60, "explain", "pods.spec.nodeName").ok().out()).contains("KIND:       Pod", "nodeName");
        assertThat(k.kubectl(60, "get", "pods").ok().out()).as("pods are still the core group's").startsWith("NAME      READY   STATUS").contains("pending");
        InProcessKubectl.Result none = k.kubectl(60, "get", "nodemetrics", "-l", "agent=closed").ok();
        assertThat(none.err()).isEqualTo("No resources found\n");
        InProcessKubectl.Result top = k.kubectl(60, "top", "pod", "p");
        assertThat(top.code()).isEqualTo(1);
        assertThat(top.err()).isEqualTo("Error from server (NotFound): podmetrics.metrics.k8s.io \"default/p\" not found\n");
        top = k.kubectl(60, "top", "pod", "nope");
        assertThat(top.err()).isEqualTo("Error from server (NotFound): pods \"nope\" not found\n");
    }

    /** An agent that is down leaves its nodes and pods out of lists, and their gets are metrics-server's 404s. */
    @Test
    void nodesAndPodsWithoutAnAnsweringAgentHaveNoMetrics() throws Exception {
        long start = System.nanoTime();
        HttpResponse<String> nodes = get(BASE + "/nodes?labelSelector=agent%3Dclosed");
        assertThat(nodes.statusCode()).isEqualTo(200);
        assertThat(nodes.body()).isEqualTo("{\"kind\":\"NodeMetricsList\",\"apiVersion\":\"metrics.k8s.io/v1beta1\",\"metadata\":{},\"items\":[]}");
        assertThat(Duration.ofNanos(System.nanoTime() - start)).as("a refused connection fails at once").isLessThan(Duration.ofSeconds(3));
        assertStatus(get(BASE + "/nodes/ghost"), 404, "NotFound", "nodemetrics.metrics.k8s.io \"ghost\" not found");
        assertStatus(get(BASE + "/nodes/missing"), 404, "NotFound", "node \"missing\" not found");
        assertThat(get(BASE + "/namespaces/default/pods").body())
                .isEqualTo("{\"kind\":\"PodMetricsList\",\"apiVersion\":\"metrics.k8s.io/v1beta1\",\"metadata\":{},\"items\":[]}");
        assertThat(json(get(BASE + "/pods?labelSelector=app%3Dweb")).path("items").size()).isZero();
        assertStatus(get(BASE + "/namespaces/default/pods/p"), 404, "NotFound", "podmetrics.metrics.k8s.io \"default/p\" not found");
        assertThat(json(get(BASE + "/namespaces/default/pods/p")).path("details").toString())
                .isEqualTo("{\"name\":\"default/p\",\"group\":\"metrics.k8s.io\",\"kind\":\"podmetrics\"}");
        // metrics-server knows Running pods only
        assertStatus(get(BASE + "/namespaces/default/pods/pending"), 404, "NotFound", "pods \"pending\" not found");
        assertStatus(get(BASE + "/namespaces/other/pods/p"), 404, "NotFound", "pods \"p\" not found");
        HttpResponse<String> table = request("GET", BASE + "/nodes?labelSelector=agent%3Dclosed", null, null,
                "application/json;as=Table;v=v1;g=meta.k8s.io,application/json");
        JsonNode t = json(table);
        assertThat(t.path("kind").asText()).isEqualTo("Table");
        assertThat(t.path("rows").size()).isZero();
    }

    /** An agent that accepts the connection and never answers costs one request the timeout, and is not asked again at once. */
    @Test
    void aSilentAgentCostsAtMostTheTimeoutOnce() throws Exception {
        long start = System.nanoTime();
        HttpResponse<String> first = get(BASE + "/nodes?fieldSelector=metadata.name%3Dmute");
        Duration took = Duration.ofNanos(System.nanoTime() - start);
        assertThat(first.statusCode()).isEqualTo(200);
        assertThat(json(first).path("items").size()).isZero();
        assertThat(took).isGreaterThanOrEqualTo(AgentScraper.TIMEOUT.minusMillis(100)).isLessThan(AgentScraper.TIMEOUT.plusSeconds(3));
        int connections = held.size();
        assertThat(connections).isEqualTo(1);
        start = System.nanoTime();
        assertStatus(get(BASE + "/nodes/mute"), 404, "NotFound", "nodemetrics.metrics.k8s.io \"mute\" not found");
        assertThat(Duration.ofNanos(System.nanoTime() - start)).as("the failure is remembered").isLessThan(Duration.ofSeconds(1));
        assertThat(held).hasSize(connections);
    }

    @Test
    void onlyGetAndListAsMetricsServer() throws Exception {
        String notAllowed = "the server does not allow this method on the requested resource";
        assertStatus(request("POST", BASE + "/nodes", "application/json", "{}", null), 405, "MethodNotAllowed", notAllowed);
        assertStatus(request("DELETE", BASE + "/namespaces/default/pods/p", null, null, null), 405, "MethodNotAllowed", notAllowed);
        assertStatus(request("DELETE", BASE + "/namespaces/default/pods", null, null, null), 405, "MethodNotAllowed", notAllowed);
        assertStatus(request("PUT", BASE + "/nodes/ghost", "application/json", "{}", null), 405, "MethodNotAllowed", notAllowed);
        assertStatus(request("PATCH", BASE + "/nodes/ghost", "application/merge-patch+json", "{}", null), 405, "MethodNotAllowed", notAllowed);
        assertStatus(get(BASE + "/pods?watch=true"), 405, "MethodNotAllowed", "watch is not supported on resources of kind \"pods.metrics.k8s.io\"");
        String missing = "the server could not find the requested resource";
        assertStatus(get(BASE + "/nodes/ghost/status"), 404, "NotFound", missing);
        assertStatus(get(BASE + "/deployments"), 404, "NotFound", missing);
        assertStatus(get(BASE + "/namespaces/default/nodes"), 404, "NotFound", missing);
        assertStatus(get("/apis/metrics.k8s.io/v1/nodes"), 404, "NotFound", missing);
        assertStatus(get(BASE + "/pods?fieldSelector=spec.nodeName%3Dghost"), 400, "BadRequest",
                "\"spec.nodeName\" is not a known field selector: only \"metadata.name\", \"metadata.namespace\"");
        HttpResponse<String> bad = get(BASE + "/nodes?labelSelector=a%20in%20(");
        assertThat(bad.statusCode()).isEqualTo(400);
    }

    @Test
    void serverSideTableColumnsAreMetricsServers() throws Exception {
        HttpResponse<String> r = request("GET", BASE + "/namespaces/default/pods", null, null, "application/json;as=Table;v=v1;g=meta.k8s.io");
        List<String> columns = new ArrayList<>();
        json(r).path("columnDefinitions").forEach(c -> columns.add(c.path("name").asText() + "/" + c.path("format").asText()));
        assertThat(columns).containsExactly("Name/name", "cpu/quantity", "memory/quantity", "Window/duration");
    }
}
