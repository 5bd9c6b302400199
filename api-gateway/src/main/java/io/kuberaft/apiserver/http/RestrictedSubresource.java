package io.kuberaft.apiserver.http;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.kuberaft.apiserver.patch.Patcher;
import io.kuberaft.apiserver.registry.GenericRegistry;
import io.kuberaft.apiserver.registry.Objects;
import io.kuberaft.apiserver.registry.ResourceDefinition;
import io.kuberaft.apiserver.registry.StoreOps;
import io.kuberaft.kubeapi.StatusException;

import java.util.function.UnaryOperator;

/**
 * A subresource that serves the whole object but of a PUT or a patch takes only some fields (pods/ephemeralcontainers,
 * certificatesigningrequests/approval): the request is read against the stored object, {@link #next} builds and
 * validates what is written, and the write is a compare-and-swap on the stored resourceVersion, retried after a
 * conflict unless the client named a resourceVersion of its own.
 */
abstract class RestrictedSubresource {
    private static final int MAX_ATTEMPTS = 20;
    private final GenericRegistry generic;
    private final Patcher patcher;
    private final String subresource;

    RestrictedSubresource(GenericRegistry generic, Patcher patcher, String subresource) {
        this.generic = generic;
        this.patcher = patcher;
        this.subresource = subresource;
    }

    /** Whether the definition has this subresource at all. */
    abstract boolean serves(ResourceDefinition def);

    /** The object to store: {@code current} with what {@code requested} may change; throws a 422 when invalid. */
    abstract ObjectNode next(ResourceDefinition def, ObjectNode current, ObjectNode requested);

    final Reply handle(RequestInfo info, ResourceDefinition def, ResourceHandler.Query q, String contentType, byte[] body) {
        if (!serves(def)) {
            throw new StatusException(404, "NotFound", "the server could not find the requested resource");
        }
        String ns = def.namespaced() ? info.namespace() : null;
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
                        patcher.apply(def, contentType, cur.deepCopy(), body, q.get("fieldManager"), q.flag("force"), subresource)), false));
            }
            default -> throw StatusException.methodNotAllowed("the server does not allow this method on the requested resource");
        };
    }

    private ObjectNode write(ResourceDefinition def, String ns, String name, ResourceHandler.Query q,
                             UnaryOperator<ObjectNode> request, boolean put) {
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
                throw StatusException.conflict(def.group(), def.plural(), name,
                        "the object has been modified; please apply your changes to the latest version and try again");
            }
            ObjectNode next = next(def, cur, requested);
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
}
