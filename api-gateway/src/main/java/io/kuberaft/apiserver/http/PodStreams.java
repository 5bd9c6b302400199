package io.kuberaft.apiserver.http;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.kuberaft.apiserver.registry.ResourceDefinition;
import io.kuberaft.apiserver.registry.ResourceRegistry;
import io.kuberaft.apiserver.registry.ResourceStore;
import io.kuberaft.kubeapi.StatusException;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.http.ServerWebSocket;
import io.vertx.core.http.WebSocket;
import io.vertx.core.http.WebSocketClient;
import io.vertx.core.http.WebSocketClientOptions;
import io.vertx.core.http.WebSocketConnectOptions;
import io.vertx.core.net.PemKeyCertOptions;
import io.vertx.ext.web.RoutingContext;

import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * The pod subresources that stream from the pod's node agent, as kube-apiserver proxies them to the kubelet:
 * {@code pods/log} (chunked; {@code follow} streams until the container ends or the client goes) and
 * {@code pods/exec} / {@code pods/attach} (the client's WebSocket, {@code v5.channel.k8s.io} or
 * {@code v4.channel.k8s.io}, bridged message by message to a WebSocket to the agent's {@code /exec} or {@code /attach})
 * and {@code pods/portforward} (kubectl's WebSocket tunnelling SPDY/3.1, bridged the same way to the agent's
 * {@code /portForward}).
 * The API server authenticates to the agent with its kubelet client certificate; it does not verify the
 * agent's self-signed serving certificate (upstream's default without {@code --kubelet-certificate-authority}).
 */
public final class PodStreams {
    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(PodStreams.class);
    private static final List<String> LOG_PARAMS = List.of("tailLines", "previous", "timestamps", "sinceSeconds", "sinceTime", "limitBytes", "follow");
    /** What the client may negotiate for exec (the agent speaks the same). */
    public static final List<String> EXEC_PROTOCOLS = List.of("v5.channel.k8s.io", "v4.channel.k8s.io");
    /** kubectl's port-forward over WebSocket: SPDY/3.1 frames tunnelled in binary messages (client-go's tunnelling dialer). */
    public static final String PORT_FORWARD_PROTOCOL = "SPDY/3.1+portforward.k8s.io";
    /** Every WebSocket subprotocol the API server negotiates. */
    public static final List<String> WEBSOCKET_PROTOCOLS = List.of("v5.channel.k8s.io", "v4.channel.k8s.io", PORT_FORWARD_PROTOCOL);
    private final Vertx vertx;
    private final ResourceStore store;
    private final ResourceRegistry registry;
    private final HttpClient http;
    private final WebSocketClient ws;

    public PodStreams(Vertx vertx, ResourceStore store, ResourceRegistry registry, Path clientCert, Path clientKey) {
        this.vertx = vertx;
        this.store = store;
        this.registry = registry;
        HttpClientOptions ho = new HttpClientOptions().setSsl(true).setTrustAll(true).setVerifyHost(false)
                .setConnectTimeout(5000);
        WebSocketClientOptions wo = new WebSocketClientOptions().setSsl(true).setTrustAll(true).setVerifyHost(false).setConnectTimeout(5000)
                .setMaxFrameSize(1024 * 1024).setMaxMessageSize(4 * 1024 * 1024);
        if (clientCert != null && clientKey != null) {
            PemKeyCertOptions kc = new PemKeyCertOptions().setCertPath(clientCert.toString()).setKeyPath(clientKey.toString());
            ho.setKeyCertOptions(kc);
            wo.setKeyCertOptions(kc);
        }
        this.http = vertx.createHttpClient(ho);
        this.ws = vertx.createWebSocketClient(wo);
    }

    public static boolean handles(RequestInfo info) {
        return info != null && info.group().isEmpty() && info.resource().equals("pods") && info.name() != null
                && ("log".equals(info.subresource()) || "exec".equals(info.subresource()) || "attach".equals(info.subresource())
                || "portforward".equals(info.subresource()));
    }

