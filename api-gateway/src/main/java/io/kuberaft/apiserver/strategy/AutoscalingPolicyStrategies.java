package io.kuberaft.apiserver.strategy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.kuberaft.apiserver.registry.DefaultStrategy;
import io.kuberaft.apiserver.registry.ResourceDefinition;
import io.kuberaft.kubeapi.Quantity;
import io.kuberaft.kubeapi.StatusException.Cause;

import java.util.ArrayList;
import java.util.List;

/** autoscaling HorizontalPodAutoscaler (v1 and v2) and policy/v1 PodDisruptionBudget. */
public final class AutoscalingPolicyStrategies {
    private AutoscalingPolicyStrategies() {
    }

    public static final class HorizontalPodAutoscalerStrategy extends DefaultStrategy {
        @Override
        public Generation generation() {
            return Generation.SPEC;
        }

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

        /** Validates the autoscaling/v2 form of the object (a v1 object converted first), as upstream validates its internal form. */
        @Override
        public List<Cause> validate(ResourceDefinition def, ObjectNode obj) {
            List<Cause> out = new ArrayList<>();
            JsonNode spec = def.conversion().toStorage(def, obj).path("spec");
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
            JsonNode metrics = spec.path("metrics");
            for (int i = 0; i < metrics.size(); i++) {
                metric(out, Fields.index("spec.metrics", i), metrics.get(i));
            }
            return out;
        }

        private static final List<String> METRIC_TYPES = List.of("ContainerResource", "External", "Object", "Pods", "Resource");

        /** Upstream's validateMetricSpec: the type, exactly its source, and the source's identifier and target. */
        private static void metric(List<Cause> out, String path, JsonNode m) {
            String type = m.path("type").asText("");
            if (type.isEmpty()) {
                out.add(Fields.required(path + ".type", "must specify a metric source type"));
            }
            if (!METRIC_TYPES.contains(type)) {
                out.add(Fields.notSupported(path + ".type", type, METRIC_TYPES));
            }
            String expected = type.isEmpty() ? "" : Character.toLowerCase(type.charAt(0)) + type.substring(1);
            List<String> present = new ArrayList<>();
            for (String source : List.of("object", "pods", "resource", "containerResource", "external")) {
                if (m.path(source).isObject()) {
                    present.add(source);
                }
            }
            if (!present.isEmpty()) {
                metricSource(out, path + "." + present.get(0), present.get(0), m.path(present.get(0)));
            }
            if (METRIC_TYPES.contains(type) && !present.contains(expected)) {
                out.add(Fields.required(path + "." + expected, "must populate information for the given metric source"));
            }
            if (present.size() > 1) {
                present.stream().filter(p -> !p.equals(expected))
                        .forEach(p -> out.add(Fields.forbidden(path + "." + p, "must populate the given metric source only")));
            }
        }

        private static void metricSource(List<Cause> out, String path, String source, JsonNode s) {
            JsonNode target = s.path("target");
            switch (source) {
                case "resource", "containerResource" -> {
                    if (s.path("name").asText("").isEmpty()) {
                        out.add(Fields.required(path + ".name", "must specify a resource name"));
                    }
                    if (source.equals("containerResource") && s.path("container").asText("").isEmpty()) {
                        out.add(Fields.required(path + ".container", "must specify a container"));
                    }
                    metricTarget(out, path + ".target", target);
                    boolean utilization = present(target.path("averageUtilization"));
                    boolean value = present(target.path("averageValue"));
                    if (!utilization && !value) {
                        out.add(Fields.required(path + ".target.averageUtilization", "must set either a target raw value or a target utilization"));
                    } else if (utilization && value) {
                        out.add(Fields.forbidden(path + ".target.averageValue", "may not set both a target raw value and a target utilization"));
                    }
                }
                case "pods" -> {
                    metricIdentifier(out, path + ".metric", s.path("metric"));
                    metricTarget(out, path + ".target", target);
                    if (!present(target.path("averageValue"))) {
                        out.add(Fields.required(path + ".target.averageValue", "must specify a positive target averageValue"));
                    }
                }
                default -> { // object, external
                    if (source.equals("object")) {
                        JsonNode ref = s.path("describedObject");
                        if (ref.path("kind").asText("").isEmpty()) {
                            out.add(Fields.required(path + ".describedObject.kind"));
                        }
                        if (ref.path("name").asText("").isEmpty()) {
                            out.add(Fields.required(path + ".describedObject.name"));
                        }
                    }
                    metricIdentifier(out, path + ".metric", s.path("metric"));
                    metricTarget(out, path + ".target", target);
                    if (!present(target.path("value")) && !present(target.path("averageValue"))) {
                        out.add(Fields.required(path + ".target.value", "must set either a target value or averageValue"));
                    }
                }
            }
        }

        private static void metricIdentifier(List<Cause> out, String path, JsonNode id) {
            if (id.path("name").asText("").isEmpty()) {
                out.add(Fields.required(path + ".name", "must specify a metric name"));
            }
        }

        /** Upstream's validateMetricTarget. */
        private static void metricTarget(List<Cause> out, String path, JsonNode t) {
            String type = t.path("type").asText("");
            if (type.isEmpty()) {
                out.add(Fields.required(path + ".type", "must specify a metric target type"));
            }
            if (!List.of("Utilization", "Value", "AverageValue").contains(type)) {
                out.add(Fields.invalid(path + ".type", type, "must be either Utilization, Value, or AverageValue"));
            }
            for (String q : List.of("value", "averageValue")) {
                JsonNode v = t.path(q);
                if (present(v)) {
                    Quantity parsed = Quantity.tryParse(v);
                    if (parsed == null || parsed.signum() != 1) {
                        out.add(Fields.invalidRendered(path + "." + q, v.asText(), "must be positive"));
                    }
                }
            }
            JsonNode u = t.path("averageUtilization");
            if (present(u) && (!u.isIntegralNumber() || u.asLong() < 1)) {
                out.add(Fields.invalid(path + ".averageUtilization", u.isNumber() ? u.numberValue() : u.asText(), "must be greater than 0"));
            }
        }

        private static boolean present(JsonNode n) {
            return !n.isMissingNode() && !n.isNull();
        }
    }

    public static final class PodDisruptionBudgetStrategy extends DefaultStrategy {
        @Override
        public Generation generation() {
            return Generation.SPEC;
        }

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
