package io.kuberaft.apiserver.http;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import io.kuberaft.kubeapi.StatusException;
import org.yaml.snakeyaml.LoaderOptions;

import java.io.IOException;

/** Request body decoding and response encoding for the media types kubectl and clients use. */
public final class MediaTypes {
    public static final String JSON = "application/json";
    public static final String YAML = "application/yaml";
    public static final String MERGE_PATCH = "application/merge-patch+json";
    public static final String JSON_PATCH = "application/json-patch+json";
    public static final String STRATEGIC_MERGE_PATCH = "application/strategic-merge-patch+json";
    public static final String APPLY_PATCH = "application/apply-patch+yaml";
    public static final String PROTOBUF = "application/vnd.kubernetes.protobuf";
    /** Bodies over this are refused with 413, as upstream's 3 MiB limit. */
    public static final int MAX_BODY_BYTES = 3 * 1024 * 1024;
    /** Absurd nesting is refused instead of exhausting the stack. */
    public static final int MAX_DEPTH = 100;

    private static final ObjectMapper JSON_MAPPER = new ObjectMapper();
    private static final ObjectMapper YAML_MAPPER;

    static {
        JSON_MAPPER.getFactory().setStreamReadConstraints(StreamReadConstraints.builder().maxNestingDepth(MAX_DEPTH).build());
        LoaderOptions lo = new LoaderOptions();
        lo.setMaxAliasesForCollections(50);
        lo.setNestingDepthLimit(MAX_DEPTH);
        lo.setCodePointLimit(MAX_BODY_BYTES);
        YAML_MAPPER = new YAMLMapper(YAMLFactory.builder().loaderOptions(lo).build());
    }

    private MediaTypes() {
    }

    /** The media type without parameters, lower case. */
    public static String base(String contentType) {
        if (contentType == null) {
            return "";
        }
        int semi = contentType.indexOf(';');
        return (semi < 0 ? contentType : contentType.substring(0, semi)).trim().toLowerCase();
    }

    /**
     * Parses a JSON, YAML or Kubernetes protobuf body ({@link ProtobufBodies}: typed clients such as
     * kubectl's {@code create} send protobuf and do not fall back to JSON); 400 with the parser's message
     * when malformed, 415 for a protobuf kind the server has no schema for.
     */
    public static JsonNode parse(String contentType, byte[] body) {
        String base = base(contentType);
        if (base.equals(PROTOBUF)) {
            return ProtobufBodies.decode(body);
        }
        boolean yaml = base.equals(YAML) || base.equals(APPLY_PATCH) || base.equals("application/x-yaml") || base.equals("text/yaml");
        if (!yaml && !base.isEmpty() && !base.equals(JSON) && !base.equals(MERGE_PATCH) && !base.equals(JSON_PATCH)
                && !base.equals(STRATEGIC_MERGE_PATCH)) {
            throw StatusException.unsupportedMediaType("the body of the request was in an unknown format - accepted media types include: "
                    + "application/json, application/yaml, application/vnd.kubernetes.protobuf");
        }
        try {
            JsonNode n = (yaml ? YAML_MAPPER : JSON_MAPPER).readTree(body);
            if (n == null || n.isMissingNode()) {
                throw StatusException.badRequest("the body of the request was empty");
            }
            return n;
        } catch (JsonProcessingException e) {
            throw StatusException.badRequest((yaml ? "error converting YAML to JSON: " : "couldn't get version/kind; json parse error: ")
                    + e.getOriginalMessage());
        } catch (IOException e) {
            throw StatusException.badRequest("unreadable body: " + e.getMessage());
        } catch (RuntimeException e) {
            if (e instanceof StatusException se) {
                throw se;
            }
            throw StatusException.badRequest("unreadable body: " + e.getMessage());
        }
    }

    /** {@code duplicate field "a.b"} for each field a JSON or YAML body names twice in one object (none for protobuf). */
    public static java.util.List<String> duplicateFields(String contentType, byte[] body) {
        String base = base(contentType);
        if (base.equals(PROTOBUF) || body == null || body.length == 0) {
            return java.util.List.of();
        }
        boolean yaml = base.equals(YAML) || base.equals(APPLY_PATCH) || base.equals("application/x-yaml") || base.equals("text/yaml");
        return DuplicateFields.find((yaml ? YAML_MAPPER : JSON_MAPPER).getFactory(), body);
    }

