package io.kuberaft.nodeagent;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsServer;
import io.fabric8.kubernetes.api.model.Pod;
import io.kuberaft.nodeagent.runtime.RuntimeContainer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * The agent API (the kubelet's :10250, HTTPS): {@code /healthz}, {@code /pods} (a PodList of the pods on
 * this agent's nodes) and {@code /containerLogs/<ns>/<pod>/<container>} with {@code tailLines}, which the API
 * server's {@code pods/log} forwards to. Errors are plain text with the kubelet's status codes.
 */
final class AgentApiServer implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(AgentApiServer.class);
    private final HttpsServer server;
    private final ExecutorService executor;
    private final NodeAgent agent;

    private AgentApiServer(HttpsServer server, ExecutorService executor, NodeAgent agent) {
        this.server = server;
        this.executor = executor;
        this.agent = agent;
    }

    static AgentApiServer start(String host, int port, NodeAgent agent) throws IOException {
        HttpsServer s = HttpsServer.create(new InetSocketAddress(host, port), 64);
        s.setHttpsConfigurator(new HttpsConfigurator(ServingCertificate.selfSigned(host)));
        ExecutorService ex = Executors.newFixedThreadPool(4, r -> {
            Thread t = new Thread(r, "agent-api");
            t.setDaemon(true);
            return t;
        });
        s.setExecutor(ex);
        AgentApiServer api = new AgentApiServer(s, ex, agent);
        s.createContext("/", api::handle);
        s.start();
        LOG.info("event=agent-api-listening address=https://{}:{}", host, s.getAddress().getPort());
        return api;
    }

    int port() {
        return server.getAddress().getPort();
    }

    private void handle(HttpExchange ex) throws IOException {
        try (ex) {
            String path = ex.getRequestURI().getPath();
            Map<String, String> q = query(ex.getRequestURI().getRawQuery());
            if (!ex.getRequestMethod().equals("GET")) {
                send(ex, 405, "text/plain", "405: Method Not Allowed");
                return;
            }
            if (path.equals("/healthz")) {
                send(ex, 200, "text/plain", q.containsKey("verbose") ? "[+]ping ok\n[+]log ok\n[+]syncloop ok\nhealthz check passed\n" : "ok");
            } else if (path.equals("/pods") || path.equals("/pods/")) {
                ObjectNode list = PodWorker.JSON.createObjectNode();
                list.put("kind", "PodList").put("apiVersion", "v1");
                list.putObject("metadata");
                ArrayNode items = list.putArray("items");
                for (Pod p : agent.pods()) {
                    items.add(PodWorker.JSON.valueToTree(p));
                }
                send(ex, 200, "application/json", list.toString());
            } else if (path.startsWith("/containerLogs/")) {
                logs(ex, Arrays.asList(path.substring("/containerLogs/".length()).split("/")), q);
            } else {
                send(ex, 404, "text/plain", "404 page not found");
            }
        } catch (RuntimeException e) {
            LOG.warn("event=agent-api-error path={} error={}", ex.getRequestURI(), e.toString());
            send(ex, 500, "text/plain", "Internal Error: " + e.getMessage());
        }
    }

    private void logs(HttpExchange ex, List<String> parts, Map<String, String> q) throws IOException {
        if (parts.size() != 3) {
            send(ex, 400, "text/plain", "expected /containerLogs/<namespace>/<pod>/<container>");
            return;
        }
        String ns = parts.get(0);
        String pod = parts.get(1);
        String container = parts.get(2);
        Optional<PodWorker> w = agent.findPod(ns, pod);
        if (w.isEmpty()) {
            send(ex, 404, "text/plain", "pod \"" + pod + "\" not found in namespace \"" + ns + "\" on this node");
            return;
        }
        if (!w.get().containerNames().contains(container)) {
            send(ex, 400, "text/plain", "container " + container + " is not valid for pod " + pod);
            return;
        }
        Optional<RuntimeContainer> rc = w.get().container(container);
        if (rc.isEmpty()) {
            send(ex, 400, "text/plain", "container \"" + container + "\" in pod \"" + pod + "\" is waiting to start: ContainerCreating");
            return;
        }
        String text = agent.runtime().log(rc.get()).orElse("");
        String tail = q.get("tailLines");
        if (tail != null) {
            int n;
            try {
                n = Integer.parseInt(tail);
            } catch (NumberFormatException e) {
                send(ex, 400, "text/plain", "tailLines: not an integer: " + tail);
                return;
            }
            text = tail(text, n);
        }
        send(ex, 200, "text/plain", text);
    }

    static String tail(String text, int n) {
        if (n < 0) {
            return text;
        }
        String[] lines = text.split("\n", -1);
        int total = text.endsWith("\n") ? lines.length - 1 : lines.length;
        if (n >= total) {
            return text;
        }
        StringBuilder b = new StringBuilder();
        for (int i = total - n; i < total; i++) {
            b.append(lines[i]).append('\n');
        }
        return b.toString();
    }

    private static Map<String, String> query(String raw) {
        Map<String, String> out = new HashMap<>();
        if (raw == null) {
            return out;
        }
        for (String kv : raw.split("&")) {
            int eq = kv.indexOf('=');
            String k = URLDecoder.decode(eq < 0 ? kv : kv.substring(0, eq), StandardCharsets.UTF_8);
            String v = eq < 0 ? "" : URLDecoder.decode(kv.substring(eq + 1), StandardCharsets.UTF_8);
            out.putIfAbsent(k, v);
        }
        return out;
    }

    private static void send(HttpExchange ex, int code, String type, String body) throws IOException {
        byte[] b = body.getBytes(StandardCharsets.UTF_8);
        ex.getResponseHeaders().set("Content-Type", type + "; charset=utf-8");
        ex.sendResponseHeaders(code, b.length == 0 ? -1 : b.length);
        if (b.length > 0) {
            try (OutputStream out = ex.getResponseBody()) {
                out.write(b);
            }
        }
    }

    @Override
    public void close() {
        server.stop(0);
        executor.shutdownNow();
    }
}
