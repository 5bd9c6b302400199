package io.kuberaft.nodeagent.runtime;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.util.Optional;

/**
 * A terminal's size in columns and rows, as kubectl sends it on the resize channel (4) of an exec or attach stream:
 * {@code {"Width":120,"Height":40}} (client-go's remotecommand.TerminalSize), once when the stream opens and again
 * whenever the user's window changes size.
 */
public record TerminalSize(int columns, int rows) {
    /** A terminal's size when the client sends none. */
    public static final TerminalSize DEFAULT = new TerminalSize(80, 24);
    private static final ObjectMapper JSON = new ObjectMapper();

    /** The size in a resize message's payload; empty when it is not one. */
    public static Optional<TerminalSize> parse(byte[] json) {
        try {
            JsonNode n = JSON.readTree(json);
            int w = n == null ? 0 : n.path("Width").asInt(0);
            int h = n == null ? 0 : n.path("Height").asInt(0);
            return w > 0 && h > 0 && w <= 0xFFFF && h <= 0xFFFF ? Optional.of(new TerminalSize(w, h)) : Optional.empty();
        } catch (IOException e) {
            return Optional.empty();
        }
    }
}
