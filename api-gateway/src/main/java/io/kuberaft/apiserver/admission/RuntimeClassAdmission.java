package io.kuberaft.apiserver.admission;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.kuberaft.apiserver.strategy.Json;
import io.kuberaft.kubeapi.PodResources;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Upstream's RuntimeClass admission: a new pod that names a RuntimeClass must find it (else {@code pod rejected:
 * RuntimeClass "x" not found}), gets the class's overhead as {@code spec.overhead} (which only this plugin may set) and
 * its scheduling constraints merged into its nodeSelector (a conflicting value is refused) and tolerations.
 */
public final class RuntimeClassAdmission implements AdmissionPlugin {
    private final Lookup lookup;

    public RuntimeClassAdmission(Lookup lookup) {
        this.lookup = lookup;
    }

    @Override
    public String name() {
        return "RuntimeClass";
    }

    @Override
    public Set<Operation> operations() {
        return Set.of(Operation.CREATE);
    }

    @Override
    public boolean mutating() {
        return true;
    }

    @Override
    public void admit(Attributes a) {
        if (!a.is("", "Pod")) {
            return;
        }
        ObjectNode spec = Json.obj(a.object(), "spec");
        ObjectNode rc = null;
        if (spec.hasNonNull("runtimeClassName")) {
            String name = spec.get("runtimeClassName").asText();
            rc = lookup.getFresh(lookup.kind("node.k8s.io", "RuntimeClass"), null, name, a.reads());
            if (rc == null) {
                throw Lookup.forbidden(a.def(), a.name(), "pod rejected: RuntimeClass \"" + name + "\" not found");
            }
        }
        JsonNode classOverhead = rc == null ? null : rc.path("overhead").get("podFixed");
        if (classOverhead != null && !classOverhead.isNull()) {
            if (spec.hasNonNull("overhead") && !PodResources.list(spec.get("overhead")).equals(PodResources.list(classOverhead))) {
                throw Lookup.forbidden(a.def(), a.name(), "pod rejected: Pod's Overhead doesn't match RuntimeClass's defined Overhead");
            }
            spec.set("overhead", classOverhead.deepCopy());
        } else if (spec.hasNonNull("overhead")) {
            throw Lookup.forbidden(a.def(), a.name(), "pod rejected: Pod Overhead set without corresponding RuntimeClass defined Overhead");
        }
        if (rc != null && rc.has("scheduling")) {
            schedule(a, spec, rc.get("scheduling"));
        }
    }

    private static void schedule(Attributes a, ObjectNode spec, JsonNode scheduling) {
        Iterator<Map.Entry<String, JsonNode>> it = scheduling.path("nodeSelector").fields();
        while (it.hasNext()) {
            Map.Entry<String, JsonNode> e = it.next();
            ObjectNode selector = Json.obj(spec, "nodeSelector");
            JsonNode pod = selector.get(e.getKey());
            if (pod != null && !pod.asText().equals(e.getValue().asText())) {
                throw Lookup.forbidden(a.def(), a.name(), "conflict: runtimeClass.scheduling.nodeSelector[" + e.getKey() + "] = "
                        + e.getValue().asText() + "; pod.spec.nodeSelector[" + e.getKey() + "] = " + pod.asText());
            }
            selector.put(e.getKey(), e.getValue().asText());
        }
        if (scheduling.path("tolerations").isEmpty()) {
            return;
        }
        List<JsonNode> all = new ArrayList<>();
        spec.path("tolerations").forEach(all::add);
        scheduling.path("tolerations").forEach(t -> all.add(t.deepCopy()));
        spec.set("tolerations", merge(all));
    }

    /** Upstream's MergeTolerations: drops a toleration another one already covers (the first of equal ones stays). */
    static ArrayNode merge(List<JsonNode> all) {
        ArrayNode merged = io.kuberaft.apiserver.registry.Objects.JSON.createArrayNode();
        next:
        for (int i = 0; i < all.size(); i++) {
            JsonNode t = all.get(i);
            for (JsonNode kept : merged) {
                if (covers(kept, t)) {
                    continue next;
                }
            }
            for (int j = i + 1; j < all.size(); j++) {
                if (!all.get(j).equals(t) && covers(all.get(j), t)) {
                    continue next;
                }
            }
            merged.add(t);
        }
        return merged;
    }

    /** Upstream's isSuperset: whether toleration {@code ss} tolerates every taint {@code t} does. */
    static boolean covers(JsonNode ss, JsonNode t) {
        if (ss.equals(t)) {
            return true;
        }
        String ssKey = ss.path("key").asText("");
        String ssOp = ss.path("operator").asText("");
        if (!t.path("key").asText("").equals(ssKey) && !(ssKey.isEmpty() && ssOp.equals("Exists"))) {
            return false;
        }
        String ssEffect = ss.path("effect").asText("");
        if (!t.path("effect").asText("").equals(ssEffect) && !ssEffect.isEmpty()) {
            return false;
        }
        if (ssEffect.equals("NoExecute") && ss.hasNonNull("tolerationSeconds")
                && (!t.hasNonNull("tolerationSeconds") || t.get("tolerationSeconds").asLong() > ss.get("tolerationSeconds").asLong())) {
            return false;
        }
        String tOp = t.path("operator").asText("");
        return switch (ssOp) {
            case "", "Equal" -> (tOp.isEmpty() || tOp.equals("Equal")) && t.path("value").asText("").equals(ss.path("value").asText(""));
            case "Exists" -> true;
            default -> false;
        };
    }
}
