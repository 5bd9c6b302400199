package io.kuberaft.apiserver.strategy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.kuberaft.apiserver.registry.DefaultStrategy;
import io.kuberaft.apiserver.registry.ResourceDefinition;
import io.kuberaft.kubeapi.StatusException.Cause;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * node.k8s.io RuntimeClass, as upstream's ValidateRuntimeClass: the handler (the CRI configuration a node runs the
 * pod's containers with) is a DNS label and immutable; the overhead is a resource list; the scheduling constraints are
 * a label map and unique tolerations. The RuntimeClass admission plugin applies the class to pods.
 */
public final class RuntimeClassStrategy extends DefaultStrategy {
    @Override
    public void canonicalize(ResourceDefinition def, ObjectNode obj) {
        Resources.canonicalize(def, obj.path("overhead").path("podFixed"));
    }

    @Override
    public List<Cause> validate(ResourceDefinition def, ObjectNode obj) {
        List<Cause> out = new ArrayList<>(Fields.dns1123Label("handler", obj.path("handler").asText("")));
        JsonNode podFixed = obj.path("overhead").path("podFixed");
        if (podFixed.isObject()) {
            // upstream reuses the container requirements' checks (resource names, non-negative quantities)
            ObjectNode asLimits = io.kuberaft.apiserver.registry.Objects.JSON.createObjectNode();
            asLimits.set("limits", podFixed);
            List<Cause> raw = new ArrayList<>();
            Resources.validateRequirements(raw, "overhead", asLimits);
            raw.forEach(c -> out.add(new Cause(c.reason(), c.message(), c.field().replace("overhead.limits", "overhead.podFixed"))));
        }
        JsonNode scheduling = obj.path("scheduling");
        Fields.labels(out, "scheduling.nodeSelector", scheduling.path("nodeSelector"));
        JsonNode tolerations = scheduling.path("tolerations");
        PodSpecs.validateTolerations(out, "scheduling.tolerations", tolerations);
        Set<List<String>> seen = new HashSet<>();
        for (int i = 0; i < tolerations.size(); i++) {
            JsonNode t = tolerations.get(i);
            List<String> key = List.of(t.path("key").asText(""), t.path("operator").asText(""), t.path("value").asText(""),
                    t.path("effect").asText(""));
            if (!seen.add(key)) {
                out.add(Fields.duplicate(Fields.index("scheduling.tolerations", i), t));
            }
        }
        return out;
    }

    @Override
    public List<Cause> validateUpdate(ResourceDefinition def, ObjectNode obj, ObjectNode old) {
        List<Cause> out = validate(def, obj);
        if (!obj.path("handler").asText("").equals(old.path("handler").asText(""))) {
            out.add(Fields.invalid("handler", obj.path("handler").asText(""), Fields.IMMUTABLE));
        }
        return out;
    }
}
