package io.kuberaft.apiserver.strategy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.kuberaft.apiserver.registry.DefaultStrategy;
import io.kuberaft.apiserver.registry.ResourceDefinition;
import io.kuberaft.kubeapi.StatusException.Cause;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** ConfigMaps: valid keys, no key in both data and binaryData, 1 MiB, immutability. */
public final class ConfigMapStrategy extends DefaultStrategy {
    @Override
    public List<Cause> validate(ResourceDefinition def, ObjectNode obj) {
        List<Cause> out = new ArrayList<>();
        long size = 0;
        JsonNode binary = obj.path("binaryData");
        for (Map.Entry<String, JsonNode> e : SecretStrategy.iterable(obj.path("data"))) {
            String f = Fields.key("data", e.getKey());
            out.addAll(Fields.configKey(f, e.getKey()));
            if (binary.has(e.getKey())) {
                out.add(Fields.invalid(f, e.getKey(), "duplicate of key present in binaryData"));
            }
            size += e.getValue().asText("").getBytes(StandardCharsets.UTF_8).length;
        }
        for (Map.Entry<String, JsonNode> e : SecretStrategy.iterable(binary)) {
            out.addAll(Fields.configKey(Fields.key("binaryData", e.getKey()), e.getKey()));
            size += e.getValue().asText("").length() * 3L / 4;
        }
        if (size > SecretStrategy.MAX_SIZE) {
            out.add(Fields.tooLong("", SecretStrategy.MAX_SIZE));
        }
        return out;
    }

    @Override
    public List<Cause> validateUpdate(ResourceDefinition def, ObjectNode obj, ObjectNode old) {
        List<Cause> out = new ArrayList<>();
        SecretStrategy.immutable(out, obj, old, "data", "binaryData");
        out.addAll(validate(def, obj));
        return out;
    }
}
