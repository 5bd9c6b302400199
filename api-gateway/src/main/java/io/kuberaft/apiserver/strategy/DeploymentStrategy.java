package io.kuberaft.apiserver.strategy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.kuberaft.apiserver.registry.DefaultStrategy;
import io.kuberaft.apiserver.registry.ResourceDefinition;
import io.kuberaft.kubeapi.StatusException.Cause;

import java.util.ArrayList;
import java.util.List;

/** apps/v1 Deployment: defaults (RollingUpdate 25%/25%, replicas 1, history 10, deadline 600), validation, immutable selector. */
public final class DeploymentStrategy extends DefaultStrategy {
    @Override
    public PodTemplateAt podTemplate(ObjectNode obj) {
        return new PodTemplateAt(obj.path("spec").path("template"), "spec.template");
    }

    @Override
    public Generation generation() {
        return Generation.SPEC_AND_ANNOTATIONS;
    }

    /**
     * Upstream's deploymentStatusStrategy keeps the spec and labels but takes the rest of the request: the deployment
     * controller writes its {@code deployment.kubernetes.io/revision} annotation through UpdateStatus, so it does not
     * bump the generation (a new Deployment reads generation 1, revision "1").
     */
    @Override
    public void prepareForStatusUpdate(ObjectNode next, ObjectNode requested) {
        JsonNode annotations = requested.path("metadata").path("annotations");
        ObjectNode meta = Json.obj(next, "metadata");
        if (annotations.isObject()) {
            meta.set("annotations", annotations.deepCopy());
        } else {
            meta.remove("annotations");
        }
    }

    @Override
    public void prepareForCreate(ResourceDefinition def, ObjectNode obj) {
        defaults(def, obj);
        obj.putObject("status");
    }

    @Override
    public void prepareForUpdate(ResourceDefinition def, ObjectNode obj, ObjectNode old) {
        defaults(def, obj);
    }

    static void defaults(ResourceDefinition def, ObjectNode obj) {
        ObjectNode spec = Json.obj(obj, "spec");
        Json.defaultInt(spec, "replicas", 1);
        ObjectNode strategy = Json.obj(spec, "strategy");
        Json.defaultText(strategy, "type", "RollingUpdate");
        if (strategy.path("type").asText().equals("RollingUpdate")) {
            ObjectNode ru = Json.obj(strategy, "rollingUpdate");
            if (Json.blank(ru, "maxUnavailable")) {
                ru.put("maxUnavailable", "25%");
            }
            if (Json.blank(ru, "maxSurge")) {
                ru.put("maxSurge", "25%");
            }
        }
        Json.defaultInt(spec, "revisionHistoryLimit", 10);
        Json.defaultInt(spec, "progressDeadlineSeconds", 600);
        Templates.defaults(def, Json.obj(spec, "template"));
    }

    @Override
    public List<Cause> validate(ResourceDefinition def, ObjectNode obj) {
        List<Cause> out = new ArrayList<>();
        JsonNode spec = obj.path("spec");
        Templates.nonNegative(out, spec, "spec", "replicas");
        Templates.selector(out, spec, "deployment");
        out.addAll(PodSpecs.validateTemplate(spec.path("template"), "spec.template"));
        Templates.restartPolicy(out, spec.path("template"), "spec.template", List.of("Always"));
        if (spec.path("template").path("spec").has("activeDeadlineSeconds")) {
            out.add(Fields.invalid("spec.template.spec.activeDeadlineSeconds", spec.path("template").path("spec").get("activeDeadlineSeconds"),
                    "activeDeadlineSeconds in ReplicaSet is not Supported"));
        }
        JsonNode strategy = spec.path("strategy");
        switch (strategy.path("type").asText("")) {
            case "Recreate" -> {
                if (strategy.hasNonNull("rollingUpdate")) {
                    out.add(Fields.forbidden("spec.strategy.rollingUpdate", "may not be specified when strategy `type` is 'Recreate'"));
                }
            }
            case "RollingUpdate" -> {
                JsonNode ru = strategy.path("rollingUpdate");
                Templates.intOrPercent(out, "spec.strategy.rollingUpdate.maxUnavailable", ru.path("maxUnavailable"), false);
                Templates.intOrPercent(out, "spec.strategy.rollingUpdate.maxSurge", ru.path("maxSurge"), false);
                if (Templates.intOrPercentValue(ru.path("maxUnavailable")) == 0 && Templates.intOrPercentValue(ru.path("maxSurge")) == 0) {
                    out.add(Fields.invalidRendered("spec.strategy.rollingUpdate.maxUnavailable",
                            Templates.goIntOrString(ru.path("maxUnavailable")), "may not be 0 when `maxSurge` is 0"));
                }
                JsonNode mu = ru.path("maxUnavailable");
                if (mu.isTextual() && mu.asText().matches("[0-9]+%") && Templates.intOrPercentValue(mu) > 100) {
                    out.add(Fields.invalid("spec.strategy.rollingUpdate.maxUnavailable", mu, "must not be greater than 100%"));
                }
            }
            default -> out.add(Fields.notSupported("spec.strategy", strategy.path("type").asText(""), List.of("Recreate", "RollingUpdate")));
        }
        Templates.nonNegative(out, spec, "spec", "minReadySeconds", "revisionHistoryLimit", "progressDeadlineSeconds");
        if (spec.path("progressDeadlineSeconds").isNumber()
                && spec.path("progressDeadlineSeconds").asLong() <= spec.path("minReadySeconds").asLong(0)) {
            out.add(Fields.invalid("spec.progressDeadlineSeconds", spec.get("progressDeadlineSeconds"), "must be greater than minReadySeconds"));
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