    /** A body that must be a single object, whose metadata decodes as an ObjectMeta. */
    public static ObjectNode parseObject(String contentType, byte[] body) {
        JsonNode n = parse(contentType, body);
        if (!(n instanceof ObjectNode o)) {
            throw StatusException.badRequest("Object 'Kind' is missing in '" + truncate(n.toString()) + "'");
        }
        return checkObjectMeta(o);
    }

    /**
     * The decode step upstream gets from its typed structs: apiVersion/kind and the ObjectMeta fields have
     * their JSON types (strings, string maps, lists), else 400 — so no object whose metadata the registry,
     * selectors or watch cannot read is ever stored.
     */
    public static ObjectNode checkObjectMeta(ObjectNode o) {
        for (String f : new String[] {"apiVersion", "kind"}) {
            requireType(o.get(f), f, JsonNode::isTextual, "string");
        }
        JsonNode meta = o.get("metadata");
        if (meta == null || meta.isNull()) {
            return o;
        }
        if (!meta.isObject()) {
            throw decodeError("metadata", "ObjectMeta", meta);
        }
        for (String f : new String[] {"name", "generateName", "namespace", "uid", "resourceVersion", "creationTimestamp",
                "deletionTimestamp", "selfLink"}) {
            requireType(meta.get(f), "metadata." + f, JsonNode::isTextual, "string");
        }
        for (String f : new String[] {"generation", "deletionGracePeriodSeconds"}) {
            requireType(meta.get(f), "metadata." + f, JsonNode::isIntegralNumber, "int64");
        }
        for (String f : new String[] {"labels", "annotations"}) {
            JsonNode m = meta.get(f);
            requireType(m, "metadata." + f, JsonNode::isObject, "map[string]string");
            if (m != null) {
                m.fields().forEachRemaining(e -> requireType(e.getValue(), "metadata." + f, JsonNode::isTextual, "string"));
            }
        }
        JsonNode fin = meta.get("finalizers");
        requireType(fin, "metadata.finalizers", JsonNode::isArray, "[]string");
        if (fin != null) {
            fin.forEach(e -> requireType(e, "metadata.finalizers", JsonNode::isTextual, "string"));
        }
        for (String f : new String[] {"ownerReferences", "managedFields"}) {
            JsonNode l = meta.get(f);
            requireType(l, "metadata." + f, JsonNode::isArray, "[]object");
            if (l != null) {
                l.forEach(e -> requireType(e, "metadata." + f, JsonNode::isObject, "object"));
            }
        }
        return o;
    }

    private static void requireType(JsonNode v, String field, java.util.function.Predicate<JsonNode> ok, String goType) {
        if (v != null && !v.isNull() && !ok.test(v)) {
            throw decodeError(field, goType, v);
        }
    }

    private static StatusException decodeError(String field, String goType, JsonNode v) {
        return StatusException.badRequest("json: cannot unmarshal " + v.getNodeType().name().toLowerCase() + " into Go struct field "
                + field + " of type " + goType);
    }

    private static String truncate(String s) {
        return s.length() > 200 ? s.substring(0, 200) + "…" : s;
    }

    public static boolean wantsTable(String accept) {
        return accept != null && accept.contains("as=Table");
    }

    public static boolean wantsAggregatedDiscovery(String accept) {
        return accept != null && accept.contains("as=APIGroupDiscoveryList");
    }

    public static boolean wantsYaml(String accept) {
        return accept != null && base(accept.split(",")[0]).equals(YAML);
    }

    public static String encodeString(JsonNode n) {
        return new String(encode(n, false), java.nio.charset.StandardCharsets.UTF_8);
    }

    public static byte[] encode(JsonNode n, boolean yaml) {
        try {
            return yaml ? YAML_MAPPER.writeValueAsBytes(n) : JSON_MAPPER.writeValueAsBytes(n);
        } catch (JsonProcessingException e) {
            throw StatusException.internal("cannot encode response: " + e.getMessage());
        }
    }
}
