package io.kuberaft.apiserver.http;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.kuberaft.apiserver.patch.Patcher;
import io.kuberaft.apiserver.registry.GenericRegistry;
import io.kuberaft.apiserver.registry.Objects;
import io.kuberaft.apiserver.registry.ResourceDefinition;
import io.kuberaft.apiserver.registry.StoreOps;
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
final class EphemeralContainersSubresource {
    private static final int MAX_ATTEMPTS = 20;
    private final GenericRegistry generic;
    private final Patcher patcher;

    EphemeralContainersSubresource(GenericRegistry generic, Patcher patcher) {
        this.generic = generic;
        this.patcher = patcher;
    }

    Reply handle(RequestInfo info, ResourceDefinition def, ResourceHandler.Query q, String contentType, byte[] body) {
        if (!def.group().isEmpty() || !def.plural().equals("pods")) {
            throw new StatusException(404, "NotFound", "the server could not find the requested resource");
        }
        String ns = info.namespace();
        String name = info.name();
        return switch (info.verb()) {
            case "get" -> Reply.ok(generic.store().get(def, ns, name));
            case "update" -> {
                ObjectNode requested = MediaTypes.parseObject(contentType, body);
                yield Reply.ok(write(def, ns, name, q, cur -> requested, true));
            }
            case "patch" -> {
                if (body.length == 0) {
                    throw StatusException.badRequest("the body of the request was empty");
                }
                yield Reply.ok(write(def, ns, name, q, cur -> MediaTypes.checkObjectMeta(
                        patcher.apply(def, contentType, cur.deepCopy(), body, q.get("fieldManager"), q.flag("force"), "ephemeralcontainers")), false));
            }
            default -> throw StatusException.methodNotAllowed("the server does not allow this method on the requested resource");
        };
    }

    private ObjectNode write(ResourceDefinition def, String ns, String name, ResourceHandler.Query q,
                             java.util.function.UnaryOperator<ObjectNode> request, boolean put) {
        for (int attempt = 0; ; attempt++) {
            ObjectNode cur = generic.store().get(def, ns, name);
            ObjectNode requested = request.apply(cur);
            if (!Objects.name(requested).isEmpty() && !Objects.name(requested).equals(name)) {
                throw StatusException.badRequest("the name of the object (" + Objects.name(requested)
                        + ") does not match the name on the URL (" + name + ")");
            }
            // a PUT naming a resourceVersion (or a patch setting another one) is a precondition: a conflict is the client's
            long wanted = Objects.resourceVersion(requested);
            boolean precondition = wanted != 0 && (put || wanted != Objects.resourceVersion(cur));
            if (wanted != 0 && wanted != Objects.resourceVersion(cur)) {
                throw StatusException.conflict("", "pods", name,
                        "the object has been modified; please apply your changes to the latest version and try again");
            }
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
                throw StatusException.invalid("", "Pod", name, causes);
            }
            if (q.writeOptions().dryRun()) {
                return next;
            }
            try {
                return generic.store().update(def, ns, name, next, Objects.resourceVersion(cur));
            } catch (StatusException e) {
                if (e.code() != 409 || precondition || attempt >= MAX_ATTEMPTS) {
                    throw e;
                }
                StoreOps.backoff(attempt);
            }
        }
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
