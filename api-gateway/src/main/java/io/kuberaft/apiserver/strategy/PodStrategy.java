package io.kuberaft.apiserver.strategy;

import io.kuberaft.kubeapi.PodResources;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.kuberaft.apiserver.registry.DefaultStrategy;
import io.kuberaft.apiserver.registry.ResourceDefinition;
import io.kuberaft.kubeapi.StatusException.Cause;

import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;

/**
 * Pods: upstream's v1 defaults, status Pending with the QoS class on create, ValidatePodCreate and
 * ValidatePodUpdate (only images, activeDeadlineSeconds, added tolerations and a negative grace period set to
 * 1 may change), graceful deletion for bound pods and the pod field selectors.
 */
public final class PodStrategy extends DefaultStrategy {
    @Override
    public PodTemplateAt podTemplate(ObjectNode obj) {
        return new PodTemplateAt(obj, "");
    }

    static final String UPDATABLE = "pod updates may not change fields other than `spec.containers[*].image`,"
            + "`spec.initContainers[*].image`,`spec.activeDeadlineSeconds`,`spec.tolerations` (only additions to existing tolerations),"
            + "`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative)";

    @Override
    public void prepareForCreate(ResourceDefinition def, ObjectNode obj) {
        ObjectNode spec = applyDefaults(def, obj);
        ObjectNode status = obj.putObject("status");
        status.put("phase", "Pending");
        status.put("qosClass", PodResources.qosClass(spec));
        if (spec.path("schedulingGates").size() > 0) {
            // upstream's applySchedulingGatedCondition: `kubectl get pods` shows SchedulingGated until the gates are gone
            ObjectNode c = status.putArray("conditions").addObject();
            c.put("type", "PodScheduled").put("status", "False").put("reason", "SchedulingGated")
                    .put("message", "Scheduling is blocked due to non-empty scheduling gates");
            c.putNull("lastProbeTime");
            c.putNull("lastTransitionTime");
        }
    }

    private static ObjectNode applyDefaults(ResourceDefinition def, ObjectNode obj) {
        ObjectNode spec = Json.obj(obj, "spec");
        Resources.canonicalizeContainers(def, spec);
        PodSpecs.defaults(spec);
        PodSpecs.podOnlyDefaults(spec);
        return spec;
    }

    @Override
    public List<Cause> validate(ResourceDefinition def, ObjectNode obj) {
        List<Cause> out = new ArrayList<>(PodSpecs.validate(obj.path("spec"), "spec"));
        if (obj.path("spec").path("ephemeralContainers").size() > 0) {
            out.add(Fields.forbidden("spec.ephemeralContainers", "cannot be set on create"));
        }
        return out;
    }

    @Override
    public void prepareForUpdate(ResourceDefinition def, ObjectNode obj, ObjectNode old) {
        applyDefaults(def, obj);
        // only the ephemeralcontainers subresource changes them (upstream's PrepareForUpdate keeps the old ones)
        if (obj.get("spec") instanceof ObjectNode spec) {
            if (old.path("spec").has("ephemeralContainers")) {
                spec.set("ephemeralContainers", old.path("spec").get("ephemeralContainers").deepCopy());
            } else {
                spec.remove("ephemeralContainers");
            }
        }
    }

