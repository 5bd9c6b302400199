package io.kuberaft.apiserver.http;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.kuberaft.apiserver.patch.Patcher;
import io.kuberaft.apiserver.registry.GenericRegistry;
import io.kuberaft.apiserver.registry.Objects;
import io.kuberaft.apiserver.registry.ResourceDefinition;
import io.kuberaft.apiserver.registry.StoreOps;
import io.kuberaft.apiserver.strategy.CertificateSigningRequestStrategy;
import io.kuberaft.kubeapi.StatusException;

import java.util.List;
import java.util.function.UnaryOperator;

/**
 * {@code certificatesigningrequests/approval} (what {@code kubectl certificate approve|deny} PUTs): of the request only
 * the Approved and Denied conditions are taken; every other condition and the certificate stay as stored (upstream's
 * csrApprovalStrategy).
 */
final class CertificateApprovalSubresource {
    private static final int MAX_ATTEMPTS = 20;
    private static final List<String> APPROVAL = List.of("Approved", "Denied");
    private final GenericRegistry generic;
    private final Patcher patcher;

    CertificateApprovalSubresource(GenericRegistry generic, Patcher patcher) {
        this.generic = generic;
        this.patcher = patcher;
    }

    Reply handle(RequestInfo info, ResourceDefinition def, ResourceHandler.Query q, String contentType, byte[] body) {
        if (!def.kind().equals("CertificateSigningRequest")) {
            throw new StatusException(404, "NotFound", "the server could not find the requested resource");
        }
        String name = info.name();
        return switch (info.verb()) {
            case "get" -> Reply.ok(generic.store().get(def, null, name));
            case "update" -> {
                ObjectNode requested = MediaTypes.parseObject(contentType, body);
                yield Reply.ok(write(def, name, q, cur -> requested, true));
            }
            case "patch" -> {
                if (body.length == 0) {
                    throw StatusException.badRequest("the body of the request was empty");
                }
                yield Reply.ok(write(def, name, q, cur -> MediaTypes.checkObjectMeta(
                        patcher.apply(def, contentType, cur.deepCopy(), body, q.get("fieldManager"), q.flag("force"), "approval")), false));
            }
            default -> throw StatusException.methodNotAllowed("the server does not allow this method on the requested resource");
        };
    }

    private ObjectNode write(ResourceDefinition def, String name, ResourceHandler.Query q, UnaryOperator<ObjectNode> request, boolean put) {
        for (int attempt = 0; ; attempt++) {
            ObjectNode cur = generic.store().get(def, null, name);
            ObjectNode requested = request.apply(cur);
            if (!Objects.name(requested).isEmpty() && !Objects.name(requested).equals(name)) {
                throw StatusException.badRequest("the name of the object (" + Objects.name(requested)
                        + ") does not match the name on the URL (" + name + ")");
            }
            long wanted = Objects.resourceVersion(requested);
            boolean precondition = wanted != 0 && (put || wanted != Objects.resourceVersion(cur));
            if (wanted != 0 && wanted != Objects.resourceVersion(cur)) {
                throw StatusException.conflict("certificates.k8s.io", "certificatesigningrequests", name,
                        "the object has been modified; please apply your changes to the latest version and try again");
            }
            ObjectNode next = cur.deepCopy();
            ObjectNode status = next.get("status") instanceof ObjectNode s ? s : next.putObject("status");
            ArrayNode conditions = Objects.JSON.createArrayNode();
            cur.path("status").path("conditions").forEach(c -> {
                if (!APPROVAL.contains(c.path("type").asText())) {
                    conditions.add(c.deepCopy());
                }
            });
            for (JsonNode c : requested.path("status").path("conditions")) {
                if (APPROVAL.contains(c.path("type").asText())) {
                    conditions.add(c.deepCopy());
                }
            }
            status.set("conditions", conditions);
            List<StatusException.Cause> causes = CertificateSigningRequestStrategy.validateStatus(next);
            if (!causes.isEmpty()) {
                throw StatusException.invalid("certificates.k8s.io", "CertificateSigningRequest", name, causes);
            }
            if (q.writeOptions().dryRun()) {
                return next;
            }
            try {
                return generic.store().update(def, null, name, next, Objects.resourceVersion(cur));
            } catch (StatusException e) {
                if (e.code() != 409 || precondition || attempt >= MAX_ATTEMPTS) {
                    throw e;
                }
                StoreOps.backoff(attempt);
            }
        }
    }
}
