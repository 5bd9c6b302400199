package io.kuberaft.apiserver.strategy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.kuberaft.apiserver.registry.Objects;
import io.kuberaft.apiserver.registry.ResourceDefinition;
import io.kuberaft.apiserver.registry.VersionConversion;

import java.io.IOException;
import java.util.List;
import java.util.Map;

/**
 * HorizontalPodAutoscaler between autoscaling/v2, the version it is stored in, and autoscaling/v1, as upstream
 * converts it (k8s.io/kubernetes pkg/apis/autoscaling/v1):
 * <ul>
 * <li>v1 {@code spec.targetCPUUtilizationPercentage} is the v2 Resource metric of cpu with a Utilization target,
 * {@code status.currentCPUUtilizationPercentage} the cpu current metric's averageUtilization. A v1 object without
 * any metric gets the 80% cpu one: v1's default, applied in conversion as upstream does.</li>
 * <li>What v1 cannot express travels in annotations, in v1's metric shapes: the other metrics ({@value #METRICS}),
 * every current metric ({@value #CURRENT_METRICS}), the conditions ({@value #CONDITIONS}) and the behavior
 * ({@value #BEHAVIOR}; upstream marshals its internal type there, so the keys are Go's field names). They are
 * lifted back out of a v1 object (one that does not decode is ignored, as upstream) and are never stored, nor
 * served through v2. The cpu metric then comes after the others: v1 cannot say where it was (upstream alike).</li>
 * <li>Objects earlier builds stored as sent through v1 (apiVersion autoscaling/v1) are read as v2.</li>
 * </ul>
 * Absent optional values stay absent in the annotations, so a v2 object read and written back through v1 loses
 * nothing.
 */
public final class HorizontalPodAutoscalerConversion implements VersionConversion {
    public static final String METRICS = "autoscaling.alpha.kubernetes.io/metrics";
    public static final String CURRENT_METRICS = "autoscaling.alpha.kubernetes.io/current-metrics";
    public static final String CONDITIONS = "autoscaling.alpha.kubernetes.io/conditions";
    public static final String BEHAVIOR = "autoscaling.alpha.kubernetes.io/behavior";
    private static final List<String> ROUND_TRIP = List.of(METRICS, BEHAVIOR, CURRENT_METRICS, CONDITIONS);
    private static final String V1 = "autoscaling/v1";
    private static final String V2 = "autoscaling/v2";
    private static final int DEFAULT_CPU_UTILIZATION = 80;
    private static final List<String> SOURCES = List.of("object", "pods", "resource", "containerResource", "external");

    /** A field of a metric source: its path in v2 (dotted) and its name in v1, in v1's order. */
    private record Field(String v2, String v1) {
    }

    private static final Map<String, List<Field>> SPEC_FIELDS = Map.of(
            "object", List.of(new Field("describedObject", "target"), new Field("metric.name", "metricName"),
                    new Field("target.value", "targetValue"), new Field("metric.selector", "selector"),
                    new Field("target.averageValue", "averageValue")),
            "pods", List.of(new Field("metric.name", "metricName"), new Field("target.averageValue", "targetAverageValue"),
                    new Field("metric.selector", "selector")),
            "resource", List.of(new Field("name", "name"), new Field("target.averageUtilization", "targetAverageUtilization"),
                    new Field("target.averageValue", "targetAverageValue")),
            "containerResource", List.of(new Field("name", "name"),
                    new Field("target.averageUtilization", "targetAverageUtilization"),
                    new Field("target.averageValue", "targetAverageValue"), new Field("container", "container")),
            "external", List.of(new Field("metric.name", "metricName"), new Field("metric.selector", "metricSelector"),
                    new Field("target.value", "targetValue"), new Field("target.averageValue", "targetAverageValue")));

    private static final Map<String, List<Field>> STATUS_FIELDS = Map.of(
            "object", List.of(new Field("describedObject", "target"), new Field("metric.name", "metricName"),
                    new Field("current.value", "currentValue"), new Field("metric.selector", "selector"),
                    new Field("current.averageValue", "averageValue")),
            "pods", List.of(new Field("metric.name", "metricName"), new Field("current.averageValue", "currentAverageValue"),
                    new Field("metric.selector", "selector")),
            "resource", List.of(new Field("name", "name"), new Field("current.averageUtilization", "currentAverageUtilization"),
                    new Field("current.averageValue", "currentAverageValue")),
            "containerResource", List.of(new Field("name", "name"),
                    new Field("current.averageUtilization", "currentAverageUtilization"),
                    new Field("current.averageValue", "currentAverageValue"), new Field("container", "container")),
            "external", List.of(new Field("metric.name", "metricName"), new Field("metric.selector", "metricSelector"),
                    new Field("current.value", "currentValue"), new Field("current.averageValue", "currentAverageValue")));

    public static final HorizontalPodAutoscalerConversion INSTANCE = new HorizontalPodAutoscalerConversion();

    private HorizontalPodAutoscalerConversion() {
    }

