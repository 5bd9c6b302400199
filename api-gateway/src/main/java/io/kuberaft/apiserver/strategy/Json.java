package io.kuberaft.apiserver.strategy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

/** Small helpers over Jackson trees, for code that fills in defaults. */
public final class Json {
    private Json() {
    }

    /** The object at {@code field}, created when absent or not an object. */
    public static ObjectNode obj(ObjectNode parent, String field) {
        JsonNode n = parent.get(field);
        if (n instanceof ObjectNode o) {
            return o;
        }
        return parent.putObject(field);
    }

    /** The array at {@code field}, created when absent or not an array. */
    public static ArrayNode arr(ObjectNode parent, String field) {
        JsonNode n = parent.get(field);
        if (n instanceof ArrayNode a) {
            return a;
        }
        return parent.putArray(field);
    }

    /** True when the field is absent, null, or an empty string. */
    public static boolean blank(JsonNode parent, String field) {
        JsonNode n = parent.get(field);
        return n == null || n.isNull() || (n.isTextual() && n.asText().isEmpty());
    }

    public static void defaultText(ObjectNode parent, String field, String value) {
        if (blank(parent, field)) {
            parent.put(field, value);
        }
    }

    public static void defaultInt(ObjectNode parent, String field, long value) {
        if (blank(parent, field)) {
            putNumber(parent, field, value);
        }
    }

    /** An int node when the value fits (what decoding stored JSON gives), so trees compare equal. */
    public static ObjectNode putNumber(ObjectNode parent, String field, long value) {
        if (value >= Integer.MIN_VALUE && value <= Integer.MAX_VALUE) {
            return parent.put(field, (int) value);
        }
        return parent.put(field, value);
    }

    private static final java.util.Comparator<JsonNode> NUMERIC = (a, b) -> {
        if (a.equals(b)) {
            return 0;
        }
        if (a.isNumber() && b.isNumber()) {
            return a.decimalValue().compareTo(b.decimalValue());
        }
        return 1;
    };

    /** Equality of JSON trees where numbers compare by value (an IntNode 30 equals a LongNode 30). */
    public static boolean same(JsonNode a, JsonNode b) {
        if (a == null || b == null) {
            return a == b;
        }
        return a.equals(NUMERIC, b);
    }

    public static void defaultBool(ObjectNode parent, String field, boolean value) {
        if (blank(parent, field)) {
            parent.put(field, value);
        }
    }

    /** Each element of an array field that is an object. */
    public static Iterable<ObjectNode> objects(JsonNode parent, String field) {
        JsonNode a = parent.path(field);
        java.util.List<ObjectNode> out = new java.util.ArrayList<>();
        if (a.isArray()) {
            a.forEach(x -> {
                if (x instanceof ObjectNode o) {
                    out.add(o);
                }
            });
        }
        return out;
    }

    public static String text(JsonNode parent, String field) {
        JsonNode n = parent.path(field);
        return n.isValueNode() ? n.asText() : "";
    }
}
