package io.kuberaft.apiserver.openapi;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.kuberaft.apiserver.openapi.ModelCatalog.Specials;
import io.kuberaft.kubeapi.Quantity;

import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

/**
 * What upstream's typed JSON decoding of a request body does, driven by the OpenAPI v3 schema of the kind: the
 * first value whose JSON type does not fit its Go field ({@code json: cannot unmarshal string into Go struct field
 * ContainerPort.spec.containers.ports.containerPort of type int32}) and every field the type does not declare
 * ({@code unknown field "spec.containers[0].foo"}), which it can also drop, as typed decoding does.
 *
 * <p>The Go names in the messages come from the definition names ({@code io.k8s.api.core.v1.ServicePort} is
 * {@code v1.ServicePort}); the field path of a type error is the path of JSON field names without list indices or
 * map keys, as {@code encoding/json} reports it, and the struct is the innermost one holding the field.
 */
public final class SchemaDecoder {
    /** What decoding found: unknown-field messages in document order, and the first type error or null. */
    public record Result(List<String> unknownFields, String typeError) {
    }

    private final Map<String, ObjectNode> definitions;
    private final String rootDefinition;
    private final boolean typeCheck;
    private final JsonNode metadataSchema;

    /**
     * @param definitions    the OpenAPI v3 schemas by definition name ({@code #/components/schemas/...} targets)
     * @param rootDefinition the kind's definition name
     */
    SchemaDecoder(Map<String, ObjectNode> definitions, String rootDefinition) {
        this(definitions, rootDefinition, true, null);
    }

    private SchemaDecoder(Map<String, ObjectNode> definitions, String rootDefinition, boolean typeCheck, JsonNode metadataSchema) {
        this.definitions = definitions;
        this.rootDefinition = rootDefinition;
        this.typeCheck = typeCheck;
        this.metadataSchema = metadataSchema;
    }

    /**
     * A decoder of custom resources over their CRD's structural schema ({@code schemaDefinition} in
     * {@code definitions}): unknown fields only, since upstream reports a CR's wrong types as schema violations (422),
     * not as decoding errors. {@code metadata} is always decoded as an ObjectMeta and apiVersion/kind are always known.
     */
    static SchemaDecoder forCustomResource(Map<String, ObjectNode> definitions, String schemaDefinition, String objectMetaDefinition) {
        return new SchemaDecoder(definitions, schemaDefinition, false, SchemaGenerator.ref(objectMetaDefinition, SchemaGenerator.Flavor.V3));
    }

    /** Decodes {@code obj}; with {@code prune}, fields the schema does not declare are removed from it. */
    public Result decode(ObjectNode obj, boolean prune) {
        Walk w = new Walk(prune);
        JsonNode root = SchemaGenerator.ref(rootDefinition, SchemaGenerator.Flavor.V3);
        w.value(obj, root, "", "", goStructName(rootDefinition), true);
        return new Result(List.copyOf(w.unknown), w.typeError);
    }

    /** A schema with its definition name when it was reached through a {@code $ref}. */
    private record Resolved(JsonNode schema, String name) {
    }

    private Resolved resolve(JsonNode s) {
        String name = null;
        for (int i = 0; i < 8; i++) {
            if (s.has("$ref")) {
                String ref = s.get("$ref").asText();
                name = ref.substring(ref.lastIndexOf('/') + 1);
                JsonNode t = definitions.get(name);
                if (t == null) {
                    return new Resolved(com.fasterxml.jackson.databind.node.JsonNodeFactory.instance.objectNode()
                            .put("x-kubernetes-preserve-unknown-fields", true), name);
                }
                s = t;
            } else if (s.path("allOf").size() == 1 && !s.has("properties") && !s.has("type")) {
                s = s.get("allOf").get(0);
            } else {
                break;
            }
        }
        return new Resolved(s, name);
    }

    private final class Walk {
        final boolean prune;
        final List<String> unknown = new ArrayList<>();
        String typeError;

        Walk(boolean prune) {
            this.prune = prune;
        }

