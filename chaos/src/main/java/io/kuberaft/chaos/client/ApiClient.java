package io.kuberaft.chaos.client;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;

/**
 * Any object of the Kubernetes API through one replica, as JSON: GET, POST (create), merge PATCH. Errors
 * are {@link OpException}s, definite or not as {@link KubeClient} decides (4xx definite, 5xx and timeouts not).
 */
public final class ApiClient {
    private static final ObjectMapper JSON = new ObjectMapper();
    private final HttpClient http;
    private final String api;
    private final Duration timeout;

    public ApiClient(String apiUrl, Duration timeout) {
        this.http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(2)).build();
        this.api = apiUrl;
        this.timeout = timeout;
    }

    /** The object (or list) at {@code path}; null when 404. */
    public JsonNode get(String path) throws OpException {
        HttpResponse<String> r = KubeClient.send(http, HttpRequest.newBuilder(URI.create(api + path)).GET(), timeout);
        if (r.statusCode() == 404) {
            return null;
        }
        return parsed(r);
    }

    /** Creates {@code body} in the collection at {@code path}; an existing object (409) is fine: returns null then. */
    public JsonNode createIfAbsent(String path, String body) throws OpException {
        HttpResponse<String> r = KubeClient.send(http, HttpRequest.newBuilder(URI.create(api + path)).POST(HttpRequest.BodyPublishers.ofString(body)), timeout);
        return r.statusCode() == 409 ? null : parsed(r);
    }

    /**
     * Creates each (collection path, body) pair that does not exist yet, through the replicas in turn until one
     * takes them all (at most {@code timeout}): a workload's namespace and objects before its run.
     */
    public static void createAll(List<String> apiUrls, Duration timeout, String... pathAndBody) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        for (int i = 0; ; i++) {
            ApiClient c = new ApiClient(apiUrls.get(i % apiUrls.size()), Duration.ofSeconds(5));
            try {
                for (int j = 0; j + 1 < pathAndBody.length; j += 2) {
                    c.createIfAbsent(pathAndBody[j], pathAndBody[j + 1]);
                }
                return;
            } catch (OpException e) {
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException("could not create " + pathAndBody[0] + "...: " + e.getMessage());
                }
                Thread.sleep(500);
            }
        }
    }

    /** A JSON merge patch (RFC 7386) of the object at {@code path}; returns the object written. */
    public JsonNode mergePatch(String path, String patch) throws OpException {
        return parsed(KubeClient.send(http, HttpRequest.newBuilder(URI.create(api + path)).method("PATCH", HttpRequest.BodyPublishers.ofString(patch)),
                timeout, "application/merge-patch+json"));
    }

    private static JsonNode parsed(HttpResponse<String> r) throws OpException {
        if (r.statusCode() / 100 != 2) {
            throw KubeClient.error(r);
        }
        try {
            return JSON.readTree(r.body());
        } catch (IOException e) {
            throw OpException.indefinite("unreadable body: " + e);
        }
    }
}