    /** Where a pod's container is served: its agent's address and the container. */
    record Target(String host, int port, String namespace, String pod, String container) {
        String path(String prefix) {
            return prefix + enc(namespace) + "/" + enc(pod) + (container == null ? "" : "/" + enc(container));
        }
    }

    /**
     * Serves the request; errors before anything was streamed are sent through {@code error} (a Status).
     */
    public void serve(RoutingContext ctx, RequestInfo info, Map<String, String> q, boolean webSocket, Consumer<StatusException> error) {
        String sub = info.subresource();
        String upgrade = ctx.request().getHeader("Upgrade");
        boolean spdy = !webSocket && upgrade != null && upgrade.toLowerCase(java.util.Locale.ROOT).startsWith("spdy/3.1");
        // Held until the target is known: a request whose end has been read can no longer be upgraded.
        if (webSocket || spdy) {
            ctx.request().pause();
        }
        if (sub.equals("portforward")) {
            vertx.executeBlocking(() -> podTarget(info.namespace(), info.name()), false).onComplete(ar -> {
                if (ar.failed()) {
                    error.accept(ar.cause() instanceof StatusException se ? se : ResourceStore.translate(ar.cause()));
                } else {
                    portForward(ctx, ar.result(), webSocket, spdy, error);
                }
            });
            return;
        }
        if (sub.equals("log") && !info.verb().equals("get")) {
            error.accept(StatusException.methodNotAllowed("the server does not allow this method on the requested resource"));
            return;
        }
        vertx.executeBlocking(() -> target(info.namespace(), info.name(), q.get("container"), !sub.equals("log")), false).onComplete(ar -> {
            if (ar.failed()) {
                error.accept(ar.cause() instanceof StatusException se ? se : ResourceStore.translate(ar.cause()));
                return;
            }
            Target t = ar.result();
            if (sub.equals("log")) {
                log(ctx, t, q, error);
            } else if (!webSocket) {
                error.accept(StatusException.badRequest("Upgrade request required: " + sub + " is served over WebSocket ("
                        + String.join(", ", EXEC_PROTOCOLS) + "); SPDY is not supported"));
            } else {
                exec(ctx, t, "/" + sub + "/", error);
            }
        });
    }

    /** The pod's agent, for the whole pod (port-forward): no container. */
    private Target podTarget(String ns, String name) {
        ResourceDefinition pods = registry.find("", "v1", "pods").orElseThrow(() -> StatusException.internal("pods are not registered"));
        ResourceDefinition nodes = registry.find("", "v1", "nodes").orElseThrow(() -> StatusException.internal("nodes are not registered"));
        return agentOf(nodes, store.get(pods, ns, name), ns, name, null);
    }

    /** The pod's agent and the container ({@code container} empty: the pod's only one). */
    private Target target(String ns, String name, String container, boolean exec) {
        ResourceDefinition pods = registry.find("", "v1", "pods").orElseThrow(() -> StatusException.internal("pods are not registered"));
        ResourceDefinition nodes = registry.find("", "v1", "nodes").orElseThrow(() -> StatusException.internal("nodes are not registered"));
        ObjectNode pod = store.get(pods, ns, name);
        List<String> containers = new ArrayList<>();
        pod.path("spec").path("containers").forEach(c -> containers.add(c.path("name").asText()));
        List<String> all = new ArrayList<>(containers);
        pod.path("spec").path("initContainers").forEach(c -> all.add(c.path("name").asText()));
        pod.path("spec").path("ephemeralContainers").forEach(c -> all.add(c.path("name").asText()));
        if (container == null || container.isEmpty()) {
            if (containers.size() != 1) {
                throw StatusException.badRequest("a container name must be specified for pod " + name + ", choose one of: ["
                        + String.join(" ", containers) + "]"
                        + (all.size() > containers.size() ? " or one of the init containers: [" + String.join(" ", all.subList(containers.size(), all.size())) + "]" : ""));
            }
            container = containers.get(0);
        } else if (!all.contains(container)) {
            throw StatusException.badRequest("container " + container + " is not valid for pod " + name);
        }
        String phase = pod.path("status").path("phase").asText("");
        if (exec && !pod.path("spec").path("nodeName").asText("").isEmpty() && (phase.equals("Succeeded") || phase.equals("Failed"))) {
            throw StatusException.badRequest("cannot exec into a container in a completed pod; current phase is " + phase);
        }
        return agentOf(nodes, pod, ns, name, container);
    }

