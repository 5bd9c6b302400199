package io.kuberaft.apiserver.http;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.kuberaft.apiserver.patch.Patcher;
import io.kuberaft.apiserver.registry.GenericRegistry;
import io.kuberaft.apiserver.registry.Objects;
import io.kuberaft.apiserver.registry.ResourceDefinition;
import io.kuberaft.apiserver.strategy.Fields;
import io.kuberaft.apiserver.strategy.PodSpecs;
import io.kuberaft.kubeapi.StatusException;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code pods/ephemeralcontainers} (what {@code kubectl debug POD --image=…} patches): the pod, of which a PUT or a
 * patch changes only {@code spec.ephemeralContainers}, and only by adding containers (upstream's
 * ValidatePodEphemeralContainersUpdate: existing ones may be neither changed nor removed). The node agent runs what
 * is added once, never restarting it, and reports it in {@code status.ephemeralContainerStatuses}.
 */
final class EphemeralContainersSubresource extends RestrictedSubresource {
    EphemeralContainersSubresource(GenericRegistry generic, Patcher patcher) {
        super(generic, patcher, "ephemeralcontainers");
    }

    @Override
    boolean serves(ResourceDefinition def) {
        return def.group().isEmpty() && def.plural().equals("pods");
    }

    @Override
    ObjectNode next(ResourceDefinition def, ObjectNode cur, ObjectNode requested) {
        ObjectNode next = cur.deepCopy();
        ObjectNode spec = (ObjectNode) next.path("spec");
        JsonNode list = requested.path("spec").path("ephemeralContainers");
        if (list.isArray() && !list.isEmpty()) {
            ArrayNode copy = list.deepCopy();
            copy.forEach(c -> {
                if (c instanceof ObjectNode o) {
                    PodSpecs.ephemeralContainerDefaults(o);
                }
            });
            spec.set("ephemeralContainers", copy);
        } else {
            spec.remove("ephemeralContainers");
        }
        List<StatusException.Cause> causes = new ArrayList<>(PodSpecs.validateEphemeralContainers(spec, "spec"));
        causes.addAll(unchanged(cur.path("spec").path("ephemeralContainers"), spec.path("ephemeralContainers")));
        if (!causes.isEmpty()) {
            throw StatusException.invalid("", "Pod", Objects.name(cur), causes);
        }
        return next;
    }

    /** Every existing ephemeral container is still there, as it was. */
    private static List<StatusException.Cause> unchanged(JsonNode before, JsonNode after) {
        Map<String, JsonNode> now = new HashMap<>();
        for (int i = 0; i < after.size(); i++) {
            now.put(after.get(i).path("name").asText(), after.get(i));
        }
        List<StatusException.Cause> out = new ArrayList<>();
        for (int i = 0; i < before.size(); i++) {
            String n = before.get(i).path("name").asText();
            JsonNode c = now.get(n);
            if (c == null) {
                out.add(Fields.forbidden("spec.ephemeralContainers", "existing ephemeral containers \"" + n + "\" may not be removed\n"));
            } else if (!c.equals(before.get(i))) {
                out.add(Fields.forbidden(Fields.index("spec.ephemeralContainers", i), "existing ephemeral containers \"" + n
                        + "\" may not be changed\n"));
            }
        }
        return out;
    }
}
