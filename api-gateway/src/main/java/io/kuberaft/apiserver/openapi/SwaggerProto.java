package io.kuberaft.apiserver.openapi;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Iterator;
import java.util.Map;

/**
 * Encodes a Swagger 2.0 JSON document as the protobuf message {@code openapi.v2.Document} of
 * google/gnostic ({@code openapiv2/OpenAPIv2.proto}) — what client-go's {@code OpenAPISchema()} asks for
 * with {@code Accept: application/com.github.proto-openapi.spec.v2@v1.0+protobuf} and parses with
 * {@code proto.Unmarshal} (kubectl's client-side validation reads the schema from it).
 *
 * <p>Only the subset of Swagger the generator produces is mapped: info, paths (operations with query,
 * path and body parameters, responses, vendor extensions) and definitions. Vendor extension values are
 * {@code Any.yaml} strings; JSON is valid YAML, so they are written as JSON text. Field numbers are
 * those of the .proto file, cited next to each write.
 */
final class SwaggerProto {
    private static final ObjectMapper JSON = new ObjectMapper();

    private SwaggerProto() {
    }

    static byte[] encode(JsonNode doc) {
        Msg m = new Msg();
        m.str(1, doc.path("swagger").asText("2.0"));                       // swagger
        JsonNode info = doc.path("info");
        m.msg(2, new Msg().str(1, info.path("title").asText()).str(2, info.path("version").asText())); // info{title, version}
        if (doc.has("paths")) {
            Msg paths = new Msg();
            for (var e : fields(doc.get("paths"))) {
                paths.msg(2, new Msg().str(1, e.getKey()).msg(2, pathItem(e.getValue())));   // Paths.path: NamedPathItem
            }
            m.msg(8, paths);                                                   // paths
        }
        if (doc.has("definitions")) {
            Msg defs = new Msg();
            for (var e : fields(doc.get("definitions"))) {
                defs.msg(1, new Msg().str(1, e.getKey()).msg(2, schema(e.getValue())));   // NamedSchema{name, value}
            }
            m.msg(9, defs);                                                    // definitions
        }
        return m.bytes();
    }

    private static Msg pathItem(JsonNode p) {
        Msg m = new Msg();
        String[] ops = {"get", "put", "post", "delete", "options", "head", "patch"};
        for (int i = 0; i < ops.length; i++) {
            if (p.has(ops[i])) {
                m.msg(2 + i, operation(p.get(ops[i])));                        // get=2 … patch=8
            }
        }
        for (JsonNode param : p.path("parameters")) {
            m.msg(9, parametersItem(param));                                   // parameters
        }
        extensions(m, p, 10);                                                  // vendor_extension
        return m;
    }

    private static Msg operation(JsonNode o) {
        Msg m = new Msg();
        for (JsonNode t : o.path("tags")) {
            m.str(1, t.asText());                                              // tags
        }
        m.str(2, o.path("summary").asText(""));                                 // summary
        m.str(3, o.path("description").asText(""));                            // description
        m.str(5, o.path("operationId").asText(""));                             // operation_id
        for (JsonNode t : o.path("produces")) {
            m.str(6, t.asText());                                              // produces
        }
        for (JsonNode t : o.path("consumes")) {
            m.str(7, t.asText());                                              // consumes
        }
        for (JsonNode param : o.path("parameters")) {
            m.msg(8, parametersItem(param));                                   // parameters
        }
        if (o.has("responses")) {
            Msg rs = new Msg();
            for (var e : fields(o.get("responses"))) {
                Msg resp = new Msg().str(1, e.getValue().path("description").asText(""));   // Response.description
                if (e.getValue().has("schema")) {
                    resp.msg(2, new Msg().msg(1, schema(e.getValue().get("schema"))));     // SchemaItem.schema
                }
                // Responses.response_code: NamedResponseValue{name, ResponseValue{response=1}}
                rs.msg(1, new Msg().str(1, e.getKey()).msg(2, new Msg().msg(1, resp)));
            }
            m.msg(9, rs);                                                      // responses
        }
        extensions(m, o, 13);                                                  // vendor_extension
        return m;
    }

    /** ParametersItem{parameter=1: Parameter{body_parameter=1 | non_body_parameter=2}}. */
    private static Msg parametersItem(JsonNode p) {
        String in = p.path("in").asText();
        Msg param = new Msg();
        if (in.equals("body")) {
            Msg b = new Msg().str(1, p.path("description").asText("")).str(2, p.path("name").asText()).str(3, in)
                    .bool(4, p.path("required").asBoolean(false));
            if (p.has("schema")) {
                b.msg(5, schema(p.get("schema")));
            }
            extensions(b, p, 6);
            param.msg(1, b);
        } else {
            boolean path = in.equals("path");
            // QueryParameterSubSchema: required=1 in=2 description=3 name=4 type=6 format=7 unique_items=20 ext=23
            // PathParameterSubSchema:  required=1 in=2 description=3 name=4 type=5 format=6 unique_items=19 ext=22
            Msg s = new Msg().bool(1, p.path("required").asBoolean(false)).str(2, in)
                    .str(3, p.path("description").asText("")).str(4, p.path("name").asText())
                    .str(path ? 5 : 6, p.path("type").asText("")).str(path ? 6 : 7, p.path("format").asText(""))
                    .bool(path ? 19 : 20, p.path("uniqueItems").asBoolean(false));
            extensions(s, p, path ? 22 : 23);
            // NonBodyParameter: header=1 form=2 query=3 path=4 (header/form parameters are not generated)
            param.msg(2, new Msg().msg(path ? 4 : 3, s));
        }
        return new Msg().msg(1, param);
    }

