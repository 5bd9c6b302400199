package io.kuberaft.apiserver.http;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.kuberaft.apiserver.ApiServer;
import io.kuberaft.raftstore.ClusterView;
import io.kuberaft.raftstore.LocalKvStore;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;

import static org.assertj.core.api.Assertions.assertThat;

/** A list's resourceVersion and resourceVersionMatch, as upstream validates and serves them. */
class ListResourceVersionTest {
    static final ObjectMapper M = new ObjectMapper();

    @TempDir
    Path dir;
    LocalKvStore store;
    ApiServer server;
    final HttpClient http = HttpClient.newHttpClient();

    @BeforeEach
    void start() {
        store = new LocalKvStore(dir.resolve("kv"));
        server = ApiServer.start(ApiServer.Options.plain("127.0.0.1", 0), store, ClusterView.standalone("m1", () -> 0), new SimpleMeterRegistry(), () -> "");
    }

    @AfterEach
    void stop() {
        server.close();
        store.close();
    }

    private HttpResponse<String> list(String query) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + "/api/v1/namespaces/default/configmaps?" + query))
                .build(), HttpResponse.BodyHandlers.ofString());
    }

    private long current() throws Exception {
        return Long.parseLong(M.readTree(list("").body()).path("metadata").path("resourceVersion").asText());
    }

    @Test
    void resourceVersionMatchNeedsAResourceVersion() throws Exception {
        HttpResponse<String> r = list("resourceVersionMatch=NotOlderThan");
        assertThat(r.statusCode()).isEqualTo(422);
        JsonNode s = M.readTree(r.body());
        assertThat(s.path("message").asText()).isEqualTo("ListOptions.meta.k8s.io \"\" is invalid: resourceVersionMatch: Forbidden: "
                + "resourceVersionMatch is forbidden unless resourceVersion is provided");
        assertThat(list("resourceVersionMatch=Exact&resourceVersion=0").statusCode()).isEqualTo(422);
        assertThat(list("resourceVersionMatch=NotOlderThan&resourceVersion=0").statusCode()).isEqualTo(200);
    }

    @Test
    void aResourceVersionFromTheFutureFailsAfterAShortWaitWithUpstreamsTimeout() throws Exception {
        long now = current();
        long wanted = now + 1000;
        long t0 = System.nanoTime();
        HttpResponse<String> r = list("resourceVersionMatch=NotOlderThan&resourceVersion=" + wanted);
        long waitedMs = (System.nanoTime() - t0) / 1_000_000;
        assertThat(r.statusCode()).isEqualTo(504);
        assertThat(waitedMs).isBetween(2_500L, 10_000L);
        assertThat(r.headers().firstValue("Retry-After")).hasValue("1");
        JsonNode s = M.readTree(r.body());
        assertThat(s.path("reason").asText()).isEqualTo("Timeout");
        // (the server's own bootstrap writes may have moved the revision on meanwhile)
        assertThat(s.path("message").asText()).matches("Too large resource version: " + wanted + ", current: [0-9]+");
        assertThat(Long.parseLong(s.path("message").asText().replaceAll(".*current: ", ""))).isBetween(now, wanted - 1);
        assertThat(s.path("details").path("causes").get(0).path("reason").asText()).isEqualTo("ResourceVersionTooLarge");
        assertThat(s.path("details").path("causes").get(0).path("message").asText()).isEqualTo("Too large resource version");
        assertThat(s.path("details").path("retryAfterSeconds").asInt()).isEqualTo(1);
        // a plain resourceVersion (no match) is a NotOlderThan too
        assertThat(list("resourceVersion=" + wanted).statusCode()).isEqualTo(504);
    }

    @Test
    void aListWaitsForARevisionThatArrivesInTime() throws Exception {
        long wanted = current() + 1;
        CompletableFuture<HttpResponse<String>> pending = CompletableFuture.supplyAsync(() -> {
            try {
                return list("resourceVersion=" + wanted + "&resourceVersionMatch=NotOlderThan");
            } catch (Exception e) {
                throw new RuntimeException(e);
            }
        });
        Thread.sleep(300);
        HttpResponse<String> created = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + "/api/v1/namespaces/default/configmaps"))
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString("{\"metadata\":{\"name\":\"late\"}}")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(created.statusCode()).isEqualTo(201);
        HttpResponse<String> r = pending.get();
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        assertThat(Long.parseLong(M.readTree(r.body()).path("metadata").path("resourceVersion").asText())).isGreaterThanOrEqualTo(wanted);
    }
}
