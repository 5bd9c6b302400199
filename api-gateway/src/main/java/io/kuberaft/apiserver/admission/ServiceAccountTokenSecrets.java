package io.kuberaft.apiserver.admission;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.kuberaft.apiserver.auth.ServiceAccountTokens;
import io.kuberaft.kubeapi.StatusException;

import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;
import java.util.Set;

/**
 * Legacy ServiceAccount token Secrets ({@code type: kubernetes.io/service-account-token} with the annotation
 * {@code kubernetes.io/service-account.name}): filled with a non-expiring token for that ServiceAccount, the cluster CA
 * and the namespace, as upstream's token controller fills them — here in the same write, so {@code kubectl get secret
 * -o jsonpath='{.data.token}'} right after the create already has it. A Secret naming a missing ServiceAccount stays
 * empty (upstream's controller would delete it).
 */
public final class ServiceAccountTokenSecrets implements AdmissionPlugin {
    static final String TYPE = "kubernetes.io/service-account-token";
    static final String NAME_ANNOTATION = "kubernetes.io/service-account.name";
    static final String UID_ANNOTATION = "kubernetes.io/service-account.uid";
    private final Lookup lookup;
    private final ServiceAccountTokens tokens;
    private final String caPem;

    public ServiceAccountTokenSecrets(Lookup lookup, ServiceAccountTokens tokens, String caPem) {
        this.lookup = lookup;
        this.tokens = tokens;
        this.caPem = caPem;
    }

    @Override
    public String name() {
        return "ServiceAccountTokenSecrets";
    }

    @Override
    public Set<Operation> operations() {
        return Set.of(Operation.CREATE, Operation.UPDATE);
    }

    @Override
    public boolean mutating() {
        return true;
    }

    @Override
    public void admit(Attributes a) {
        if (!a.is("", "Secret") || !TYPE.equals(a.object().path("type").asText(""))) {
            return;
        }
        ObjectNode secret = a.object();
        String saName = secret.path("metadata").path("annotations").path(NAME_ANNOTATION).asText("");
        if (saName.isEmpty()) {
            throw StatusException.invalid("", "Secret", a.name(), List.of(new StatusException.Cause("FieldValueRequired", "Required value",
                    "metadata.annotations[" + NAME_ANNOTATION + "]")));
        }
        if (!secret.path("data").path("token").asText("").isEmpty() || !tokens.canIssue()) {
            return;
        }
        ObjectNode sa = lookup.get(lookup.kind("", "ServiceAccount"), a.namespace(), saName, a.reads());
        if (sa == null) {
            return;
        }
        String uid = sa.path("metadata").path("uid").asText("");
        ObjectNode annotations = (ObjectNode) secret.path("metadata").path("annotations");
        annotations.put(UID_ANNOTATION, uid);
        ObjectNode data = secret.path("data").isObject() ? (ObjectNode) secret.get("data") : secret.putObject("data");
        data.put("token", b64(tokens.issueLegacy(a.namespace(), saName, uid, a.name())));
        data.put("namespace", b64(a.namespace()));
        if (caPem != null) {
            data.put("ca.crt", b64(caPem));
        }
    }

    private static String b64(String s) {
        return Base64.getEncoder().encodeToString(s.getBytes(StandardCharsets.UTF_8));
    }
}
