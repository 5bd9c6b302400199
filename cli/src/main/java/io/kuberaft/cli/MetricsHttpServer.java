package io.kuberaft.cli;

import com.sun.net.httpserver.HttpServer;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;

import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;

/** Prometheus text on GET /metrics; the API port serves the same registry once the API server runs. */
final class MetricsHttpServer implements AutoCloseable {
    private final HttpServer server;

    private MetricsHttpServer(HttpServer server) {
        this.server = server;
    }

    static MetricsHttpServer start(String host, int port, PrometheusMeterRegistry registry) {
        try {
            HttpServer s = HttpServer.create(new InetSocketAddress(host, port), 16);
            s.createContext("/metrics", ex -> {
                byte[] body = registry.scrape().getBytes(StandardCharsets.UTF_8);
                ex.getResponseHeaders().set("Content-Type", "text/plain; version=0.0.4; charset=utf-8");
                ex.sendResponseHeaders(200, body.length);
                try (OutputStream out = ex.getResponseBody()) {
                    out.write(body);
                }
            });
            s.createContext("/", ex -> {
                ex.sendResponseHeaders(404, -1);
                ex.close();
            });
            s.start();
            return new MetricsHttpServer(s);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot serve /metrics on " + host + ":" + port, e);
        }
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
