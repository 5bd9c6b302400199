package io.kuberaft.apiserver.http;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.kuberaft.apiserver.patch.Patcher;
import io.kuberaft.apiserver.registry.GenericRegistry;
import io.kuberaft.apiserver.registry.Objects;
import io.kuberaft.apiserver.registry.ResourceDefinition;
import io.kuberaft.apiserver.strategy.CertificateSigningRequestStrategy;
import io.kuberaft.kubeapi.StatusException;

import java.util.List;

/**
 * {@code certificatesigningrequests/approval} (what {@code kubectl certificate approve|deny} PUTs): of the request only
 * the Approved and Denied conditions are taken; every other condition and the certificate stay as stored (upstream's
 * csrApprovalStrategy).
 */
final class CertificateApprovalSubresource extends RestrictedSubresource {
    CertificateApprovalSubresource(GenericRegistry generic, Patcher patcher) {
        super(generic, patcher, "approval");
    }

    @Override
    boolean serves(ResourceDefinition def) {
        return def.kind().equals("CertificateSigningRequest");
    }

    @Override
    ObjectNode next(ResourceDefinition def, ObjectNode cur, ObjectNode requested) {
        ObjectNode next = cur.deepCopy();
        ObjectNode status = next.get("status") instanceof ObjectNode s ? s : next.putObject("status");
        ArrayNode conditions = Objects.JSON.createArrayNode();
        cur.path("status").path("conditions").forEach(c -> {
            if (!CertificateSigningRequestStrategy.APPROVAL.contains(c.path("type").asText())) {
                conditions.add(c.deepCopy());
            }
        });
        for (JsonNode c : requested.path("status").path("conditions")) {
            if (CertificateSigningRequestStrategy.APPROVAL.contains(c.path("type").asText())) {
                conditions.add(c.deepCopy());
            }
        }
        status.set("conditions", conditions);
        List<StatusException.Cause> causes = CertificateSigningRequestStrategy.validateStatus(next);
        if (!causes.isEmpty()) {
            throw StatusException.invalid(def.group(), def.kind(), Objects.name(cur), causes);
        }
        return next;
    }
}