    @Override
    public ObjectNode toStorage(ResourceDefinition def, ObjectNode obj) {
        if (def.version().equals("v1")) {
            return toV2(obj.deepCopy());
        }
        if (!hasRoundTripAnnotations(obj)) {
            return obj;
        }
        ObjectNode copy = obj.deepCopy();
        dropRoundTripAnnotations(copy);
        return copy;
    }

    @Override
    public ObjectNode fromStorage(ResourceDefinition def, ObjectNode stored) {
        ObjectNode v2 = V1.equals(stored.path("apiVersion").asText()) ? toV2(stored) : stored;
        dropRoundTripAnnotations(v2);
        return def.version().equals("v1") ? toV1(v2) : v2;
    }

    // ---- autoscaling/v1 -> autoscaling/v2 ---------------------------------------------------------------------

    /** {@code o}, an autoscaling/v1 object, changed into its autoscaling/v2 form. */
    private static ObjectNode toV2(ObjectNode o) {
        o.put("apiVersion", V2);
        JsonNode annotations = o.path("metadata").path("annotations");
        ArrayNode otherMetrics = objectArray(annotation(annotations, METRICS));
        ArrayNode currentMetrics = objectArray(annotation(annotations, CURRENT_METRICS));
        ArrayNode conditions = objectArray(annotation(annotations, CONDITIONS));
        ObjectNode behavior = BehaviorAnnotation.decode(annotation(annotations, BEHAVIOR));
        dropRoundTripAnnotations(o);

        ObjectNode spec = Json.obj(o, "spec");
        JsonNode cpu = spec.remove("targetCPUUtilizationPercentage");
        ArrayNode metrics = spec.putArray("metrics");
        if (otherMetrics != null) {
            otherMetrics.forEach(m -> metrics.add(metricToV2(m, SPEC_FIELDS, true)));
        }
        if (present(cpu)) {
            metrics.add(cpuTarget(cpu));
        }
        if (metrics.isEmpty()) {
            metrics.add(cpuTarget(Objects.JSON.getNodeFactory().numberNode(DEFAULT_CPU_UTILIZATION)));
        }
        if (behavior != null) {
            spec.set("behavior", behavior);
        }

        JsonNode currentCpu = o.get("status") instanceof ObjectNode s ? s.remove("currentCPUUtilizationPercentage") : null;
        if (currentMetrics != null || present(currentCpu) || conditions != null) {
            ObjectNode status = Json.obj(o, "status");
            // The annotation has every current metric, with more than the percentage: it wins (upstream alike).
            if (currentMetrics != null) {
                if (!currentMetrics.isEmpty()) {
                    ArrayNode current = status.putArray("currentMetrics");
                    currentMetrics.forEach(m -> current.add(metricToV2(m, STATUS_FIELDS, false)));
                }
            } else if (present(currentCpu)) {
                status.putArray("currentMetrics").add(cpuCurrent(currentCpu));
            }
            if (conditions != null && !conditions.isEmpty()) {
                status.set("conditions", conditions);
            }
        }
        return o;
    }

    /** The Resource metric of cpu with a Utilization target. */
    private static ObjectNode cpuTarget(JsonNode utilization) {
        ObjectNode metric = Objects.JSON.createObjectNode().put("type", "Resource");
        ObjectNode target = metric.putObject("resource").put("name", "cpu").putObject("target").put("type", "Utilization");
        target.set("averageUtilization", utilization);
        return metric;
    }

    /** The current Resource metric of cpu with its utilization. */
    private static ObjectNode cpuCurrent(JsonNode utilization) {
        ObjectNode metric = Objects.JSON.createObjectNode().put("type", "Resource");
        metric.putObject("resource").put("name", "cpu").putObject("current").set("averageUtilization", utilization);
        return metric;
    }

    private static ObjectNode metricToV2(JsonNode v1, Map<String, List<Field>> fields, boolean spec) {
        ObjectNode out = Objects.JSON.createObjectNode();
        put(out, "type", v1.get("type"));
        for (String source : SOURCES) {
            if (v1.get(source) instanceof ObjectNode s) {
                ObjectNode o = out.putObject(source);
                if (spec) {
                    // v1 has no target type: it follows from which values are set, as upstream decides it.
                    o.putObject("target").put("type", targetType(source, s));
                }
                for (Field f : fields.get(source)) {
                    set(o, f.v2(), s.get(f.v1()));
                }
            }
        }
        return out;
    }

    private static String targetType(String source, JsonNode v1) {
        return switch (source) {
            case "object" -> present(v1.get("averageValue")) ? "AverageValue" : "Value";
            case "external" -> present(v1.get("targetValue")) ? "Value" : "AverageValue";
            case "resource", "containerResource" -> present(v1.get("targetAverageUtilization")) ? "Utilization" : "AverageValue";
            default -> "AverageValue";
        };
    }

    // ---- autoscaling/v2 -> autoscaling/v1 ---------------------------------------------------------------------

