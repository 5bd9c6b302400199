package io.kuberaft.apiserver.openapi;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.kuberaft.apiserver.openapi.ModelCatalog.Specials;
import io.kuberaft.apiserver.openapi.SchemaGenerator.Flavor;
import io.kuberaft.apiserver.openapi.SchemaGenerator.Gvk;
import io.kuberaft.apiserver.registry.ResourceDefinition;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * The OpenAPI documents of one registry snapshot: Swagger 2.0 ({@code /openapi/v2}, JSON and protobuf),
 * the OpenAPI 3 index ({@code /openapi/v3}) and one OpenAPI 3.0 document per group-version
 * ({@code /openapi/v3/api/v1}, {@code /openapi/v3/apis/<group>/<version>}). Immutable once built.
 */
final class OpenApiDocuments {
    static final String TITLE = "Kubernetes";
    private static final JsonNodeFactory F = JsonNodeFactory.instance;
    private static final ObjectMapper JSON = new ObjectMapper();

    /** Query parameter descriptions, shared by v2 and v3. */
    private static final Map<String, String[]> QUERY = new LinkedHashMap<>();

    static {
        q("pretty", "string", "If 'true', then the output is pretty printed.");
        q("dryRun", "string", "When present, indicates that modifications should not be persisted. Valid value: All.");
        q("fieldManager", "string", "fieldManager is a name associated with the actor or entity that is making these changes.");
        q("fieldValidation", "string", "fieldValidation instructs the server on how to handle objects in the request containing "
                + "unknown or duplicate fields. Valid values are: Ignore, Warn, Strict.");
        q("force", "boolean", "Force is going to \"force\" Apply requests: re-acquire fields owned by other managers.");
        q("labelSelector", "string", "A selector to restrict the list of returned objects by their labels.");
        q("fieldSelector", "string", "A selector to restrict the list of returned objects by their fields.");
        q("limit", "integer", "limit is the maximum number of responses to return for a list call; continue with the "
                + "continue token of the response.");
        q("continue", "string", "The continue option should be set when retrieving more results from the server.");
        q("resourceVersion", "string", "resourceVersion sets a constraint on what resource versions a request may be served from.");
        q("resourceVersionMatch", "string", "resourceVersionMatch determines how resourceVersion is applied to list calls.");
        q("timeoutSeconds", "integer", "Timeout for the list/watch call.");
        q("watch", "boolean", "Watch for changes to the described resources and return them as a stream of add, update, "
                + "and remove notifications.");
        q("allowWatchBookmarks", "boolean", "allowWatchBookmarks requests watch events with type \"BOOKMARK\".");
        q("sendInitialEvents", "boolean", "sendInitialEvents=true may be set together with watch=true to begin the watch "
                + "stream with synthetic events for the current state.");
        q("gracePeriodSeconds", "integer", "The duration in seconds before the object should be deleted.");
        q("propagationPolicy", "string", "Whether and how garbage collection will be performed: Orphan, Background or Foreground.");
        q("orphanDependents", "boolean", "Deprecated: use propagationPolicy.");
    }

    private static void q(String name, String type, String description) {
        QUERY.put(name, new String[]{type, description});
    }

    private static final List<String> LIST_PARAMS = List.of("allowWatchBookmarks", "continue", "fieldSelector", "labelSelector",
            "limit", "resourceVersion", "resourceVersionMatch", "sendInitialEvents", "timeoutSeconds", "watch");
    private static final List<String> PATCH_TYPES = List.of("application/json-patch+json", "application/merge-patch+json",
            "application/strategic-merge-patch+json", "application/apply-patch+yaml");

    private final SchemaGenerator gen;
    private final String version;
    private final boolean fieldValidation;
    private final ObjectNode v2;
    private final Map<String, ObjectNode> v3 = new TreeMap<>();
    private final ObjectNode v3Index;
    private volatile byte[] v2Proto;
    private final Map<Gvk, SchemaDecoder> decoders = new java.util.concurrent.ConcurrentHashMap<>();

