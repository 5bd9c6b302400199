package io.kuberaft.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.fabric8.kubernetes.api.model.ConfigMapBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.kuberaft.apiserver.ApiServer;
import io.kuberaft.apiserver.auth.UserInfo;
import io.kuberaft.controllers.runtime.LeaderSession;
import io.kuberaft.raftstore.ClusterView;
import io.kuberaft.raftstore.LocalKvStore;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The replica's own controllers reach its API over plain HTTP on a loopback port that serves their token and
 * nothing else; users keep the TLS port.
 */
class ControllerLoopbackTest {
    private static final String ADMIN = "admin-token";
    private static final String CONTROLLERS = "controllers-token";
    @TempDir
    Path dir;
    private LocalKvStore store;
    private ApiServer server;

    private ApiServer start(String loopbackToken) throws Exception {
        Pki pki = new Pki(dir);
        pki.ensure(List.of());
        store = new LocalKvStore(dir.resolve("kv"));
        Map<String, UserInfo> tokens = Map.of(
                ADMIN, UserInfo.authenticated("admin", "", List.of(UserInfo.MASTERS), Map.of()),
                CONTROLLERS, UserInfo.authenticated("system:kube-controller-manager", "", List.of(UserInfo.MASTERS), Map.of()));
        ApiServer.Options o = new ApiServer.Options("127.0.0.1", 0, pki.serverCert(), pki.serverKey(), pki.caCert(), tokens,
                ApiServer.DEFAULT_BOOKMARK_INTERVAL_MS).withLoopbackToken(loopbackToken);
        server = ApiServer.start(o, store, ClusterView.standalone("m1", () -> 0), new SimpleMeterRegistry(), () -> "");
        return server;
    }

    @AfterEach
    void stop() {
        if (server != null) {
            server.close();
        }
        if (store != null) {
            store.close();
        }
    }

    private static HttpResponse<String> get(String url, String token) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url));
        if (token != null) {
            b.header("Authorization", "Bearer " + token);
        }
        return HttpClient.newHttpClient().send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void theControllersTokenIsServedOnLoopbackInPlainHttpAndNothingElseIs() throws Exception {
        ApiServer s = start(CONTROLLERS);
        String url = s.loopbackUrl();
        assertThat(url).startsWith("http://127.0.0.1:").doesNotEndWith(":" + s.port());

        assertThat(get(url + "/api/v1/namespaces", CONTROLLERS).statusCode()).isEqualTo(200);
        for (String other : new String[] {ADMIN, "wrong", null}) {
            HttpResponse<String> r = get(url + "/api/v1/namespaces", other);
            assertThat(r.statusCode()).as("token %s", other).isEqualTo(401);
            JsonNode status = new ObjectMapper().readTree(r.body());
            assertThat(status.path("kind").asText()).isEqualTo("Status");
            assertThat(status.path("reason").asText()).isEqualTo("Unauthorized");
        }

        // what the controllers do with it: a fenced fabric8 client writes and reads through the loopback port
        try (KubernetesClient c = LeaderSession.client(url, CONTROLLERS, 0)) {
            c.configMaps().inNamespace("default").resource(new ConfigMapBuilder().withNewMetadata().withName("via-loopback").endMetadata()
                    .addToData("k", "v").build()).create();
            assertThat(c.configMaps().inNamespace("default").withName("via-loopback").get().getData()).containsEntry("k", "v");
        }
    }

    @Test
    void withoutALoopbackTokenTheControllersUseTheTlsPort() throws Exception {
        ApiServer s = start(null);
        assertThat(s.loopbackUrl()).isEqualTo("https://127.0.0.1:" + s.port());
    }
}
