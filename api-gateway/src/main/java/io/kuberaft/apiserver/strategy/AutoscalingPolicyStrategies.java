package io.kuberaft.apiserver.strategy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.kuberaft.apiserver.registry.DefaultStrategy;
import io.kuberaft.apiserver.registry.ResourceDefinition;
import io.kuberaft.kubeapi.StatusException.Cause;

import java.util.ArrayList;
import java.util.List;

/** autoscaling HorizontalPodAutoscaler (v1 and v2) and policy/v1 PodDisruptionBudget. */
public final class AutoscalingPolicyStrategies {
    private AutoscalingPolicyStrategies() {
    }

    public static final class HorizontalPodAutoscalerStrategy extends DefaultStrategy {
        @Override
        public void prepareForCreate(ResourceDefinition def, ObjectNode obj) {
            super.prepareForCreate(def, obj);
            defaults(def, obj);
        }

        @Override
        public void prepareForUpdate(ResourceDefinition def, ObjectNode obj, ObjectNode old) {
            defaults(def, obj);
        }

        private static void defaults(ResourceDefinition def, ObjectNode obj) {
            ObjectNode spec = Json.obj(obj, "spec");
            Json.defaultInt(spec, "minReplicas", 1);
            if (def.version().equals("v2") && spec.path("metrics").size() == 0) {
                ObjectNode resource = spec.putArray("metrics").addObject().put("type", "Resource").putObject("resource");
                resource.put("name", "cpu");
                resource.putObject("target").put("type", "Utilization").put("averageUtilization", 80);
            }
        }

        @Override
        public List<Cause> validate(ResourceDefinition def, ObjectNode obj) {
            List<Cause> out = new ArrayList<>();
            JsonNode spec = obj.path("spec");
            JsonNode ref = spec.path("scaleTargetRef");
            if (ref.path("kind").asText("").isEmpty()) {
                out.add(Fields.required("spec.scaleTargetRef.kind"));
            }
            if (ref.path("name").asText("").isEmpty()) {
                out.add(Fields.required("spec.scaleTargetRef.name"));
            }
            long min = spec.path("minReplicas").asLong(1);
            long max = spec.path("maxReplicas").asLong(0);
            if (min < 1) {
                out.add(Fields.invalid("spec.minReplicas", min, "must be greater than or equal to 1"));
            }
            if (max < 1) {
                out.add(Fields.invalid("spec.maxReplicas", max, "must be greater than 0"));
            } else if (max < min) {
                out.add(Fields.invalid("spec.maxReplicas", max, "must be greater than or equal to `minReplicas`"));
            }
            return out;
        }
    }

    public static final class PodDisruptionBudgetStrategy extends DefaultStrategy {
        @Override
        public void prepareForCreate(ResourceDefinition def, ObjectNode obj) {
            obj.putObject("status").put("currentHealthy", 0).put("desiredHealthy", 0).put("disruptionsAllowed", 0).put("expectedPods", 0);
        }

        @Override
        public List<Cause> validate(ResourceDefinition def, ObjectNode obj) {
            List<Cause> out = new ArrayList<>();
            JsonNode spec = obj.path("spec");
            if (spec.hasNonNull("minAvailable") && spec.hasNonNull("maxUnavailable")) {
                out.add(Fields.invalidRendered("spec", "policy.PodDisruptionBudgetSpec{...}", "minAvailable and maxUnavailable cannot be both set"));
            }
            Templates.intOrPercent(out, "spec.minAvailable", spec.path("minAvailable"), true);
            Templates.intOrPercent(out, "spec.maxUnavailable", spec.path("maxUnavailable"), true);
            if (spec.path("selector").isObject()) {
                Fields.labelSelector(out, "spec.selector", spec.path("selector"));
            }
            String policy = spec.path("unhealthyPodEvictionPolicy").asText("");
            if (!policy.isEmpty() && !policy.equals("IfHealthyBudget") && !policy.equals("AlwaysAllow")) {
                out.add(Fields.notSupported("spec.unhealthyPodEvictionPolicy", policy, List.of("AlwaysAllow", "IfHealthyBudget")));
            }
            return out;
        }
    }
}
