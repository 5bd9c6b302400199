package io.kuberaft.apiserver.http;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.kuberaft.apiserver.registry.ResourceDefinition;
import io.kuberaft.apiserver.registry.ResourceRegistry;
import io.kuberaft.apiserver.registry.ResourceStore;
import io.kuberaft.kubeapi.StatusException;
import io.kuberaft.raftstore.ReadConsistency;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.http.RequestOptions;
import io.vertx.ext.web.RoutingContext;

import java.util.Locale;
import java.util.Set;
import java.util.function.Consumer;

/**
 * The {@code proxy} subresources of pods, services and nodes ({@code kubectl proxy}, then
 * {@code /api/v1/namespaces/default/pods/web:8080/proxy/ping}): the request, its method, headers and body, goes to
 * the pod's port, a ready endpoint of the service, or the node's agent API, and the answer comes back as it is.
 *
 * <p>Names as upstream: {@code [scheme:]name[:port]} ({@code https:kubernetes-dashboard:} for a service's port
 * named or numbered). Upstream's API server dials pod IPs itself; pod IPs are not routed on these machines, so pod
 * and service requests go through the pod's node agent ({@code /podProxy/<ns>/<pod>/<scheme>/<port>/<path>}),
 * which reaches the port where its runtime says it is, as for port-forward. Node requests go to the agent's own API
 * ({@code nodes/node-1/proxy/healthz}), as to the kubelet's. Failures to reach the target are 503s with upstream's
 * {@code error trying to reach service: …}; the HTML link rewriting upstream does for browsers is not done.
 */
public final class ProxySubresource {
    /** Hop-by-hop headers (RFC 7230 6.1) and the caller's credentials: not forwarded either way. */
    private static final Set<String> NOT_FORWARDED = Set.of("connection", "keep-alive", "proxy-authenticate", "proxy-authorization",
            "te", "trailer", "transfer-encoding", "upgrade", "host", "authorization", "content-length");

    /** Set by the agent on answers that are its own (the pod is not there, its port cannot be reached), not the pod's. */
    static final String AGENT_ERROR_HEADER = "X-Kuberaft-Agent-Error";

    private final Vertx vertx;
    private final ResourceStore store;
    private final ResourceRegistry registry;
    private final HttpClient agents;

    public ProxySubresource(Vertx vertx, ResourceStore store, ResourceRegistry registry, HttpClient agents) {
        this.vertx = vertx;
        this.store = store;
        this.registry = registry;
        this.agents = agents;
    }

    public static boolean handles(RequestInfo info) {
        return info != null && info.group().isEmpty() && info.name() != null && "proxy".equals(info.subresource())
                && (info.resource().equals("pods") || info.resource().equals("services") || info.resource().equals("nodes"));
    }

    /** Where a request goes: an agent and the path on it. */
    private record Target(String host, int port, String path, String describe) {
    }

    /** A {@code [scheme:]name[:port]} name. */
    record ProxyName(String scheme, String name, String port) {
        static ProxyName parse(String raw) {
            String[] parts = raw.split(":", -1);
            return switch (parts.length) {
                case 1 -> new ProxyName("", parts[0], "");
                case 2 -> new ProxyName("", parts[0], parts[1]);
                case 3 -> new ProxyName(parts[0], parts[1], parts[2]);
                default -> throw StatusException.badRequest("invalid proxy name " + raw + ": expected [scheme:]name[:port]");
            };
        }
    }

    public void serve(RoutingContext ctx, RequestInfo info, Consumer<StatusException> error) {
        String rawPath = ctx.request().path();
        String marker = "/" + info.name() + "/proxy";
        int at = rawPath.indexOf(marker);
        String rest = at < 0 ? "/" : rawPath.substring(at + marker.length());
        if (rest.isEmpty()) {
            rest = "/";
        }
        String query = ctx.request().query();
        String path = rest + (query == null ? "" : "?" + query);
        vertx.executeBlocking(() -> switch (info.resource()) {
            case "pods" -> podTarget(info.namespace(), ProxyName.parse(info.name()), path);
            case "services" -> serviceTarget(info.namespace(), ProxyName.parse(info.name()), path);
            default -> nodeTarget(ProxyName.parse(info.name()), path);
        }, false).onComplete(ar -> {
            if (ar.failed()) {
                error.accept(ar.cause() instanceof StatusException se ? se : ResourceStore.translate(ar.cause()));
            } else {
                forward(ctx, ar.result(), error);
            }
        });
    }

    private ResourceDefinition def(String plural) {
        return registry.find("", "v1", plural).orElseThrow(() -> StatusException.internal(plural + " are not registered"));
    }

    private Target podTarget(String ns, ProxyName n, String path) {
        ObjectNode pod = store.get(def("pods"), ns, n.name());
        String port = n.port();
        if (port.isEmpty()) {
            // upstream: the first declared container port, else 80
            for (JsonNode c : pod.path("spec").path("containers")) {
                if (c.path("ports").size() > 0) {
                    port = c.path("ports").get(0).path("containerPort").asText();
                    break;
                }
            }
        }
        int number = numericPort(port.isEmpty() ? "80" : port, pod);
        return viaAgent(ns, pod, scheme(n.scheme()), number, path);
    }

