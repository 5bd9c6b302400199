package io.kuberaft.nodeagent;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fabric8.kubernetes.api.model.Pod;
import io.kuberaft.nodeagent.runtime.CannotStartException;
import io.kuberaft.nodeagent.runtime.ContainerRuntime;
import io.kuberaft.nodeagent.runtime.RuntimeContainer;
import io.kuberaft.nodeagent.runtime.TerminalSize;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.ClientAuth;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.net.PemKeyCertOptions;
import io.vertx.core.net.PemTrustOptions;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.security.cert.Certificate;
import java.time.Clock;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * The agent API (the kubelet's :10250, HTTPS on Vert.x): {@code /healthz}, {@code /pods} (a PodList of the pods
 * on this agent's nodes), {@code /containerLogs/<ns>/<pod>/<container>} (tailLines, limitBytes, sinceSeconds,
 * sinceTime, timestamps, previous, follow: chunked until the container ends or the caller goes) and
 * {@code /exec/<ns>/<pod>/<container>} and {@code /attach/<ns>/<pod>/<container>} (WebSocket, {@code v5.channel.k8s.io} /
 * {@code v4.channel.k8s.io}) and {@code /portForward/<ns>/<pod>} (WebSocket tunnelling SPDY/3.1,
 * {@code SPDY/3.1+portforward.k8s.io}) and {@code /podProxy/<ns>/<pod>/<scheme>/<port>/<path>} (any method), where the
 * API server forwards {@code pods/log}, {@code pods/exec}, {@code pods/attach}, {@code pods/portforward} and the pod and
 * service {@code proxy} subresources; {@code nodes/<node>/proxy/<path>} reaches these paths themselves.
 *
 * <p>Authentication: every path but {@code /healthz} needs a TLS client certificate signed by the client CA
 * ({@code --client-ca-file}, by default the CA of the agent's kubeconfig), which the API server presents
 * (its kubelet client certificate). Without a client CA the API refuses every caller. Errors are plain text
 * with the kubelet's status codes.
 */
final class AgentApiServer implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(AgentApiServer.class);
    static final List<String> EXEC_PROTOCOLS = List.of("v5.channel.k8s.io", "v4.channel.k8s.io");
    /** What the agent's WebSockets may negotiate: the channel protocols (exec, attach) and tunnelled SPDY (port-forward). */
    static final List<String> PROTOCOLS = List.of("v5.channel.k8s.io", "v4.channel.k8s.io", PortForwardSession.PROTOCOL);
    /** Marks the agent's own answers on the pod proxy (the API server's ProxySubresource reads it). */
    static final String AGENT_ERROR_HEADER = "X-Kuberaft-Agent-Error";
    /** How long an exec with a TTY waits for the client's terminal size before it starts on 80x24 (kubectl sends it at once). */
    static final long TERMINAL_SIZE_WAIT_MS = 1000;
    /** Hop-by-hop headers (RFC 7230 6.1): not forwarded by the pod proxy. */
    private static final java.util.Set<String> HOP_BY_HOP = java.util.Set.of("connection", "keep-alive", "proxy-authenticate",
            "proxy-authorization", "te", "trailer", "transfer-encoding", "upgrade", "host");
    private final Vertx vertx;
    private final HttpServer readOnly;
    private final HttpServer server;
    private final HttpClient proxyClient;
    private final NodeAgent agent;
    private final boolean clientCa;
    private final Clock clock;
    private final AtomicBoolean closed = new AtomicBoolean();

    private AgentApiServer(Vertx vertx, HttpServer server, HttpServer readOnly, NodeAgent agent, boolean clientCa, Clock clock) {
        this.vertx = vertx;
        this.server = server;
        this.readOnly = readOnly;
        this.agent = agent;
        this.clientCa = clientCa;
        this.clock = clock;
        this.proxyClient = vertx.createHttpClient(new HttpClientOptions().setConnectTimeout(5000).setTrustAll(true).setVerifyHost(false));
    }

    /**
     * Starts the agent API on {@code host:port} (unless {@code enableServer} is false) and, when {@code readOnlyPort}
     * is not 0, the kubelet's read-only port on {@code host:readOnlyPort}.
     */
    static AgentApiServer start(String host, int port, boolean enableServer, int readOnlyPort, NodeAgent agent, String clientCaPem, Clock clock) {
        Vertx vertx = Vertx.vertx(new VertxOptions().setEventLoopPoolSize(2).setWorkerPoolSize(32));
        boolean withCa = clientCaPem != null && !clientCaPem.isBlank();
        HttpServer s = null;
        HttpServer ro = null;
        try {
            if (enableServer) {
                ServingCertificate.Pem pem = ServingCertificate.selfSignedPem(host);
                HttpServerOptions o = new HttpServerOptions().setHost(host).setPort(port).setSsl(true)
                        .setKeyCertOptions(new PemKeyCertOptions().addCertValue(Buffer.buffer(pem.cert())).addKeyValue(Buffer.buffer(pem.key())))
                        .setWebSocketSubProtocols(PROTOCOLS).setMaxWebSocketFrameSize(1024 * 1024).setMaxWebSocketMessageSize(4 * 1024 * 1024);
                if (withCa) {
                    o.setClientAuth(ClientAuth.REQUEST).setTrustOptions(new PemTrustOptions().addCertValue(Buffer.buffer(clientCaPem)));
                } else {
                    LOG.warn("event=agent-api-no-client-ca message=\"no client CA: the agent API refuses every caller (logs, exec)\"");
                }
                s = vertx.createHttpServer(o);
            }
            if (readOnlyPort != 0) {
                ro = vertx.createHttpServer(new HttpServerOptions().setHost(host).setPort(readOnlyPort));
            }
            AgentApiServer api = new AgentApiServer(vertx, s, ro, agent, withCa, clock);
            if (s != null) {
                s.requestHandler(api::handle);
                s.listen().await();
                LOG.info("event=agent-api-listening address=https://{}:{} client-ca={}", host, s.actualPort(), withCa);
            }
            if (ro != null) {
                ro.requestHandler(api::handleReadOnly);
                ro.listen().await();
                LOG.info("event=agent-read-only-port-listening address=http://{}:{}", host, ro.actualPort());
            }
            return api;
        } catch (RuntimeException e) {
            vertx.close();
            throw e;
        }
    }

    /** The agent API's port; 0 when it does not run ({@code enableServer: false}). */
    int port() {
        return server == null ? 0 : server.actualPort();
    }

    int readOnlyPort() {
        return readOnly == null ? 0 : readOnly.actualPort();
    }

    /**
     * The kubelet's read-only port: plain HTTP, no authentication, only what upstream serves there without its
     * debugging handlers ({@code /healthz}, {@code /pods}, {@code /stats/summary}); logs, exec and the proxy are not.
     */
    private void handleReadOnly(HttpServerRequest req) {
        String path = req.path();
        if (path.equals("/healthz") || path.equals("/pods") || path.equals("/pods/") || path.equals("/stats/summary")) {
            if (!req.method().name().equals("GET") && !path.equals("/healthz")) {
                send(req.response(), 405, "405: Method Not Allowed");
                return;
            }
            route(req, path);
        } else {
            send(req.response(), 404, "404 page not found");
        }
    }

    private void handle(HttpServerRequest req) {
        String path = req.path();
        if (!path.equals("/healthz") && !authenticated(req)) {
            send(req.response(), 401, "Unauthorized");
            return;
        }
        route(req, path);
    }

    private void route(HttpServerRequest req, String path) {
        Map<String, String> q = new HashMap<>();
        req.params().forEach(e -> q.putIfAbsent(e.getKey(), e.getValue()));
        if (path.equals("/healthz")) {
            send(req.response(), 200, q.containsKey("verbose") ? "[+]ping ok\n[+]log ok\n[+]syncloop ok\nhealthz check passed\n" : "ok");
            return;
        }
        String upgrade = req.getHeader("Upgrade");
        if (path.startsWith("/exec/") && upgrade != null && upgrade.equalsIgnoreCase("websocket")) {
            exec(req, Arrays.asList(path.substring("/exec/".length()).split("/")));
            return;
        }
        if (path.startsWith("/attach/") && upgrade != null && upgrade.equalsIgnoreCase("websocket")) {
            attach(req, Arrays.asList(path.substring("/attach/".length()).split("/")));
            return;
        }
        if (path.startsWith("/portForward/") && upgrade != null && upgrade.equalsIgnoreCase("websocket")) {
            portForward(req, Arrays.asList(path.substring("/portForward/".length()).split("/")));
            return;
        }
        if (path.startsWith("/podProxy/")) {
            podProxy(req, path.substring("/podProxy/".length()));
            return;
        }
        if (!req.method().name().equals("GET")) {
            send(req.response(), 405, "405: Method Not Allowed");
            return;
        }
        if (path.equals("/pods") || path.equals("/pods/")) {
            vertx.executeBlocking(() -> {
                ObjectNode list = PodWorker.JSON.createObjectNode();
                list.put("kind", "PodList").put("apiVersion", "v1");
                list.putObject("metadata");
                List<Pod> pods = agent.pods();
                if (pods.isEmpty()) {
                    list.putNull("items"); // the kubelet's nil slice
                } else {
                    ArrayNode items = list.putArray("items");
                    for (Pod p : pods) {
                        items.add(PodWorker.JSON.valueToTree(p));
                    }
                }
                return list.toString();
            }, false).onSuccess(body -> req.response().putHeader("Content-Type", "application/json").end(body))
                    .onFailure(t -> send(req.response(), 500, "Internal Error: " + t.getMessage()));
        } else if (path.equals("/stats/summary")) {
            statsSummary(req, q.get("node"));
        } else if (path.startsWith("/containerLogs/")) {
            HttpServerResponse resp = req.response();
            AtomicBoolean gone = new AtomicBoolean();
            resp.closeHandler(v -> gone.set(true));
            vertx.executeBlocking(() -> {
                logs(resp, Arrays.asList(path.substring("/containerLogs/".length()).split("/")), q, gone);
                return null;
            }, false).onFailure(t -> {
                LOG.warn("event=agent-api-error path={} error={}", path, t.toString());
                send(resp, 500, "Internal Error: " + t.getMessage());
            });
        } else {
            send(req.response(), 404, "404 page not found");
        }
    }

    /**
     * The kubelet's Summary API. An agent hosting several nodes answers for the one named by {@code ?node=}, or with
     * {@code ?node=*} for all of them as {@code {"items": [summary, ...]}} (one request per agent for the API server).
     */
    private void statsSummary(HttpServerRequest req, String node) {
        vertx.executeBlocking(() -> {
            boolean all = "*".equals(node);
            List<ObjectNode> s = agent.summaries(all ? null : node);
            if (all) {
                ObjectNode list = PodWorker.JSON.createObjectNode();
                list.putArray("items").addAll(s);
                return list.toString();
            }
            if (s.size() != 1) {
                return null;
            }
            return s.get(0).toString();
        }, false).onSuccess(body -> {
            if (body == null) {
                send(req.response(), 404, node == null ? "this agent runs " + agent.nodeNames().size() + " nodes: name one with ?node="
                        : "node " + node + " is not run by this agent");
            } else {
                req.response().putHeader("Content-Type", "application/json").end(body);
            }
        }).onFailure(t -> send(req.response(), 500, "Internal Error: " + t.getMessage()));
    }

    /**
     * {@code /podProxy/<ns>/<pod>/<scheme>/<port>/<path>}, any method: the API server's pod and service proxy. The
     * request goes to the pod's port where the runtime says it is (pod IPs are not routed here), the answer comes back
     * as it is. Answers that are the agent's own (no such pod, nothing listening) carry {@value #AGENT_ERROR_HEADER}.
     */
    private void podProxy(HttpServerRequest req, String spec) {
        String[] parts = spec.split("/", 5);
        if (parts.length < 4) {
            proxyError(req, 400, "expected /podProxy/<namespace>/<pod>/<scheme>/<port>/<path>");
            return;
        }
        String ns = parts[0];
        String pod = parts[1];
        boolean https = parts[2].equals("https");
        int port;
        try {
            port = Integer.parseInt(parts[3]);
        } catch (NumberFormatException e) {
            proxyError(req, 400, "invalid port " + parts[3]);
            return;
        }
        Optional<PodWorker> w = agent.findPod(ns, pod);
        if (w.isEmpty()) {
            proxyError(req, 404, "pod \"" + pod + "\" not found in namespace \"" + ns + "\" on this node");
            return;
        }
        String podAt = w.get().podIP() + ":" + port;
        java.net.InetSocketAddress address;
        try {
            address = agent.runtime().podPortAddress(w.get().pod().getMetadata().getUid(), port);
        } catch (CannotStartException e) {
            proxyError(req, 503, "error trying to reach service: " + e.getMessage());
            return;
        }
        req.pause();
        String query = req.query();
        RequestOptions o = new RequestOptions().setMethod(req.method()).setHost(address.getAddress().getHostAddress())
                .setPort(address.getPort()).setSsl(https).setURI("/" + (parts.length == 5 ? parts[4] : "") + (query == null ? "" : "?" + query));
        req.headers().forEach((k, v) -> {
            if (!HOP_BY_HOP.contains(k.toLowerCase(java.util.Locale.ROOT))) {
                o.addHeader(k, v);
            }
        });
        proxyClient.request(o).compose(out -> out.send(req)).onSuccess(resp -> {
            HttpServerResponse r = req.response().setStatusCode(resp.statusCode()).setStatusMessage(resp.statusMessage());
            resp.headers().forEach((k, v) -> {
                if (!HOP_BY_HOP.contains(k.toLowerCase(java.util.Locale.ROOT))) {
                    r.headers().add(k, v);
                }
            });
            if (resp.getHeader("Content-Length") == null) {
                r.setChunked(true);
            }
            resp.pipeTo(r);
        }).onFailure(x -> {
            req.resume();
            proxyError(req, 503, "error trying to reach service: " + (x instanceof java.net.ConnectException
                    ? "dial tcp " + podAt + ": connect: connection refused" : podAt + ": " + x.getMessage()));
        });
    }

    private static void proxyError(HttpServerRequest req, int code, String message) {
        if (!req.response().headWritten()) {
            req.response().putHeader(AGENT_ERROR_HEADER, "true");
            send(req.response(), code, message);
        }
    }

    /** A verified client certificate (TLS checked it against the client CA); nothing else is accepted. */
    private boolean authenticated(HttpServerRequest req) {
        if (!clientCa || !req.isSSL()) {
            return false;
        }
        try {
            List<Certificate> certs = req.connection().peerCertificates();
            return certs != null && !certs.isEmpty();
        } catch (Exception e) {
            return false;
        }
    }

    private void logs(HttpServerResponse resp, List<String> parts, Map<String, String> q, AtomicBoolean gone) throws InterruptedException {
        if (parts.size() != 3) {
            send(resp, 400, "expected /containerLogs/<namespace>/<pod>/<container>");
            return;
        }
        String ns = parts.get(0);
        String pod = parts.get(1);
        String container = parts.get(2);
        Optional<PodWorker> w = agent.findPod(ns, pod);
        if (w.isEmpty()) {
            send(resp, 404, "pod \"" + pod + "\" not found in namespace \"" + ns + "\" on this node");
            return;
        }
        LogRequest lr;
        RuntimeContainer rc;
        try {
            lr = LogRequest.parse(q, clock.instant());
            rc = w.get().logTarget(container, lr.previous());
        } catch (IllegalArgumentException | IllegalStateException e) {
            send(resp, 400, e.getMessage());
            return;
        }
        long start = agent.runtime().logStart(rc);
        ContainerRuntime.LogChunk first = agent.runtime().log(rc, start).orElse(new ContainerRuntime.LogChunk(start, new byte[0]));
        byte[] initial = first.bytes();
        long offset = first.next(LogRequest.consumed(initial));
        LogLimit limit = new LogLimit(lr.limitBytes());
        resp.setChunked(true).setStatusCode(200).putHeader("Content-Type", "text/plain; charset=utf-8");
        boolean more = limit.write(resp, lr.first(LogRequest.entries(initial)));
        if (!lr.follow() || !more) {
            resp.end();
            return;
        }
        if (!resp.headWritten()) {
            resp.writeHead(); // the caller sees the 200 at once, before the first line is written
        }
        // Follow: poll the log until the container has ended and its log is read, the caller went, or the agent stops.
        boolean exited = false;
        while (!gone.get() && !closed.get()) {
            ContainerRuntime.LogChunk chunk = agent.runtime().log(rc, offset).orElse(null);
            if (chunk == null) {
                break;
            }
            byte[] next = chunk.bytes();
            int used = LogRequest.consumed(next);
            if (used > 0) {
                offset = chunk.next(used);
                if (!limit.write(resp, lr.render(LogRequest.entries(next)))) {
                    break;
                }
                continue;
            }
            if (exited) {
                break;
            }
            exited = rc.exit().isPresent();
            if (!exited) {
                Thread.sleep(200);
            }
        }
        if (!gone.get()) {
            resp.end();
        }
    }

    /** {@code limitBytes}: what is left to send. */
    private static final class LogLimit {
        private long left;

        LogLimit(Long limit) {
            this.left = limit == null ? Long.MAX_VALUE : limit;
        }

        /** Writes what fits; false once the limit is reached. */
        boolean write(HttpServerResponse resp, String text) {
            byte[] b = text.getBytes(java.nio.charset.StandardCharsets.UTF_8);
            int n = (int) Math.min(b.length, left);
            if (n > 0) {
                resp.write(Buffer.buffer(n == b.length ? b : Arrays.copyOf(b, n)));
                left -= n;
            }
            return left > 0;
        }
    }

    private void exec(HttpServerRequest req, List<String> parts) {
        if (parts.size() != 3) {
            send(req.response(), 400, "expected /exec/<namespace>/<pod>/<container>");
            return;
        }
        String ns = parts.get(0);
        String pod = parts.get(1);
        String container = parts.get(2);
        List<String> command = req.params().getAll("command");
        boolean stdin = flag(req, "stdin", "input");
        boolean stdout = flag(req, "stdout", "output");
        boolean stderr = flag(req, "stderr", "error");
        boolean tty = flag(req, "tty", "tty");
        Optional<PodWorker> w = agent.findPod(ns, pod);
        Optional<RuntimeContainer> rc = running(req, w, ns, pod, container);
        if (rc.isEmpty()) {
            return;
        }
        if (command.isEmpty()) {
            send(req.response(), 400, "you must specify at least one command for the container");
            return;
        }
        req.toWebSocket().onSuccess(ws -> {
            java.util.function.BiConsumer<TerminalSize, List<Buffer>> start = (size, early) -> {
                Process p;
                try {
                    p = agent.runtime().startExec(rc.get(), command, size);
                } catch (CannotStartException e) {
                    ExecSession.fail(ws, "error executing command in container: " + e.getMessage());
                    return;
                }
                LOG.info("event=exec-started pod={}/{} container={} command={} pid={} tty={}", ns, pod, container, command, p.pid(), size);
                new ExecSession(ws, p, command, stdin, stdout, stderr, tty).start(early);
            };
            if (tty) {
                ExecSession.awaitTerminalSize(ws, vertx, TERMINAL_SIZE_WAIT_MS, start);
            } else {
                start.accept(null, List.of());
            }
        }).onFailure(t -> LOG.info("event=exec-upgrade-failed pod={}/{} error={}", ns, pod, t.toString()));
    }

    /** The running container, or empty after answering as the kubelet does (404 no such pod, 400 unknown or stopped container). */
    private Optional<RuntimeContainer> running(HttpServerRequest req, Optional<PodWorker> w, String ns, String pod, String container) {
        if (w.isEmpty()) {
            send(req.response(), 404, "pod \"" + pod + "\" not found in namespace \"" + ns + "\" on this node");
            return Optional.empty();
        }
        if (!w.get().containerNames().contains(container)) {
            send(req.response(), 400, "container " + container + " is not valid for pod " + pod);
            return Optional.empty();
        }
        Optional<RuntimeContainer> rc = w.get().container(container);
        if (rc.isEmpty() || rc.get().exit().isPresent()) {
            send(req.response(), 400, "container not found (\"" + container + "\")");
            return Optional.empty();
        }
        return rc;
    }

    /** {@code /attach/<ns>/<pod>/<container>}: the container's output from now on ({@link AttachSession}). */
    private void attach(HttpServerRequest req, List<String> parts) {
        if (parts.size() != 3) {
            send(req.response(), 400, "expected /attach/<namespace>/<pod>/<container>");
            return;
        }
        String ns = parts.get(0);
        String pod = parts.get(1);
        String container = parts.get(2);
        boolean stdout = flag(req, "stdout", "output");
        boolean stderr = flag(req, "stderr", "error");
        Optional<PodWorker> w = agent.findPod(ns, pod);
        Optional<RuntimeContainer> rc = running(req, w, ns, pod, container);
        if (rc.isEmpty()) {
            return;
        }
        io.fabric8.kubernetes.api.model.Container spec = java.util.stream.Stream.concat(
                        w.get().pod().getSpec().getContainers().stream(),
                        w.get().pod().getSpec().getInitContainers() == null ? java.util.stream.Stream.empty() : w.get().pod().getSpec().getInitContainers().stream())
                .filter(c -> c.getName().equals(container)).findFirst().orElse(null);
        boolean stdinOnce = spec != null && Boolean.TRUE.equals(spec.getStdinOnce());
        java.io.OutputStream in = flag(req, "stdin", "input") ? agent.runtime().stdin(rc.get()).orElse(null) : null;
        req.toWebSocket().onSuccess(ws -> {
            LOG.info("event=attach-started pod={}/{} container={} stdin={}", ns, pod, container, in != null);
            new AttachSession(ws, agent.runtime(), rc.get(), stdout, stderr, in, stdinOnce).start();
        }).onFailure(t -> LOG.info("event=attach-upgrade-failed pod={}/{} error={}", ns, pod, t.toString()));
    }

    /** {@code /portForward/<ns>/<pod>}: a WebSocket tunnelling SPDY ({@link PortForwardSession}). */
    private void portForward(HttpServerRequest req, List<String> parts) {
        if (parts.size() != 2) {
            send(req.response(), 400, "expected /portForward/<namespace>/<pod>");
            return;
        }
        String ns = parts.get(0);
        String pod = parts.get(1);
        Optional<PodWorker> w = agent.findPod(ns, pod);
        if (w.isEmpty()) {
            send(req.response(), 404, "pod does not exist");
            return;
        }
        String uid = w.get().pod().getMetadata().getUid();
        req.toWebSocket().onSuccess(ws -> {
            if (!PortForwardSession.PROTOCOL.equals(ws.subProtocol())) {
                ws.close((short) 1002, "port-forward needs the WebSocket subprotocol " + PortForwardSession.PROTOCOL);
                return;
            }
            LOG.info("event=portforward-started pod={}/{}", ns, pod);
            new PortForwardSession(ws, vertx, ns + "/" + pod, uid, port -> agent.runtime().podPortAddress(uid, port)).start();
        }).onFailure(t -> LOG.info("event=portforward-upgrade-failed pod={}/{} error={}", ns, pod, t.toString()));
    }

    private static boolean flag(HttpServerRequest req, String name, String alias) {
        String v = req.getParam(name);
        if (v == null) {
            v = req.getParam(alias);
        }
        return v != null && (v.equals("true") || v.equals("1") || v.isEmpty());
    }

    private static void send(HttpServerResponse resp, int code, String body) {
        if (resp.ended() || resp.closed()) {
            return;
        }
        if (resp.headWritten()) {
            resp.end();
            return;
        }
        resp.setStatusCode(code).putHeader("Content-Type", "text/plain; charset=utf-8").end(body);
    }

    @Override
    public void close() {
        closed.set(true);
        for (HttpServer s : new HttpServer[]{server, readOnly}) {
            try {
                if (s != null) {
                    s.close().await();
                }
            } catch (RuntimeException e) {
                LOG.debug("event=agent-api-close error={}", e.toString());
            }
        }
        vertx.close();
    }
}
