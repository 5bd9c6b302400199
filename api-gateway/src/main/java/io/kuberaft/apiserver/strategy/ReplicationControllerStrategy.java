package io.kuberaft.apiserver.strategy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.kuberaft.apiserver.registry.DefaultStrategy;
import io.kuberaft.apiserver.registry.ResourceDefinition;
import io.kuberaft.kubeapi.StatusException.Cause;

import java.util.ArrayList;
import java.util.List;

/** core/v1 ReplicationController: selector and labels default to the template's labels, replicas 1. */
public final class ReplicationControllerStrategy extends DefaultStrategy {
    @Override
    public PodTemplateAt podTemplate(ObjectNode obj) {
        return new PodTemplateAt(obj.path("spec").path("template"), "spec.template");
    }

    @Override
    public Generation generation() {
        return Generation.SPEC;
    }

    @Override
    public void prepareForCreate(ResourceDefinition def, ObjectNode obj) {
        defaults(def, obj);
        obj.putObject("status").put("replicas", 0);
    }

    @Override
    public void prepareForUpdate(ResourceDefinition def, ObjectNode obj, ObjectNode old) {
        defaults(def, obj);
    }

    private static void defaults(ResourceDefinition def, ObjectNode obj) {
        ObjectNode spec = Json.obj(obj, "spec");
        if (spec.get("template") instanceof ObjectNode template) {
            JsonNode labels = template.path("metadata").path("labels");
            if (labels.isObject() && labels.size() > 0) {
                if (spec.path("selector").size() == 0) {
                    spec.set("selector", labels.deepCopy());
                }
                ObjectNode meta = Json.obj(obj, "metadata");
                if (meta.path("labels").size() == 0) {
                    meta.set("labels", labels.deepCopy());
                }
            }
            Templates.defaults(def, template);
        }
        Json.defaultInt(spec, "replicas", 1);
    }

    @Override
    public List<Cause> validate(ResourceDefinition def, ObjectNode obj) {
        List<Cause> out = new ArrayList<>();
        JsonNode spec = obj.path("spec");
        Templates.nonNegative(out, spec, "spec", "minReadySeconds");
        JsonNode selector = spec.path("selector");
        if (selector.size() == 0) {
            out.add(Fields.required("spec.selector"));
        }
        Fields.labels(out, "spec.selector", selector);
        Templates.nonNegative(out, spec, "spec", "replicas");
        JsonNode template = spec.path("template");
        if (!template.isObject()) {
            out.add(Fields.required("spec.template"));
            return out;
        }
        if (selector.size() > 0) {
            ObjectNode asSelector = io.kuberaft.apiserver.registry.Objects.JSON.createObjectNode();
            asSelector.set("matchLabels", selector);
            Templates.matches(out, asSelector, template, "spec.template");
        }
        out.addAll(PodSpecs.validateTemplate(template, "spec.template"));
        Templates.restartPolicy(out, template, "spec.template", List.of("Always"));
        return out;
    }

    @Override
    public String fieldValue(ObjectNode obj, String field) {
        return field.equals("status.replicas") ? obj.path("status").path("replicas").asText("0") : super.fieldValue(obj, field);
    }
}
