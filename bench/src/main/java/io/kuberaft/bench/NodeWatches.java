package io.kuberaft.bench;

import java.io.IOException;
import java.io.InputStream;
import java.net.http.HttpClient;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * Idle pod watches held open while the API is measured, one per simulated node, as each node's kubelet holds one:
 * {@code fieldSelector=spec.nodeName=<node>} over every namespace. No bench pod is bound to these nodes, so nothing
 * reaches the client, but every replica serving one of them looks at every pod change for it. Spread over the
 * replicas by the load balancer (one connection each); each ends by itself after {@code timeout}, or at {@link #close}.
 */
public final class NodeWatches implements AutoCloseable {
    private final List<CompletableFuture<HttpResponse<InputStream>>> streams = new ArrayList<>();
    private final List<Thread> drains = new ArrayList<>();

    private NodeWatches() {
    }

    /** Opens {@code n} watches and returns once every one is established (its response headers arrived). */
    public static NodeWatches open(ApiLoad.Config c, int n, Duration timeout) throws Exception {
        NodeWatches w = new NodeWatches();
        if (n == 0) {
            return w;
        }
        HttpClient http = ApiLoad.client(c);
        for (int i = 0; i < n; i++) {
            String path = "/api/v1/pods?watch=1&allowWatchBookmarks=true&fieldSelector=spec.nodeName%3D" + c.runId() + "-node-" + i
                    + "&timeoutSeconds=" + Math.max(1, timeout.toSeconds());
            w.streams.add(http.sendAsync(ApiLoad.request(c, path).timeout(timeout.plusSeconds(30)).GET().build(),
                    HttpResponse.BodyHandlers.ofInputStream()));
        }
        try {
            for (CompletableFuture<HttpResponse<InputStream>> s : w.streams) {
                HttpResponse<InputStream> r = s.get(30, TimeUnit.SECONDS);
                if (r.statusCode() != 200) {
                    throw new IllegalStateException("pod watch: HTTP " + r.statusCode() + " " + new String(r.body().readAllBytes()));
                }
                Thread t = new Thread(() -> drain(r.body()), "node-watch-drain");
                t.setDaemon(true);
                t.start();
                w.drains.add(t);
            }
        } catch (Exception e) {
            w.close();
            throw e;
        }
        return w;
    }

    /** Reads (and drops) what the server sends, bookmarks mostly, so that its write queue never fills. */
    private static void drain(InputStream in) {
        byte[] buf = new byte[8192];
        try (in) {
            while (in.read(buf) >= 0) {
                // nothing to keep
            }
        } catch (IOException e) {
            // closed by close(), or the watch timed out
        }
    }

    public int size() {
        return streams.size();
    }

    @Override
    public void close() {
        for (CompletableFuture<HttpResponse<InputStream>> s : streams) {
            if (!s.cancel(true) && !s.isCompletedExceptionally()) {
                try {
                    s.join().body().close();
                } catch (IOException | RuntimeException e) {
                    // already gone
                }
            }
        }
        for (Thread t : drains) {
            try {
                t.join(5_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }
}