    /**
     * @param fieldValidation whether mutating operations advertise the {@code fieldValidation} query parameter.
     *                        kubectl validates client-side (with the v2 schema) only when the server does not.
     */
    OpenApiDocuments(Collection<ResourceDefinition> defs, String version, boolean fieldValidation) {
        this.gen = new SchemaGenerator(defs);
        this.version = version;
        this.fieldValidation = fieldValidation;

        this.v2 = F.objectNode();
        v2.put("swagger", "2.0");
        v2.putObject("info").put("title", TITLE).put("version", version);
        ObjectNode v2Paths = v2.putObject("paths");
        for (ResourceDefinition d : defs) {
            paths(d, Flavor.V2).forEach(v2Paths::set);
        }
        ObjectNode v2Defs = v2.putObject("definitions");
        gen.all(Flavor.V2).forEach(v2Defs::set);

        Map<String, List<ResourceDefinition>> byGv = new LinkedHashMap<>();
        for (ResourceDefinition d : defs) {
            byGv.computeIfAbsent(gvPath(d.group(), d.version()), k -> new ArrayList<>()).add(d);
        }
        this.v3Index = F.objectNode();
        ObjectNode idx = v3Index.putObject("paths");
        byGv.forEach((gv, list) -> {
            ObjectNode doc = v3Document(list);
            v3.put(gv, doc);
            idx.putObject(gv).put("serverRelativeURL", "/openapi/v3/" + gv + "?hash=" + hash(doc));
        });
    }

    static String gvPath(String group, String version) {
        return group.isEmpty() ? "api/" + version : "apis/" + group + "/" + version;
    }

    ObjectNode v2() {
        return v2;
    }

    byte[] v2Proto() {
        byte[] b = v2Proto;
        if (b == null) {
            b = SwaggerProto.encode(v2);
            v2Proto = b;
        }
        return b;
    }

    ObjectNode v3Index() {
        return v3Index;
    }

    /** The document of "api/v1" or "apis/apps/v1", or null. */
    ObjectNode v3(String groupVersionPath) {
        return v3.get(groupVersionPath);
    }

    SchemaGenerator generator() {
        return gen;
    }

    /** The decoder of a kind's request bodies, or null when the kind has no schema. */
    SchemaDecoder decoder(ResourceDefinition d) {
        return decoders.computeIfAbsent(new Gvk(d.group(), d.version(), d.kind()), g -> {
            String name = gen.kindDefinition(g);
            if (name != null && d.custom() != null && d.custom().schema() != null) {
                return SchemaDecoder.forCustomResource(gen.all(Flavor.V3), name, gen.objectMetaDefinition());
            }
            if (name == null || !gen.hasModelClass(g)) {
                return null;
            }
            return new SchemaDecoder(gen.all(Flavor.V3), name);
        });
    }

    private ObjectNode v3Document(List<ResourceDefinition> defs) {
        ObjectNode doc = F.objectNode();
        doc.put("openapi", "3.0.0");
        doc.putObject("info").put("title", TITLE).put("version", version);
        ObjectNode paths = doc.putObject("paths");
        Set<String> roots = new LinkedHashSet<>();
        for (ResourceDefinition d : defs) {
            paths(d, Flavor.V3).forEach(paths::set);
            Gvk g = new Gvk(d.group(), d.version(), d.kind());
            roots.add(gen.kindDefinition(g));
            if (gen.listDefinition(g) != null) {
                roots.add(gen.listDefinition(g));
            }
        }
        roots.addAll(SchemaGenerator.refs(paths, Flavor.V3));
        ObjectNode schemas = doc.putObject("components").putObject("schemas");
        gen.closure(roots, Flavor.V3).forEach(schemas::set);
        return doc;
    }

