package io.kuberaft.nodeagent;

import io.fabric8.kubernetes.api.model.HTTPHeader;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.Probe;
import io.kuberaft.nodeagent.runtime.ContainerRuntime;
import io.kuberaft.nodeagent.runtime.RuntimeContainer;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;

/**
 * Runs one probe (exec, httpGet, tcpSocket) the way the kubelet does and phrases failures as its events do
 * ({@code HTTP probe failed with statuscode: 404}). Called off the sync loop: probes may take their timeout.
 */
final class Prober {
    private final ContainerRuntime runtime;
    private final HttpClient http = HttpClient.newBuilder().followRedirects(HttpClient.Redirect.NORMAL)
            .connectTimeout(Duration.ofSeconds(1)).build();

    Prober(ContainerRuntime runtime) {
        this.runtime = runtime;
    }

    /** The result of one probe: success, or failure with the message the Unhealthy event shows. */
    record Result(boolean success, String message) {
    }

    Result probe(Probe p, String kind, RuntimeContainer c, String podIP) {
        var simulated = runtime.simulatedProbe(c, kind.toLowerCase());
        if (simulated.isPresent()) {
            return new Result(simulated.get(), simulated.get() ? "" : "simulated " + kind.toLowerCase() + " probe failure");
        }
        Duration timeout = Duration.ofSeconds(Math.max(1, p.getTimeoutSeconds() == null ? 1 : p.getTimeoutSeconds()));
        if (p.getExec() != null) {
            ContainerRuntime.ExecResult r = runtime.exec(c, p.getExec().getCommand(), timeout);
            return new Result(r.exitCode() == 0, r.output().strip());
        }
        if (p.getHttpGet() != null) {
            var g = p.getHttpGet();
            String host = g.getHost() == null || g.getHost().isEmpty() ? podIP : g.getHost();
            String scheme = g.getScheme() == null ? "http" : g.getScheme().toLowerCase();
            String path = g.getPath() == null || g.getPath().isEmpty() ? "/" : g.getPath();
            String url = scheme + "://" + host + ":" + port(g.getPort()) + (path.startsWith("/") ? path : "/" + path);
            try {
                HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url)).timeout(timeout).GET()
                        .header("User-Agent", "kube-probe/1.32");
                if (g.getHttpHeaders() != null) {
                    for (HTTPHeader h : g.getHttpHeaders()) {
                        b.header(h.getName(), h.getValue());
                    }
                }
                int code = http.send(b.build(), HttpResponse.BodyHandlers.discarding()).statusCode();
                return code >= 200 && code < 400 ? new Result(true, "") : new Result(false, "HTTP probe failed with statuscode: " + code);
            } catch (IOException e) {
                return new Result(false, "Get \"" + url + "\": " + e.getMessage());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return new Result(false, "probe interrupted");
            } catch (IllegalArgumentException e) {
                return new Result(false, "Get \"" + url + "\": " + e.getMessage());
            }
        }
        if (p.getTcpSocket() != null) {
            String host = p.getTcpSocket().getHost() == null || p.getTcpSocket().getHost().isEmpty() ? podIP : p.getTcpSocket().getHost();
            int port = port(p.getTcpSocket().getPort());
            try (Socket s = new Socket()) {
                s.connect(new InetSocketAddress(host, port), (int) timeout.toMillis());
                return new Result(true, "");
            } catch (IOException e) {
                return new Result(false, "dial tcp " + host + ":" + port + ": connect: connection refused");
            }
        }
        return new Result(true, "");
    }

    private static int port(IntOrString p) {
        if (p == null) {
            return 80;
        }
        return p.getIntVal() != null ? p.getIntVal() : Integer.parseInt(p.getStrVal());
    }
}
