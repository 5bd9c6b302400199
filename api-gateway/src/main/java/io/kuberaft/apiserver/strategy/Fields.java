package io.kuberaft.apiserver.strategy;

import com.fasterxml.jackson.databind.JsonNode;
import io.kuberaft.apiserver.registry.Validation;
import io.kuberaft.kubeapi.StatusException.Cause;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Pattern;

/**
 * Upstream's field errors ({@code k8s.io/apimachinery/pkg/util/validation/field}): the cause reason, the
 * message body ({@code Invalid value: "x": detail}) and Go's rendering of the bad value, plus the common
 * checks (ports, names, labels, selectors) with upstream's messages.
 */
public final class Fields {
    private Fields() {
    }

    public static final String PORT_RANGE = "must be between 1 and 65535, inclusive";
    public static final String NON_NEGATIVE = "must be greater than or equal to 0";
    public static final String IMMUTABLE = "field is immutable";
    private static final Pattern QUALIFIED_NAME = Pattern.compile("([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]");
    private static final Pattern LABEL_VALUE = Pattern.compile("(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?");
    private static final Pattern CONFIG_KEY = Pattern.compile("[-._a-zA-Z0-9]+");
    private static final Pattern C_IDENTIFIER = Pattern.compile("[A-Za-z_][A-Za-z0-9_]*");

    public static Cause required(String field) {
        return new Cause("FieldValueRequired", "Required value", field);
    }

    public static Cause required(String field, String detail) {
        return new Cause("FieldValueRequired", "Required value: " + detail, field);
    }

    /** {@code value} is rendered as Go's %v/%q would ({@link #go}). */
    public static Cause invalid(String field, Object value, String detail) {
        return new Cause("FieldValueInvalid", "Invalid value: " + go(value) + (detail.isEmpty() ? "" : ": " + detail), field);
    }

    /** A value already rendered (Go structs: {@code v1.LabelSelector{...}}). */
    public static Cause invalidRendered(String field, String rendered, String detail) {
        return new Cause("FieldValueInvalid", "Invalid value: " + rendered + ": " + detail, field);
    }

    public static Cause notSupported(String field, Object value, List<String> supported) {
        List<String> quoted = new ArrayList<>();
        supported.forEach(v -> quoted.add(quote(v)));
        return new Cause("FieldValueNotSupported", "Unsupported value: " + go(value)
                + (supported.isEmpty() ? "" : ": supported values: " + String.join(", ", quoted)), field);
    }

    public static Cause duplicate(String field, Object value) {
        return new Cause("FieldValueDuplicate", "Duplicate value: " + go(value), field);
    }

    public static Cause duplicateRendered(String field, String rendered) {
        return new Cause("FieldValueDuplicate", "Duplicate value: " + rendered, field);
    }

    public static Cause forbidden(String field, String detail) {
        return new Cause("FieldValueForbidden", "Forbidden: " + detail, field);
    }

    public static Cause notFound(String field, Object value) {
        return new Cause("FieldValueNotFound", "Not found: " + go(value), field);
    }

    public static Cause tooLong(String field, int max) {
        return new Cause("FieldValueTooLong", "Too long: may not be more than " + max + " bytes", field);
    }

    /** Go's rendering of a bad value: strings quoted, numbers and booleans plain, JSON text as its value. */
    public static String go(Object v) {
        if (v == null) {
            return "null";
        }
        if (v instanceof JsonNode n) {
            if (n.isTextual()) {
                return quote(n.asText());
            }
            if (n.isNumber() || n.isBoolean()) {
                return n.asText();
            }
            if (n.isNull() || n.isMissingNode()) {
                return "null";
            }
            return n.toString();
        }
        if (v instanceof String s) {
            return quote(s);
        }
        return String.valueOf(v);
    }

    /** Go's %q for ordinary strings. */
    public static String quote(String s) {
        return io.kuberaft.kubeapi.GoQuote.of(s);
    }