    private Target agentOf(ResourceDefinition nodes, ObjectNode pod, String ns, String name, String container) {
        String nodeName = pod.path("spec").path("nodeName").asText("");
        if (nodeName.isEmpty()) {
            throw StatusException.badRequest("pod " + name + " does not have a host assigned");
        }
        AgentAddress a = agentAddress(store.get(nodes, null, nodeName));
        return new Target(a.host(), a.port(), ns, name, container);
    }

    /** Where a node's agent API listens: its InternalIP and the kubelet endpoint port of its status. */
    public record AgentAddress(String host, int port) {
    }

    public static AgentAddress agentAddress(ObjectNode node) {
        String ip = null;
        for (JsonNode a : node.path("status").path("addresses")) {
            if (a.path("type").asText().equals("InternalIP")) {
                ip = a.path("address").asText();
                break;
            }
        }
        int port = node.path("status").path("daemonEndpoints").path("kubeletEndpoint").path("Port").asInt(0);
        if (ip == null || port == 0) {
            throw StatusException.badRequest("node " + node.path("metadata").path("name").asText()
                    + " has no InternalIP and agent port in its status");
        }
        return new AgentAddress(ip, port);
    }

    /** The HTTPS client that presents the kubelet client certificate to node agents. */
    public HttpClient agentClient() {
        return http;
    }

    private void log(RoutingContext ctx, Target t, Map<String, String> q, Consumer<StatusException> error) {
        String uri = t.path("/containerLogs/") + query(q, LOG_PARAMS, false);
        HttpServerResponse out = ctx.response();
        http.request(new RequestOptions().setMethod(HttpMethod.GET).setHost(t.host()).setPort(t.port()).setURI(uri))
                .compose(req -> req.send())
                .onSuccess(resp -> {
                    if (resp.statusCode() != 200) {
                        resp.body().onComplete(b -> {
                            String msg = b.succeeded() ? b.result().toString(StandardCharsets.UTF_8).strip() : resp.statusMessage();
                            error.accept(resp.statusCode() == 404 ? new StatusException(404, "NotFound", msg)
                                    : resp.statusCode() == 401 || resp.statusCode() == 403
                                    ? StatusException.internal("the node agent refused the API server's credential: " + msg)
                                    : StatusException.badRequest(msg));
                        });
                        return;
                    }
                    out.setChunked(true).setStatusCode(200).putHeader("Content-Type", "text/plain; charset=utf-8")
                            .putHeader("Content-Encoding", "identity");
                    out.closeHandler(v -> resp.request().connection().close());
                    resp.handler(out::write);
                    resp.endHandler(v -> {
                        if (!out.ended() && !out.closed()) {
                            out.end();
                        }
                    });
                    resp.exceptionHandler(x -> {
                        if (!out.ended() && !out.closed()) {
                            out.end();
                        }
                    });
                    if ("true".equals(q.get("follow")) && !out.headWritten()) {
                        out.writeHead();
                    }
                })
                .onFailure(x -> error.accept(StatusException.internal("Get \"https://" + t.host() + ":" + t.port() + uri + "\": " + x.getMessage())));
    }

