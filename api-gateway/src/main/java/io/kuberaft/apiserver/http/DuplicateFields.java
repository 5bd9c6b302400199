package io.kuberaft.apiserver.http;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;

import java.io.IOException;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * The fields a JSON or YAML body names twice in one object ({@code duplicate field "metadata.name"}, as upstream's
 * strict decoding reports them). A tree parser keeps the last value silently, so this is a separate streaming pass
 * over the bytes; it runs only on bodies that already parsed.
 */
final class DuplicateFields {
    private DuplicateFields() {
    }

    /** One frame per open object or array: its path, and the keys seen (objects) or the next index (arrays). */
    private static final class Frame {
        final String path;
        final Set<String> keys;
        int index;
        String pendingKey;

        Frame(String path, boolean object) {
            this.path = path;
            this.keys = object ? new HashSet<>() : null;
        }

        /** The path of the value that comes next in this container. */
        String child() {
            if (keys == null) {
                return path + "[" + index++ + "]";
            }
            return path.isEmpty() ? pendingKey : path + "." + pendingKey;
        }
    }

    static List<String> find(JsonFactory factory, byte[] body) {
        List<String> out = new ArrayList<>();
        Deque<Frame> stack = new ArrayDeque<>();
        try (JsonParser p = factory.createParser(body)) {
            JsonToken t;
            while ((t = p.nextToken()) != null) {
                Frame top = stack.peek();
                switch (t) {
                    case FIELD_NAME -> {
                        String k = p.currentName();
                        top.pendingKey = k;
                        if (!top.keys.add(k)) {
                            out.add("duplicate field \"" + top.child() + "\"");
                        }
                    }
                    case START_OBJECT, START_ARRAY -> stack.push(new Frame(top == null ? "" : top.child(), t == JsonToken.START_OBJECT));
                    case END_OBJECT, END_ARRAY -> stack.pop();
                    default -> {
                        if (top != null && top.keys == null) {
                            top.index++;
                        }
                    }
                }
            }
        } catch (IOException | RuntimeException e) {
            // the body parsed before; anything odd here only means no duplicates are reported
        }
        return out;
    }
}
