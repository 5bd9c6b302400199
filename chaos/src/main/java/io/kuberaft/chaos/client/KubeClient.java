package io.kuberaft.chaos.client;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.IOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * The register and set through the Kubernetes API of one replica: one ConfigMap per key
 * ({@code data.value}); write = PUT without resourceVersion (POST when absent); compare-and-set = the
 * resourceVersion of the read that saw {@code from} on PUT (POST when {@code from} is null: create);
 * read = GET (linearizable). Set elements are ConfigMaps labelled {@code chaos=set}; the final read is
 * a LIST by that label.
 */
public final class KubeClient implements StoreClient {
    private static final ObjectMapper JSON = new ObjectMapper();
    private final HttpClient http;
    private final String base;
    private final Duration timeout;
    /** key → resourceVersion of the last read of it by this client (what a CAS compares). */
    private final java.util.Map<String, String> lastRv = new java.util.HashMap<>();

    public KubeClient(String apiUrl, Duration timeout) {
        this.http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(2)).build();
        this.base = apiUrl + "/api/v1/namespaces/default/configmaps";
        this.timeout = timeout;
    }

    private HttpResponse<String> send(HttpRequest.Builder b) throws OpException {
        return send(http, b, timeout);
    }

    /** One JSON request; a failure to connect was surely not applied (definite), a timeout or I/O error may have been. */
    static HttpResponse<String> send(HttpClient http, HttpRequest.Builder b, Duration timeout) throws OpException {
        return send(http, b, timeout, "application/json");
    }

    static HttpResponse<String> send(HttpClient http, HttpRequest.Builder b, Duration timeout, String contentType) throws OpException {
        try {
            return http.send(b.timeout(timeout).header("Content-Type", contentType).header("Accept", "application/json").build(),
                    HttpResponse.BodyHandlers.ofString());
        } catch (ConnectException e) {
            throw OpException.definite("connect: " + e.getMessage());
        } catch (HttpTimeoutException e) {
            throw OpException.indefinite("timeout");
        } catch (IOException e) {
            throw OpException.indefinite("io: " + e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw OpException.indefinite("interrupted");
        }
    }

    /**
     * A non-2xx answer: 4xx were refused (definite) except 408; 5xx may have been applied, except a 503 to a write:
     * kuberaft's API answers a write 503 only when it proposed nothing (no leader known; ResourceStore#awaitWrite), and
     * 504 when the write may still be applied, so counting that 503 as a failure also checks the promise.
     */
    static OpException error(HttpResponse<String> r) {
        String reason = r.statusCode() + " " + reasonOf(r.body());
        if (r.statusCode() >= 400 && r.statusCode() < 500 && r.statusCode() != 408) {
            return OpException.definite(reason);
        }
        if (r.statusCode() == 503 && r.request() != null && !"GET".equals(r.request().method())) {
            return OpException.definite(reason);
        }
        return OpException.indefinite(reason);
    }

    private static String reasonOf(String body) {
        try {
            JsonNode s = JSON.readTree(body);
            return s.path("reason").asText("") + ": " + s.path("message").asText("");
        } catch (IOException e) {
            return body.length() > 200 ? body.substring(0, 200) : body;
        }
    }

    private static String body(String name, Long value, String rv, boolean setLabel) {
        ObjectNode o = JSON.createObjectNode();
        o.put("apiVersion", "v1");
        o.put("kind", "ConfigMap");
        ObjectNode md = o.putObject("metadata");
        md.put("name", name);
        if (rv != null) {
            md.put("resourceVersion", rv);
        }
        if (setLabel) {
            md.putObject("labels").put("chaos", "set");
        }
        if (value != null) {
            o.putObject("data").put("value", value.toString());
        }
        return o.toString();
    }

    private static String name(String key) {
        return "reg-" + key;
    }

    @Override
    public Long read(String key) throws OpException {
        HttpResponse<String> r = send(HttpRequest.newBuilder(URI.create(base + "/" + name(key))).GET());
        if (r.statusCode() == 404) {
            lastRv.remove(key);
            return null;
        }
        if (r.statusCode() != 200) {
            throw error(r);
        }
        try {
            JsonNode o = JSON.readTree(r.body());
            lastRv.put(key, o.path("metadata").path("resourceVersion").asText());
            return Long.parseLong(o.path("data").path("value").asText());
        } catch (IOException | NumberFormatException e) {
            throw OpException.definite("bad body: " + e);
        }
    }

    @Override
    public void write(String key, long value) throws OpException {
        HttpResponse<String> r = send(HttpRequest.newBuilder(URI.create(base + "/" + name(key)))
                .PUT(HttpRequest.BodyPublishers.ofString(body(name(key), value, null, false))));
        if (r.statusCode() == 404) {
            r = send(HttpRequest.newBuilder(URI.create(base)).POST(HttpRequest.BodyPublishers.ofString(body(name(key), value, null, false))));
        }
        if (r.statusCode() / 100 != 2) {
            throw error(r);
        }
    }

    @Override
    public boolean cas(String key, Long from, long to) throws OpException {
        HttpResponse<String> r;
        if (from == null) {
            r = send(HttpRequest.newBuilder(URI.create(base)).POST(HttpRequest.BodyPublishers.ofString(body(name(key), to, null, false))));
        } else {
            String rv = lastRv.get(key);
            if (rv == null) {
                throw OpException.definite("no resourceVersion read for " + key);
            }
            r = send(HttpRequest.newBuilder(URI.create(base + "/" + name(key)))
                    .PUT(HttpRequest.BodyPublishers.ofString(body(name(key), to, rv, false))));
        }
        if (r.statusCode() == 409) {
            return false;
        }
        if (r.statusCode() / 100 != 2) {
            throw error(r);
        }
        return true;
    }

    @Override
    public void add(long element) throws OpException {
        HttpResponse<String> r = send(HttpRequest.newBuilder(URI.create(base))
                .POST(HttpRequest.BodyPublishers.ofString(body("set-" + element, element, null, true))));
        if (r.statusCode() / 100 != 2) {
            throw error(r);
        }
    }

    @Override
    public List<Long> readSet() throws OpException {
        HttpResponse<String> r = send(HttpRequest.newBuilder(URI.create(base + "?labelSelector=chaos%3Dset")).GET());
        if (r.statusCode() != 200) {
            throw error(r);
        }
        try {
            List<Long> out = new ArrayList<>();
            for (JsonNode item : JSON.readTree(r.body()).path("items")) {
                out.add(Long.parseLong(item.path("data").path("value").asText()));
            }
            return out;
        } catch (IOException | NumberFormatException e) {
            throw OpException.definite("bad body: " + e);
        }
    }

    @Override
    public void close() {
        // java.net.http.HttpClient of Java 17 has no close(); its connections go with it when unreferenced.
    }
}