    /** Go's %#v of a map[string]string (keys sorted). */
    public static String goStringMap(JsonNode map) {
        TreeMap<String, String> sorted = new TreeMap<>();
        map.fields().forEachRemaining(e -> sorted.put(e.getKey(), e.getValue().asText()));
        if (map.isMissingNode() || map.isNull()) {
            return "map[string]string(nil)";
        }
        StringBuilder b = new StringBuilder("map[string]string{");
        boolean first = true;
        for (Map.Entry<String, String> e : sorted.entrySet()) {
            b.append(first ? "" : ", ").append(quote(e.getKey())).append(':').append(quote(e.getValue()));
            first = false;
        }
        return b.append('}').toString();
    }

    /** Go's %#v of a []string. */
    public static String goStringSlice(JsonNode arr) {
        if (arr == null || arr.isMissingNode() || arr.isNull()) {
            return "[]string(nil)";
        }
        List<String> parts = new ArrayList<>();
        arr.forEach(x -> parts.add(quote(x.asText())));
        return "[]string{" + String.join(", ", parts) + "}";
    }

    /** Go's %#v of a metav1.LabelSelector. */
    public static String goLabelSelector(JsonNode sel) {
        StringBuilder b = new StringBuilder("v1.LabelSelector{MatchLabels:").append(goStringMap(sel.path("matchLabels")))
                .append(", MatchExpressions:");
        JsonNode exprs = sel.path("matchExpressions");
        if (!exprs.isArray() || exprs.isEmpty()) {
            b.append("[]v1.LabelSelectorRequirement(nil)");
        } else {
            List<String> parts = new ArrayList<>();
            exprs.forEach(e -> parts.add("v1.LabelSelectorRequirement{Key:" + quote(e.path("key").asText()) + ", Operator:"
                    + quote(e.path("operator").asText()) + ", Values:" + goStringSlice(e.path("values")) + "}"));
            b.append("[]v1.LabelSelectorRequirement{").append(String.join(", ", parts)).append('}');
        }
        return b.append('}').toString();
    }

    public static String index(String path, int i) {
        return path + "[" + i + "]";
    }

    public static String key(String path, String key) {
        return path + "[" + key + "]";
    }

    // ---- common checks ----

    public static List<Cause> dns1123Label(String field, String v) {
        return Validation.dns1123Label(field, v);
    }

    public static List<Cause> dns1123Subdomain(String field, String v) {
        return Validation.dns1123Subdomain(field, v);
    }

    /** A TCP/UDP port number. */
    public static void portNumber(List<Cause> out, String field, JsonNode port) {
        if (!port.canConvertToInt() || port.asInt() < 1 || port.asInt() > 65535) {
            out.add(invalid(field, port, PORT_RANGE));
        }
    }

    /** IANA_SVC_NAME, with upstream's messages. */
    public static List<Cause> portName(String field, String name) {
        List<Cause> out = new ArrayList<>();
        if (name.length() > 15) {
            out.add(invalid(field, name, "must be no more than 15 characters"));
        }
        if (!name.matches("[-a-z0-9]+")) {
            out.add(invalid(field, name, "must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)"));
        }
        if (!name.matches(".*[a-z].*")) {
            out.add(invalid(field, name, "must contain at least one letter (a-z)"));
        }
        if (name.contains("--")) {
            out.add(invalid(field, name, "must not contain consecutive hyphens"));
        }
        if (name.startsWith("-") || name.endsWith("-")) {
            out.add(invalid(field, name, "must not begin or end with a hyphen"));
        }
        return out;
    }

    /** A port given as a number or an IANA name (targetPort, probes). */
    public static void portNumOrName(List<Cause> out, String field, JsonNode v) {
        if (v.isNumber()) {
            portNumber(out, field, v);
        } else if (v.isTextual()) {
            if (v.asText().isEmpty()) {
                out.add(required(field));
            } else {
                out.addAll(portName(field, v.asText()));
            }
        }
    }

    public static void nonNegative(List<Cause> out, String field, JsonNode v) {
        if (v.isNumber() && v.asLong() < 0) {
            out.add(invalid(field, v, NON_NEGATIVE));
        }
    }