    private static String hash(JsonNode doc) {
        try {
            byte[] d = MessageDigest.getInstance("SHA-512").digest(JSON.writeValueAsString(doc).getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().withUpperCase().formatHex(d);
        } catch (NoSuchAlgorithmException | com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    // ---- paths ----

    /** The path items of one resource (collection, item, all-namespaces list, subresources). */
    private Map<String, ObjectNode> paths(ResourceDefinition d, Flavor fl) {
        Map<String, ObjectNode> out = new LinkedHashMap<>();
        Gvk gvk = new Gvk(d.group(), d.version(), d.kind());
        String kindDef = gen.kindDefinition(gvk);
        if (kindDef == null) {
            return out;
        }
        String listDef = gen.listDefinition(gvk);
        String base = "/" + gvPath(d.group(), d.version());
        String coll = base + (d.namespaced() ? "/namespaces/{namespace}/" : "/") + d.plural();
        String item = coll + "/{name}";
        String gvName = ModelCatalog.apiPrefix(d.group()) + ModelCatalog.capitalize(d.version());
        String ns = d.namespaced() ? "Namespaced" : "";
        String tag = (d.group().isEmpty() ? "core" : d.group().split("\\.")[0]) + "_" + d.version();
        boolean smp = gen.hasModelClass(gvk);

        ObjectNode collection = pathItem(d.namespaced(), false, fl);
        if (d.allows("list")) {
            collection.set("get", op("list", "list" + gvName + ns + d.kind(), tag, "list or watch objects of kind " + d.kind(),
                    gvk, LIST_PARAMS, null, listDef != null ? listDef : kindDef, fl));
        }
        if (d.allows("create")) {
            collection.set("post", op("post", "create" + gvName + ns + d.kind(), tag, "create " + article(d.kind()),
                    gvk, writeParams(false), kindDef, kindDef, fl));
        }
        if (d.allows("deletecollection")) {
            List<String> p = new ArrayList<>(LIST_PARAMS);
            p.addAll(List.of("dryRun", "gracePeriodSeconds", "orphanDependents", "propagationPolicy"));
            p.remove("watch");
            p.remove("allowWatchBookmarks");
            collection.set("delete", op("deletecollection", "deleteCollection" + gvName + ns + d.kind(), tag,
                    "delete collection of " + d.kind(), gvk, p, modelName("V1DeleteOptions"), modelName("V1Status"), fl));
        }
        if (collection.size() > 1) {
            out.put(coll, collection);
        }

        ObjectNode one = pathItem(d.namespaced(), true, fl);
        if (d.allows("get")) {
            one.set("get", op("get", "read" + gvName + ns + d.kind(), tag, "read the specified " + d.kind(), gvk,
                    List.of(), null, kindDef, fl));
        }
        if (d.allows("update")) {
            one.set("put", op("put", "replace" + gvName + ns + d.kind(), tag, "replace the specified " + d.kind(), gvk,
                    writeParams(false), kindDef, kindDef, fl));
        }
        if (d.allows("patch")) {
            one.set("patch", patchOp("patch" + gvName + ns + d.kind(), tag, "partially update the specified " + d.kind(),
                    gvk, kindDef, smp, fl));
        }
        if (d.allows("delete")) {
            one.set("delete", op("delete", "delete" + gvName + ns + d.kind(), tag, "delete " + article(d.kind()), gvk,
                    List.of("dryRun", "gracePeriodSeconds", "orphanDependents", "propagationPolicy"),
                    modelName("V1DeleteOptions"), modelName("V1Status"), fl));
        }
        if (one.size() > 1) {
            out.put(item, one);
        }

        if (d.namespaced() && d.allows("list")) {
            ObjectNode all = pathItem(false, false, fl);
            all.set("get", op("list", "list" + gvName + d.kind() + "ForAllNamespaces", tag,
                    "list or watch objects of kind " + d.kind(), gvk, LIST_PARAMS, null, listDef != null ? listDef : kindDef, fl));
            out.put(base + "/" + d.plural(), all);
        }

        for (String sub : d.subresources()) {
            String subName = ModelCatalog.capitalize(sub);
            String subPath = item + "/" + sub;
            switch (sub) {
                case "status", "ephemeralcontainers", "scale" -> {
                    Gvk sg = sub.equals("scale") ? SchemaGenerator.SCALE : gvk;
                    String sd = sub.equals("scale") ? gen.kindDefinition(SchemaGenerator.SCALE) : kindDef;
                    if (sd == null) {
                        continue;
                    }
                    ObjectNode p = pathItem(d.namespaced(), true, fl);
                    p.set("get", op("get", "read" + gvName + ns + d.kind() + subName, tag,
                            "read " + sub + " of the specified " + d.kind(), sg, List.of(), null, sd, fl));
                    p.set("put", op("put", "replace" + gvName + ns + d.kind() + subName, tag,
                            "replace " + sub + " of the specified " + d.kind(), sg, writeParams(false), sd, sd, fl));
                    p.set("patch", patchOp("patch" + gvName + ns + d.kind() + subName, tag,
                            "partially update " + sub + " of the specified " + d.kind(), sg, sd, smp, fl));
                    out.put(subPath, p);
                }
                case "eviction", "binding" -> {
                    Gvk sg = sub.equals("eviction") ? SchemaGenerator.EVICTION : SchemaGenerator.BINDING;
                    String sd = gen.kindDefinition(sg);
                    if (sd == null) {
                        continue;
                    }
                    ObjectNode p = pathItem(d.namespaced(), true, fl);
                    p.set("post", op("post", "create" + gvName + ns + d.kind() + subName, tag,
                            "create " + sub + " of " + article(d.kind()), sg, writeParams(false), sd, sd, fl));
                    out.put(subPath, p);
                }
                default -> {
                    // log, exec, attach, portforward, proxy, token, finalize: not described
                }
            }
        }
        return out;
    }

    private String modelName(String simpleClassName) {
        return ModelCatalog.load(ModelCatalog.MODELS + simpleClassName).map(gen::definitionName).orElse(Specials.PATCH);
    }

    private static String article(String kind) {
        return ("AEIOU".indexOf(kind.charAt(0)) >= 0 ? "an " : "a ") + kind;
    }

    private List<String> writeParams(boolean patch) {
        List<String> p = new ArrayList<>(List.of("dryRun", "fieldManager"));
        if (fieldValidation) {
            p.add("fieldValidation");
        }
        if (patch) {
            p.add("force");
        }
        return p;
    }

    private static ObjectNode pathItem(boolean namespaced, boolean named, Flavor fl) {
        ObjectNode p = F.objectNode();
        ArrayNode params = p.putArray("parameters");
        if (named) {
            params.add(param("name", "path", "string", "name of the resource", true, fl));
        }
        if (namespaced) {
            params.add(param("namespace", "path", "string", "object name and auth scope, such as for teams and projects", true, fl));
        }
        params.add(param("pretty", "query", "string", QUERY.get("pretty")[1], false, fl));
        return p;
    }

    private static ObjectNode param(String name, String in, String type, String description, boolean required, Flavor fl) {
        ObjectNode p = F.objectNode();
        p.put("name", name).put("in", in).put("description", description);
        if (required) {
            p.put("required", true);
        }
        if (fl == Flavor.V2) {
            p.put("type", type).put("uniqueItems", true);
        } else {
            p.putObject("schema").put("type", type).put("uniqueItems", true);
        }
        return p;
    }

    private ObjectNode op(String action, String id, String tag, String description, Gvk gvk, List<String> query,
                          String bodyDef, String responseDef, Flavor fl) {
        ObjectNode o = F.objectNode();
        o.put("description", description);
        o.put("operationId", id);
        o.putArray("tags").add(tag);
        if (fl == Flavor.V2) {
            o.putArray("consumes").add("*/*");
            o.putArray("produces").add("application/json").add("application/yaml");
        }
        ArrayNode params = o.putArray("parameters");
        for (String q : query) {
            String[] t = QUERY.get(q);
            params.add(param(q, "query", t[0], t[1], false, fl));
        }
        if (bodyDef != null) {
            body(o, params, bodyDef, List.of("application/json", "application/yaml"), action.equals("post") || action.equals("put"), fl);
        }
        responses(o, action.equals("post") ? List.of("200", "201", "202") : List.of("200"), responseDef, fl);
        o.put("x-kubernetes-action", action);
        o.set("x-kubernetes-group-version-kind", gvk.toJson());
        return o;
    }

    private ObjectNode patchOp(String id, String tag, String description, Gvk gvk, String responseDef, boolean smp, Flavor fl) {
        ObjectNode o = F.objectNode();
        o.put("description", description);
        o.put("operationId", id);
        o.putArray("tags").add(tag);
        List<String> types = smp ? PATCH_TYPES : PATCH_TYPES.stream().filter(t -> !t.contains("strategic")).toList();
        if (fl == Flavor.V2) {
            ArrayNode c = o.putArray("consumes");
            types.forEach(c::add);
            o.putArray("produces").add("application/json").add("application/yaml");
        }
        ArrayNode params = o.putArray("parameters");
        for (String q : writeParams(true)) {
            String[] t = QUERY.get(q);
            params.add(param(q, "query", t[0], t[1], false, fl));
        }
        body(o, params, Specials.PATCH, types, true, fl);
        responses(o, List.of("200", "201"), responseDef, fl);
        o.put("x-kubernetes-action", "patch");
        o.set("x-kubernetes-group-version-kind", gvk.toJson());
        return o;
    }

    private static void body(ObjectNode op, ArrayNode params, String def, List<String> mediaTypes, boolean required, Flavor fl) {
        if (fl == Flavor.V2) {
            ObjectNode b = params.addObject();
            b.put("name", "body").put("in", "body");
            if (required) {
                b.put("required", true);
            }
            b.set("schema", SchemaGenerator.ref(def, fl));
        } else {
            ObjectNode rb = op.putObject("requestBody");
            ObjectNode content = rb.putObject("content");
            for (String mt : mediaTypes) {
                content.putObject(mt).set("schema", SchemaGenerator.ref(def, fl));
            }
            if (required) {
                rb.put("required", true);
            }
        }
    }

    private static void responses(ObjectNode op, List<String> codes, String def, Flavor fl) {
        ObjectNode r = op.putObject("responses");
        for (String code : codes) {
            ObjectNode c = r.putObject(code);
            c.put("description", switch (code) {
                case "201" -> "Created";
                case "202" -> "Accepted";
                default -> "OK";
            });
            if (fl == Flavor.V2) {
                c.set("schema", SchemaGenerator.ref(def, fl));
            } else {
                ObjectNode content = c.putObject("content");
                content.putObject("application/json").set("schema", SchemaGenerator.ref(def, fl));
                content.putObject("application/yaml").set("schema", SchemaGenerator.ref(def, fl));
            }
        }
        r.putObject("401").put("description", "Unauthorized");
    }
}
