package io.kuberaft.chaos.client;

import com.sun.net.httpserver.HttpServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;

/** How API answers enter the history: fail (certainly not applied) or info (maybe applied). */
class KubeClientTest {
    private HttpServer server;
    private URI base;

    @BeforeEach
    void start() throws Exception {
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext("/", ex -> {
            int code = Integer.parseInt(ex.getRequestURI().getPath().substring(1));
            byte[] body = ("{\"kind\":\"Status\",\"status\":\"Failure\",\"reason\":\"R" + code + "\",\"code\":" + code + "}")
                    .getBytes(StandardCharsets.UTF_8);
            ex.sendResponseHeaders(code, body.length);
            ex.getResponseBody().write(body);
            ex.close();
        });
        server.start();
        base = URI.create("http://127.0.0.1:" + server.getAddress().getPort() + "/");
    }

    @AfterEach
    void stop() {
        server.stop(0);
    }

    private boolean definite(String method, int code) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(base.resolve(Integer.toString(code)))
                .method(method, method.equals("GET") ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString("{}"));
        HttpResponse<String> r = KubeClient.send(HttpClient.newHttpClient(), b, Duration.ofSeconds(5));
        return KubeClient.error(r).definite;
    }

    @Test
    void aWriteRefusedWith503WasNeverProposedAndA504MayStillApply() throws Exception {
        assertThat(definite("PUT", 503)).isTrue();
        assertThat(definite("POST", 503)).isTrue();
        assertThat(definite("PUT", 504)).isFalse();
        assertThat(definite("POST", 500)).isFalse();
        assertThat(definite("GET", 503)).as("a read's outcome does not matter; kept indeterminate").isFalse();
        assertThat(definite("PUT", 409)).isTrue();
        assertThat(definite("PUT", 408)).isFalse();
    }
}
