package io.kuberaft.apiserver.crd;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.kuberaft.apiserver.registry.Objects;
import io.kuberaft.apiserver.registry.ResourceDefinition;
import io.kuberaft.apiserver.registry.ResourceStrategy;
import io.kuberaft.apiserver.strategy.Fields;
import io.kuberaft.kubeapi.StatusException.Cause;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * apiextensions.k8s.io/v1 CustomResourceDefinition: upstream's defaults (singular, listKind, conversion None) and
 * validation (name = plural.group, group with a dot, names as DNS labels, scope, versions with exactly one storage
 * version, a structural schema per version, immutable group and scope), and the status upstream's controllers would
 * write at once: acceptedNames, storedVersions, and the conditions NamesAccepted and Established True (a
 * replica serves the resource as soon as it sees the stored CRD).
 */
public final class CustomResourceDefinitionStrategy implements ResourceStrategy {
    @Override
    public Generation generation() {
        return Generation.SPEC;
    }

    private static final Pattern DNS_LABEL = Pattern.compile("[a-z0-9]([-a-z0-9]*[a-z0-9])?");

    @Override
    public void prepareForCreate(ResourceDefinition def, ObjectNode obj) {
        defaults(obj);
        obj.remove("status");
        status(obj, null);
    }

    @Override
    public void prepareForUpdate(ResourceDefinition def, ObjectNode obj, ObjectNode old) {
        defaults(obj);
        status(obj, old);
    }

    private static void defaults(ObjectNode obj) {
        if (!(obj.get("spec") instanceof ObjectNode spec)) {
            return;
        }
        if (spec.get("names") instanceof ObjectNode names) {
            String kind = names.path("kind").asText("");
            if (names.path("singular").asText("").isEmpty() && !kind.isEmpty()) {
                names.put("singular", kind.toLowerCase(Locale.ROOT));
            }
            if (names.path("listKind").asText("").isEmpty() && !kind.isEmpty()) {
                names.put("listKind", kind + "List");
            }
        }
        if (!spec.has("conversion")) {
            spec.putObject("conversion").put("strategy", "None");
        }
    }

    /** acceptedNames, storedVersions and the two conditions, keeping the transition times of unchanged conditions. */
    private static void status(ObjectNode obj, ObjectNode old) {
        ObjectNode status = obj.with("status");
        JsonNode names = obj.path("spec").path("names");
        if (names.isObject()) {
            status.set("acceptedNames", names.deepCopy());
        }
        ArrayNode stored = status.putArray("storedVersions");
        Set<String> seen = new HashSet<>();
        if (old != null) {
            for (JsonNode v : old.path("status").path("storedVersions")) {
                if (seen.add(v.asText())) {
                    stored.add(v.asText());
                }
            }
        }
        for (JsonNode v : obj.path("spec").path("versions")) {
            if (v.path("storage").asBoolean(false) && seen.add(v.path("name").asText())) {
                stored.add(v.path("name").asText());
            }
        }
        JsonNode oldConditions = old == null ? null : old.path("status").path("conditions");
        ArrayNode conditions = status.putArray("conditions");
        conditions.add(condition(oldConditions, "NamesAccepted", "NoConflicts", "no conflicts found"));
        conditions.add(condition(oldConditions, "Established", "InitialNamesAccepted", "the initial names have been accepted"));
    }

    private static ObjectNode condition(JsonNode old, String type, String reason, String message) {
        String time = Objects.now();
        if (old != null) {
            for (JsonNode c : old) {
                if (c.path("type").asText().equals(type) && c.path("status").asText().equals("True")) {
                    time = c.path("lastTransitionTime").asText(time);
                }
            }
        }
        ObjectNode c = Objects.JSON.createObjectNode();
        c.put("type", type).put("status", "True").put("lastTransitionTime", time).put("reason", reason).put("message", message);
        return c;
    }

