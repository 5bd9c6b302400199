package io.kuberaft.apiserver;

import io.kuberaft.apiserver.http.RequestInfo;
import io.kuberaft.apiserver.metrics.StorageObjects;
import io.kuberaft.apiserver.registry.BuiltinResources;
import io.kuberaft.apiserver.registry.ResourceRegistry;
import io.kuberaft.apiserver.registry.ResourceStore;
import io.kuberaft.raftstore.ClusterView;
import io.kuberaft.raftstore.LocalKvStore;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;

/** apiserver_request_total's verb label as upstream's cleanVerb, and apiserver_storage_objects. */
class ApiMetricsTest {
    @TempDir
    Path dir;

    private static String verb(String method, String path, boolean watch, String contentType) {
        return ApiMetrics.verb(RequestInfo.parse(method, path, watch), method, contentType);
    }

    @Test
    void verbsAreTheRouteVerbsOfUpstream() {
        assertThat(verb("POST", "/api/v1/namespaces/d/configmaps", false, "application/json")).isEqualTo("POST");
        assertThat(verb("PUT", "/api/v1/namespaces/d/configmaps/a", false, "application/json")).isEqualTo("PUT");
        assertThat(verb("PATCH", "/api/v1/namespaces/d/configmaps/a", false, "application/merge-patch+json")).isEqualTo("PATCH");
        assertThat(verb("PATCH", "/api/v1/namespaces/d/configmaps/a", false, "application/apply-patch+yaml")).isEqualTo("APPLY");
        assertThat(verb("PATCH", "/apis/apps/v1/namespaces/d/deployments/a/status", false, "application/apply-patch+yaml; charset=utf-8"))
                .isEqualTo("APPLY");
        assertThat(verb("GET", "/api/v1/namespaces/d/configmaps/a", false, null)).isEqualTo("GET");
        assertThat(verb("GET", "/api/v1/namespaces/d/configmaps", false, null)).isEqualTo("LIST");
        assertThat(verb("GET", "/api/v1/namespaces/d/configmaps", true, null)).isEqualTo("WATCH");
        assertThat(verb("GET", "/api/v1/watch/namespaces/d/configmaps", false, null)).isEqualTo("WATCH");
        assertThat(verb("DELETE", "/api/v1/namespaces/d/configmaps/a", false, null)).isEqualTo("DELETE");
        assertThat(verb("DELETE", "/api/v1/namespaces/d/configmaps", false, null)).isEqualTo("DELETECOLLECTION");
        assertThat(verb("POST", "/api/v1/namespaces/d/pods/p/exec", false, null)).isEqualTo("CONNECT");
        assertThat(verb("GET", "/api/v1/namespaces/d/pods/p/portforward", false, null)).isEqualTo("CONNECT");
        assertThat(verb("GET", "/api/v1/namespaces/d/services/s/proxy/x", false, null)).isEqualTo("CONNECT");
        assertThat(verb("POST", "/api/v1/namespaces/d/pods/p/eviction", false, null)).isEqualTo("POST");
        assertThat(ApiMetrics.verb(null, "GET", null)).isEqualTo("GET");
    }

