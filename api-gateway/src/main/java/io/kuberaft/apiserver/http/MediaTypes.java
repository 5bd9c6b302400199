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

    /** A body that must be a single object. */
    public static ObjectNode parseObject(String contentType, byte[] body) {
        JsonNode n = parse(contentType, body);
        if (!(n instanceof ObjectNode o)) {
            throw StatusException.badRequest("Object 'Kind' is missing in '" + truncate(n.toString()) + "'");
        }
        return o;
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

    public static byte[] encode(JsonNode n, boolean yaml) {
        try {
            return yaml ? YAML_MAPPER.writeValueAsBytes(n) : JSON_MAPPER.writeValueAsBytes(n);
        } catch (JsonProcessingException e) {
            throw StatusException.internal("cannot encode response: " + e.getMessage());
        }
    }
}