    @Override
    public List<Cause> validateUpdate(ResourceDefinition def, ObjectNode obj, ObjectNode old) {
        List<Cause> out = new ArrayList<>(PodSpecs.validate(obj.path("spec"), "spec"));
        JsonNode spec = obj.path("spec");
        JsonNode oldSpec = old.path("spec");
        if (Json.same(spec, oldSpec)) {
            return out;
        }
        for (String kind : new String[] {"containers", "initContainers"}) {
            if (spec.path(kind).size() != oldSpec.path(kind).size()) {
                out.add(Fields.forbidden("spec." + kind, "pod updates may not add or remove containers"));
                return out;
            }
        }
        ObjectNode munged = spec.deepCopy();
        for (String kind : new String[] {"containers", "initContainers"}) {
            for (int i = 0; i < munged.path(kind).size(); i++) {
                // A container that is no object is left for validation to reject (400/422, never a 500).
                if (munged.path(kind).get(i) instanceof ObjectNode c) {
                    c.set("image", oldSpec.path(kind).get(i).get("image"));
                }
            }
        }
        JsonNode newDeadline = spec.path("activeDeadlineSeconds");
        JsonNode oldDeadline = oldSpec.path("activeDeadlineSeconds");
        if (newDeadline.isNumber()) {
            if (newDeadline.asLong() < 0 || newDeadline.asLong() > Integer.MAX_VALUE) {
                out.add(Fields.invalid("spec.activeDeadlineSeconds", newDeadline, "must be between 0 and 2147483647, inclusive"));
                return out;
            }
            if (oldDeadline.isNumber() && oldDeadline.asLong() < newDeadline.asLong()) {
                out.add(Fields.invalid("spec.activeDeadlineSeconds", newDeadline, "must be less than or equal to previous value"));
                return out;
            }
        } else if (oldDeadline.isNumber()) {
            out.add(Fields.invalid("spec.activeDeadlineSeconds", null, "must not update from a positive integer to nil value"));
        }
        restore(munged, oldSpec, "activeDeadlineSeconds");
        if (!onlyAddedTolerations(spec.path("tolerations"), oldSpec.path("tolerations"))) {
            out.add(Fields.forbidden("spec.tolerations", "existing toleration can not be modified except its tolerationSeconds"));
        }
        restore(munged, oldSpec, "tolerations");
        if (oldSpec.path("terminationGracePeriodSeconds").asLong(0) < 0 && munged.path("terminationGracePeriodSeconds").asLong(0) == 1) {
            restore(munged, oldSpec, "terminationGracePeriodSeconds");
        }
        // scheduling gates may only be removed (the scheduler then takes the pod)
        java.util.Set<String> oldGates = new java.util.HashSet<>();
        oldSpec.path("schedulingGates").forEach(g -> oldGates.add(g.path("name").asText()));
        for (JsonNode g : spec.path("schedulingGates")) {
            if (!oldGates.contains(g.path("name").asText())) {
                out.add(Fields.forbidden("spec.schedulingGates", "only deletion is allowed, but found new scheduling gate '"
                        + g.path("name").asText() + "'"));
            }
        }
        restore(munged, oldSpec, "schedulingGates");
        if (!Json.same(munged, oldSpec)) {
            out.add(Fields.forbidden("spec", UPDATABLE + "\n" + diff(oldSpec, munged)));
        }
        return out;
    }

    private static void restore(ObjectNode munged, JsonNode oldSpec, String field) {
        if (oldSpec.has(field)) {
            munged.set(field, oldSpec.get(field).deepCopy());
        } else {
            munged.remove(field);
        }
    }

    /** Every old toleration is still there (its tolerationSeconds may change). */
    private static boolean onlyAddedTolerations(JsonNode now, JsonNode before) {
        for (JsonNode o : before) {
            boolean found = false;
            for (JsonNode n : now) {
                ObjectNode a = o.deepCopy();
                ObjectNode b = n.deepCopy();
                a.remove("tolerationSeconds");
                b.remove("tolerationSeconds");
                found |= Json.same(a, b);
            }
            if (!found) {
                return false;
            }
        }
        return true;
    }

    /** A short rendering of what changed in the spec (upstream prints a cmp.Diff of the Go structs). */
    static String diff(JsonNode before, JsonNode after) {
        TreeSet<String> fields = new TreeSet<>();
        before.fieldNames().forEachRemaining(fields::add);
        after.fieldNames().forEachRemaining(fields::add);
        StringBuilder b = new StringBuilder("  core.PodSpec{\n");
        for (String f : fields) {
            JsonNode x = before.get(f);
            JsonNode y = after.get(f);
            if (x == null ? y != null : !Json.same(x, y)) {
                String goName = Character.toUpperCase(f.charAt(0)) + f.substring(1);
                if (x != null) {
                    b.append("- \t").append(goName).append(": ").append(x).append(",\n");
                }
                if (y != null) {
                    b.append("+ \t").append(goName).append(": ").append(y).append(",\n");
                }
            }
        }
        return b.append("  }\n").toString();
    }

    /** Bound pods get graceful deletion; unbound or finished pods go at once (upstream CheckGracefulDelete). */
    @Override
    public long gracePeriodSeconds(ObjectNode obj, Long requested) {
        JsonNode spec = obj.path("spec");
        long period = requested != null ? requested : spec.path("terminationGracePeriodSeconds").asLong(0);
        String phase = obj.path("status").path("phase").asText("");
        if (spec.path("nodeName").asText("").isEmpty() || phase.equals("Failed") || phase.equals("Succeeded")) {
            return 0;
        }
        return period < 0 ? 1 : period;
    }

    @Override
    public String fieldValue(ObjectNode obj, String field) {
        JsonNode spec = obj.path("spec");
        JsonNode status = obj.path("status");
        return switch (field) {
            case "spec.nodeName", "spec.restartPolicy", "spec.schedulerName", "spec.serviceAccountName" ->
                    spec.path(field.substring(5)).asText("");
            case "spec.hostNetwork" -> String.valueOf(spec.path("hostNetwork").asBoolean(false));
            case "status.phase", "status.nominatedNodeName" -> status.path(field.substring(7)).asText("");
            case "status.podIP" -> podIP(status);
            default -> super.fieldValue(obj, field);
        };
    }

    private static String podIP(JsonNode status) {
        JsonNode ips = status.path("podIPs");
        if (ips.size() > 0) {
            return ips.get(0).path("ip").asText("");
        }
        return status.path("podIP").asText("");
    }
}