    @Test
    void requestsAreCountedUnderUpstreamsVerbs() throws Exception {
        SimpleMeterRegistry meters = new SimpleMeterRegistry();
        try (LocalKvStore store = new LocalKvStore(dir.resolve("kv"))) {
            ApiServer server = ApiServer.start(ApiServer.Options.plain("127.0.0.1", 0), store, ClusterView.standalone("m1", () -> 0), meters, () -> "");
            try {
                HttpClient http = HttpClient.newHttpClient();
                String base = "http://127.0.0.1:" + server.port() + "/api/v1/namespaces/default/configmaps";
                send(http, HttpRequest.newBuilder(URI.create(base)).header("Content-Type", "application/json")
                        .POST(HttpRequest.BodyPublishers.ofString("{\"metadata\":{\"name\":\"a\"}}")), 201);
                send(http, HttpRequest.newBuilder(URI.create(base + "/a?fieldManager=t")).header("Content-Type", "application/apply-patch+yaml")
                        .method("PATCH", HttpRequest.BodyPublishers.ofString("{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":{\"name\":\"a\"},\"data\":{\"k\":\"v\"}}")), 200);
                send(http, HttpRequest.newBuilder(URI.create(base + "/a")).header("Content-Type", "application/merge-patch+json")
                        .method("PATCH", HttpRequest.BodyPublishers.ofString("{\"data\":{\"k\":\"w\"}}")), 200);
                send(http, HttpRequest.newBuilder(URI.create(base)), 200);
                send(http, HttpRequest.newBuilder(URI.create(base + "/a")).DELETE(), 200);
                for (String v : new String[] {"POST", "APPLY", "PATCH", "LIST", "DELETE"}) {
                    Counter c = meters.find("apiserver_request_total").tag("verb", v).tag("resource", "configmaps").counter();
                    assertThat(c).as(v).isNotNull();
                    assertThat(c.count()).as(v).isEqualTo(1.0);
                }
                assertThat(meters.find("apiserver_request_total").tag("verb", "CREATE").counter()).isNull();
                assertThat(meters.find("apiserver_request_duration_seconds").tag("verb", "POST").tag("resource", "configmaps").timer()).isNotNull();
                // counted once at start-up: the bootstrap namespaces are there within the first interval
                long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
                while (meters.find("apiserver_storage_objects").tag("resource", "namespaces").gauge() == null && System.nanoTime() < deadline) {
                    Thread.sleep(50);
                }
                assertThat(meters.find("apiserver_storage_objects").tag("resource", "namespaces").gauge()).isNotNull();
            } finally {
                server.close();
            }
        }
    }

    private static void send(HttpClient http, HttpRequest.Builder b, int code) throws Exception {
        HttpResponse<String> r = http.send(b.build(), HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).as(r.body()).isEqualTo(code);
    }

    @Test
    void storageObjectsCountEachStoredResourceUnderItsUpstreamName() {
        SimpleMeterRegistry meters = new SimpleMeterRegistry();
        try (LocalKvStore kv = new LocalKvStore(dir.resolve("kv2"))) {
            ResourceRegistry registry = new ResourceRegistry();
            BuiltinResources.registerAll(registry);
            ResourceStore store = new ResourceStore(kv);
            var cm = registry.find("", "v1", "configmaps").orElseThrow();
            var deploy = registry.find("apps", "v1", "deployments").orElseThrow();
            for (int i = 0; i < 3; i++) {
                store.create(cm, "ns" + i, "c", io.kuberaft.apiserver.registry.Objects.JSON.createObjectNode());
            }
            store.create(deploy, "default", "d", io.kuberaft.apiserver.registry.Objects.JSON.createObjectNode());
            StorageObjects objects = new StorageObjects(registry, store, meters);
            objects.refresh();
            assertThat(meters.find("apiserver_storage_objects").tag("resource", "configmaps").gauge().value()).isEqualTo(3.0);
            assertThat(meters.find("apiserver_storage_objects").tag("resource", "deployments.apps").gauge().value()).isEqualTo(1.0);
            assertThat(meters.find("apiserver_storage_objects").tag("resource", "pods").gauge().value()).isEqualTo(0.0);
            // virtual resources and reviews are never stored, and have no gauge
            assertThat(meters.find("apiserver_storage_objects").tag("resource", "componentstatuses").gauge()).isNull();
            assertThat(meters.find("apiserver_storage_objects").tag("resource", "selfsubjectaccessreviews.authorization.k8s.io").gauge()).isNull();
            store.delete(deploy, "default", "d", 0);
            objects.refresh();
            assertThat(meters.find("apiserver_storage_objects").tag("resource", "deployments.apps").gauge().value()).isEqualTo(0.0);
        }
    }
}
