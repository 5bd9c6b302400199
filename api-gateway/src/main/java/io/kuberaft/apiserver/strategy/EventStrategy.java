package io.kuberaft.apiserver.strategy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.kuberaft.apiserver.registry.DefaultStrategy;
import io.kuberaft.apiserver.registry.Objects;
import io.kuberaft.apiserver.registry.ResourceDefinition;
import io.kuberaft.kubeapi.StatusException.Cause;

import java.util.ArrayList;
import java.util.List;

/**
 * Events of core/v1 and events.k8s.io/v1: namespace checks and upstream's event field selectors (the
 * core/v1 names, for both groups: involvedObject.* ↔ regarding.*).
 */
public final class EventStrategy extends DefaultStrategy {
    private final boolean eventsGroup;

    public EventStrategy(boolean eventsGroup) {
        this.eventsGroup = eventsGroup;
    }

    @Override
    public List<Cause> validate(ResourceDefinition def, ObjectNode obj) {
        List<Cause> out = new ArrayList<>();
        String ns = Objects.namespace(obj);
        JsonNode involved = obj.path(eventsGroup ? "regarding" : "involvedObject");
        String prefix = eventsGroup ? "regarding" : "involvedObject";
        String ins = involved.path("namespace").asText("");
        // Old-style events (no eventTime): the namespaces must agree; new-style ones (eventTime set, as every
        // events.k8s.io event) only need a cluster-scoped object's event to live in default or kube-system.
        boolean newStyle = eventsGroup || obj.hasNonNull("eventTime");
        boolean mismatch = ins.isEmpty()
                ? !ns.isEmpty() && !ns.equals("default") && (!newStyle || !ns.equals("kube-system"))
                : !newStyle && !ins.equals(ns);
        if (mismatch) {
            out.add(Fields.invalid(prefix + ".namespace", ins, "does not match event.namespace"));
        }
        if (eventsGroup) {
            if (!obj.hasNonNull("eventTime")) {
                out.add(Fields.required("eventTime"));
            }
            String type = obj.path("type").asText("");
            if (!type.equals("Normal") && !type.equals("Warning")) {
                out.add(Fields.notSupported("type", type, List.of("Normal", "Warning")));
            }
            for (String f : new String[] {"reportingController", "reportingInstance", "action", "reason"}) {
                if (obj.path(f).asText("").isEmpty()) {
                    out.add(Fields.required(f));
                }
            }
        }
        return out;
    }

    @Override
    public String fieldValue(ObjectNode obj, String field) {
        JsonNode involved = obj.path(eventsGroup ? "regarding" : "involvedObject");
        if (field.startsWith("involvedObject.") || field.startsWith("regarding.")) {
            String f = field.substring(field.indexOf('.') + 1);
            return switch (f) {
                case "kind", "namespace", "name", "uid", "apiVersion", "resourceVersion", "fieldPath" -> involved.path(f).asText("");
                default -> null;
            };
        }
        return switch (field) {
            case "reason", "type" -> obj.path(field).asText("");
            case "reportingComponent", "reportingController" -> obj.path("reportingController").asText(
                    obj.path("reportingComponent").asText(""));
            case "source" -> {
                String source = obj.path(eventsGroup ? "deprecatedSource" : "source").path("component").asText("");
                yield source.isEmpty() ? obj.path("reportingController").asText(obj.path("reportingComponent").asText("")) : source;
            }
            default -> super.fieldValue(obj, field);
        };
    }
}