    private void exec(RoutingContext ctx, Target t, String agentPrefix, Consumer<StatusException> error) {
        String raw = ctx.request().query();
        String uri = t.path(agentPrefix) + (raw == null ? "" : "?" + raw);
        ctx.request().toWebSocket().onSuccess(client -> {
            client.pause();
            String protocol = client.subProtocol();
            WebSocketConnectOptions o = new WebSocketConnectOptions().setHost(t.host()).setPort(t.port()).setURI(uri).setSsl(true)
                    .setSubProtocols(List.of(protocol == null ? EXEC_PROTOCOLS.get(0) : protocol));
            ws.connect(o).onSuccess(agent -> bridge(client, agent)).onFailure(x -> {
                byte[] status = internalError(dialError(t, x)).toString().getBytes(StandardCharsets.UTF_8);
                client.writeBinaryMessage(Buffer.buffer().appendByte((byte) 3).appendBytes(status)).onComplete(v -> client.close());
            });
        }).onFailure(x -> error.accept(StatusException.badRequest("cannot upgrade the connection: " + x.getMessage())));
    }

    /**
     * Why the agent could not be reached for exec or attach, as kube-apiserver's stream translator has it from its SPDY
     * client: a refused upgrade is "unable to upgrade connection: " and the kubelet's answer (e.g. {@code container not
     * found ("c")} for a container that is not running).
     */
    private static String dialError(Target t, Throwable x) {
        if (x instanceof io.vertx.core.http.UpgradeRejectedException r) {
            String body = r.getBody() == null ? "" : r.getBody().toString(StandardCharsets.UTF_8).strip();
            return "unable to upgrade connection: " + (body.isEmpty() ? r.getStatus() : body);
        }
        return "error dialing the node agent at " + t.host() + ":" + t.port() + ": " + x.getMessage();
    }

    /**
     * Upstream's apierrors.NewInternalError, the Status the stream translator writes on the error channel once the client's
     * WebSocket is upgraded (kubectl prints its message: {@code error: Internal error occurred: …}).
     */
    private static ObjectNode internalError(String err) {
        ObjectNode s = io.kuberaft.apiserver.registry.Objects.JSON.createObjectNode();
        s.put("kind", "Status").put("apiVersion", "v1").putObject("metadata");
        s.put("status", "Failure").put("message", "Internal error occurred: " + err).put("reason", "InternalError");
        s.putObject("details").putArray("causes").addObject().put("message", err);
        s.put("code", 500);
        return s;
    }

    /**
     * {@code pods/portforward}: kubectl's WebSocket ({@value #PORT_FORWARD_PROTOCOL}), whose SPDY bytes go unchanged
     * through a WebSocket to the agent's {@code /portForward}, which speaks the protocol. The agent is dialled first,
     * so its refusal (the pod is not on it) is this request's Status instead of a dead upgraded connection. kubectl's
     * fallback, a POST upgraded to plain SPDY/3.1, is refused with a 400 (Vert.x upgrades only GET and CONNECT
     * requests to a socket).
     */
    private void portForward(RoutingContext ctx, Target t, boolean webSocket, boolean spdy, Consumer<StatusException> error) {
        if (!webSocket && !spdy) {
            error.accept(upgradeRequired(false));
            return;
        }
        if (webSocket) {
            String offered = String.valueOf(ctx.request().getHeader("Sec-WebSocket-Protocol"));
            if (java.util.Arrays.stream(offered.split(",")).map(String::trim).noneMatch(PORT_FORWARD_PROTOCOL::equalsIgnoreCase)) {
                error.accept(StatusException.badRequest("port-forward needs the WebSocket subprotocol " + PORT_FORWARD_PROTOCOL));
                return;
            }
        }
        String uri = t.path("/portForward/");
        WebSocketConnectOptions o = new WebSocketConnectOptions().setHost(t.host()).setPort(t.port()).setURI(uri).setSsl(true)
                .setSubProtocols(List.of(PORT_FORWARD_PROTOCOL));
        long t0 = System.nanoTime();
        ws.connect(o).onSuccess(agent -> {
            LOG.debug("event=portforward-agent-connected pod={}/{} agent={}:{} ms={}", t.namespace(), t.pod(), t.host(), t.port(),
                    (System.nanoTime() - t0) / 1_000_000);
            if (!webSocket) {
                // kubectl falls back to SPDY after any refused WebSocket: the agent was dialled all the same, so that
                // its refusal (the pod is not there) is what kubectl shows rather than this one.
                agent.close();
                error.accept(upgradeRequired(true));
                return;
            }
            agent.pause();
            ctx.request().toWebSocket().onSuccess(client -> {
                client.pause();
                bridge(client, agent);
                agent.resume();
            }).onFailure(x -> {
                agent.close();
                error.accept(StatusException.badRequest("cannot upgrade the connection: " + x.getMessage()));
            });
        }).onFailure(x -> error.accept(agentRefusal(t, x)));
    }

