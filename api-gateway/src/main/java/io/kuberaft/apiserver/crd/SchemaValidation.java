package io.kuberaft.apiserver.crd;

import com.fasterxml.jackson.databind.JsonNode;
import io.kuberaft.kubeapi.StatusException.Cause;

import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * OpenAPI v3 validation of a custom resource against its CRD's structural schema, with upstream's field errors
 * (apiextensions-apiserver's conversion of kube-openapi's errors): {@code spec.replicas: Invalid value: 15:
 * spec.replicas in body should be less than or equal to 10}. Covers type, nullable, required, enum, minimum/maximum
 * (exclusive too), multipleOf, minLength/maxLength, pattern, minItems/maxItems, uniqueItems,
 * minProperties/maxProperties, x-kubernetes-int-or-string and x-kubernetes-preserve-unknown-fields. metadata is the
 * generic registry's to validate, as upstream.
 */
final class SchemaValidation {
    private SchemaValidation() {
    }

    static List<Cause> validate(JsonNode obj, JsonNode schema) {
        List<Cause> out = new ArrayList<>();
        if (schema == null) {
            return out;
        }
        JsonNode props = schema.path("properties");
        for (Iterator<Map.Entry<String, JsonNode>> it = obj.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            if (e.getKey().equals("metadata") || e.getKey().equals("apiVersion") || e.getKey().equals("kind")) {
                continue;
            }
            JsonNode s = props.get(e.getKey());
            if (s != null) {
                value(e.getValue(), s, e.getKey(), out);
            }
        }
        required(obj, schema, "", out);
        return out;
    }

    private static void value(JsonNode v, JsonNode s, String path, List<Cause> out) {
        if (v.isNull()) {
            if (!s.path("nullable").asBoolean(false) && s.has("type")) {
                out.add(typeError(path, v, s.get("type").asText()));
            }
            return;
        }
        String type = s.path("type").asText("");
        if (s.path("x-kubernetes-int-or-string").asBoolean(false)) {
            if (!v.isTextual() && !v.isIntegralNumber()) {
                out.add(typeError(path, v, "integer,string"));
                return;
            }
        } else if (!type.isEmpty() && !hasType(v, type)) {
            out.add(typeError(path, v, type));
            return;
        }
        enumCheck(v, s, path, out);
        if (v.isNumber()) {
            number(v, s, path, out);
        } else if (v.isTextual()) {
            string(v.asText(), s, path, out);
        } else if (v.isArray()) {
            array(v, s, path, out);
        } else if (v.isObject()) {
            object(v, s, path, out);
        }
    }

    private static void object(JsonNode v, JsonNode s, String path, List<Cause> out) {
        JsonNode props = s.path("properties");
        JsonNode additional = s.get("additionalProperties");
        for (Iterator<Map.Entry<String, JsonNode>> it = v.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            String p = path + "." + e.getKey();
            JsonNode child = props.get(e.getKey());
            if (child != null) {
                value(e.getValue(), child, p, out);
            } else if (additional != null && additional.isObject()) {
                value(e.getValue(), additional, p, out);
            }
        }
        required(v, s, path, out);
        if (s.has("maxProperties") && v.size() > s.get("maxProperties").asLong()) {
            out.add(new Cause("FieldValueTooMany", "Too many: " + v.size() + ": must have at most " + s.get("maxProperties").asLong()
                    + " items", path));
        }
        if (s.has("minProperties") && v.size() < s.get("minProperties").asLong()) {
            out.add(invalid(path, v, path + " in body should have at least " + s.get("minProperties").asLong() + " properties"));
        }
    }

    private static void required(JsonNode v, JsonNode s, String path, List<Cause> out) {
        for (JsonNode r : s.path("required")) {
            if (!v.has(r.asText())) {
                out.add(new Cause("FieldValueRequired", "Required value", path.isEmpty() ? r.asText() : path + "." + r.asText()));
            }
        }
    }

    private static void array(JsonNode v, JsonNode s, String path, List<Cause> out) {
        JsonNode items = s.get("items");
        if (items != null && items.isObject()) {
            for (int i = 0; i < v.size(); i++) {
                value(v.get(i), items, path + "[" + i + "]", out);
            }
        }
        if (s.has("maxItems") && v.size() > s.get("maxItems").asLong()) {
            out.add(new Cause("FieldValueTooMany", "Too many: " + v.size() + ": must have at most " + s.get("maxItems").asLong()
                    + " items", path));
        }
        if (s.has("minItems") && v.size() < s.get("minItems").asLong()) {
            out.add(invalid(path, v, path + " in body should have at least " + s.get("minItems").asLong() + " items"));
        }
        if (s.path("uniqueItems").asBoolean(false)) {
            Set<JsonNode> seen = new HashSet<>();
            for (int i = 0; i < v.size(); i++) {
                if (!seen.add(v.get(i))) {
                    out.add(new Cause("FieldValueDuplicate", "Duplicate value: " + render(v.get(i)), path + "[" + i + "]"));
                }
            }
        }
    }

