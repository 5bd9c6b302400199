package io.kuberaft.apiserver.registry;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.LinkedHashMap;
import java.util.Map;

/** Helpers over objects held as JSON trees (the server is generic: one code path for every kind). */
public final class Objects {
    public static final ObjectMapper JSON = new ObjectMapper();

    private Objects() {
    }

    public static ObjectNode meta(ObjectNode obj) {
        JsonNode m = obj.get("metadata");
        if (m instanceof ObjectNode o) {
            return o;
        }
        return obj.putObject("metadata");
    }

    public static String name(JsonNode obj) {
        return obj.path("metadata").path("name").asText("");
    }

    public static String namespace(JsonNode obj) {
        return obj.path("metadata").path("namespace").asText("");
    }

    public static Map<String, String> labels(JsonNode obj) {
        Map<String, String> out = new LinkedHashMap<>();
        obj.path("metadata").path("labels").fields().forEachRemaining(e -> out.put(e.getKey(), e.getValue().asText()));
        return out;
    }

    /** RFC 3339 with second precision, as metav1.Time serializes. */
    public static String now() {
        return Instant.now().truncatedTo(ChronoUnit.SECONDS).toString();
    }

    public static long resourceVersion(JsonNode obj) {
        String rv = obj.path("metadata").path("resourceVersion").asText("");
        if (rv.isEmpty()) {
            return 0;
        }
        try {
            return Long.parseLong(rv);
        } catch (NumberFormatException e) {
            throw io.kuberaft.kubeapi.StatusException.badRequest("invalid resourceVersion \"" + rv + "\"");
        }
    }

    /** JSON equality by value: a patched 2 (a long) equals a stored 2 (an int), as Go's decoding makes them. */
    public static boolean sameJson(com.fasterxml.jackson.databind.JsonNode a, com.fasterxml.jackson.databind.JsonNode b) {
        return a.equals((x, y) -> {
            if (x.isNumber() && y.isNumber()) {
                return x.decimalValue().compareTo(y.decimalValue());
            }
            return x.equals(y) ? 0 : 1;
        }, b);
    }
}