    /** Label and annotation keys ({@code prefix/name}). */
    public static List<Cause> qualifiedName(String field, String key) {
        List<Cause> out = new ArrayList<>();
        String name = key;
        int slash = key.indexOf('/');
        if (slash >= 0) {
            String prefix = key.substring(0, slash);
            name = key.substring(slash + 1);
            if (prefix.isEmpty()) {
                out.add(invalid(field, key, "prefix part must be non-empty"));
            } else if (!dns1123Subdomain(field, prefix).isEmpty()) {
                out.add(invalid(field, key, "prefix part a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, "
                        + "'-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for "
                        + "validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')"));
            }
        }
        if (name.isEmpty()) {
            out.add(invalid(field, key, "name part must be non-empty"));
        } else if (name.length() > 63) {
            out.add(invalid(field, key, "name part must be no more than 63 bytes"));
        } else if (!QUALIFIED_NAME.matcher(name).matches()) {
            out.add(invalid(field, key, "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end "
                    + "with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is "
                    + "'([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')"));
        }
        return out;
    }

    public static List<Cause> labelValue(String field, String v) {
        List<Cause> out = new ArrayList<>();
        if (v.length() > 63) {
            out.add(invalid(field, v, "must be no more than 63 bytes"));
        }
        if (!LABEL_VALUE.matcher(v).matches()) {
            out.add(invalid(field, v, "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', "
                    + "and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex "
                    + "used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')"));
        }
        return out;
    }

    /** A map of labels (template labels, nodeSelector, service selector). */
    public static void labels(List<Cause> out, String field, JsonNode labels) {
        Iterator<Map.Entry<String, JsonNode>> it = labels.fields();
        while (it.hasNext()) {
            Map.Entry<String, JsonNode> e = it.next();
            out.addAll(qualifiedName(field, e.getKey()));
            out.addAll(labelValue(field, e.getValue().asText()));
        }
    }

    /** ConfigMap and Secret keys. */
    public static List<Cause> configKey(String field, String key) {
        List<Cause> out = new ArrayList<>();
        if (key.length() > 253) {
            out.add(invalid(field, key, "must be no more than 253 characters"));
        }
        if (!CONFIG_KEY.matcher(key).matches()) {
            out.add(invalid(field, key, "a valid config key must consist of alphanumeric characters, '-', '_' or '.' (e.g. 'key.name',  "
                    + "or 'KEY_NAME',  or 'key-name', regex used for validation is '[-._a-zA-Z0-9]+')"));
        }
        if (key.equals(".") || key.equals("..") || key.startsWith("..")) {
            out.add(invalid(field, key, key.startsWith("..") && key.length() > 2 ? "must not start with '..'" : "must not be '" + key + "'"));
        }
        return out;
    }

    public static boolean isCIdentifier(String s) {
        return C_IDENTIFIER.matcher(s).matches();
    }

    /** A metav1.LabelSelector (matchLabels, matchExpressions). */
    public static void labelSelector(List<Cause> out, String field, JsonNode sel) {
        labels(out, field + ".matchLabels", sel.path("matchLabels"));
        JsonNode exprs = sel.path("matchExpressions");
        for (int i = 0; i < exprs.size(); i++) {
            JsonNode e = exprs.path(i);
            String p = index(field + ".matchExpressions", i);
            String op = e.path("operator").asText("");
            int values = e.path("values").size();
            switch (op) {
                case "In", "NotIn" -> {
                    if (values == 0) {
                        out.add(required(p + ".values", "must be specified when `operator` is 'In' or 'NotIn'"));
                    }
                }
                case "Exists", "DoesNotExist" -> {
                    if (values > 0) {
                        out.add(forbidden(p + ".values", "may not be specified when `operator` is 'Exists' or 'DoesNotExist'"));
                    }
                }
                default -> out.add(invalid(p + ".operator", op, "not a valid selector operator"));
            }
            out.addAll(qualifiedName(p + ".key", e.path("key").asText("")));
        }
    }

    /** Whether a metav1.LabelSelector selects nothing at all (no labels, no expressions). */
    public static boolean emptySelector(JsonNode sel) {
        return sel.path("matchLabels").size() == 0 && sel.path("matchExpressions").size() == 0;
    }
}
