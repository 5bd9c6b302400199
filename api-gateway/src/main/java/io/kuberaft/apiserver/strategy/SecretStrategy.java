package io.kuberaft.apiserver.strategy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.kuberaft.apiserver.registry.DefaultStrategy;
import io.kuberaft.apiserver.registry.Objects;
import io.kuberaft.apiserver.registry.ResourceDefinition;
import io.kuberaft.kubeapi.StatusException;
import io.kuberaft.kubeapi.StatusException.Cause;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;

/** Secrets: type Opaque, stringData folded into data, key and per-type checks, immutability, the {@code type} field selector. */
public final class SecretStrategy extends DefaultStrategy {
    static final int MAX_SIZE = 1024 * 1024;

    @Override
    public void prepareForCreate(ResourceDefinition def, ObjectNode obj) {
        defaults(def, obj);
    }

    @Override
    public void prepareForUpdate(ResourceDefinition def, ObjectNode obj, ObjectNode old) {
        defaults(def, obj);
    }

    private static void defaults(ResourceDefinition def, ObjectNode obj) {
        Json.defaultText(obj, "type", "Opaque");
        JsonNode data = obj.path("data");
        if (data.isObject()) {
            ObjectNode d = (ObjectNode) data;
            List<String> keys = new ArrayList<>();
            d.fieldNames().forEachRemaining(keys::add);
            for (String k : keys) {
                if (!d.get(k).isNull()) {
                    // stored as Go re-encodes []byte: the line breaks of wrapped base64 (`base64` wraps at 76) dropped
                    d.put(k, Base64.getEncoder().encodeToString(decode(def, d.get(k).asText())));
                }
            }
        }
        // stringData is write-only: merged into data (base64), as v1 conversion does.
        JsonNode stringData = obj.remove("stringData");
        if (stringData != null && stringData.isObject() && stringData.size() > 0) {
            ObjectNode d = Json.obj(obj, "data");
            stringData.fields().forEachRemaining(e -> d.put(e.getKey(),
                    Base64.getEncoder().encodeToString(e.getValue().asText().getBytes(StandardCharsets.UTF_8))));
        }
    }

    /** As Go's base64.StdEncoding, which skips '\r' and '\n' anywhere in the input. */
    private static byte[] decode(ResourceDefinition def, String value) {
        try {
            return Base64.getDecoder().decode(value.indexOf('\n') < 0 && value.indexOf('\r') < 0 ? value : value.replace("\r", "").replace("\n", ""));
        } catch (IllegalArgumentException e) {
            throw StatusException.badRequest(def.kind() + " in version \"" + def.version() + "\" cannot be handled as a " + def.kind()
                    + ": illegal base64 data at input byte " + badByte(value));
        }
    }

    private static int badByte(String v) {
        for (int i = 0; i < v.length(); i++) {
            char c = v.charAt(i);
            if (!(Character.isLetterOrDigit(c) || c == '+' || c == '/' || c == '=' || c == '\r' || c == '\n')) {
                return i;
            }
        }
        return v.length();
    }

    @Override
    public List<Cause> validate(ResourceDefinition def, ObjectNode obj) {
        List<Cause> out = new ArrayList<>();
        JsonNode data = obj.path("data");
        long size = 0;
        for (Map.Entry<String, JsonNode> e : iterable(data)) {
            out.addAll(Fields.configKey(Fields.key("data", e.getKey()), e.getKey()));
            size += e.getValue().isNull() ? 0 : Base64.getDecoder().decode(e.getValue().asText()).length;
        }
        if (size > MAX_SIZE) {
            out.add(Fields.tooLong("data", MAX_SIZE));
        }
        String type = obj.path("type").asText("");
        switch (type) {
            case "kubernetes.io/service-account-token" -> {
                if (Objects.meta(obj).path("annotations").path("kubernetes.io/service-account.name").asText("").isEmpty()) {
                    out.add(Fields.required("metadata.annotations[kubernetes.io/service-account.name]"));
                }
            }
            case "kubernetes.io/dockercfg" -> requireKey(out, data, ".dockercfg");
            case "kubernetes.io/dockerconfigjson" -> requireKey(out, data, ".dockerconfigjson");
            case "kubernetes.io/basic-auth" -> {
                if (!data.has("username") && !data.has("password")) {
                    out.add(Fields.required("data[username]"));
                    out.add(Fields.required("data[password]"));
                }
            }
            case "kubernetes.io/ssh-auth" -> {
                if (data.path("ssh-privatekey").asText("").isEmpty()) {
                    out.add(Fields.required("data[ssh-privatekey]"));
                }
            }
            case "kubernetes.io/tls" -> {
                requireKey(out, data, "tls.crt");
                requireKey(out, data, "tls.key");
            }
            default -> {
            }
        }
        return out;
    }

    private static void requireKey(List<Cause> out, JsonNode data, String key) {
        if (!data.has(key)) {
            out.add(Fields.required(Fields.key("data", key)));
        }
    }

    static Iterable<Map.Entry<String, JsonNode>> iterable(JsonNode n) {
        return n::fields;
    }

    @Override
    public List<Cause> validateUpdate(ResourceDefinition def, ObjectNode obj, ObjectNode old) {
        List<Cause> out = new ArrayList<>();
        if (!Json.same(obj.path("type"), old.path("type"))) {
            out.add(Fields.invalid("type", obj.path("type"), Fields.IMMUTABLE));
        }
        immutable(out, obj, old, "data");
        out.addAll(validate(def, obj));
        return out;
    }

    /** The {@code immutable: true} rule of Secrets and ConfigMaps. */
    static void immutable(List<Cause> out, ObjectNode obj, ObjectNode old, String... fields) {
        if (old.path("immutable").asBoolean(false)) {
            if (!obj.path("immutable").asBoolean(false)) {
                out.add(Fields.forbidden("immutable", "field is immutable when `immutable` is set"));
            }
            for (String f : fields) {
                if (!Json.same(obj.path(f), old.path(f))) {
                    out.add(Fields.forbidden(f, "field is immutable when `immutable` is set"));
                }
            }
        }
    }

    @Override
    public String fieldValue(ObjectNode obj, String field) {
        return field.equals("type") ? obj.path("type").asText("") : super.fieldValue(obj, field);
    }
}