    @Override
    public List<Cause> validate(ResourceDefinition def, ObjectNode obj) {
        List<Cause> out = new ArrayList<>();
        JsonNode spec = obj.path("spec");
        String group = spec.path("group").asText("");
        JsonNode names = spec.path("names");
        String plural = names.path("plural").asText("");
        String name = Objects.name(obj);
        if (!plural.isEmpty() && !group.isEmpty() && !name.equals(plural + "." + group)) {
            out.add(Fields.invalid("metadata.name", name, "must be spec.names.plural+\".\"+spec.group"));
        }
        if (group.isEmpty()) {
            out.add(Fields.required("spec.group"));
        } else {
            out.addAll(Fields.dns1123Subdomain("spec.group", group));
            if (group.split("\\.").length < 2) {
                out.add(Fields.invalid("spec.group", group, "should be a domain with at least one dot"));
            }
        }
        String scope = spec.path("scope").asText("");
        if (scope.isEmpty()) {
            out.add(Fields.required("spec.scope"));
        } else if (!scope.equals("Namespaced") && !scope.equals("Cluster")) {
            out.add(Fields.notSupported("spec.scope", scope, List.of("Cluster", "Namespaced")));
        }
        names(names, out);
        versions(spec.path("versions"), out);
        String conversion = spec.path("conversion").path("strategy").asText("None");
        if (!conversion.equals("None")) {
            out.add(Fields.notSupported("spec.conversion.strategy", conversion, List.of("None")));
        }
        return out;
    }

    @Override
    public List<Cause> validateUpdate(ResourceDefinition def, ObjectNode obj, ObjectNode old) {
        List<Cause> out = new ArrayList<>(validate(def, obj));
        for (String f : List.of("group", "scope")) {
            JsonNode now = obj.path("spec").path(f);
            JsonNode before = old.path("spec").path(f);
            if (!now.equals(before)) {
                out.add(Fields.invalid("spec." + f, now.asText(), Fields.IMMUTABLE));
            }
        }
        if (!obj.path("spec").path("names").path("kind").equals(old.path("spec").path("names").path("kind"))) {
            out.add(Fields.invalid("status.acceptedNames.kind", obj.path("spec").path("names").path("kind").asText(),
                    "must not change once the resource is established"));
        }
        return out;
    }

    private static void names(JsonNode names, List<Cause> out) {
        String plural = names.path("plural").asText("");
        String kind = names.path("kind").asText("");
        if (plural.isEmpty()) {
            out.add(Fields.required("spec.names.plural"));
        } else if (!DNS_LABEL.matcher(plural).matches()) {
            out.add(Fields.invalid("spec.names.plural", plural, "a lowercase RFC 1123 label must consist of lower case alphanumeric "
                    + "characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', "
                    + "regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')"));
        }
        String singular = names.path("singular").asText("");
        if (!singular.isEmpty() && !DNS_LABEL.matcher(singular).matches()) {
            out.add(Fields.invalid("spec.names.singular", singular, "a lowercase RFC 1123 label must consist of lower case alphanumeric "
                    + "characters or '-', and must start and end with an alphanumeric character"));
        }
        if (kind.isEmpty()) {
            out.add(Fields.required("spec.names.kind"));
        } else if (!kind.matches("[A-Za-z][A-Za-z0-9]*")) {
            out.add(Fields.invalid("spec.names.kind", kind, "may have mixed case, but should otherwise match: [a-z]([-a-z0-9]*[a-z0-9])?"));
        }
        String listKind = names.path("listKind").asText("");
        if (!listKind.isEmpty() && listKind.equals(kind)) {
            out.add(Fields.invalid("spec.names.listKind", listKind, "kind and listKind may not be the same"));
        }
        for (String list : List.of("shortNames", "categories")) {
            JsonNode arr = names.path(list);
            for (int i = 0; i < arr.size(); i++) {
                String v = arr.get(i).asText("");
                if (!DNS_LABEL.matcher(v).matches()) {
                    out.add(Fields.invalid("spec.names." + list + "[" + i + "]", v, "a lowercase RFC 1123 label must consist of lower "
                            + "case alphanumeric characters or '-', and must start and end with an alphanumeric character"));
                }
            }
        }
    }

