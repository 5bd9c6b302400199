package io.kuberaft.apiserver.http;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.BigIntegerNode;
import com.fasterxml.jackson.databind.node.BooleanNode;
import com.fasterxml.jackson.databind.node.DoubleNode;
import com.fasterxml.jackson.databind.node.IntNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.LongNode;
import com.fasterxml.jackson.databind.node.NullNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import com.google.protobuf.ByteString;
import com.google.protobuf.CodedInputStream;
import com.google.protobuf.Descriptors.Descriptor;
import com.google.protobuf.Descriptors.EnumValueDescriptor;
import com.google.protobuf.Descriptors.FieldDescriptor;
import com.google.protobuf.Descriptors.FileDescriptor;
import com.google.protobuf.DynamicMessage;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Message;
import io.kubernetes.client.proto.Runtime;
import io.kuberaft.kubeapi.StatusException;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.time.DateTimeException;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.Arrays;
import java.util.Base64;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Decodes Kubernetes protobuf request bodies ({@code application/vnd.kubernetes.protobuf}: the magic
 * {@code k8s\0} and a {@code runtime.Unknown} envelope around the typed object's protobuf) into the JSON
 * tree the same object sent as JSON would give, for every kind whose generated message ships in
 * {@code io.kubernetes:client-java-proto}.
 *
 * <p>The wire format alone does not say how the Go types marshal to JSON: client-go writes every
 * non-pointer field, zero or not, embeds some structs inline, and a few JSON names differ from the
 * proto names. Those facts come from the Go struct tags, extracted into {@code proto-json-hints.tsv}
 * by {@code api-gateway/tools/gen_proto_json_hints.py}; a field without a hint is emitted whenever it is
 * present on the wire (proto2 presence), under its proto name.
 */
public final class ProtobufBodies {
    /** {@code k8s\0}: the prefix of every Kubernetes protobuf body. */
    private static final byte[] MAGIC = {0x6b, 0x38, 0x73, 0x00};
    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String META_V1 = "k8s.io.apimachinery.pkg.apis.meta.v1";
    private static final String TIME = META_V1 + ".Time";
    private static final String MICRO_TIME = META_V1 + ".MicroTime";
    private static final String DURATION = META_V1 + ".Duration";
    private static final String FIELDS_V1 = META_V1 + ".FieldsV1";
    private static final String INT_OR_STRING = "k8s.io.apimachinery.pkg.util.intstr.IntOrString";
    private static final String QUANTITY = "k8s.io.apimachinery.pkg.api.resource.Quantity";
    private static final String QUANTITY_VALUE = "k8s.io.apimachinery.pkg.api.resource.QuantityValue";
    private static final String RAW_EXTENSION = "k8s.io.apimachinery.pkg.runtime.RawExtension";
    private static final String APIEXTENSIONS = "k8s.io.apiextensions_apiserver.pkg.apis.apiextensions.";
    private static final DateTimeFormatter RFC3339 = DateTimeFormatter.ofPattern("uuuu-MM-dd'T'HH:mm:ss'Z'").withZone(ZoneOffset.UTC);
    private static final DateTimeFormatter RFC3339_MICRO = DateTimeFormatter.ofPattern("uuuu-MM-dd'T'HH:mm:ss.SSSSSS'Z'")
            .withZone(ZoneOffset.UTC);

    /** API group → proto package prefix (the version is appended). Groups not listed: {@link #packagePrefix}. */
    private static final Map<String, String> GROUP_PACKAGES = Map.ofEntries(
            Map.entry("", "k8s.io.api.core"),
            Map.entry("apps", "k8s.io.api.apps"),
            Map.entry("batch", "k8s.io.api.batch"),
            Map.entry("autoscaling", "k8s.io.api.autoscaling"),
            Map.entry("policy", "k8s.io.api.policy"),
            Map.entry("extensions", "k8s.io.api.extensions"),
            Map.entry("networking.k8s.io", "k8s.io.api.networking"),
            Map.entry("rbac.authorization.k8s.io", "k8s.io.api.rbac"),
            Map.entry("storage.k8s.io", "k8s.io.api.storage"),
            Map.entry("coordination.k8s.io", "k8s.io.api.coordination"),
            Map.entry("discovery.k8s.io", "k8s.io.api.discovery"),
            Map.entry("events.k8s.io", "k8s.io.api.events"),
            Map.entry("scheduling.k8s.io", "k8s.io.api.scheduling"),
            Map.entry("node.k8s.io", "k8s.io.api.node"),
            Map.entry("certificates.k8s.io", "k8s.io.api.certificates"),
            Map.entry("authentication.k8s.io", "k8s.io.api.authentication"),
            Map.entry("authorization.k8s.io", "k8s.io.api.authorization"),
            Map.entry("admission.k8s.io", "k8s.io.api.admission"),
            Map.entry("admissionregistration.k8s.io", "k8s.io.api.admissionregistration"),
            Map.entry("flowcontrol.apiserver.k8s.io", "k8s.io.api.flowcontrol"),
            Map.entry("internal.apiserver.k8s.io", "k8s.io.api.apiserverinternal"),
            Map.entry("resource.k8s.io", "k8s.io.api.resource"),
            Map.entry("storagemigration.k8s.io", "k8s.io.api.storagemigration"),
            Map.entry("imagepolicy.k8s.io", "k8s.io.api.imagepolicy"),
            Map.entry("apidiscovery.k8s.io", "k8s.io.api.apidiscovery"),
            Map.entry("apiextensions.k8s.io", "k8s.io.apiextensions_apiserver.pkg.apis.apiextensions"),
            Map.entry("meta.k8s.io", "k8s.io.apimachinery.pkg.apis.meta"));

    /** The outer classes of client-java-proto whose descriptors are indexed; missing ones are skipped. */
    private static final List<String> OUTER_CLASSES = List.of("IntStr", "Meta", "Resource", "Runtime", "RuntimeSchema", "V1",
            "V1Admission", "V1Admissionregistration", "V1Apiextensions", "V1Apps", "V1Authentication", "V1Authorization",
            "V1Autoscaling", "V1Batch", "V1Certificates", "V1Coordination", "V1Discovery", "V1Events", "V1Flowcontrol",
            "V1Networking", "V1Node", "V1Policy", "V1Rbac", "V1Resource", "V1Scheduling", "V1Storage",
            "V1alpha1Apiserverinternal", "V1alpha1Imagepolicy", "V1alpha1Rbac", "V1alpha1Scheduling", "V1beta1Admission",
            "V1beta1Admissionregistration", "V1beta1Apiextensions", "V1beta1Apps", "V1beta1Authentication",
            "V1beta1Authorization", "V1beta1Batch", "V1beta1Certificates", "V1beta1Extensions", "V1beta1Policy", "V1beta1Rbac",
            "V1beta1Storage", "V1beta1Storagemigration", "V1beta2Apps", "V2Apidiscovery", "V2Autoscaling",
            "V2beta1Apidiscovery", "V2beta1Autoscaling", "V2beta2Autoscaling");

    static {
        JSON.getFactory().setStreamReadConstraints(StreamReadConstraints.builder().maxNestingDepth(MediaTypes.MAX_DEPTH).build());
    }

    private ProtobufBodies() {
    }

    /** How one field marshals to JSON, from its Go struct tag. */
    private record Hint(String jsonName, boolean omitEmpty, boolean omitZero, boolean inline, boolean skip) {
        static final Hint NONE = new Hint(null, false, false, false, false);
    }

    /** Loaded on first use: the descriptors (a few hundred ms) and the hints. */
    private static final class Index {
        static final Map<String, Descriptor> MESSAGES = new HashMap<>();
        static final Map<String, Hint> FIELD_HINTS = new HashMap<>();
        static final Set<String> ARRAY_MESSAGES = new HashSet<>();

        static {
            for (String outer : OUTER_CLASSES) {
                try {
                    Class<?> c = Class.forName("io.kubernetes.client.proto." + outer);
                    FileDescriptor fd = (FileDescriptor) c.getMethod("getDescriptor").invoke(null);
                    for (Descriptor d : fd.getMessageTypes()) {
                        MESSAGES.put(d.getFullName(), d);
                    }
                } catch (ReflectiveOperationException | LinkageError e) {
                    // not in this version of client-java-proto
                }
            }
            loadHints();
        }

        private static void loadHints() {
            try (InputStream in = ProtobufBodies.class.getResourceAsStream("proto-json-hints.tsv")) {
                if (in == null) {
                    throw new IllegalStateException("proto-json-hints.tsv is missing from the classpath");
                }
                BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8));
                for (String line; (line = r.readLine()) != null; ) {
                    if (line.isBlank() || line.startsWith("#")) {
                        continue;
                    }
                    int tab = line.indexOf('\t');
                    String key = line.substring(0, tab);
                    List<String> flags = Arrays.asList(line.substring(tab + 1).trim().split(","));
                    if (flags.contains("array")) {
                        ARRAY_MESSAGES.add(key);
                        continue;
                    }
                    String json = null;
                    for (String f : flags) {
                        if (f.startsWith("json=")) {
                            json = f.substring(5);
                        }
                    }
                    FIELD_HINTS.put(key, new Hint(json, flags.contains("omitempty"), flags.contains("omitzero"),
                            flags.contains("inline"), flags.contains("skip")));
                }
            } catch (IOException e) {
                throw new IllegalStateException("cannot read proto-json-hints.tsv", e);
            }
        }
    }

    /** True for the Content-Type of Kubernetes protobuf bodies. */
    public static boolean isProtobuf(String contentType) {
        return MediaTypes.base(contentType).equals(MediaTypes.PROTOBUF);
    }

    /**
     * The JSON object a protobuf body stands for, {@code apiVersion} and {@code kind} included.
     *
     * @throws StatusException 400 for a body that is not a well-formed Kubernetes protobuf message, 415 for
     *                         a kind (or an envelope encoding) this server cannot decode from protobuf
     */
    public static ObjectNode decode(byte[] body) {
        try {
            return decode(body, 0);
        } catch (StatusException e) {
            throw e;
        } catch (RuntimeException | StackOverflowError e) {
            throw StatusException.badRequest("unable to decode the protobuf body: " + e);
        }
    }

    /** The message descriptor of a kind, or null when client-java-proto has none. */
    public static Descriptor descriptorFor(String apiVersion, String kind) {
        if (apiVersion == null || kind == null || kind.isEmpty()) {
            return null;
        }
        int slash = apiVersion.lastIndexOf('/');
        String group = slash < 0 ? "" : apiVersion.substring(0, slash);
        String version = slash < 0 ? apiVersion : apiVersion.substring(slash + 1);
        Descriptor d = Index.MESSAGES.get(packagePrefix(group) + "." + version + "." + kind);
        if (d == null) {
            // DeleteOptions, ListOptions, Status …: registered in every group version, defined once in meta/v1.
            d = Index.MESSAGES.get(META_V1 + "." + kind);
        }
        return d;
    }

    private static String packagePrefix(String group) {
        String p = GROUP_PACKAGES.get(group);
        if (p != null) {
            return p;
        }
        String g = group.endsWith(".k8s.io") ? group.substring(0, group.length() - ".k8s.io".length()) : group;
        int dot = g.indexOf('.');
        return "k8s.io.api." + (dot < 0 ? g : g.substring(0, dot));
    }

    private static ObjectNode decode(byte[] body, int depth) {
        if (depth > MediaTypes.MAX_DEPTH) {
            throw StatusException.badRequest("the protobuf body nests objects too deeply");
        }
        if (body == null || body.length == 0) {
            throw StatusException.badRequest("the body of the request was empty");
        }
        if (!hasMagic(body)) {
            throw StatusException.badRequest("provided data does not appear to be a protobuf message, expected prefix "
                    + Arrays.toString(MAGIC));
        }
        // Parsed with DynamicMessage, never with client-java-proto's generated parsers: that gencode predates
        // protobuf 22 (the runtime warns it is open to GHSA-h4h5-3hr4-j3g2); the 4.x runtime's parser is not.
        Descriptor ud = Runtime.Unknown.getDescriptor();
        DynamicMessage unknown;
        try {
            unknown = DynamicMessage.parseFrom(ud, CodedInputStream.newInstance(body, MAGIC.length, body.length - MAGIC.length));
        } catch (IOException e) {
            throw StatusException.badRequest("unable to decode the protobuf envelope: " + e.getMessage());
        }
        Message typeMeta = (Message) unknown.getField(ud.findFieldByName("typeMeta"));
        String apiVersion = (String) typeMeta.getField(typeMeta.getDescriptorForType().findFieldByName("apiVersion"));
        String kind = (String) typeMeta.getField(typeMeta.getDescriptorForType().findFieldByName("kind"));
        ByteString raw = (ByteString) unknown.getField(ud.findFieldByName("raw"));
        String contentEncoding = (String) unknown.getField(ud.findFieldByName("contentEncoding"));
        String contentType = (String) unknown.getField(ud.findFieldByName("contentType"));
        if (kind.isEmpty()) {
            throw StatusException.badRequest("Object 'Kind' is missing in the protobuf body");
        }
        if (!contentEncoding.isEmpty()) {
            throw StatusException.unsupportedMediaType("unsupported content encoding \"" + contentEncoding
                    + "\" of the protobuf body");
        }
        String ct = MediaTypes.base(contentType);
        ObjectNode out = NODES.objectNode();
        out.put("kind", kind).put("apiVersion", apiVersion);
        if (ct.equals(MediaTypes.JSON)) {
            JsonNode j = json(raw);
            if (!(j instanceof ObjectNode o)) {
                throw StatusException.badRequest("the object in the protobuf body is not a JSON object");
            }
            o.setAll(out);
            return o;
        }
        if (!ct.isEmpty() && !ct.equals(MediaTypes.PROTOBUF)) {
            throw StatusException.unsupportedMediaType("unsupported content type \"" + contentType
                    + "\" inside the protobuf body");
        }
        Descriptor d = descriptorFor(apiVersion, kind);
        if (d == null) {
            throw StatusException.unsupportedMediaType("the body of the request was in an unknown format - no protobuf schema for kind \""
                    + kind + "\" in version \"" + apiVersion + "\"; accepted media types include: application/json, application/yaml");
        }
        DynamicMessage m;
        try {
            m = DynamicMessage.parseFrom(d, raw);
        } catch (InvalidProtocolBufferException e) {
            throw StatusException.badRequest("unable to decode " + kind + " from the protobuf body: " + e.getMessage());
        }
        fill(m, out, depth);
        return out;
    }

    private static boolean hasMagic(byte[] b) {
        return b.length >= MAGIC.length && b[0] == MAGIC[0] && b[1] == MAGIC[1] && b[2] == MAGIC[2] && b[3] == MAGIC[3];
    }

    private static Hint hint(FieldDescriptor f) {
        Hint h = Index.FIELD_HINTS.get(f.getFullName());
        return h == null ? Hint.NONE : h;
    }

    /** Writes the JSON fields of a message into {@code out}, in declaration order as Go's encoder does. */
    private static void fill(Message m, ObjectNode out, int depth) {
        for (FieldDescriptor f : m.getDescriptorForType().getFields()) {
            Hint h = hint(f);
            if (h.skip()) {
                continue;
            }
            String name = h.jsonName() != null ? h.jsonName() : f.getName();
            if (f.isMapField()) {
                int n = m.getRepeatedFieldCount(f);
                if (n == 0) {
                    continue;
                }
                ObjectNode map = out.putObject(name);
                for (int i = 0; i < n; i++) {
                    Message entry = (Message) m.getRepeatedField(f, i);
                    FieldDescriptor kf = entry.getDescriptorForType().findFieldByNumber(1);
                    FieldDescriptor vf = entry.getDescriptorForType().findFieldByNumber(2);
                    map.set(String.valueOf(entry.getField(kf)), value(vf, entry.getField(vf), depth));
                }
            } else if (f.isRepeated()) {
                int n = m.getRepeatedFieldCount(f);
                if (n == 0) {
                    continue;
                }
                ArrayNode arr = out.putArray(name);
                for (int i = 0; i < n; i++) {
                    arr.add(value(f, m.getRepeatedField(f, i), depth));
                }
            } else if (m.hasField(f)) {
                Object v = m.getField(f);
                if (f.getJavaType() == FieldDescriptor.JavaType.MESSAGE) {
                    Message sub = (Message) v;
                    if (h.omitZero() && isZero(sub)) {
                        continue;
                    }
                    if (h.inline()) {
                        if (value(f, sub, depth) instanceof ObjectNode o) {
                            out.setAll(o);
                        }
                        continue;
                    }
                } else if ((h.omitEmpty() || h.omitZero()) && isZeroScalar(v)) {
                    continue;
                }
                out.set(name, value(f, v, depth));
            }
        }
    }

    private static JsonNode value(FieldDescriptor f, Object v, int depth) {
        return switch (f.getType()) {
            case MESSAGE, GROUP -> message((Message) v, depth + 1);
            case STRING -> TextNode.valueOf((String) v);
            case BYTES -> TextNode.valueOf(Base64.getEncoder().encodeToString(((ByteString) v).toByteArray()));
            case BOOL -> BooleanNode.valueOf((Boolean) v);
            case INT32, SINT32, SFIXED32 -> IntNode.valueOf((Integer) v);
            case UINT32, FIXED32 -> integral(Integer.toUnsignedLong((Integer) v));
            case INT64, SINT64, SFIXED64 -> integral((Long) v);
            case UINT64, FIXED64 -> (Long) v >= 0 ? integral((Long) v) : BigIntegerNode.valueOf(new BigInteger(Long.toUnsignedString((Long) v)));
            case DOUBLE -> number((Double) v);
            case FLOAT -> number(((Float) v).doubleValue());
            case ENUM -> TextNode.valueOf(((EnumValueDescriptor) v).getName());
        };
    }

    /** The node Jackson's parser makes for the same number (IntNode when it fits), so trees compare equal. */
    private static JsonNode integral(long v) {
        return v == (int) v ? IntNode.valueOf((int) v) : LongNode.valueOf(v);
    }

    /** Go writes integral floats without a fraction ({@code 1}, not {@code 1.0}). */
    private static JsonNode number(double d) {
        if (d == Math.rint(d) && Math.abs(d) < 1e15) {
            return integral((long) d);
        }
        return DoubleNode.valueOf(d);
    }

    private static JsonNode message(Message m, int depth) {
        if (depth > MediaTypes.MAX_DEPTH) {
            throw StatusException.badRequest("the protobuf body nests objects too deeply");
        }
        Descriptor d = m.getDescriptorForType();
        String type = d.getFullName();
        switch (type) {
            case TIME -> {
                return time(m, RFC3339);
            }
            case MICRO_TIME -> {
                return time(m, RFC3339_MICRO);
            }
            case DURATION -> {
                return TextNode.valueOf(goDuration((Long) m.getField(d.findFieldByName("duration"))));
            }
            case INT_OR_STRING -> {
                long t = (Long) m.getField(d.findFieldByName("type"));
                if (t == 0) {
                    return IntNode.valueOf((Integer) m.getField(d.findFieldByName("intVal")));
                }
                if (t == 1) {
                    return TextNode.valueOf((String) m.getField(d.findFieldByName("strVal")));
                }
                throw StatusException.badRequest("impossible IntOrString.Type " + t + " in the protobuf body");
            }
            case QUANTITY, QUANTITY_VALUE -> {
                FieldDescriptor s = d.findFieldByName("string");
                return TextNode.valueOf(m.hasField(s) ? (String) m.getField(s) : "0");
            }
            case RAW_EXTENSION -> {
                return embedded((ByteString) m.getField(d.findFieldByName("raw")), depth);
            }
            case FIELDS_V1 -> {
                return embedded((ByteString) m.getField(d.findFieldByName("Raw")), depth);
            }
            default -> {
            }
        }
        if (type.startsWith(APIEXTENSIONS)) {
            JsonNode special = apiextensions(m, type.substring(type.lastIndexOf('.') + 1), depth);
            if (special != null) {
                return special;
            }
        }
        if (Index.ARRAY_MESSAGES.contains(type)) {
            FieldDescriptor items = d.findFieldByName("items");
            if (items != null && items.isRepeated() && d.getFields().size() == 1) {
                ArrayNode arr = NODES.arrayNode();
                for (int i = 0; i < m.getRepeatedFieldCount(items); i++) {
                    arr.add(value(items, m.getRepeatedField(items, i), depth));
                }
                return arr;
            }
        }
        ObjectNode o = NODES.objectNode();
        fill(m, o, depth);
        return o;
    }

    /** apiextensions' hand-written JSON forms: JSON, JSONSchemaPropsOrArray, …OrBool, …OrStringArray. */
    private static JsonNode apiextensions(Message m, String name, int depth) {
        Descriptor d = m.getDescriptorForType();
        switch (name) {
            case "JSON" -> {
                return embedded((ByteString) m.getField(d.findFieldByName("raw")), depth);
            }
            case "JSONSchemaPropsOrArray" -> {
                FieldDescriptor arr = d.findFieldByName("jSONSchemas");
                if (m.getRepeatedFieldCount(arr) > 0) {
                    ArrayNode a = NODES.arrayNode();
                    for (int i = 0; i < m.getRepeatedFieldCount(arr); i++) {
                        a.add(message((Message) m.getRepeatedField(arr, i), depth + 1));
                    }
                    return a;
                }
                FieldDescriptor s = d.findFieldByName("schema");
                return m.hasField(s) ? message((Message) m.getField(s), depth + 1) : NullNode.instance;
            }
            case "JSONSchemaPropsOrBool" -> {
                FieldDescriptor s = d.findFieldByName("schema");
                if (m.hasField(s)) {
                    return message((Message) m.getField(s), depth + 1);
                }
                return BooleanNode.valueOf((Boolean) m.getField(d.findFieldByName("allows")));
            }
            case "JSONSchemaPropsOrStringArray" -> {
                FieldDescriptor p = d.findFieldByName("property");
                if (m.getRepeatedFieldCount(p) > 0) {
                    ArrayNode a = NODES.arrayNode();
                    for (int i = 0; i < m.getRepeatedFieldCount(p); i++) {
                        a.add((String) m.getRepeatedField(p, i));
                    }
                    return a;
                }
                FieldDescriptor s = d.findFieldByName("schema");
                return m.hasField(s) ? message((Message) m.getField(s), depth + 1) : NullNode.instance;
            }
            default -> {
                return null;
            }
        }
    }

    /** metav1.Time / MicroTime: absent seconds is Go's zero time, which marshals as null. */
    private static JsonNode time(Message m, DateTimeFormatter format) {
        Descriptor d = m.getDescriptorForType();
        FieldDescriptor sf = d.findFieldByName("seconds");
        FieldDescriptor nf = d.findFieldByName("nanos");
        if (!m.hasField(sf) && !m.hasField(nf)) {
            return NullNode.instance;
        }
        long seconds = (Long) m.getField(sf);
        // metav1.Time drops the nanoseconds when decoding protobuf (its JSON has whole seconds only).
        long nanos = format == RFC3339 ? 0 : (Integer) m.getField(nf);
        try {
            return TextNode.valueOf(format.format(Instant.ofEpochSecond(seconds, nanos)));
        } catch (DateTimeException | ArithmeticException e) {
            throw StatusException.badRequest("invalid time in the protobuf body: " + seconds + "s");
        }
    }

    /** An embedded object (RawExtension, FieldsV1, JSON): JSON bytes, or a nested protobuf body. */
    private static JsonNode embedded(ByteString raw, int depth) {
        if (raw.isEmpty()) {
            return NullNode.instance;
        }
        byte[] b = raw.toByteArray();
        if (hasMagic(b)) {
            return decode(b, depth + 1);
        }
        return json(raw);
    }

    private static JsonNode json(ByteString raw) {
        try {
            JsonNode n = JSON.readTree(raw.toByteArray());
            return n == null || n.isMissingNode() ? NullNode.instance : n;
        } catch (JsonProcessingException e) {
            throw StatusException.badRequest("the embedded object in the protobuf body is not valid JSON: " + e.getOriginalMessage());
        } catch (IOException e) {
            throw StatusException.badRequest("unreadable embedded object in the protobuf body: " + e.getMessage());
        }
    }

    private static boolean isZeroScalar(Object v) {
        if (v instanceof String s) {
            return s.isEmpty();
        }
        if (v instanceof ByteString b) {
            return b.isEmpty();
        }
        if (v instanceof Boolean b) {
            return !b;
        }
        if (v instanceof Number n) {
            return n.doubleValue() == 0;
        }
        if (v instanceof EnumValueDescriptor e) {
            return e.getNumber() == 0;
        }
        return false;
    }

    /** Go's {@code omitzero}: the struct's zero value (for Time: the zero time, i.e. no seconds on the wire). */
    private static boolean isZero(Message m) {
        String type = m.getDescriptorForType().getFullName();
        if (type.equals(TIME) || type.equals(MICRO_TIME)) {
            return m.getAllFields().isEmpty();
        }
        for (Map.Entry<FieldDescriptor, Object> e : m.getAllFields().entrySet()) {
            FieldDescriptor f = e.getKey();
            if (f.isRepeated()) {
                if (!((List<?>) e.getValue()).isEmpty()) {
                    return false;
                }
            } else if (f.getJavaType() == FieldDescriptor.JavaType.MESSAGE ? !isZero((Message) e.getValue()) : !isZeroScalar(e.getValue())) {
                return false;
            }
        }
        return true;
    }

    /** Go's {@code time.Duration.String()}: {@code 1h2m3.5s}, {@code 1.5ms}, {@code 0s}. */
    static String goDuration(long d) {
        if (d == 0) {
            return "0s";
        }
        boolean neg = d < 0;
        long u = neg ? -d : d; // Long.MIN_VALUE stays negative: treated as unsigned below
        StringBuilder sb = new StringBuilder();
        if (Long.compareUnsigned(u, 1_000_000_000L) < 0) {
            int prec;
            String unit;
            if (u < 1_000L) {
                prec = 0;
                unit = "ns";
            } else if (u < 1_000_000L) {
                prec = 3;
                unit = "µs";
            } else {
                prec = 6;
                unit = "ms";
            }
            sb.append(unit);
            u = frac(sb, u, prec);
            sb.insert(0, u);
        } else {
            sb.append('s');
            u = frac(sb, u, 9);
            sb.insert(0, Long.remainderUnsigned(u, 60));
            u = Long.divideUnsigned(u, 60);
            if (u > 0) {
                sb.insert(0, 'm');
                sb.insert(0, u % 60);
                u /= 60;
                if (u > 0) {
                    sb.insert(0, 'h');
                    sb.insert(0, u);
                }
            }
        }
        if (neg) {
            sb.insert(0, '-');
        }
        return sb.toString();
    }

    /** Prepends the fraction v/10^prec without trailing zeros (nothing when it is 0); returns v/10^prec. */
    private static long frac(StringBuilder sb, long v, int prec) {
        StringBuilder digits = new StringBuilder();
        boolean print = false;
        for (int i = 0; i < prec; i++) {
            long digit = Long.remainderUnsigned(v, 10);
            print = print || digit != 0;
            if (print) {
                digits.insert(0, (char) ('0' + digit));
            }
            v = Long.divideUnsigned(v, 10);
        }
        if (print) {
            sb.insert(0, digits).insert(0, '.');
        }
        return v;
    }
}
