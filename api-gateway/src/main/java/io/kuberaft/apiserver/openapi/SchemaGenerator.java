package io.kuberaft.apiserver.openapi;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.google.gson.annotations.SerializedName;
import io.kuberaft.apiserver.openapi.ModelCatalog.Specials;
import io.kuberaft.apiserver.registry.ResourceDefinition;
import io.kubernetes.client.custom.IntOrString;
import io.kubernetes.client.custom.Quantity;
import io.swagger.annotations.ApiModel;
import io.swagger.annotations.ApiModelProperty;

import java.lang.reflect.Field;
import java.lang.reflect.Method;
import java.lang.reflect.ParameterizedType;
import java.lang.reflect.Type;
import java.time.OffsetDateTime;
import java.util.AbstractMap;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * Generates OpenAPI schemas for the registry's kinds by reflection over the {@code client-java-api}
 * model classes: field names from {@code @SerializedName}, documentation from swagger's
 * {@code @ApiModel}/{@code @ApiModelProperty}, required fields from {@code openapiRequiredFields}, Java
 * types mapped to schema types, patch metadata from {@link PatchStrategies}. Kinds without a model class
 * (custom resources) get an open object schema.
 *
 * <p>Two flavours: Swagger 2.0 ({@code #/definitions/...}, description next to {@code $ref}) and OpenAPI 3.0
 * ({@code #/components/schemas/...}, references wrapped in {@code allOf} so a field keeps its own
 * description, {@code x-kubernetes-preserve-unknown-fields} on free-form values).
 */
final class SchemaGenerator {
    enum Flavor {
        V2("#/definitions/"), V3("#/components/schemas/");

        final String refPrefix;

        Flavor(String refPrefix) {
            this.refPrefix = refPrefix;
        }
    }

    record Gvk(String group, String version, String kind) {
        ObjectNode toJson() {
            ObjectNode o = JsonNodeFactory.instance.objectNode();
            o.put("group", group).put("kind", kind).put("version", version);
            return o;
        }
    }

    static final Gvk SCALE = new Gvk("autoscaling", "v1", "Scale");
    static final Gvk EVICTION = new Gvk("policy", "v1", "Eviction");
    static final Gvk BINDING = new Gvk("", "v1", "Binding");

    private static final JsonNodeFactory F = JsonNodeFactory.instance;

    private final ModelCatalog catalog;
    /** definition name → model class, for every class reachable from a served kind. */
    private final Map<String, Class<?>> classes = new TreeMap<>();
    /** definition name → GVKs it is the schema of. */
    private final Map<String, List<Gvk>> gvks = new HashMap<>();
    /** served kind → its definition name (and its list's, when known). */
    private final Map<Gvk, String> kindDefinitions = new HashMap<>();
    private final Map<Gvk, String> listDefinitions = new HashMap<>();
    /** definitions of kinds without a model class. */
    private final Map<String, Gvk> customKinds = new TreeMap<>();
    /** the CRD schemas of custom kinds that have one. */
    private final Map<String, ObjectNode> customSchemas = new HashMap<>();
    private final Map<Flavor, Map<String, ObjectNode>> rendered = new HashMap<>();

    SchemaGenerator(Collection<ResourceDefinition> defs) {
        List<Map.Entry<Class<?>, String>> roots = new ArrayList<>();
        Map<Class<?>, List<Gvk>> rootGvks = new LinkedHashMap<>();
        Map<Gvk, Class<?>> kindClasses = new LinkedHashMap<>();
        Map<Gvk, Class<?>> listClasses = new LinkedHashMap<>();
        for (ResourceDefinition d : defs) {
            Gvk gvk = new Gvk(d.group(), d.version(), d.kind());
            var kc = ModelCatalog.kindClass(d.group(), d.version(), d.kind());
            if (kc.isEmpty()) {
                continue;
            }
            roots.add(new AbstractMap.SimpleEntry<>(kc.get(), d.group()));
            rootGvks.computeIfAbsent(kc.get(), k -> new ArrayList<>()).add(gvk);
            kindClasses.put(gvk, kc.get());
            ModelCatalog.listClass(kc.get()).ifPresent(l -> {
                roots.add(new AbstractMap.SimpleEntry<>(l, d.group()));
                listClasses.put(gvk, l);
                rootGvks.computeIfAbsent(l, k -> new ArrayList<>()).add(new Gvk(d.group(), d.version(), d.kind() + "List"));
            });
        }
        // what the paths refer to besides the kinds themselves
        for (var extra : List.of(Map.entry("V1ObjectMeta", ""), Map.entry("V1Status", ""), Map.entry("V1DeleteOptions", ""),
                Map.entry("V1Binding", ""), Map.entry("V1Scale", "autoscaling"), Map.entry("V1Eviction", "policy"))) {
            ModelCatalog.load(ModelCatalog.MODELS + extra.getKey()).ifPresent(c -> roots.add(new AbstractMap.SimpleEntry<>(c, extra.getValue())));
        }
        ModelCatalog.load(ModelCatalog.MODELS + "V1Scale").ifPresent(c -> rootGvks.computeIfAbsent(c, k -> new ArrayList<>()).add(SCALE));
        ModelCatalog.load(ModelCatalog.MODELS + "V1Eviction").ifPresent(c -> rootGvks.computeIfAbsent(c, k -> new ArrayList<>()).add(EVICTION));
        ModelCatalog.load(ModelCatalog.MODELS + "V1Binding").ifPresent(c -> rootGvks.computeIfAbsent(c, k -> new ArrayList<>()).add(BINDING));
        this.catalog = new ModelCatalog(roots);

        for (var r : roots) {
            addClosure(r.getKey());
        }
        rootGvks.forEach((c, list) -> gvks.put(catalog.definitionName(c), list));
        kindClasses.forEach((g, c) -> kindDefinitions.put(g, catalog.definitionName(c)));
        listClasses.forEach((g, c) -> listDefinitions.put(g, catalog.definitionName(c)));
        for (Gvk g : List.of(SCALE, EVICTION, BINDING)) {
            ModelCatalog.load(ModelCatalog.MODELS + "V1" + g.kind()).ifPresent(c -> kindDefinitions.putIfAbsent(g, catalog.definitionName(c)));
        }
        for (ResourceDefinition d : defs) {
            Gvk gvk = new Gvk(d.group(), d.version(), d.kind());
            if (!kindDefinitions.containsKey(gvk)) {
                String name = ModelCatalog.customDefinitionName(d.group(), d.version(), d.kind());
                customKinds.put(name, gvk);
                gvks.put(name, List.of(gvk));
                kindDefinitions.put(gvk, name);
                if (d.custom() != null && d.custom().schema() != null) {
                    customSchemas.put(name, d.custom().schema());
                }
            }
        }
    }

    private void addClosure(Class<?> root) {
        List<Class<?>> todo = new ArrayList<>(List.of(root));
        while (!todo.isEmpty()) {
            Class<?> c = todo.remove(todo.size() - 1);
            String name = catalog.definitionName(c);
            Class<?> prev = classes.putIfAbsent(name, c);
            if (prev == null) {
                todo.addAll(ModelCatalog.referencedModels(c));
            }
        }
    }

    /** The definition name of a served kind (model class or custom), or null. */
    String kindDefinition(Gvk gvk) {
        return kindDefinitions.get(gvk);
    }

    String listDefinition(Gvk gvk) {
        return listDefinitions.get(gvk);
    }

    boolean hasModelClass(Gvk gvk) {
        String n = kindDefinitions.get(gvk);
        return n != null && classes.containsKey(n);
    }

    String definitionName(Class<?> c) {
        return catalog.definitionName(c);
    }

    /** Every definition, rendered in one flavour, sorted by name. */
    synchronized Map<String, ObjectNode> all(Flavor fl) {
        Map<String, ObjectNode> out = rendered.get(fl);
        if (out != null) {
            return out;
        }
        out = new TreeMap<>();
        for (var e : classes.entrySet()) {
            out.put(e.getKey(), classSchema(e.getValue(), e.getKey(), fl));
        }
        for (var e : customKinds.entrySet()) {
            out.put(e.getKey(), customSchema(e.getKey(), e.getValue(), fl));
        }
        for (String s : List.of(Specials.TIME, Specials.MICRO_TIME, Specials.INT_OR_STRING, Specials.QUANTITY, Specials.FIELDS_V1,
                Specials.RAW_EXTENSION, Specials.PATCH, Specials.JSON, Specials.JSON_PROPS_OR_BOOL, Specials.JSON_PROPS_OR_ARRAY,
                Specials.JSON_PROPS_OR_STRING_ARRAY, Specials.SUBRESOURCE_STATUS)) {
            out.put(s, specialSchema(s, fl));
        }
        rendered.put(fl, out);
        return out;
    }

    /** The definitions reachable from {@code roots} (names), including the roots. */
    Map<String, ObjectNode> closure(Collection<String> roots, Flavor fl) {
        Map<String, ObjectNode> all = all(fl);
        Map<String, ObjectNode> out = new TreeMap<>();
        List<String> todo = new ArrayList<>(roots);
        while (!todo.isEmpty()) {
            String n = todo.remove(todo.size() - 1);
            ObjectNode s = all.get(n);
            if (s == null || out.containsKey(n)) {
                continue;
            }
            out.put(n, s);
            todo.addAll(refs(s, fl));
        }
        return out;
    }

    /** Definition names referenced anywhere in a JSON tree. */
    static Set<String> refs(JsonNode n, Flavor fl) {
        Set<String> out = new TreeSet<>();
        collectRefs(n, fl, out);
        return out;
    }

    private static void collectRefs(JsonNode n, Flavor fl, Set<String> out) {
        if (n.isObject()) {
            for (Iterator<Map.Entry<String, JsonNode>> it = n.fields(); it.hasNext(); ) {
                var e = it.next();
                if (e.getKey().equals("$ref") && e.getValue().isTextual() && e.getValue().asText().startsWith(fl.refPrefix)) {
                    out.add(e.getValue().asText().substring(fl.refPrefix.length()));
                } else {
                    collectRefs(e.getValue(), fl, out);
                }
            }
        } else if (n.isArray()) {
            n.forEach(x -> collectRefs(x, fl, out));
        }
    }

    static ObjectNode ref(String name, Flavor fl) {
        return F.objectNode().put("$ref", fl.refPrefix + name);
    }

    // ---- model classes ----

    private ObjectNode classSchema(Class<?> c, String name, Flavor fl) {
        ObjectNode s = F.objectNode();
        ApiModel am = c.getAnnotation(ApiModel.class);
        if (am != null && !am.description().isBlank()) {
            s.put("description", am.description());
        }
        s.put("type", "object");
        List<String> required = requiredFields(c);
        Map<String, String> docs = propertyDocs(c);
        Map<String, ObjectNode> props = new TreeMap<>();
        for (Field f : ModelCatalog.instanceFields(c)) {
            SerializedName sn = f.getAnnotation(SerializedName.class);
            String json = sn != null ? sn.value() : f.getName();
            String doc = docs.get(normalize(f.getName()));
            if ((doc == null || doc.isBlank()) && ModelCatalog.isModel(f.getType())) {
                doc = conventionalDoc(json, f.getType());
            }
            props.put(json, fieldSchema(c, name, json, f.getGenericType(), doc, fl));
        }
        if (!required.isEmpty()) {
            ArrayNode r = s.putArray("required");
            required.stream().filter(props::containsKey).forEach(r::add);
        }
        if (!props.isEmpty()) {
            ObjectNode p = s.putObject("properties");
            props.forEach(p::set);
        }
        String mapType = PatchStrategies.mapType(name);
        if (mapType != null) {
            s.put("x-kubernetes-map-type", mapType);
        }
        putGvks(s, name);
        return s;
    }

    private void putGvks(ObjectNode s, String name) {
        List<Gvk> list = gvks.get(name);
        if (list != null && !list.isEmpty()) {
            ArrayNode a = s.putArray("x-kubernetes-group-version-kind");
            list.forEach(g -> a.add(g.toJson()));
        }
    }

    private ObjectNode fieldSchema(Class<?> owner, String ownerName, String json, Type type, String doc, Flavor fl) {
        ObjectNode s = typeSchema(type, owner, json, fl);
        boolean hasDoc = doc != null && !doc.isBlank();
        if (s.has("$ref") && fl == Flavor.V3) {
            ObjectNode wrap = F.objectNode();
            wrap.putArray("allOf").add(s);
            s = wrap;
        }
        if (hasDoc) {
            s.put("description", doc);
        }
        PatchStrategies.FieldMeta pm = PatchStrategies.field(ownerName, json);
        if (pm != null) {
            if (pm.listMapKeys() != null) {
                ArrayNode k = s.putArray("x-kubernetes-list-map-keys");
                pm.listMapKeys().forEach(k::add);
            }
            if (pm.listType() != null) {
                s.put("x-kubernetes-list-type", pm.listType());
            }
            if (pm.patchMergeKey() != null) {
                s.put("x-kubernetes-patch-merge-key", pm.patchMergeKey());
            }
            if (pm.patchStrategy() != null) {
                s.put("x-kubernetes-patch-strategy", pm.patchStrategy());
            }
        }
        return s;
    }

    /** Schema of a Java type: a fresh node (a bare {@code $ref} object for named types). */
    private ObjectNode typeSchema(Type t, Class<?> owner, String json, Flavor fl) {
        if (t instanceof ParameterizedType p && p.getRawType() instanceof Class<?> raw) {
            Type[] args = p.getActualTypeArguments();
            if (List.class.isAssignableFrom(raw) || Set.class.isAssignableFrom(raw)) {
                ObjectNode s = F.objectNode().put("type", "array");
                s.set("items", typeSchema(args[0], owner, json, fl));
                return s;
            }
            if (Map.class.isAssignableFrom(raw)) {
                ObjectNode s = F.objectNode().put("type", "object");
                s.set("additionalProperties", typeSchema(args[1], owner, json, fl));
                return s;
            }
            return arbitrary(fl);
        }
        if (!(t instanceof Class<?> c)) {
            return arbitrary(fl);
        }
        if (c == String.class) {
            return F.objectNode().put("type", "string");
        } else if (c == Integer.class || c == int.class) {
            return F.objectNode().put("type", "integer").put("format", "int32");
        } else if (c == Long.class || c == long.class) {
            return F.objectNode().put("type", "integer").put("format", "int64");
        } else if (c == Double.class || c == double.class || c == Float.class || c == float.class) {
            return F.objectNode().put("type", "number").put("format", "double");
        } else if (c == Boolean.class || c == boolean.class) {
            return F.objectNode().put("type", "boolean");
        } else if (c == byte[].class) {
            return F.objectNode().put("type", "string").put("format", "byte");
        } else if (c == OffsetDateTime.class) {
            return ref(ModelCatalog.isMicroTime(owner, json) ? Specials.MICRO_TIME : Specials.TIME, fl);
        } else if (c == IntOrString.class) {
            return ref(Specials.INT_OR_STRING, fl);
        } else if (c == Quantity.class) {
            return ref(Specials.QUANTITY, fl);
        } else if (ModelCatalog.isModel(c)) {
            return ref(catalog.definitionName(c), fl);
        } else if (c == Object.class) {
            String special = ModelCatalog.objectFieldDefinition(owner, json);
            return special != null ? ref(special, fl) : arbitrary(fl);
        }
        return arbitrary(fl);
    }

    /**
     * client-java's generator drops the documentation of fields whose type is another model class; the
     * API conventions' fields get a generic one. (Others stay without: kubectl explain shows the type's.)
     */
    private static String conventionalDoc(String json, Class<?> type) {
        return switch (json) {
            case "metadata" -> type.getSimpleName().equals("V1ListMeta")
                    ? "Standard list metadata. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#types-kinds"
                    : "Standard object's metadata. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#metadata";
            case "spec" -> "Specification of the desired behavior of the object. More info: "
                    + "https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#spec-and-status";
            case "status" -> "Most recently observed status of the object. Populated by the system. Read-only. More info: "
                    + "https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#spec-and-status";
            default -> null;
        };
    }

    private static ObjectNode arbitrary(Flavor fl) {
        ObjectNode s = F.objectNode();
        if (fl == Flavor.V3) {
            s.put("x-kubernetes-preserve-unknown-fields", true);
        }
        return s;
    }

    @SuppressWarnings("unchecked")
    private static List<String> requiredFields(Class<?> c) {
        try {
            Object v = c.getField("openapiRequiredFields").get(null);
            if (v instanceof Collection<?> col) {
                return col.stream().map(String::valueOf).sorted().toList();
            }
        } catch (ReflectiveOperationException | RuntimeException e) {
            // no required fields
        }
        return List.of();
    }

    /** Getter documentation by normalized property name. */
    private static Map<String, String> propertyDocs(Class<?> c) {
        Map<String, String> out = new HashMap<>();
        Method[] methods;
        try {
            methods = c.getDeclaredMethods();
        } catch (LinkageError e) {
            return out;
        }
        for (Method m : methods) {
            ApiModelProperty a = m.getAnnotation(ApiModelProperty.class);
            if (a == null || m.getParameterCount() != 0) {
                continue;
            }
            String n = m.getName();
            if (n.startsWith("get")) {
                n = n.substring(3);
            } else if (n.startsWith("is")) {
                n = n.substring(2);
            }
            out.put(n.toLowerCase(Locale.ROOT), a.value());
        }
        return out;
    }

    private static String normalize(String fieldName) {
        String n = fieldName.startsWith("_") ? fieldName.substring(1) : fieldName;
        return n.toLowerCase(Locale.ROOT);
    }

    // ---- kinds without a model class ----

    /** The definition name of meta/v1 ObjectMeta. */
    String objectMetaDefinition() {
        return classes.entrySet().stream().filter(e -> e.getValue().getSimpleName().equals("V1ObjectMeta"))
                .map(Map.Entry::getKey).findFirst().orElse("io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta");
    }

    /**
     * A custom kind with its CRD schema, as upstream publishes it: the schema with apiVersion, kind and an ObjectMeta
     * metadata. v3 keeps the whole schema (kubectl explain); v2 keeps the description and stays open, since
     * kubectl validates against v2 only when the server does not.
     */
    private ObjectNode crdSchema(String name, ObjectNode crd, Flavor fl) {
        ObjectNode s = F.objectNode();
        if (crd.has("description")) {
            s.put("description", crd.get("description").asText());
        }
        s.put("type", "object");
        if (fl == Flavor.V3) {
            s = crd.deepCopy();
            ObjectNode p = s.with("properties");
            p.putObject("apiVersion").put("type", "string").put("description", "APIVersion defines the versioned schema of this "
                    + "representation of an object. Servers should convert recognized schemas to the latest internal value, and may "
                    + "reject unrecognized values. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#resources");
            p.putObject("kind").put("type", "string").put("description", "Kind is a string value representing the REST resource "
                    + "this object represents. Servers may infer this from the endpoint the client submits requests to. Cannot be "
                    + "updated. In CamelCase. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#types-kinds");
            ObjectNode m = p.putObject("metadata");
            m.putArray("allOf").add(ref(objectMetaDefinition(), fl));
            m.put("description", "Standard object's metadata. More info: "
                    + "https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#metadata");
        }
        putGvks(s, name);
        return s;
    }

    private ObjectNode customSchema(String name, Gvk gvk, Flavor fl) {
        if (customSchemas.containsKey(name)) {
            return crdSchema(name, customSchemas.get(name), fl);
        }
        ObjectNode s = F.objectNode();
        s.put("description", gvk.kind() + " is served from a CustomResourceDefinition; its fields are not described.");
        s.put("type", "object");
        if (fl == Flavor.V3) {
            // v2 keeps no properties: kubectl's v2 validation would reject every field not listed
            ObjectNode p = s.putObject("properties");
            p.putObject("apiVersion").put("type", "string")
                    .put("description", "APIVersion defines the versioned schema of this representation of an object.");
            p.putObject("kind").put("type", "string")
                    .put("description", "Kind is a string value representing the REST resource this object represents.");
            String meta = classes.entrySet().stream().filter(e -> e.getValue().getSimpleName().equals("V1ObjectMeta"))
                    .map(Map.Entry::getKey).findFirst().orElse(null);
            if (meta != null) {
                ObjectNode m = p.putObject("metadata");
                m.putArray("allOf").add(ref(meta, fl));
                m.put("description", "Standard object's metadata.");
            }
            s.put("x-kubernetes-preserve-unknown-fields", true);
        }
        putGvks(s, name);
        return s;
    }

    // ---- types that are not model classes ----

    private static ObjectNode specialSchema(String name, Flavor fl) {
        ObjectNode s = F.objectNode();
        switch (name) {
            case Specials.TIME -> s.put("description", "Time is a timestamp in RFC 3339 form with second precision, "
                    + "e.g. 2024-01-02T15:04:05Z.").put("type", "string").put("format", "date-time");
            case Specials.MICRO_TIME -> s.put("description", "MicroTime is a timestamp in RFC 3339 form with microsecond "
                    + "precision, e.g. 2024-01-02T15:04:05.000001Z.").put("type", "string").put("format", "date-time");
            case Specials.INT_OR_STRING -> s.put("description", "IntOrString holds either an int32 or a string, "
                            + "e.g. a port number or a port name, or a percentage such as \"25%\".")
                    .put("type", "string").put("format", "int-or-string").put("x-kubernetes-int-or-string", true);
            case Specials.QUANTITY -> s.put("description", "Quantity is a fixed-point number with an optional suffix: "
                    + "binary SI (Ki, Mi, Gi, Ti, Pi, Ei), decimal SI (n, u, m, \"\", k, M, G, T, P, E) or a decimal exponent "
                    + "(e.g. 1e3). Examples: 100m, 0.5, 128Mi, 1G.").put("type", "string");
            case Specials.FIELDS_V1 -> s.put("description", "FieldsV1 is the set of fields a manager owns, as a trie "
                    + "of field keys (f:name, k:{...}, v:..., i:...).").put("type", "object");
            case Specials.RAW_EXTENSION -> s.put("description", "RawExtension holds an embedded object in any serialization.")
                    .put("type", "object");
            case Specials.PATCH -> s.put("description", "Patch is the body of a PATCH request: a JSON Patch, a JSON merge "
                    + "patch, a strategic merge patch or an apply configuration, per its Content-Type.").put("type", "object");
            case Specials.SUBRESOURCE_STATUS -> s.put("description", "CustomResourceSubresourceStatus enables the status "
                    + "subresource; it has no fields.").put("type", "object");
            case Specials.JSON -> s.put("description", "JSON is any JSON value: boolean, number, string, array, object or null.");
            case Specials.JSON_PROPS_OR_BOOL -> s.put("description", "JSONSchemaPropsOrBool is a JSON schema or a boolean.");
            case Specials.JSON_PROPS_OR_ARRAY -> s.put("description", "JSONSchemaPropsOrArray is a JSON schema or an array of them.");
            case Specials.JSON_PROPS_OR_STRING_ARRAY -> s.put("description", "JSONSchemaPropsOrStringArray is a JSON schema "
                    + "or an array of strings.");
            default -> throw new IllegalArgumentException(name);
        }
        if (fl == Flavor.V3 && (name.equals(Specials.INT_OR_STRING) || name.equals(Specials.QUANTITY))) {
            // OpenAPI 3 can say "one of these types" (kubectl explain then shows <IntOrString>, <Quantity>)
            s.remove("type");
            ArrayNode one = s.putArray("oneOf");
            for (String t : name.equals(Specials.QUANTITY) ? List.of("string", "number") : List.of("integer", "string")) {
                one.addObject().put("type", t);
            }
        } else if (fl == Flavor.V3 && (!s.has("type") || name.equals(Specials.RAW_EXTENSION) || name.equals(Specials.FIELDS_V1))) {
            s.put("x-kubernetes-preserve-unknown-fields", true);
        }
        return s;
    }
}
