package io.kuberaft.apiserver.strategy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.kuberaft.apiserver.registry.DefaultStrategy;
import io.kuberaft.apiserver.registry.ResourceDefinition;
import io.kuberaft.kubeapi.StatusException.Cause;

import java.util.ArrayList;
import java.util.List;

/** apps/v1 ReplicaSet: replicas 1, selector required and matching, immutable selector, {@code status.replicas} field selector. */
public final class ReplicaSetStrategy extends DefaultStrategy {
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
        Json.defaultInt(spec, "replicas", 1);
        Templates.defaults(def, Json.obj(spec, "template"));
    }

    @Override
    public List<Cause> validate(ResourceDefinition def, ObjectNode obj) {
        List<Cause> out = new ArrayList<>();
        JsonNode spec = obj.path("spec");
        Templates.nonNegative(out, spec, "spec", "replicas", "minReadySeconds");
        Templates.selector(out, spec, "deployment");
        out.addAll(PodSpecs.validateTemplate(spec.path("template"), "spec.template"));
        Templates.restartPolicy(out, spec.path("template"), "spec.template", List.of("Always"));
        return out;
    }

    @Override
    public List<Cause> validateUpdate(ResourceDefinition def, ObjectNode obj, ObjectNode old) {
        List<Cause> out = validate(def, obj);
        Templates.immutableSelector(out, obj, old);
        return out;
    }

    @Override
    public String fieldValue(ObjectNode obj, String field) {
        return field.equals("status.replicas") ? obj.path("status").path("replicas").asText("0") : super.fieldValue(obj, field);
    }
}