        /**
         * @param path   the field path of unknown-field messages ({@code spec.containers[0].foo})
         * @param goPath the field path of type errors ({@code spec.containers.foo})
         * @param struct the Go struct that holds the field being decoded
         */
        void value(JsonNode v, JsonNode schema, String path, String goPath, String struct, boolean root) {
            if (v == null || v.isNull() || typeError != null) {
                return;
            }
            Resolved r = resolve(schema);
            JsonNode s = r.schema();
            if (r.name() != null && special(v, r.name())) {
                return;
            }
            String type = s.path("type").asText("");
            boolean preserve = s.path("x-kubernetes-preserve-unknown-fields").asBoolean(false);
            if (s.has("x-kubernetes-int-or-string")) {
                if (typeCheck && !(v.isTextual() || v.isIntegralNumber())) {
                    fail(v, struct, goPath, "intstr.IntOrString");
                }
                return;
            }
            switch (type) {
                case "object" -> {
                    if (!v.isObject()) {
                        if (typeCheck) {
                            fail(v, struct, goPath, goType(schema));
                        }
                        return;
                    }
                    JsonNode props = s.path("properties");
                    JsonNode additional = s.get("additionalProperties");
                    String inner = r.name() != null ? goStructName(r.name()) : struct;
                    for (Iterator<Map.Entry<String, JsonNode>> it = v.fields(); it.hasNext(); ) {
                        Map.Entry<String, JsonNode> e = it.next();
                        String k = e.getKey();
                        String p = path.isEmpty() ? k : path + "." + k;
                        JsonNode fieldSchema = props.get(k);
                        if (root && metadataSchema != null && (k.equals("metadata") || k.equals("apiVersion") || k.equals("kind"))) {
                            fieldSchema = k.equals("metadata") ? metadataSchema : stringSchema();
                        }
                        if (fieldSchema != null) {
                            if (typeCheck && e.getValue().isNull()) {
                                // a typed decode leaves a null field at its zero value, which encodes as absent
                                it.remove();
                                continue;
                            }
                            value(e.getValue(), fieldSchema, p, goPath.isEmpty() ? k : goPath + "." + k, inner, false);
                        } else if (additional != null && additional.isObject()) {
                            if (typeCheck && e.getValue().isNull()) {
                                e.setValue(zero(additional));
                            }
                            value(e.getValue(), additional, p, goPath, struct, false);
                        } else if (!preserve && !(additional != null && additional.asBoolean(false))) {
                            unknown.add("unknown field \"" + p + "\"");
                            if (prune) {
                                it.remove();
                            }
                        }
                    }
                }
                case "array" -> {
                    if (!v.isArray()) {
                        if (typeCheck) {
                            fail(v, struct, goPath, goType(schema));
                        }
                        return;
                    }
                    JsonNode items = s.get("items");
                    if (items != null) {
                        for (int i = 0; i < v.size(); i++) {
                            if (typeCheck && v.get(i).isNull()) {
                                ((com.fasterxml.jackson.databind.node.ArrayNode) v).set(i, zero(items));
                            }
                            value(v.get(i), items, path + "[" + i + "]", goPath, struct, false);
                        }
                    }
                }
                case "string" -> {
                    if (typeCheck && !v.isTextual()) {
                        fail(v, struct, goPath, goType(schema));
                    }
                }
                case "integer" -> {
                    if (!typeCheck) {
                        return;
                    }
                    if (!v.isNumber()) {
                        fail(v, struct, goPath, goType(schema));
                    } else if (!v.isIntegralNumber() || !fits(v, s.path("format").asText("int64"))) {
                        typeError = "json: cannot unmarshal number " + v.asText() + " into Go struct field " + struct + "." + goPath
                                + " of type " + goType(schema);
                    }
                }
                case "number" -> {
                    if (typeCheck && !v.isNumber()) {
                        fail(v, struct, goPath, goType(schema));
                    }
                }
                case "boolean" -> {
                    if (typeCheck && !v.isBoolean()) {
                        fail(v, struct, goPath, goType(schema));
                    }
                }
                default -> {
                    // no type: any JSON value (free-form fields)
                }
            }
        }

        /** Types with their own JSON decoding upstream; true when handled. */
        private boolean special(JsonNode v, String name) {
            switch (name) {
                case Specials.TIME, Specials.MICRO_TIME -> {
                    if (!typeCheck) {
                        return true;
                    }
                    if (!v.isTextual()) {
                        typeError = "json: cannot unmarshal " + jsonType(v) + " into Go value of type string";
                    } else if (!v.asText().isEmpty()) {
                        try {
                            OffsetDateTime.parse(v.asText());
                        } catch (DateTimeParseException e) {
                            typeError = "parsing time \"" + v.asText() + "\" as \"2006-01-02T15:04:05Z07:00\": cannot parse \""
                                    + v.asText() + "\" as \"2006\"";
                        }
                    }
                    return true;
                }
                case Specials.QUANTITY -> {
                    if (typeCheck) {
                        try {
                            Quantity.parse(v);
                        } catch (IllegalArgumentException e) {
                            typeError = e.getMessage();
                        }
                    }
                    return true;
                }
                case Specials.INT_OR_STRING -> {
                    if (typeCheck && !v.isTextual()) {
                        if (!v.isNumber()) {
                            typeError = "json: cannot unmarshal " + jsonType(v) + " into Go value of type int32";
                        } else if (!v.isIntegralNumber() || !fits(v, "int32")) {
                            typeError = "json: cannot unmarshal number " + v.asText() + " into Go value of type int32";
                        }
                    }
                    return true;
                }
                case Specials.RAW_EXTENSION, Specials.JSON, Specials.JSON_PROPS_OR_BOOL, Specials.JSON_PROPS_OR_ARRAY,
                     Specials.JSON_PROPS_OR_STRING_ARRAY -> {
                    return true;
                }
                case Specials.FIELDS_V1, Specials.SUBRESOURCE_STATUS, Specials.PATCH -> {
                    if (typeCheck && !v.isObject()) {
                        typeError = "json: cannot unmarshal " + jsonType(v) + " into Go value of type map[string]interface {}";
                    }
                    return true;
                }
                default -> {
                    return false;
                }
            }
        }

