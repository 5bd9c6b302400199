package io.kuberaft.apiserver.http;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import io.kuberaft.apiserver.registry.ResourceDefinition;
import io.kuberaft.apiserver.registry.ResourceStore;
import io.kuberaft.kubeapi.StatusException;

import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManager;
import javax.net.ssl.X509TrustManager;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code pods/log}: finds the pod's node, and forwards to that node's agent API
 * ({@code https://<InternalIP>:<daemonEndpoints.kubeletEndpoint.Port>/containerLogs/<ns>/<pod>/<container>}).
 * The agent's serving certificate is not verified, as upstream without {@code --kubelet-certificate-authority}.
 * Not streamed: {@code follow} returns what the log holds now.
 */
final class PodLogProxy {
    private static final List<String> FORWARDED = List.of("tailLines", "previous", "timestamps", "sinceSeconds", "sinceTime", "limitBytes");
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).sslContext(insecure()).build();

    private PodLogProxy() {
    }

    static Reply get(ResourceStore store, ResourceDefinition pods, ResourceDefinition nodes, String ns, String name, ResourceHandler.Query q) {
        ObjectNode pod = store.get(pods, ns, name);
        List<String> containers = new ArrayList<>();
        pod.path("spec").path("containers").forEach(c -> containers.add(c.path("name").asText()));
        List<String> all = new ArrayList<>(containers);
        pod.path("spec").path("initContainers").forEach(c -> all.add(c.path("name").asText()));
        String container = q.get("container");
        if (container == null || container.isEmpty()) {
            if (containers.size() != 1) {
                throw StatusException.badRequest("a container name must be specified for pod " + name + ", choose one of: ["
                        + String.join(" ", containers) + "]");
            }
            container = containers.get(0);
        } else if (!all.contains(container)) {
            throw StatusException.badRequest("container " + container + " is not valid for pod " + name);
        }
        String nodeName = pod.path("spec").path("nodeName").asText("");
        if (nodeName.isEmpty()) {
            throw StatusException.badRequest("pod " + name + " does not have a host assigned");
        }
        ObjectNode node = store.get(nodes, null, nodeName);
        String ip = null;
        for (JsonNode a : node.path("status").path("addresses")) {
            if (a.path("type").asText().equals("InternalIP")) {
                ip = a.path("address").asText();
                break;
            }
        }
        int port = node.path("status").path("daemonEndpoints").path("kubeletEndpoint").path("Port").asInt(0);
        if (ip == null || port == 0) {
            throw StatusException.badRequest("node " + nodeName + " has no InternalIP and agent port in its status");
        }
        StringBuilder url = new StringBuilder("https://").append(ip.contains(":") ? "[" + ip + "]" : ip).append(':').append(port)
                .append("/containerLogs/").append(enc(ns)).append('/').append(enc(name)).append('/').append(enc(container));
        char sep = '?';
        for (String p : FORWARDED) {
            String v = q.get(p);
            if (v != null) {
                url.append(sep).append(p).append('=').append(enc(v));
                sep = '&';
            }
        }
        try {
            HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create(url.toString())).timeout(Duration.ofSeconds(30)).GET().build(),
                    HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
            if (r.statusCode() == 200) {
                return new Reply(200, TextNode.valueOf(r.body()), "text/plain; charset=utf-8", null);
            }
            if (r.statusCode() == 404) {
                throw new StatusException(404, "NotFound", r.body().strip());
            }
            throw StatusException.badRequest(r.body().strip());
        } catch (IOException e) {
            throw StatusException.internal("Get \"" + url + "\": " + e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw StatusException.internal("interrupted");
        }
    }

    private static String enc(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8).replace("+", "%20");
    }

    private static SSLContext insecure() {
        try {
            SSLContext ctx = SSLContext.getInstance("TLS");
            ctx.init(null, new TrustManager[]{new X509TrustManager() {
                @Override
                public void checkClientTrusted(X509Certificate[] chain, String authType) {
                }

                @Override
                public void checkServerTrusted(X509Certificate[] chain, String authType) {
                }

                @Override
                public X509Certificate[] getAcceptedIssuers() {
                    return new X509Certificate[0];
                }
            }}, null);
            return ctx;
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }
}