    /** {@code o}, an autoscaling/v2 object, changed into its autoscaling/v1 form. */
    private static ObjectNode toV1(ObjectNode o) {
        o.put("apiVersion", V1);
        ObjectNode roundTrip = Objects.JSON.createObjectNode();
        if (o.get("spec") instanceof ObjectNode spec) {
            JsonNode metrics = spec.remove("metrics");
            JsonNode behavior = spec.remove("behavior");
            // The first cpu Resource metric is v1's target, when it is a utilization; every other metric goes to the annotation.
            boolean cpuSeen = false;
            ArrayNode others = Objects.JSON.createArrayNode();
            for (JsonNode m : elements(metrics)) {
                JsonNode utilization = m.path("resource").path("target").get("averageUtilization");
                if (isCpuResource(m)) {
                    if (!cpuSeen && present(utilization)) {
                        spec.set("targetCPUUtilizationPercentage", utilization);
                    }
                    cpuSeen = true;
                    if (present(utilization)) {
                        continue;
                    }
                }
                others.add(metricToV1(m, SPEC_FIELDS));
            }
            if (!others.isEmpty()) {
                roundTrip.put(METRICS, others.toString());
            }
            if (behavior instanceof ObjectNode b) {
                roundTrip.put(BEHAVIOR, BehaviorAnnotation.encode(b).toString());
            }
        }
        if (o.get("status") instanceof ObjectNode status) {
            JsonNode current = status.remove("currentMetrics");
            JsonNode conditions = status.remove("conditions");
            ArrayNode all = Objects.JSON.createArrayNode();
            for (JsonNode m : elements(current)) {
                JsonNode utilization = m.path("resource").path("current").get("averageUtilization");
                if (isCpuResource(m) && present(utilization)) {
                    status.set("currentCPUUtilizationPercentage", utilization);
                }
                all.add(metricToV1(m, STATUS_FIELDS));
            }
            if (!all.isEmpty()) {
                roundTrip.put(CURRENT_METRICS, all.toString());
            }
            if (conditions != null && conditions.isArray() && !conditions.isEmpty()) {
                roundTrip.put(CONDITIONS, conditions.toString());
            }
        }
        if (!roundTrip.isEmpty()) {
            Json.obj(Objects.meta(o), "annotations").setAll(roundTrip);
        }
        return o;
    }

    private static boolean isCpuResource(JsonNode m) {
        return "Resource".equals(m.path("type").asText()) && m.path("resource").isObject()
                && "cpu".equals(m.path("resource").path("name").asText());
    }

    private static ObjectNode metricToV1(JsonNode v2, Map<String, List<Field>> fields) {
        ObjectNode out = Objects.JSON.createObjectNode();
        put(out, "type", v2.get("type"));
        for (String source : SOURCES) {
            if (v2.get(source) instanceof ObjectNode s) {
                ObjectNode o = out.putObject(source);
                for (Field f : fields.get(source)) {
                    put(o, f.v1(), at(s, f.v2()));
                }
            }
        }
        return out;
    }

    // ---- annotations and small tree helpers -------------------------------------------------------------------

    private static boolean hasRoundTripAnnotations(JsonNode obj) {
        JsonNode annotations = obj.path("metadata").path("annotations");
        return ROUND_TRIP.stream().anyMatch(annotations::has);
    }

    /** Removes the round-trip annotations (and the annotations, when nothing else was there). */
    private static void dropRoundTripAnnotations(ObjectNode obj) {
        if (hasRoundTripAnnotations(obj) && obj.get("metadata") instanceof ObjectNode meta
                && meta.get("annotations") instanceof ObjectNode annotations) {
            annotations.remove(ROUND_TRIP);
            if (annotations.isEmpty()) {
                meta.remove("annotations");
            }
        }
    }

    /** The JSON an annotation holds; null when absent or not JSON. */
    private static JsonNode annotation(JsonNode annotations, String key) {
        JsonNode v = annotations.get(key);
        if (v == null || !v.isTextual()) {
            return null;
        }
        try {
            return Objects.JSON.readTree(v.asText());
        } catch (IOException e) {
            return null;
        }
    }

    /** {@code n} when it is an array of objects (what decodes into a list of structs), else null. */
    private static ArrayNode objectArray(JsonNode n) {
        if (!(n instanceof ArrayNode a)) {
            return null;
        }
        for (JsonNode e : a) {
            if (!e.isObject()) {
                return null;
            }
        }
        return a;
    }

    private static Iterable<JsonNode> elements(JsonNode array) {
        return array != null && array.isArray() ? array : List.of();
    }

    static boolean present(JsonNode n) {
        return n != null && !n.isNull() && !n.isMissingNode();
    }

    private static void put(ObjectNode o, String field, JsonNode v) {
        if (present(v)) {
            o.set(field, v);
        }
    }

    private static JsonNode at(JsonNode n, String dotted) {
        JsonNode cur = n;
        for (String p : dotted.split("\\.")) {
            cur = cur.path(p);
        }
        return cur;
    }

    /** Sets a dotted path, creating the objects on the way; nothing when {@code v} is absent. */
    private static void set(ObjectNode o, String dotted, JsonNode v) {
        if (!present(v)) {
            return;
        }
        String[] parts = dotted.split("\\.");
        ObjectNode cur = o;
        for (int i = 0; i < parts.length - 1; i++) {
            cur = Json.obj(cur, parts[i]);
        }
        cur.set(parts[parts.length - 1], v);
    }
}