        private void fail(JsonNode v, String struct, String goPath, String goType) {
            typeError = "json: cannot unmarshal " + jsonType(v) + " into Go struct field " + struct + "." + goPath + " of type " + goType;
        }
    }

    /**
     * The zero value a typed decode puts where a list item or map value is null ({@code containers: [null]} is one
     * empty Container): the registry and strategies then never meet a null where the type has none.
     */
    private JsonNode zero(JsonNode schema) {
        Resolved r = resolve(schema);
        if (r.name() != null && (r.name().equals(Specials.QUANTITY) || r.name().equals(Specials.INT_OR_STRING)
                || r.name().equals(Specials.TIME) || r.name().equals(Specials.MICRO_TIME) || r.name().equals(Specials.RAW_EXTENSION)
                || r.name().equals(Specials.JSON))) {
            return com.fasterxml.jackson.databind.node.NullNode.instance;
        }
        var f = com.fasterxml.jackson.databind.node.JsonNodeFactory.instance;
        return switch (r.schema().path("type").asText("")) {
            case "object" -> f.objectNode();
            case "array" -> f.arrayNode();
            case "string" -> f.textNode("");
            case "integer" -> f.numberNode(0);
            case "number" -> f.numberNode(0.0);
            case "boolean" -> f.booleanNode(false);
            default -> com.fasterxml.jackson.databind.node.NullNode.instance;
        };
    }

    private static JsonNode stringSchema() {
        return com.fasterxml.jackson.databind.node.JsonNodeFactory.instance.objectNode().put("type", "string");
    }

    private static boolean fits(JsonNode v, String format) {
        if (!v.canConvertToLong()) {
            return false;
        }
        long l = v.asLong();
        return !format.equals("int32") || (l >= Integer.MIN_VALUE && l <= Integer.MAX_VALUE);
    }

    private static String jsonType(JsonNode v) {
        if (v.isTextual()) {
            return "string";
        } else if (v.isNumber()) {
            return "number";
        } else if (v.isBoolean()) {
            return "bool";
        } else if (v.isArray()) {
            return "array";
        }
        return "object";
    }

    /** {@code io.k8s.api.core.v1.PodSpec} → {@code PodSpec}. */
    static String goStructName(String definition) {
        return definition.substring(definition.lastIndexOf('.') + 1);
    }

    /** The Go type name of a schema as {@code encoding/json} prints it. */
    private String goType(JsonNode schema) {
        Resolved r = resolve(schema);
        if (r.name() != null) {
            return switch (r.name()) {
                case Specials.QUANTITY -> "resource.Quantity";
                case Specials.INT_OR_STRING -> "intstr.IntOrString";
                default -> {
                    String[] parts = r.name().split("\\.");
                    yield parts.length >= 2 ? parts[parts.length - 2] + "." + parts[parts.length - 1] : r.name();
                }
            };
        }
        JsonNode s = r.schema();
        return switch (s.path("type").asText("")) {
            case "array" -> "[]" + goType(s.path("items"));
            case "object" -> {
                JsonNode ap = s.get("additionalProperties");
                if (ap != null && ap.isObject()) {
                    Resolved e = resolve(ap);
                    yield Specials.QUANTITY.equals(e.name()) ? "v1.ResourceList" : "map[string]" + goType(ap);
                }
                yield "map[string]interface {}";
            }
            case "string" -> s.path("format").asText("").equals("byte") ? "[]uint8" : "string";
            case "integer" -> s.path("format").asText("int64");
            case "number" -> "float64";
            case "boolean" -> "bool";
            default -> "interface {}";
        };
    }
}
