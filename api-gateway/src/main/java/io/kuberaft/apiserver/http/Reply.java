package io.kuberaft.apiserver.http;

import com.fasterxml.jackson.databind.JsonNode;

import java.util.ArrayList;
import java.util.List;

/** A complete (non-streaming) response: status code, body, content type and the {@code Warning} headers to send. */
public record Reply(int code, JsonNode body, String contentType, List<String> warnings) {
    public Reply {
        warnings = warnings == null ? List.of() : List.copyOf(warnings);
    }

    public static Reply ok(JsonNode body) {
        return new Reply(200, body, MediaTypes.JSON, null);
    }

    public static Reply created(JsonNode body) {
        return new Reply(201, body, MediaTypes.JSON, null);
    }

    public Reply withWarnings(List<String> more) {
        if (more.isEmpty()) {
            return this;
        }
        List<String> all = new ArrayList<>(warnings);
        all.addAll(more);
        return new Reply(code, body, contentType, all);
    }
}
