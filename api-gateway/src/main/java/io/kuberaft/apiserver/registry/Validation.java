package io.kuberaft.apiserver.registry;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.kuberaft.kubeapi.StatusException.Cause;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/** Upstream's apimachinery validation of names, labels and annotations, with its messages. */
public final class Validation {
    private static final Pattern DNS1123_LABEL = Pattern.compile("[a-z0-9]([-a-z0-9]*[a-z0-9])?");
    private static final Pattern DNS1123_SUBDOMAIN = Pattern.compile("[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*");
    private static final Pattern QUALIFIED_NAME = Pattern.compile("([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]");
    private static final Pattern LABEL_VALUE = Pattern.compile("(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?");
    private static final long TOTAL_ANNOTATION_BYTES = 256 * 1024;

    private Validation() {
    }

    public static List<Cause> objectMeta(ResourceDefinition def, ObjectNode obj) {
        List<Cause> out = new ArrayList<>();
        JsonNode meta = obj.path("metadata");
        String name = meta.path("name").asText("");
        if (def.strategy() instanceof NameIsPathSegment) {
            out.addAll(pathSegment("metadata.name", name));
        } else {
            boolean label = def.strategy() instanceof NameIsDns1123Label;
            out.addAll(label ? dns1123Label("metadata.name", name) : dns1123Subdomain("metadata.name", name));
        }
        Iterator<Map.Entry<String, JsonNode>> labels = meta.path("labels").fields();
        while (labels.hasNext()) {
            Map.Entry<String, JsonNode> e = labels.next();
            out.addAll(qualifiedName("metadata.labels", e.getKey()));
            String v = e.getValue().isNull() ? "" : e.getValue().asText();
            if (!e.getValue().isTextual() && !e.getValue().isNull()) {
                out.add(new Cause("FieldValueInvalid", "Invalid value: label values must be strings", "metadata.labels"));
            } else if (v.length() > 63 || !LABEL_VALUE.matcher(v).matches()) {
                out.add(new Cause("FieldValueInvalid", "Invalid value: \"" + v + "\": a valid label must be an empty string or consist of "
                        + "alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character "
                        + "(e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')",
                        "metadata.labels"));
            }
        }
        long annotationBytes = 0;
        Iterator<Map.Entry<String, JsonNode>> ann = meta.path("annotations").fields();
        while (ann.hasNext()) {
            Map.Entry<String, JsonNode> e = ann.next();
            out.addAll(qualifiedName("metadata.annotations", e.getKey()));
            annotationBytes += e.getKey().length() + e.getValue().asText("").getBytes(StandardCharsets.UTF_8).length;
        }
        if (annotationBytes > TOTAL_ANNOTATION_BYTES) {
            out.add(new Cause("FieldValueTooLong", "Too long: must have at most 262144 bytes", "metadata.annotations"));
        }
        return out;
    }

    /** Marker for kinds whose names only have to be a URL path segment (RBAC: {@code system:discovery}). */
    public interface NameIsPathSegment {
    }

    /** upstream's ValidatePathSegmentName. */
    public static List<Cause> pathSegment(String field, String v) {
        String why = v.equals(".") ? "may not be '.'" : v.equals("..") ? "may not be '..'" : v.contains("/") ? "may not contain '/'"
                : v.contains("%") ? "may not contain '%'" : null;
        return why == null ? List.of() : List.of(new Cause("FieldValueInvalid", "Invalid value: \"" + v + "\": " + why, field));
    }

    /** Marker for kinds whose names must be DNS-1123 labels (namespaces, services). */
    public interface NameIsDns1123Label {
    }

    public static List<Cause> dns1123Subdomain(String field, String v) {
        if (v.length() > 253 || !DNS1123_SUBDOMAIN.matcher(v).matches()) {
            return List.of(new Cause("FieldValueInvalid", "Invalid value: \"" + v + "\": a lowercase RFC 1123 subdomain must consist of lower case "
                    + "alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', "
                    + "regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')", field));
        }
        return List.of();
    }

    public static List<Cause> dns1123Label(String field, String v) {
        if (v.length() > 63 || !DNS1123_LABEL.matcher(v).matches()) {
            return List.of(new Cause("FieldValueInvalid", "Invalid value: \"" + v + "\": a lowercase RFC 1123 label must consist of lower case "
                    + "alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or "
                    + "'123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')", field));
        }
        return List.of();
    }

    /** Label and annotation keys: an optional DNS subdomain prefix and a 63-character name. */
    public static List<Cause> qualifiedName(String field, String key) {
        String prefix = null;
        String name = key;
        int slash = key.indexOf('/');
        if (slash >= 0) {
            prefix = key.substring(0, slash);
            name = key.substring(slash + 1);
        }
        List<Cause> out = new ArrayList<>();
        if (prefix != null && (prefix.isEmpty() || prefix.length() > 253 || !DNS1123_SUBDOMAIN.matcher(prefix).matches())) {
            out.add(new Cause("FieldValueInvalid", "Invalid value: \"" + key + "\": prefix part a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character", field));
        }
        if (name.isEmpty() || name.length() > 63 || !QUALIFIED_NAME.matcher(name).matches()) {
            out.add(new Cause("FieldValueInvalid", "Invalid value: \"" + key + "\": name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')", field));
        }
        return out;
    }
}