    /** openapi.v2.Schema. */
    static Msg schema(JsonNode s) {
        Msg m = new Msg();
        m.str(1, s.path("$ref").asText(""));                                   // _ref
        m.str(2, s.path("format").asText(""));                                 // format
        m.str(3, s.path("title").asText(""));                                  // title
        m.str(4, s.path("description").asText(""));                            // description
        if (s.has("default")) {
            m.msg(5, any(s.get("default")));                                   // default
        }
        if (s.has("maximum")) {
            m.dbl(7, s.get("maximum").asDouble());                             // maximum
        }
        if (s.has("minimum")) {
            m.dbl(9, s.get("minimum").asDouble());                             // minimum
        }
        if (s.has("pattern")) {
            m.str(13, s.get("pattern").asText());                              // pattern
        }
        m.bool(16, s.path("uniqueItems").asBoolean(false));                    // unique_items
        for (JsonNode r : s.path("required")) {
            m.str(19, r.asText());                                             // required
        }
        for (JsonNode e : s.path("enum")) {
            m.msg(20, any(e));                                                 // enum
        }
        JsonNode ap = s.get("additionalProperties");
        if (ap != null) {
            // AdditionalPropertiesItem{schema=1 | boolean=2}
            m.msg(21, ap.isBoolean() ? new Msg().boolAlways(2, ap.asBoolean()) : new Msg().msg(1, schema(ap)));
        }
        if (s.has("type")) {
            m.msg(22, new Msg().str(1, s.get("type").asText()));                 // TypeItem{value}
        }
        if (s.has("items")) {
            m.msg(23, new Msg().msg(1, schema(s.get("items"))));                  // ItemsItem{schema}
        }
        for (JsonNode a : s.path("allOf")) {
            m.msg(24, schema(a));                                              // all_of
        }
        if (s.has("properties") && s.get("properties").size() > 0) {
            Msg props = new Msg();
            for (var e : fields(s.get("properties"))) {
                props.msg(1, new Msg().str(1, e.getKey()).msg(2, schema(e.getValue())));   // NamedSchema
            }
            m.msg(25, props);                                                  // properties
        }
        m.bool(27, s.path("readOnly").asBoolean(false));                       // read_only
        extensions(m, s, 31);                                                  // vendor_extension
        return m;
    }

    /** x-… members as repeated NamedAny{name=1, value=2: Any{yaml=2}}. */
    private static void extensions(Msg m, JsonNode n, int field) {
        for (var e : fields(n)) {
            if (e.getKey().startsWith("x-")) {
                m.msg(field, new Msg().str(1, e.getKey()).msg(2, any(e.getValue())));
            }
        }
    }

    private static Msg any(JsonNode v) {
        try {
            return new Msg().str(2, JSON.writeValueAsString(v) + "\n");        // Any.yaml
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    private static Iterable<Map.Entry<String, JsonNode>> fields(JsonNode n) {
        return () -> {
            Iterator<Map.Entry<String, JsonNode>> it = n.fields();
            return it;
        };
    }

    /** A protobuf message being written (proto3: default values are omitted). */
    static final class Msg {
        private final ByteArrayOutputStream out = new ByteArrayOutputStream();

        Msg str(int field, String s) {
            if (s != null && !s.isEmpty()) {
                bytes(field, s.getBytes(StandardCharsets.UTF_8));
            }
            return this;
        }

        Msg bool(int field, boolean b) {
            return b ? boolAlways(field, true) : this;
        }

        /** A bool inside a oneof is written even when false. */
        Msg boolAlways(int field, boolean b) {
            varint((long) field << 3);
            varint(b ? 1 : 0);
            return this;
        }

        Msg dbl(int field, double d) {
            varint(((long) field << 3) | 1);
            long bits = Double.doubleToLongBits(d);
            for (int i = 0; i < 8; i++) {
                out.write((int) (bits >>> (8 * i)) & 0xff);
            }
            return this;
        }

        Msg msg(int field, Msg m) {
            return bytes(field, m.bytes());
        }

        private Msg bytes(int field, byte[] b) {
            varint(((long) field << 3) | 2);
            varint(b.length);
            out.writeBytes(b);
            return this;
        }

        private void varint(long v) {
            while ((v & ~0x7FL) != 0) {
                out.write((int) ((v & 0x7F) | 0x80));
                v >>>= 7;
            }
            out.write((int) v);
        }

        byte[] bytes() {
            return out.toByteArray();
        }
    }
}
