package io.kuberaft.apiserver.strategy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.kuberaft.apiserver.registry.DefaultStrategy;
import io.kuberaft.apiserver.registry.ResourceDefinition;
import io.kuberaft.kubeapi.StatusException.Cause;

import java.util.ArrayList;
import java.util.List;

/** apps/v1 DaemonSet: RollingUpdate maxUnavailable 1 / maxSurge 0, history 10, validation, immutable selector. */
public final class DaemonSetStrategy extends DefaultStrategy {
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
        obj.putObject("status").put("currentNumberScheduled", 0).put("desiredNumberScheduled", 0)
                .put("numberMisscheduled", 0).put("numberReady", 0);
    }

    @Override
    public void prepareForUpdate(ResourceDefinition def, ObjectNode obj, ObjectNode old) {
        defaults(def, obj);
    }

    private static void defaults(ResourceDefinition def, ObjectNode obj) {
        ObjectNode spec = Json.obj(obj, "spec");
        ObjectNode strategy = Json.obj(spec, "updateStrategy");
        Json.defaultText(strategy, "type", "RollingUpdate");
        if (strategy.path("type").asText().equals("RollingUpdate")) {
            ObjectNode ru = Json.obj(strategy, "rollingUpdate");
            Json.defaultInt(ru, "maxUnavailable", 1);
            Json.defaultInt(ru, "maxSurge", 0);
        }
        Json.defaultInt(spec, "revisionHistoryLimit", 10);
        Templates.defaults(def, Json.obj(spec, "template"));
    }

    @Override
    public List<Cause> validate(ResourceDefinition def, ObjectNode obj) {
        List<Cause> out = new ArrayList<>();
        JsonNode spec = obj.path("spec");
        JsonNode sel = spec.path("selector");
        if (sel.isObject()) {
            Fields.labelSelector(out, "spec.selector", sel);
        }
        Templates.matches(out, sel, spec.path("template"), "spec.template");
        if (sel.isObject() && Fields.emptySelector(sel)) {
            out.add(Fields.invalidRendered("spec.selector", Fields.goLabelSelector(sel), "empty selector is invalid for daemonset"));
        }
        out.addAll(PodSpecs.validateTemplate(spec.path("template"), "spec.template"));
        Templates.restartPolicy(out, spec.path("template"), "spec.template", List.of("Always"));
        if (spec.path("template").path("spec").has("activeDeadlineSeconds")) {
            out.add(Fields.invalid("spec.template.spec.activeDeadlineSeconds", spec.path("template").path("spec").get("activeDeadlineSeconds"),
                    "activeDeadlineSeconds in DaemonSet is not Supported"));
        }
        Templates.nonNegative(out, spec, "spec", "minReadySeconds", "revisionHistoryLimit");
        JsonNode strategy = spec.path("updateStrategy");
        switch (strategy.path("type").asText("")) {
            case "OnDelete" -> {
            }
            case "RollingUpdate" -> {
                JsonNode ru = strategy.path("rollingUpdate");
                Templates.intOrPercent(out, "spec.updateStrategy.rollingUpdate.maxUnavailable", ru.path("maxUnavailable"), true);
                Templates.intOrPercent(out, "spec.updateStrategy.rollingUpdate.maxSurge", ru.path("maxSurge"), true);
                if (Templates.intOrPercentValue(ru.path("maxUnavailable")) == 0 && Templates.intOrPercentValue(ru.path("maxSurge")) == 0) {
                    out.add(Fields.invalidRendered("spec.updateStrategy.rollingUpdate.maxUnavailable",
                            Templates.goIntOrString(ru.path("maxUnavailable")), "may not be 0 when `maxSurge` is 0"));
                }
            }
            default -> out.add(Fields.notSupported("spec.updateStrategy.type", strategy.path("type").asText(""),
                    List.of("OnDelete", "RollingUpdate")));
        }
        return out;
    }

    @Override
    public List<Cause> validateUpdate(ResourceDefinition def, ObjectNode obj, ObjectNode old) {
        List<Cause> out = validate(def, obj);
        Templates.immutableSelector(out, obj, old);
        return out;
    }
}
