package io.kuberaft.apiserver.strategy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.NullNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.kuberaft.apiserver.registry.Objects;

import java.util.Iterator;
import java.util.Map;

/**
 * An autoscaling/v2 HPA's {@code spec.behavior} as autoscaling/v1 carries it in the
 * {@value HorizontalPodAutoscalerConversion#BEHAVIOR} annotation. Upstream marshals its internal type there, which
 * has no JSON tags: the keys are Go's field names ({@code {"ScaleUp":{"StabilizationWindowSeconds":0,
 * "SelectPolicy":"Max","Policies":[{"Type":"Pods","Value":4,"PeriodSeconds":15}]},"ScaleDown":null}}), an unset
 * pointer is {@code null}, and they are read back case-insensitively, as Go's decoder matches them.
 */
final class BehaviorAnnotation {
    private BehaviorAnnotation() {
    }

    /** The annotation's JSON for a v2 behavior. */
    static ObjectNode encode(JsonNode behavior) {
        ObjectNode out = Objects.JSON.createObjectNode();
        out.set("ScaleUp", rulesToGo(behavior.path("scaleUp")));
        out.set("ScaleDown", rulesToGo(behavior.path("scaleDown")));
        return out;
    }

    private static JsonNode rulesToGo(JsonNode rules) {
        if (!rules.isObject()) {
            return NullNode.instance;
        }
        ObjectNode out = Objects.JSON.createObjectNode();
        out.set("StabilizationWindowSeconds", orNull(rules.get("stabilizationWindowSeconds")));
        out.set("SelectPolicy", orNull(rules.get("selectPolicy")));
        if (rules.get("policies") instanceof ArrayNode policies) {
            ArrayNode list = out.putArray("Policies");
            for (JsonNode p : policies) {
                ObjectNode policy = list.addObject();
                policy.set("Type", orNull(p.get("type")));
                policy.set("Value", orNull(p.get("value")));
                policy.set("PeriodSeconds", orNull(p.get("periodSeconds")));
            }
        } else {
            out.putNull("Policies");
        }
        return out;
    }

    private static JsonNode orNull(JsonNode n) {
        return n == null ? NullNode.instance : n;
    }

    /**
     * The v2 behavior an annotation's JSON holds; null when there is none, or when it does not decode into the
     * behavior's types (upstream ignores such an annotation).
     */
    static ObjectNode decode(JsonNode json) {
        if (!(json instanceof ObjectNode go)) {
            return null;
        }
        try {
            ObjectNode out = Objects.JSON.createObjectNode();
            JsonNode up = field(go, "ScaleUp");
            JsonNode down = field(go, "ScaleDown");
            if (up != null) {
                out.set("scaleUp", rulesFromGo(up));
            }
            if (down != null) {
                out.set("scaleDown", rulesFromGo(down));
            }
            return out.isEmpty() ? null : out;
        } catch (IllegalArgumentException e) {
            return null;
        }
    }

    private static ObjectNode rulesFromGo(JsonNode go) {
        ObjectNode out = Objects.JSON.createObjectNode();
        if (!go.isObject()) {
            throw new IllegalArgumentException("not an object");
        }
        copy(go, "StabilizationWindowSeconds", out, "stabilizationWindowSeconds", true);
        copy(go, "SelectPolicy", out, "selectPolicy", false);
        JsonNode policies = field(go, "Policies");
        if (policies != null) {
            if (!policies.isArray()) {
                throw new IllegalArgumentException("not an array");
            }
            ArrayNode list = out.putArray("policies");
            for (JsonNode p : policies) {
                if (!p.isObject()) {
                    throw new IllegalArgumentException("not an object");
                }
                ObjectNode policy = list.addObject();
                copy(p, "Type", policy, "type", false);
                copy(p, "Value", policy, "value", true);
                copy(p, "PeriodSeconds", policy, "periodSeconds", true);
            }
        }
        return out;
    }

    private static void copy(JsonNode go, String goName, ObjectNode out, String name, boolean integer) {
        JsonNode v = field(go, goName);
        if (v == null) {
            return;
        }
        if (integer ? !v.isIntegralNumber() : !v.isTextual()) {
            throw new IllegalArgumentException(goName + " has the wrong type");
        }
        out.set(name, v);
    }

    /** A field by Go's rules: the exact name, else any spelling that differs in case; null when absent or null. */
    private static JsonNode field(JsonNode go, String name) {
        JsonNode exact = go.get(name);
        if (exact != null) {
            return exact.isNull() ? null : exact;
        }
        for (Iterator<Map.Entry<String, JsonNode>> it = go.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            if (e.getKey().equalsIgnoreCase(name)) {
                return e.getValue().isNull() ? null : e.getValue();
            }
        }
        return null;
    }
}