    private static void versions(JsonNode versions, List<Cause> out) {
        if (!versions.isArray() || versions.isEmpty()) {
            out.add(Fields.required("spec.versions", "must have exactly one version marked as storage version"));
            return;
        }
        int storage = 0;
        Set<String> seen = new HashSet<>();
        for (int i = 0; i < versions.size(); i++) {
            JsonNode v = versions.get(i);
            String path = "spec.versions[" + i + "]";
            String name = v.path("name").asText("");
            if (name.isEmpty()) {
                out.add(Fields.required(path + ".name"));
            } else if (!DNS_LABEL.matcher(name).matches()) {
                out.add(Fields.invalid(path + ".name", name, "a DNS-1035 label must consist of lower case alphanumeric characters or '-'"));
            } else if (!seen.add(name)) {
                out.add(Fields.duplicate(path + ".name", name));
            }
            if (v.path("storage").asBoolean(false)) {
                storage++;
            }
            JsonNode schema = v.path("schema").path("openAPIV3Schema");
            if (!schema.isObject()) {
                out.add(Fields.required(path + ".schema.openAPIV3Schema", "schemas are required"));
            } else {
                structural(schema, path + ".schema.openAPIV3Schema", true, out);
            }
            JsonNode scale = v.path("subresources").path("scale");
            if (scale.isObject()) {
                for (String f : List.of("specReplicasPath", "statusReplicasPath")) {
                    String p = scale.path(f).asText("");
                    if (p.isEmpty()) {
                        out.add(Fields.required(path + ".subresources.scale." + f));
                    } else if (!p.startsWith(".spec.") && f.startsWith("spec") || !p.startsWith(".status.") && f.startsWith("status")) {
                        out.add(Fields.invalid(path + ".subresources.scale." + f, p, "should be a json path under ."
                                + (f.startsWith("spec") ? "spec" : "status")));
                    }
                }
            }
            JsonNode columns = v.path("additionalPrinterColumns");
            for (int c = 0; c < columns.size(); c++) {
                JsonNode col = columns.get(c);
                String cp = path + ".additionalPrinterColumns[" + c + "]";
                if (col.path("name").asText("").isEmpty()) {
                    out.add(Fields.required(cp + ".name"));
                }
                String type = col.path("type").asText("");
                if (!List.of("integer", "number", "string", "boolean", "date").contains(type)) {
                    out.add(type.isEmpty() ? Fields.required(cp + ".type")
                            : Fields.notSupported(cp + ".type", type, List.of("boolean", "date", "integer", "number", "string")));
                }
                if (col.path("jsonPath").asText("").isEmpty()) {
                    out.add(Fields.required(cp + ".jsonPath"));
                }
            }
        }
        if (storage != 1) {
            out.add(Fields.invalid("spec.versions", storage, "must have exactly one version marked as storage version"));
        }
    }

    /** The structural-schema rules upstream enforces: every specified field has a type, unless it preserves unknown fields. */
    private static void structural(JsonNode s, String path, boolean root, List<Cause> out) {
        String type = s.path("type").asText("");
        boolean intOrString = s.path("x-kubernetes-int-or-string").asBoolean(false);
        boolean preserve = s.path("x-kubernetes-preserve-unknown-fields").asBoolean(false);
        if (root && !type.equals("object")) {
            out.add(type.isEmpty() ? Fields.required(path + ".type", "must not be empty at the root")
                    : Fields.invalid(path + ".type", type, "must be object at the root"));
        } else if (type.isEmpty() && !intOrString && !preserve) {
            out.add(Fields.required(path + ".type", "must not be empty for specified object fields"));
        } else if (!type.isEmpty() && !List.of("object", "array", "string", "integer", "number", "boolean").contains(type)) {
            out.add(Fields.notSupported(path + ".type", type, List.of("array", "boolean", "integer", "number", "object", "string")));
        }
        if (s.has("pattern")) {
            try {
                Pattern.compile(s.get("pattern").asText());
            } catch (PatternSyntaxException e) {
                out.add(Fields.invalid(path + ".pattern", s.get("pattern").asText(), "must be a valid regular expression"));
            }
        }
        if (type.equals("array") && !s.path("items").isObject()) {
            out.add(Fields.required(path + ".items", "must be specified"));
        }
        if (s.has("properties") && s.has("additionalProperties") && !s.get("additionalProperties").isBoolean()) {
            out.add(Fields.forbidden(path + ".additionalProperties", "additionalProperties and properties are mutual exclusive"));
        }
        for (Iterator<Map.Entry<String, JsonNode>> it = s.path("properties").fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            if (e.getValue().isObject()) {
                structural(e.getValue(), path + ".properties[" + e.getKey() + "]", false, out);
            }
        }
        if (s.path("items").isObject()) {
            structural(s.get("items"), path + ".items", false, out);
        }
        if (s.path("additionalProperties").isObject()) {
            structural(s.get("additionalProperties"), path + ".additionalProperties", false, out);
        }
    }
}
