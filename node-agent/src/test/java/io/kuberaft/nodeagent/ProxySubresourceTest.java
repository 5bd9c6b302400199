package io.kuberaft.nodeagent;

import io.fabric8.kubernetes.api.model.EndpointsBuilder;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.ServiceBuilder;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static io.kuberaft.nodeagent.AgentFixture.await;
import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The proxy subresources end to end: the API server, a node agent with the process runtime, and a real HTTP server in
 * the pod (busybox httpd), reached as {@code kubectl proxy} users do: {@code pods/web:PORT/proxy/ping} → pong,
 * through a Service and its Endpoints, and the node's agent API through {@code nodes/NODE/proxy}. The pod's readiness
 * probe uses a named port, which the agent resolves and dials where the runtime runs the pod.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class ProxySubresourceTest {
    static final Duration WAIT = Duration.ofSeconds(30);
    static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    @TempDir
    static Path tmp;
    static AgentFixture f;
    static int port;

    @BeforeAll
    static void start() throws Exception {
        assumeTrue(Files.isExecutable(Path.of("/usr/bin/busybox")) || Files.isExecutable(Path.of("/bin/busybox")),
                "ProxySubresourceTest needs busybox (httpd) on the host");
        f = new AgentFixture(tmp, "process", "px", 1);
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            port = s.getLocalPort();
        }
        String script = "mkdir -p www/cgi-bin && echo pong > www/ping"
                + " && printf '#!/bin/sh\\nprintf \"Content-Type: text/plain\\\\r\\\\n\\\\r\\\\n\"\\necho \"$REQUEST_METHOD $QUERY_STRING\"\\ncat\\n' > www/cgi-bin/echo"
                + " && chmod +x www/cgi-bin/echo && exec busybox httpd -f -p 127.0.0.1:" + port + " -h www";
        Pod web = new PodBuilder().withNewMetadata().withName("web").withNamespace("default").addToLabels("app", "web").endMetadata()
                .withNewSpec().withNodeName("px").withTerminationGracePeriodSeconds(2L)
                .addNewContainer().withName("httpd").withImage("busybox").withCommand("sh", "-c", script)
                .addNewPort().withName("http").withContainerPort(port).endPort()
                .withNewReadinessProbe().withNewHttpGet().withPath("/ping").withPort(new IntOrString("http")).endHttpGet()
                .withPeriodSeconds(1).endReadinessProbe()
                .endContainer().endSpec().build();
        f.client.pods().inNamespace("default").resource(web).create();
        await(WAIT, "web Ready (readiness probe on the named port)", () -> ready(get("web")), () -> get("web").getStatus());
    }

    @AfterAll
    static void stop() {
        if (f != null) {
            f.close();
        }
    }

    static Pod get(String name) {
        return f.client.pods().inNamespace("default").withName(name).get();
    }

    static boolean ready(Pod p) {
        return p != null && p.getStatus() != null && p.getStatus().getConditions() != null
                && p.getStatus().getConditions().stream().anyMatch(c -> "Ready".equals(c.getType()) && "True".equals(c.getStatus()));
    }

    static HttpResponse<String> call(String method, String path, String body) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + f.server.port() + path)).timeout(Duration.ofSeconds(20));
        b.method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        return HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void podProxyReachesThePodsPort() throws Exception {
        HttpResponse<String> r = call("GET", "/api/v1/namespaces/default/pods/web:" + port + "/proxy/ping", null);
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.body()).isEqualTo("pong\n");
        // no port: the first declared container port, as upstream; the port may also be named
        assertThat(call("GET", "/api/v1/namespaces/default/pods/web/proxy/ping", null).body()).isEqualTo("pong\n");
        assertThat(call("GET", "/api/v1/namespaces/default/pods/http:web:http/proxy/ping", null).body()).isEqualTo("pong\n");
        // the pod's own 404 comes back as it is
        assertThat(call("GET", "/api/v1/namespaces/default/pods/web/proxy/nothing-here", null).statusCode()).isEqualTo(404);
    }

    @Test
    void methodQueryAndBodyAreForwarded() throws Exception {
        HttpResponse<String> r = call("POST", "/api/v1/namespaces/default/pods/web:" + port + "/proxy/cgi-bin/echo?a=1&b=two", "hello body");
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        assertThat(r.body()).isEqualTo("POST a=1&b=two\nhello body");
    }

    @Test
    void serviceProxyGoesToAReadyEndpoint() throws Exception {
        f.client.services().inNamespace("default").resource(new ServiceBuilder().withNewMetadata().withName("websvc").endMetadata()
                .withNewSpec().addToSelector("app", "web").addNewPort().withName("http").withPort(80).withNewTargetPort("http").endPort()
                .endSpec().build()).create();
        HttpResponse<String> none = call("GET", "/api/v1/namespaces/default/services/websvc:http/proxy/ping", null);
        assertThat(none.statusCode()).isEqualTo(503);
        assertThat(none.body()).contains("\"kind\":\"Status\"").contains("no endpoints available for service \\\"websvc\\\"");
        // no endpoints controller in this fixture: the Endpoints it would write
        Pod web = get("web");
        f.client.endpoints().inNamespace("default").resource(new EndpointsBuilder().withNewMetadata().withName("websvc").endMetadata()
                .addNewSubset().addNewAddress().withIp(web.getStatus().getPodIP()).withNodeName("px")
                .withNewTargetRef().withKind("Pod").withNamespace("default").withName("web").withUid(web.getMetadata().getUid()).endTargetRef()
                .endAddress().addNewPort().withName("http").withPort(port).endPort().endSubset().build()).create();
        for (String name : List.of("websvc", "websvc:http", "websvc:80", "http:websvc:http")) {
            HttpResponse<String> r = call("GET", "/api/v1/namespaces/default/services/" + name + "/proxy/ping", null);
            assertThat(r.statusCode()).as(name).isEqualTo(200);
            assertThat(r.body()).as(name).isEqualTo("pong\n");
        }
    }

    @Test
    void nodeProxyReachesTheAgentApi() throws Exception {
        HttpResponse<String> r = call("GET", "/api/v1/nodes/px/proxy/healthz", null);
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.body()).isEqualTo("ok");
        HttpResponse<String> pods = call("GET", "/api/v1/nodes/px/proxy/pods", null);
        assertThat(pods.statusCode()).isEqualTo(200);
        assertThat(pods.body()).contains("\"kind\":\"PodList\"").contains("\"name\":\"web\"");
    }

    @Test
    void failuresAreStatusesWithUpstreamReasons() throws Exception {
        HttpResponse<String> missing = call("GET", "/api/v1/namespaces/default/pods/nope/proxy/", null);
        assertThat(missing.statusCode()).isEqualTo(404);
        assertThat(missing.body()).contains("pods \\\"nope\\\" not found");

        int closed;
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            closed = s.getLocalPort();
        }
        HttpResponse<String> refused = call("GET", "/api/v1/namespaces/default/pods/web:" + closed + "/proxy/", null);
        assertThat(refused.statusCode()).isEqualTo(503);
        assertThat(refused.body()).contains("\"reason\":\"ServiceUnavailable\"")
                .contains("error trying to reach service: dial tcp " + get("web").getStatus().getPodIP() + ":" + closed + ": connect: connection refused");

        HttpResponse<String> badPort = call("GET", "/api/v1/namespaces/default/pods/web:nope/proxy/", null);
        assertThat(badPort.statusCode()).isEqualTo(400);
        assertThat(call("GET", "/api/v1/namespaces/default/pods/a:b:c:d/proxy/", null).statusCode()).isEqualTo(400);

        f.client.pods().inNamespace("default").resource(new PodBuilder().withNewMetadata().withName("unbound").endMetadata()
                .withNewSpec().addNewContainer().withName("c").withImage("busybox").endContainer().endSpec().build()).create();
        HttpResponse<String> unbound = call("GET", "/api/v1/namespaces/default/pods/unbound/proxy/", null);
        assertThat(unbound.statusCode()).isEqualTo(400);
        assertThat(unbound.body()).contains("pod unbound does not have a host assigned");
    }

    /** What the seeds do: `kubectl get --raw` (and `kubectl proxy`) on the pod proxy path. */
    @Test
    void kubectlReadsThroughThePodProxy() throws Exception {
        assumeTrue(Files.isExecutable(Path.of("/usr/bin/kubectl")), "kubectl 1.32 is not installed");
        ProcessBuilder pb = new ProcessBuilder("/usr/bin/kubectl", "--server", "http://127.0.0.1:" + f.server.port(),
                "--cache-dir", tmp.resolve("kube-cache").toString(), "get", "--raw",
                "/api/v1/namespaces/default/pods/web:" + port + "/proxy/ping").redirectErrorStream(true);
        pb.environment().put("HOME", tmp.toString());
        pb.environment().put("KUBECONFIG", tmp.resolve("no-kubeconfig").toString());
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes());
        assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
        assertThat(out).isEqualTo("pong\n");
        assertThat(p.exitValue()).isZero();
    }
}