    /** kubectl's fallback, a POST upgraded to SPDY/3.1: Vert.x upgrades only GET (and CONNECT) requests to a raw socket. */
    private static StatusException upgradeRequired(boolean spdy) {
        return StatusException.badRequest("Upgrade request required: port-forward is served over WebSocket (" + PORT_FORWARD_PROTOCOL
                + ", kubectl 1.31 and later by default)" + (spdy ? "; SPDY/3.1 upgrades are not supported" : ""));
    }

    /** The agent's answer to a refused upgrade as a Status (its 404 is the pod's, its 401/403 the API server's problem). */
    private static StatusException agentRefusal(Target t, Throwable x) {
        if (x instanceof io.vertx.core.http.UpgradeRejectedException r) {
            String msg = r.getBody() == null ? "" : r.getBody().toString(StandardCharsets.UTF_8).strip();
            return r.getStatus() == 404 ? new StatusException(404, "NotFound", msg)
                    : r.getStatus() == 401 || r.getStatus() == 403
                    ? StatusException.internal("the node agent refused the API server's credential: " + msg)
                    : r.getStatus() < 500 ? StatusException.badRequest(msg) : StatusException.internal(msg);
        }
        return StatusException.internal("error dialing the node agent at " + t.host() + ":" + t.port() + ": " + x.getMessage());
    }

    /** Message by message both ways; a side whose writes queue up pauses the other until they drain. */
    private static void bridge(ServerWebSocket client, WebSocket agent) {
        client.binaryMessageHandler(m -> {
            agent.writeBinaryMessage(m);
            holdWhileFull(client, agent);
        });
        client.textMessageHandler(agent::writeTextMessage);
        agent.binaryMessageHandler(m -> {
            client.writeBinaryMessage(m);
            holdWhileFull(agent, client);
        });
        agent.textMessageHandler(client::writeTextMessage);
        client.closeHandler(v -> {
            if (!agent.isClosed()) {
                agent.close();
            }
        });
        agent.closeHandler(v -> {
            if (!client.isClosed()) {
                client.close();
            }
        });
        client.exceptionHandler(x -> {
            LOG.debug("event=stream-client-error error={}", x.toString());
            agent.close();
        });
        agent.exceptionHandler(x -> {
            LOG.debug("event=stream-agent-error error={}", x.toString());
            client.close();
        });
        client.resume();
    }

    private static void holdWhileFull(io.vertx.core.streams.ReadStream<?> from, io.vertx.core.streams.WriteStream<?> to) {
        if (to.writeQueueFull()) {
            from.pause();
            to.drainHandler(v -> from.resume());
        }
    }

    private static String query(Map<String, String> q, List<String> names, boolean keepEmpty) {
        StringBuilder b = new StringBuilder();
        for (String p : names) {
            String v = q.get(p);
            if (v != null && (keepEmpty || !v.isEmpty())) {
                b.append(b.isEmpty() ? '?' : '&').append(p).append('=').append(enc(v));
            }
        }
        return b.toString();
    }

    static String enc(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8).replace("+", "%20");
    }
}
