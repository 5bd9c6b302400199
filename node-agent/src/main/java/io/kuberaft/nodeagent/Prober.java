package io.kuberaft.nodeagent;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerPort;
import io.fabric8.kubernetes.api.model.HTTPHeader;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.Probe;
import io.kuberaft.nodeagent.runtime.CannotStartException;
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

    /** Where the probe goes: the pod (its IP as the kubelet shows it, its uid to ask the runtime where its ports are). */
    record Target(RuntimeContainer container, Container spec, String podIP, String podUid) {
    }

    Result probe(Probe p, String kind, Target t) {
        RuntimeContainer c = t.container();
        var simulated = runtime.simulatedProbe(c, kind.toLowerCase());
        // a simulated exec probe is played on the container's simulated files unless the pod says it fails
        if (simulated.isPresent() && (!simulated.get() || p.getExec() == null)) {
            return new Result(simulated.get(), simulated.get() ? "" : "simulated " + kind.toLowerCase() + " probe failure");
        }
        Duration timeout = Duration.ofSeconds(Math.max(1, p.getTimeoutSeconds() == null ? 1 : p.getTimeoutSeconds()));
        if (p.getExec() != null) {
            ContainerRuntime.ExecResult r = runtime.exec(c, p.getExec().getCommand(), timeout);
            return new Result(r.exitCode() == 0, r.output().strip());
        }
        if (p.getHttpGet() != null) {
            var g = p.getHttpGet();
            String scheme = g.getScheme() == null ? "http" : g.getScheme().toLowerCase();
            String path = g.getPath() == null || g.getPath().isEmpty() ? "/" : g.getPath();
            path = path.startsWith("/") ? path : "/" + path;
            int port;
            try {
                port = port(g.getPort(), t.spec());
            } catch (IllegalArgumentException e) {
                return new Result(false, e.getMessage());
            }
            boolean inPod = g.getHost() == null || g.getHost().isEmpty();
            String url = scheme + "://" + (inPod ? t.podIP() : g.getHost()) + ":" + port + path;
            InetSocketAddress dial = inPod ? reach(t, port) : InetSocketAddress.createUnresolved(g.getHost(), port);
            String dialUrl = scheme + "://" + (dial.isUnresolved() ? dial.getHostString() : dial.getAddress().getHostAddress()) + ":"
                    + dial.getPort() + path;
            try {
                HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(dialUrl)).timeout(timeout).GET()
                        .header("User-Agent", "kube-probe/1.32");
                if (g.getHttpHeaders() != null) {
                    for (HTTPHeader h : g.getHttpHeaders()) {
                        b.header(h.getName(), h.getValue());
                    }
                }
                int code = http.send(b.build(), HttpResponse.BodyHandlers.discarding()).statusCode();
                return code >= 200 && code < 400 ? new Result(true, "") : new Result(false, "HTTP probe failed with statuscode: " + code);
            } catch (java.net.http.HttpTimeoutException e) {
                return new Result(false, "Get \"" + url + "\": context deadline exceeded (Client.Timeout exceeded while awaiting headers)");
            } catch (IOException e) {
                String hostPort = (inPod ? t.podIP() : g.getHost()) + ":" + port;
                return new Result(false, "Get \"" + url + "\": " + netError(hostPort, e));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return new Result(false, "probe interrupted");
            } catch (IllegalArgumentException e) {
                return new Result(false, "Get \"" + url + "\": " + e.getMessage());
            }
        }
        if (p.getTcpSocket() != null) {
            boolean inPod = p.getTcpSocket().getHost() == null || p.getTcpSocket().getHost().isEmpty();
            String host = inPod ? t.podIP() : p.getTcpSocket().getHost();
            int port;
            try {
                port = port(p.getTcpSocket().getPort(), t.spec());
            } catch (IllegalArgumentException e) {
                return new Result(false, e.getMessage());
            }
            try (Socket s = new Socket()) {
                s.connect(inPod ? reach(t, port) : new InetSocketAddress(host, port), (int) timeout.toMillis());
                return new Result(true, "");
            } catch (IOException e) {
                return new Result(false, netError(host + ":" + port, e));
            }
        }
        return new Result(true, "");
    }

    /**
     * A failed connection as Go's net package words it, which the kubelet's probe and hook messages show: {@code dial tcp
     * IP:PORT: connect: connection refused}, {@code dial tcp IP:PORT: i/o timeout}, {@code EOF} for a peer that closed
     * without answering. (JDK exceptions say less: a refused HttpClient connection has no message at all.)
     */
    static String netError(String hostPort, IOException e) {
        for (Throwable x = e; x != null; x = x.getCause()) {
            if (x instanceof java.net.ConnectException) {
                String m = String.valueOf(x.getMessage()).toLowerCase(java.util.Locale.ROOT);
                if (m.contains("unreachable")) {
                    return "dial tcp " + hostPort + ": connect: network is unreachable";
                }
                if (m.contains("timed out")) {
                    return "dial tcp " + hostPort + ": i/o timeout";
                }
                return "dial tcp " + hostPort + ": connect: connection refused";
            }
            if (x instanceof java.net.SocketTimeoutException || x instanceof java.net.http.HttpConnectTimeoutException) {
                return "dial tcp " + hostPort + ": i/o timeout";
            }
            if (x instanceof java.net.UnknownHostException || x instanceof java.nio.channels.UnresolvedAddressException) {
                return "dial tcp: lookup " + hostPort.substring(0, hostPort.lastIndexOf(':')) + ": no such host";
            }
            if (x instanceof java.net.NoRouteToHostException) {
                return "dial tcp " + hostPort + ": connect: no route to host";
            }
        }
        String m = String.valueOf(e.getMessage());
        if (e instanceof java.io.EOFException || m.contains("received no bytes") || m.contains("closed")) {
            return "EOF";
        }
        if (m.toLowerCase(java.util.Locale.ROOT).contains("connection reset")) {
            return "read tcp " + hostPort + ": read: connection reset by peer";
        }
        return e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
    }

    /** Where this node reaches the pod's port (the runtime knows; pod IPs are not routed here), else the pod IP. */
    private InetSocketAddress reach(Target t, int port) {
        try {
            return runtime.podPortAddress(t.podUid(), port);
        } catch (CannotStartException e) {
            return new InetSocketAddress(t.podIP(), port);
        }
    }

    /** A number, or the name of one of the container's ports (as the kubelet resolves named probe ports). */
    static int port(IntOrString p, Container spec) {
        if (p == null) {
            return 80;
        }
        if (p.getIntVal() != null) {
            return p.getIntVal();
        }
        String name = p.getStrVal();
        if (name != null && name.chars().allMatch(Character::isDigit) && !name.isEmpty()) {
            return Integer.parseInt(name);
        }
        if (spec != null && spec.getPorts() != null) {
            for (ContainerPort cp : spec.getPorts()) {
                if (name != null && name.equals(cp.getName()) && cp.getContainerPort() != null) {
                    return cp.getContainerPort();
                }
            }
        }
        throw new IllegalArgumentException("couldn't find port: " + name + " in " + (spec == null ? "the container" : spec.getName()));
    }
}
