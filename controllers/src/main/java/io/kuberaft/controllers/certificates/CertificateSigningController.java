package io.kuberaft.controllers.certificates;

import io.fabric8.kubernetes.api.model.certificates.v1.CertificateSigningRequest;
import io.fabric8.kubernetes.api.model.certificates.v1.CertificateSigningRequestCondition;
import io.fabric8.kubernetes.api.model.certificates.v1.CertificateSigningRequestConditionBuilder;
import io.fabric8.kubernetes.api.model.certificates.v1.CertificateSigningRequestStatus;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import io.kuberaft.controllers.runtime.Controller;
import io.kuberaft.controllers.runtime.ControllerContext;
import io.kuberaft.controllers.runtime.Keys;
import io.kuberaft.controllers.runtime.WorkQueue;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Set;

/**
 * kube-controller-manager's csrsigning controller: an approved CertificateSigningRequest for one of the built-in signers
 * ({@code kubernetes.io/kube-apiserver-client}, {@code …-client-kubelet}, {@code kubernetes.io/kubelet-serving},
 * {@code kubernetes.io/legacy-unknown}) gets its certificate from the cluster CA ({@link ClusterSigner}); a request
 * whose usages that signer does not allow, or whose signature does not verify, gets a {@code Failed} condition
 * instead. Without a signing CA ({@code --cluster-signing-cert-file}) approved requests stay unissued, as upstream.
 */
public final class CertificateSigningController implements Controller {
    static final Set<String> CLIENT_USAGES = Set.of("digital signature", "key encipherment", "client auth");
    static final Set<String> SERVING_USAGES = Set.of("digital signature", "key encipherment", "server auth");
    private ControllerContext ctx;
    private SharedIndexInformer<CertificateSigningRequest> csrs;
    private ClusterSigner signer;

    @Override
    public String name() {
        return "certificatesigningrequest-signing-controller";
    }

    @Override
    public void register(ControllerContext ctx, WorkQueue queue) {
        this.ctx = ctx;
        if (ctx.options().clusterSigningCertPem() == null || ctx.options().clusterSigningKeyPem() == null) {
            return;
        }
        this.signer = ClusterSigner.of(ctx.options().clusterSigningCertPem(), ctx.options().clusterSigningKeyPem());
        this.csrs = ctx.informers().of(CertificateSigningRequest.class);
        csrs.addEventHandler(Keys.on(c -> queue.add(c.getMetadata().getName())));
    }

    @Override
    public void reconcile(String name) {
        if (csrs == null) {
            return;
        }
        CertificateSigningRequest csr = csrs.getStore().getByKey(name);
        if (csr == null || csr.getStatus() != null && csr.getStatus().getCertificate() != null && !csr.getStatus().getCertificate().isEmpty()
                || !approved(csr) || has(csr, "Failed") || has(csr, "Denied")) {
            return;
        }
        String signerName = csr.getSpec().getSignerName();
        Set<String> allowed = switch (signerName == null ? "" : signerName) {
            case "kubernetes.io/kube-apiserver-client", "kubernetes.io/kube-apiserver-client-kubelet" -> CLIENT_USAGES;
            case "kubernetes.io/kubelet-serving" -> SERVING_USAGES;
            case "kubernetes.io/legacy-unknown" -> null;
            default -> Set.of(); // another signer's request
        };
        if (allowed != null && allowed.isEmpty()) {
            return;
        }
        List<String> usages = csr.getSpec().getUsages() == null ? List.of() : csr.getSpec().getUsages();
        if (allowed != null) {
            for (String u : usages) {
                if (!allowed.contains(u)) {
                    fail(csr, "invalid usage for " + (allowed == CLIENT_USAGES ? "client" : "serving") + " certificate: " + u);
                    return;
                }
            }
        }
        Duration wanted = csr.getSpec().getExpirationSeconds() == null ? ctx.options().clusterSigningDuration()
                : Duration.ofSeconds(csr.getSpec().getExpirationSeconds());
        Duration validity = wanted.compareTo(ctx.options().clusterSigningDuration()) < 0 ? wanted : ctx.options().clusterSigningDuration();
        String pem;
        try {
            pem = signer.sign(csr.getSpec().getRequest(), usages, validity, ctx.clock().instant());
        } catch (ClusterSigner.InvalidRequestException e) {
            fail(csr, e.getMessage());
            return;
        }
        CertificateSigningRequest copy = ctx.client().getKubernetesSerialization().clone(csr);
        copy.getStatus().setCertificate(Base64.getEncoder().encodeToString(pem.getBytes(java.nio.charset.StandardCharsets.UTF_8)));
        update(copy);
    }

    private static boolean approved(CertificateSigningRequest csr) {
        return has(csr, "Approved");
    }

    private static boolean has(CertificateSigningRequest csr, String type) {
        return csr.getStatus() != null && csr.getStatus().getConditions() != null && csr.getStatus().getConditions().stream()
                .anyMatch(c -> type.equals(c.getType()) && !"False".equals(c.getStatus()));
    }

    /** Upstream's SignerValidationFailure condition. */
    private void fail(CertificateSigningRequest csr, String message) {
        CertificateSigningRequest copy = ctx.client().getKubernetesSerialization().clone(csr);
        if (copy.getStatus() == null) {
            copy.setStatus(new CertificateSigningRequestStatus());
        }
        List<CertificateSigningRequestCondition> conditions = new ArrayList<>(copy.getStatus().getConditions() == null ? List.of()
                : copy.getStatus().getConditions());
        String now = Instant.now().truncatedTo(java.time.temporal.ChronoUnit.SECONDS).toString();
        conditions.add(new CertificateSigningRequestConditionBuilder().withType("Failed").withStatus("True")
                .withReason("SignerValidationFailure").withMessage(message).withLastUpdateTime(now).withLastTransitionTime(now).build());
        copy.getStatus().setConditions(conditions);
        update(copy);
    }

    private void update(CertificateSigningRequest copy) {
        try {
            // with the cached resourceVersion: a stale cache is a 409 and the request's next event brings it back
            ctx.client().resources(CertificateSigningRequest.class).resource(copy).updateStatus();
        } catch (KubernetesClientException e) {
            if (e.getCode() != 404 && e.getCode() != 409) {
                throw e;
            }
        }
    }
}