    private static void string(String v, JsonNode s, String path, List<Cause> out) {
        int length = v.codePointCount(0, v.length());
        if (s.has("maxLength") && length > s.get("maxLength").asLong()) {
            out.add(new Cause("FieldValueTooLong", "Too long: may not be more than " + s.get("maxLength").asLong() + " bytes", path));
        }
        if (s.has("minLength") && length < s.get("minLength").asLong()) {
            out.add(invalid(path, com.fasterxml.jackson.databind.node.TextNode.valueOf(v),
                    path + " in body should be at least " + s.get("minLength").asLong() + " chars long"));
        }
        if (s.has("pattern")) {
            String pattern = s.get("pattern").asText();
            try {
                if (!Pattern.compile(pattern).matcher(v).find()) {
                    out.add(invalid(path, com.fasterxml.jackson.databind.node.TextNode.valueOf(v),
                            path + " in body should match '" + pattern + "'"));
                }
            } catch (PatternSyntaxException e) {
                // the CRD's validation refuses such patterns; nothing to check against
            }
        }
    }

    private static void number(JsonNode v, JsonNode s, String path, List<Cause> out) {
        BigDecimal n = v.decimalValue();
        boolean exclMax = s.path("exclusiveMaximum").asBoolean(false);
        boolean exclMin = s.path("exclusiveMinimum").asBoolean(false);
        if (s.has("maximum")) {
            int c = n.compareTo(s.get("maximum").decimalValue());
            if (c > 0 || (exclMax && c == 0)) {
                out.add(invalid(path, v, path + " in body should be less than " + (exclMax ? "" : "or equal to ") + render(s.get("maximum"))));
            }
        }
        if (s.has("minimum")) {
            int c = n.compareTo(s.get("minimum").decimalValue());
            if (c < 0 || (exclMin && c == 0)) {
                out.add(invalid(path, v, path + " in body should be greater than " + (exclMin ? "" : "or equal to ") + render(s.get("minimum"))));
            }
        }
        if (s.has("multipleOf") && s.get("multipleOf").decimalValue().signum() != 0
                && n.remainder(s.get("multipleOf").decimalValue()).signum() != 0) {
            out.add(invalid(path, v, path + " in body should be a multiple of " + render(s.get("multipleOf"))));
        }
    }

    private static void enumCheck(JsonNode v, JsonNode s, String path, List<Cause> out) {
        JsonNode e = s.get("enum");
        if (e == null || !e.isArray()) {
            return;
        }
        for (JsonNode allowed : e) {
            if (allowed.equals(v) || (allowed.isNumber() && v.isNumber() && allowed.decimalValue().compareTo(v.decimalValue()) == 0)) {
                return;
            }
        }
        List<String> values = new ArrayList<>();
        e.forEach(a -> values.add(render(a)));
        out.add(new Cause("FieldValueNotSupported", "Unsupported value: " + render(v) + ": supported values: "
                + String.join(", ", values), path));
    }

    private static boolean hasType(JsonNode v, String type) {
        return switch (type) {
            case "object" -> v.isObject();
            case "array" -> v.isArray();
            case "string" -> v.isTextual();
            case "integer" -> v.isIntegralNumber() || (v.isNumber() && v.decimalValue().stripTrailingZeros().scale() <= 0);
            case "number" -> v.isNumber();
            case "boolean" -> v.isBoolean();
            default -> true;
        };
    }

    /** {@code spec.replicas: Invalid value: "string": spec.replicas in body must be of type integer: "string"}. */
    private static Cause typeError(String path, JsonNode v, String type) {
        String actual = jsonType(v);
        return new Cause("FieldValueTypeInvalid", "Invalid value: \"" + actual + "\": " + path + " in body must be of type "
                + type + ": \"" + actual + "\"", path);
    }

    private static Cause invalid(String path, JsonNode v, String detail) {
        return new Cause("FieldValueInvalid", "Invalid value: " + render(v) + ": " + detail, path);
    }

    private static String jsonType(JsonNode v) {
        if (v.isNull()) {
            return "null";
        } else if (v.isTextual()) {
            return "string";
        } else if (v.isIntegralNumber()) {
            return "integer";
        } else if (v.isNumber()) {
            return "number";
        } else if (v.isBoolean()) {
            return "boolean";
        } else if (v.isArray()) {
            return "array";
        }
        return "object";
    }

    /** A value as upstream's field errors print it: strings quoted, numbers and booleans bare. */
    static String render(JsonNode v) {
        if (v.isTextual()) {
            return "\"" + v.asText().replace("\\", "\\\\").replace("\"", "\\\"") + "\"";
        }
        if (v.isNumber()) {
            return v.isIntegralNumber() ? v.bigIntegerValue().toString() : v.decimalValue().stripTrailingZeros().toPlainString();
        }
        return v.toString();
    }
}