    private Target serviceTarget(String ns, ProxyName n, String path) {
        ObjectNode svc = store.get(def("services"), ns, n.name());
        JsonNode svcPort = null;
        for (JsonNode p : svc.path("spec").path("ports")) {
            if (n.port().isEmpty() || n.port().equals(p.path("name").asText()) || n.port().equals(p.path("port").asText())) {
                svcPort = p;
                break;
            }
        }
        if (svcPort == null) {
            throw new StatusException(503, "ServiceUnavailable", "no service port \"" + n.port() + "\" found for service \"" + n.name() + "\"");
        }
        String portName = svcPort.path("name").asText("");
        ObjectNode endpoints = store.getOrNull(def("endpoints"), ns, n.name(), ReadConsistency.LINEARIZABLE);
        if (endpoints != null) {
            for (JsonNode subset : endpoints.path("subsets")) {
                for (JsonNode ep : subset.path("ports")) {
                    if (!ep.path("name").asText("").equals(portName)) {
                        continue;
                    }
                    for (JsonNode a : subset.path("addresses")) {
                        JsonNode ref = a.path("targetRef");
                        if (ref.path("kind").asText().equals("Pod")) {
                            ObjectNode pod = store.getOrNull(def("pods"), ref.path("namespace").asText(ns), ref.path("name").asText(),
                                    ReadConsistency.LINEARIZABLE);
                            if (pod != null) {
                                return viaAgent(ns, pod, scheme(n.scheme()), ep.path("port").asInt(), path);
                            }
                        }
                    }
                }
            }
        }
        throw new StatusException(503, "ServiceUnavailable", "no endpoints available for service \"" + n.name() + "\"");
    }

    private Target nodeTarget(ProxyName n, String path) {
        ObjectNode node = store.get(def("nodes"), null, n.name());
        PodStreams.AgentAddress a = PodStreams.agentAddress(node);
        return new Target(a.host(), a.port(), path, "node " + n.name());
    }

    private Target viaAgent(String ns, ObjectNode pod, String scheme, int port, String path) {
        String name = pod.path("metadata").path("name").asText();
        String nodeName = pod.path("spec").path("nodeName").asText("");
        if (nodeName.isEmpty()) {
            throw StatusException.badRequest("pod " + name + " does not have a host assigned");
        }
        PodStreams.AgentAddress a = PodStreams.agentAddress(store.get(def("nodes"), null, nodeName));
        String ip = pod.path("status").path("podIP").asText("");
        return new Target(a.host(), a.port(), "/podProxy/" + PodStreams.enc(pod.path("metadata").path("namespace").asText(ns)) + "/"
                + PodStreams.enc(name) + "/" + scheme + "/" + port + path, (ip.isEmpty() ? name : ip) + ":" + port);
    }

    private static String scheme(String s) {
        String lower = s.toLowerCase(Locale.ROOT);
        if (lower.isEmpty() || lower.equals("http")) {
            return "http";
        }
        if (lower.equals("https")) {
            return "https";
        }
        throw StatusException.badRequest("unsupported proxy scheme " + s + ": http or https");
    }

    private static int numericPort(String port, ObjectNode pod) {
        try {
            int p = Integer.parseInt(port);
            if (p >= 1 && p <= 65535) {
                return p;
            }
        } catch (NumberFormatException e) {
            for (JsonNode c : pod.path("spec").path("containers")) {
                for (JsonNode cp : c.path("ports")) {
                    if (port.equals(cp.path("name").asText())) {
                        return cp.path("containerPort").asInt();
                    }
                }
            }
        }
        throw StatusException.badRequest("invalid port " + port + " for pod " + pod.path("metadata").path("name").asText());
    }

    private void forward(RoutingContext ctx, Target t, Consumer<StatusException> error) {
        HttpMethod method = ctx.request().method();
        RequestOptions o = new RequestOptions().setMethod(method).setHost(t.host()).setPort(t.port()).setURI(t.path());
        ctx.request().headers().forEach((k, v) -> {
            if (!NOT_FORWARDED.contains(k.toLowerCase(Locale.ROOT))) {
                o.addHeader(k, v);
            }
        });
        Buffer body = ctx.body() == null || ctx.body().buffer() == null ? Buffer.buffer() : ctx.body().buffer();
        agents.request(o)
                .compose(req -> body.length() == 0 ? req.send() : req.send(body))
                .onSuccess(resp -> relay(ctx.response(), resp, t, error))
                .onFailure(x -> error.accept(new StatusException(503, "ServiceUnavailable", "error trying to reach service: "
                        + t.describe() + ": " + x.getMessage())));
    }

    private static void relay(HttpServerResponse out, HttpClientResponse resp, Target t, Consumer<StatusException> error) {
        String fromAgent = resp.getHeader(AGENT_ERROR_HEADER);
        if (fromAgent != null) {
            // the agent could not reach the pod: its message is the reason
            resp.body().onComplete(b -> error.accept(new StatusException(resp.statusCode(), resp.statusCode() == 404 ? "NotFound" : "ServiceUnavailable",
                    b.succeeded() ? b.result().toString().strip() : "error trying to reach service: " + t.describe())));
            return;
        }
        out.setStatusCode(resp.statusCode()).setStatusMessage(resp.statusMessage());
        resp.headers().forEach((k, v) -> {
            if (!NOT_FORWARDED.contains(k.toLowerCase(Locale.ROOT))) {
                out.headers().add(k, v);
            }
        });
        out.setChunked(true);
        resp.pipeTo(out).onFailure(x -> {
            if (!out.ended() && !out.closed()) {
                out.reset();
            }
        });
    }
}
