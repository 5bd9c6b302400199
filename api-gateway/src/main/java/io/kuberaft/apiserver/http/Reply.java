package io.kuberaft.apiserver.http;

import com.fasterxml.jackson.databind.JsonNode;

/** A complete (non-streaming) response: status code, body and content type. */
public record Reply(int code, JsonNode body, String contentType, String warning) {
    public static Reply ok(JsonNode body) {
        return new Reply(200, body, MediaTypes.JSON, null);
    }

    public static Reply created(JsonNode body) {
        return new Reply(201, body, MediaTypes.JSON, null);
    }

    public Reply withWarning(String w) {
        return new Reply(code, body, contentType, w);
    }
}
