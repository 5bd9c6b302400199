package io.kuberaft.apiserver.patch;

import com.fasterxml.jackson.databind.JsonNode;
import io.kuberaft.apiserver.ApiServer;
import io.kuberaft.raftstore.ClusterView;
import io.kuberaft.raftstore.LocalKvStore;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/** PATCH over HTTP against an in-process server: create-on-apply, conflicts as Status, ownership of ordinary writes. */
class PatchHttpTest {
    @TempDir
    static Path tmp;
    static LocalKvStore store;
    static ApiServer server;
    static final HttpClient HTTP = HttpClient.newHttpClient();

    @BeforeAll
    static void start() {
        store = new LocalKvStore(tmp.resolve("store"));
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

    record Resp(int code, JsonNode body) {
    }

    static Resp send(String method, String path, String contentType, String body) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + path));
        b.method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        if (contentType != null) {
            b.header("Content-Type", contentType);
        }
        HttpResponse<String> r = HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
        return new Resp(r.statusCode(), Json.MAPPER.readTree(r.body()));
    }

    static final String DEPLOY = "/apis/apps/v1/namespaces/default/deployments/";
    static final String APPLY = "application/apply-patch+yaml";

    static String deployment(String name, int replicas, String image) {
        return """
                apiVersion: apps/v1
                kind: Deployment
                metadata:
                  name: %s
                spec:
                  replicas: %d
                  selector:
                    matchLabels: {app: %s}
                  template:
                    metadata:
                      labels: {app: %s}
                    spec:
                      containers:
                      - name: web
                        image: %s
                """.formatted(name, replicas, name, name, image);
    }

    static JsonNode managed(JsonNode obj, String manager) {
        for (JsonNode e : obj.path("metadata").path("managedFields")) {
            if (e.path("manager").asText().equals(manager)) {
                return e;
            }
        }
        return null;
    }

    @Test
    void applyCreatesThenUpdatesAndConflictsAreStatuses() throws Exception {
        Resp created = send("PATCH", DEPLOY + "a1?fieldManager=kubectl&force=false", APPLY, deployment("a1", 2, "nginx"));
        assertThat(created.code()).isEqualTo(201);
        assertThat(created.body().path("metadata").path("uid").asText()).isNotEmpty();
        assertThat(managed(created.body(), "kubectl").path("operation").asText()).isEqualTo("Apply");

        Resp again = send("PATCH", DEPLOY + "a1?fieldManager=kubectl&force=false", APPLY, deployment("a1", 2, "nginx"));
        assertThat(again.code()).isEqualTo(200);

        Resp conflict = send("PATCH", DEPLOY + "a1?fieldManager=other&force=false", APPLY, deployment("a1", 3, "nginx"));
        assertThat(conflict.code()).isEqualTo(409);
        assertThat(conflict.body().path("kind").asText()).isEqualTo("Status");
        assertThat(conflict.body().path("reason").asText()).isEqualTo("Conflict");
        assertThat(conflict.body().path("message").asText())
                .isEqualTo("Apply failed with 1 conflict: conflict with \"kubectl\": .spec.replicas");
        assertThat(conflict.body().path("details").path("causes").get(0).path("reason").asText()).isEqualTo("FieldManagerConflict");
        assertThat(conflict.body().path("details").path("causes").get(0).path("field").asText()).isEqualTo(".spec.replicas");

        Resp forced = send("PATCH", DEPLOY + "a1?fieldManager=other&force=true", APPLY, deployment("a1", 3, "nginx"));
        assertThat(forced.code()).isEqualTo(200);
        assertThat(forced.body().path("spec").path("replicas").asInt()).isEqualTo(3);

        Resp noManager = send("PATCH", DEPLOY + "a1", APPLY, deployment("a1", 3, "nginx"));
        assertThat(noManager.code()).isEqualTo(422);
    }

    @Test
    void concurrentPatchesWithoutResourceVersionAllLandButAStaleResourceVersionConflicts() throws Exception {
        assertThat(send("PATCH", DEPLOY + "race?fieldManager=kubectl&force=false", APPLY, deployment("race", 1, "nginx")).code()).isEqualTo(201);
        // upstream retries a patch that names no resourceVersion on a conflict: each of these lands
        java.util.List<java.util.concurrent.CompletableFuture<Integer>> all = new java.util.ArrayList<>();
        for (int i = 0; i < 12; i++) {
            String body = "{\"metadata\":{\"annotations\":{\"k" + i + "\":\"v\"}}}";
            all.add(java.util.concurrent.CompletableFuture.supplyAsync(() -> {
                try {
                    return send("PATCH", DEPLOY + "race", "application/merge-patch+json", body).code();
                } catch (Exception e) {
                    throw new RuntimeException(e);
                }
            }));
        }
        for (var f : all) {
            assertThat(f.get()).isEqualTo(200);
        }
        assertThat(send("GET", DEPLOY + "race", null, null).body().path("metadata").path("annotations").size()).isEqualTo(12);
        // a patch that names a stale resourceVersion is a precondition: 409
        Resp stale = send("PATCH", DEPLOY + "race", "application/merge-patch+json", "{\"metadata\":{\"resourceVersion\":\"1\"}}");
        assertThat(stale.code()).isEqualTo(409);
    }

    @Test
    void dryRunApplyCreatesNothing() throws Exception {
        Resp dry = send("PATCH", DEPLOY + "dry?fieldManager=kubectl&dryRun=All", APPLY, deployment("dry", 1, "nginx"));
        assertThat(dry.code()).isEqualTo(201);
        assertThat(send("GET", DEPLOY + "dry", null, null).code()).isEqualTo(404);
        // other patch types on a missing object are 404
        assertThat(send("PATCH", DEPLOY + "missing", "application/strategic-merge-patch+json", "{\"spec\":{}}").code()).isEqualTo(404);
    }

    @Test
    void ordinaryWritesAreOwnedByTheirManager() throws Exception {
        String json = Json.MAPPER.writeValueAsString(new com.fasterxml.jackson.databind.ObjectMapper(
                new com.fasterxml.jackson.dataformat.yaml.YAMLFactory()).readTree(deployment("u1", 1, "nginx")));
        Resp created = send("POST", "/apis/apps/v1/namespaces/default/deployments?fieldManager=kubectl-create", "application/json", json);
        assertThat(created.code()).isEqualTo(201);
        JsonNode e = managed(created.body(), "kubectl-create");
        assertThat(e.path("operation").asText()).isEqualTo("Update");
        assertThat(e.path("apiVersion").asText()).isEqualTo("apps/v1");
        assertThat(e.path("fieldsV1").path("f:spec").has("f:replicas")).isTrue();

        Resp patched = send("PATCH", DEPLOY + "u1?fieldManager=kubectl-patch", "application/strategic-merge-patch+json",
                "{\"spec\":{\"template\":{\"spec\":{\"containers\":[{\"name\":\"sidecar\",\"image\":\"busybox\"}]}}}}");
        assertThat(patched.code()).isEqualTo(200);
        assertThat(patched.body().path("spec").path("template").path("spec").path("containers")).hasSize(2);
        assertThat(managed(patched.body(), "kubectl-patch").path("fieldsV1").path("f:spec").path("f:template").path("f:spec")
                .path("f:containers").has("k:{\"name\":\"sidecar\"}")).isTrue();

        Resp status = send("PATCH", DEPLOY + "u1/status?fieldManager=controller", "application/merge-patch+json",
                "{\"status\":{\"replicas\":1}}");
        assertThat(status.code()).isEqualTo(200);
        assertThat(managed(status.body(), "controller").path("subresource").asText()).isEqualTo("status");

        // Another applier changing what kubectl-patch set conflicts with that Update manager.
        Resp conflict = send("PATCH", DEPLOY + "u1?fieldManager=other", APPLY, """
                apiVersion: apps/v1
                kind: Deployment
                metadata: {name: u1}
                spec:
                  template:
                    spec:
                      containers:
                      - {name: sidecar, image: alpine}
                """);
        assertThat(conflict.code()).isEqualTo(409);
        assertThat(conflict.body().path("message").asText()).isEqualTo("Apply failed with 1 conflict: conflict with \"kubectl-patch\" using apps/v1: "
                + ".spec.template.spec.containers[name=\"sidecar\"].image");
    }
}
