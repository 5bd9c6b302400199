package io.kuberaft.apiserver.strategy;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.kuberaft.apiserver.registry.DefaultStrategy;
import io.kuberaft.apiserver.registry.ResourceDefinition;
import io.kuberaft.kubeapi.StatusException.Cause;

import java.util.List;

/** core/v1 PodTemplate: the template's defaults and validation. */
public final class PodTemplateStrategy extends DefaultStrategy {
    @Override
    public PodTemplateAt podTemplate(ObjectNode obj) {
        return new PodTemplateAt(obj.path("template"), "template");
    }

    @Override
    public Generation generation() {
        return Generation.SPEC;
    }

    @Override
    public void prepareForCreate(ResourceDefinition def, ObjectNode obj) {
        Templates.defaults(def, Json.obj(obj, "template"));
    }

    @Override
    public void prepareForUpdate(ResourceDefinition def, ObjectNode obj, ObjectNode old) {
        Templates.defaults(def, Json.obj(obj, "template"));
    }

    @Override
    public List<Cause> validate(ResourceDefinition def, ObjectNode obj) {
        return PodSpecs.validateTemplate(obj.path("template"), "template");
    }
}
