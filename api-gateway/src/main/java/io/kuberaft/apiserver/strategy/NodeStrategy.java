package io.kuberaft.apiserver.strategy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.kuberaft.apiserver.registry.DefaultStrategy;
import io.kuberaft.apiserver.registry.ResourceDefinition;
import io.kuberaft.kubeapi.StatusException.Cause;

import java.util.ArrayList;
import java.util.List;

/**
 * Nodes: the agent registers them with their status (kept on create, unlike other kinds), allocatable defaults
 * to capacity, taints are checked, podCIDR and providerID only go from empty to set, {@code spec.unschedulable}
 * field selector.
 */
public final class NodeStrategy extends DefaultStrategy {
    private static final List<String> EFFECTS = List.of("NoExecute", "NoSchedule", "PreferNoSchedule");

    @Override
    public void prepareForCreate(ResourceDefinition def, ObjectNode obj) {
        defaults(def, obj);
    }

    @Override
    public void prepareForUpdate(ResourceDefinition def, ObjectNode obj, ObjectNode old) {
        defaults(def, obj);
    }

    private static void defaults(ResourceDefinition def, ObjectNode obj) {
        // upstream's Go struct always serializes spec: a JSON patch to /spec/taints (kubectl taint, fabric8 edit) needs it
        if (!obj.has("spec") || obj.get("spec").isNull()) {
            obj.putObject("spec");
        }
        if (obj.get("status") instanceof ObjectNode status) {
            Resources.canonicalize(def, status.path("capacity"));
            Resources.canonicalize(def, status.path("allocatable"));
            if (!status.has("allocatable") && status.path("capacity").isObject()) {
                status.set("allocatable", status.get("capacity").deepCopy());
            }
        }
    }

    @Override
    public List<Cause> validate(ResourceDefinition def, ObjectNode obj) {
        List<Cause> out = new ArrayList<>();
        JsonNode taints = obj.path("spec").path("taints");
        java.util.Set<String> seen = new java.util.HashSet<>();
        for (int i = 0; i < taints.size(); i++) {
            String p = Fields.index("spec.taints", i);
            JsonNode t = taints.path(i);
            String key = t.path("key").asText("");
            if (key.isEmpty()) {
                out.add(Fields.required(p + ".key"));
            } else {
                out.addAll(Fields.qualifiedName(p + ".key", key));
            }
            out.addAll(Fields.labelValue(p + ".value", t.path("value").asText("")));
            String effect = t.path("effect").asText("");
            if (effect.isEmpty()) {
                out.add(Fields.required(p + ".effect"));
            } else if (!EFFECTS.contains(effect)) {
                out.add(Fields.notSupported(p + ".effect", effect, EFFECTS));
            }
            if (!seen.add(key + "/" + effect)) {
                out.add(Fields.duplicateRendered(p, "core.Taint{Key:" + Fields.quote(key) + ", Value:" + Fields.quote(t.path("value").asText(""))
                        + ", Effect:" + Fields.quote(effect) + ", TimeAdded:<nil>}"));
            }
        }
        return out;
    }

    @Override
    public List<Cause> validateUpdate(ResourceDefinition def, ObjectNode obj, ObjectNode old) {
        List<Cause> out = validate(def, obj);
        JsonNode spec = obj.path("spec");
        JsonNode before = old.path("spec");
        if (!before.path("podCIDRs").isEmpty() && !Json.same(spec.path("podCIDRs"), before.path("podCIDRs"))) {
            out.add(Fields.forbidden("spec.podCIDRs", "node updates may not change podCIDR except from \"\" to valid"));
        }
        if (!before.path("providerID").asText("").isEmpty() && !Json.same(spec.path("providerID"), before.path("providerID"))) {
            out.add(Fields.forbidden("spec.providerID", "node updates may not change providerID except from \"\" to valid"));
        }
        return out;
    }

    @Override
    public String fieldValue(ObjectNode obj, String field) {
        return field.equals("spec.unschedulable")
                ? String.valueOf(obj.path("spec").path("unschedulable").asBoolean(false))
                : super.fieldValue(obj, field);
    }
}
