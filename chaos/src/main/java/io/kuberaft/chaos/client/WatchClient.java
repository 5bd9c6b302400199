package io.kuberaft.chaos.client;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.HttpURLConnection;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;

/**
 * ConfigMaps of one namespace (or LISTs and watches of any collection, {@link #of}) through one replica's
 * Kubernetes API, for the watch and controllers workloads: writes
 * that answer the resourceVersion they produced, LISTs, and watch sessions read line by line with a
 * read timeout (a paused replica must not hang a watcher).
 */
public final class WatchClient {
    private static final ObjectMapper JSON = new ObjectMapper();
    private final HttpClient http;
    private final String api;
    private final String base;
    private final Duration timeout;

    public WatchClient(String apiUrl, String namespace, Duration timeout) {
        this(apiUrl, timeout, "/api/v1/namespaces/" + namespace + "/configmaps");
    }

    private WatchClient(String apiUrl, Duration timeout, String collectionPath) {
        this.http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(2)).build();
        this.api = apiUrl;
        this.base = apiUrl + collectionPath;
        this.timeout = timeout;
    }

    /** Lists and watches of any collection, e.g. {@code /apis/apps/v1/namespaces/x/replicasets} (writes stay ConfigMap-only). */
    public static WatchClient of(String apiUrl, String collectionPath, Duration timeout) {
        return new WatchClient(apiUrl, timeout, collectionPath);
    }

    private HttpResponse<String> send(HttpRequest.Builder b) throws OpException {
        return KubeClient.send(http, b, timeout);
    }

    private static OpException error(HttpResponse<String> r) {
        String reason = r.statusCode() + " " + r.body().substring(0, Math.min(200, r.body().length()));
        return r.statusCode() >= 400 && r.statusCode() < 500 && r.statusCode() != 408 ? OpException.definite(reason) : OpException.indefinite(reason);
    }

    /** Creates the namespace; true when it exists afterwards. */
    public void createNamespace(String name) throws OpException {
        String body = "{\"apiVersion\":\"v1\",\"kind\":\"Namespace\",\"metadata\":{\"name\":\"" + name + "\"}}";
        HttpResponse<String> r = send(HttpRequest.newBuilder(URI.create(api + "/api/v1/namespaces")).POST(HttpRequest.BodyPublishers.ofString(body)));
        if (r.statusCode() / 100 != 2 && r.statusCode() != 409) {
            throw error(r);
        }
    }

    /** PUT of {@code data.value} without a resourceVersion (POST when absent); returns the resourceVersion written. */
    public long write(String name, long value) throws OpException {
        ObjectNode o = JSON.createObjectNode().put("apiVersion", "v1").put("kind", "ConfigMap");
        o.putObject("metadata").put("name", name);
        o.putObject("data").put("value", Long.toString(value));
        HttpResponse<String> r = send(HttpRequest.newBuilder(URI.create(base + "/" + name)).PUT(HttpRequest.BodyPublishers.ofString(o.toString())));
        if (r.statusCode() == 404) {
            r = send(HttpRequest.newBuilder(URI.create(base)).POST(HttpRequest.BodyPublishers.ofString(o.toString())));
        }
        if (r.statusCode() / 100 != 2) {
            throw error(r);
        }
        try {
            return Long.parseLong(JSON.readTree(r.body()).path("metadata").path("resourceVersion").asText());
        } catch (IOException | NumberFormatException e) {
            throw OpException.indefinite("bad body: " + e);
        }
    }

    /** A LIST (linearizable): the list's resourceVersion and the items. */
    public JsonNode list() throws OpException {
        HttpResponse<String> r = send(HttpRequest.newBuilder(URI.create(base)).GET());
        if (r.statusCode() != 200) {
            throw error(r);
        }
        try {
            return JSON.readTree(r.body());
        } catch (IOException e) {
            throw OpException.definite("bad body: " + e);
        }
    }

    /** How a watch session ended. */
    public enum End {
        /** the server closed the stream (timeoutSeconds) */
        CLOSED,
        /** the caller's {@code stop} answered true */
        STOPPED,
        /** 410 Gone: the resourceVersion is compacted; relist */
        GONE,
        /** an ERROR event other than 410, or a non-200 answer */
        ERROR,
        /** no connection (nothing received) */
        REFUSED,
        /** the connection broke or stalled mid-stream */
        BROKEN
    }

    public record Result(End end, String error) {
    }

    /**
     * One watch from {@code resourceVersion} with bookmarks, ending after {@code timeoutSeconds} (server
     * side) or when nothing arrived for {@code timeoutSeconds + 5} s; every event and bookmark goes to
     * {@code onEvent} ({@code {"type", "object"}}), in order. {@code stop} is asked after each one.
     */
    public Result watch(String resourceVersion, int timeoutSeconds, Consumer<JsonNode> onEvent, BooleanSupplier stop) {
        HttpURLConnection c = null;
        boolean connected = false;
        try {
            c = (HttpURLConnection) URI.create(base + "?watch=1&allowWatchBookmarks=true&resourceVersion=" + resourceVersion
                    + "&timeoutSeconds=" + timeoutSeconds).toURL().openConnection();
            c.setConnectTimeout(2000);
            c.setReadTimeout((timeoutSeconds + 5) * 1000);
            c.setRequestProperty("Accept", "application/json");
            int code = c.getResponseCode();
            connected = true;
            if (code != 200) {
                String body = readAll(c.getErrorStream());
                return new Result(code == 410 ? End.GONE : End.ERROR, code + " " + body.substring(0, Math.min(200, body.length())));
            }
            try (BufferedReader in = new BufferedReader(new InputStreamReader(c.getInputStream(), StandardCharsets.UTF_8))) {
                String line;
                while ((line = in.readLine()) != null) {
                    if (line.isBlank()) {
                        continue;
                    }
                    JsonNode ev = JSON.readTree(line);
                    if (ev.path("type").asText().equals("ERROR")) {
                        JsonNode st = ev.path("object");
                        int status = st.path("code").asInt();
                        return new Result(status == 410 ? End.GONE : End.ERROR, status + " " + st.path("reason").asText() + ": " + st.path("message").asText());
                    }
                    onEvent.accept(ev);
                    if (stop.getAsBoolean()) {
                        return new Result(End.STOPPED, null);
                    }
                }
            }
            return new Result(End.CLOSED, null);
        } catch (IOException e) {
            return new Result(connected ? End.BROKEN : End.REFUSED, e.toString());
        } finally {
            if (c != null) {
                c.disconnect();
            }
        }
    }

    private static String readAll(InputStream in) throws IOException {
        if (in == null) {
            return "";
        }
        try (in) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }
}
