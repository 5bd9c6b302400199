package io.kuberaft.apiserver.crd;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.util.Iterator;
import java.util.Map;

/**
 * Structural-schema defaulting as upstream applies it to custom resources on every write: a property with a
 * {@code default} that the object lacks (or holds as null where the schema is not nullable) gets a copy of the
 * default, at every depth the object reaches (properties, items, additionalProperties).
 */
final class SchemaDefaults {
    private SchemaDefaults() {
    }

    static void apply(ObjectNode obj, JsonNode schema) {
        if (schema != null) {
            object(obj, schema, true);
        }
    }

    private static void value(JsonNode v, JsonNode s) {
        if (v instanceof ObjectNode o) {
            object(o, s, false);
        } else if (v instanceof ArrayNode a && s.path("items").isObject()) {
            a.forEach(item -> value(item, s.get("items")));
        }
    }

    private static void object(ObjectNode o, JsonNode s, boolean root) {
        JsonNode props = s.path("properties");
        for (Iterator<Map.Entry<String, JsonNode>> it = props.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> p = it.next();
            if (root && p.getKey().equals("metadata")) {
                continue;
            }
            JsonNode d = p.getValue().get("default");
            JsonNode cur = o.get(p.getKey());
            if (d != null && (cur == null || (cur.isNull() && !p.getValue().path("nullable").asBoolean(false)))) {
                o.set(p.getKey(), d.deepCopy());
            }
        }
        JsonNode additional = s.get("additionalProperties");
        for (Iterator<Map.Entry<String, JsonNode>> it = o.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            JsonNode child = props.get(e.getKey());
            if (child == null && additional != null && additional.isObject()) {
                child = additional;
            }
            if (child != null && !(root && e.getKey().equals("metadata"))) {
                value(e.getValue(), child);
            }
        }
    }
}
