package io.kuberaft.controllers.volume;

import io.fabric8.kubernetes.api.model.PersistentVolumeClaim;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaimBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import io.kuberaft.controllers.runtime.Controller;
import io.kuberaft.controllers.runtime.ControllerContext;
import io.kuberaft.controllers.runtime.Informers;
import io.kuberaft.controllers.runtime.Keys;
import io.kuberaft.controllers.runtime.WorkQueue;

import java.util.List;

/**
 * Upstream's pvc-protection-controller: a claim marked for deletion keeps its {@value #FINALIZER} finalizer while a
 * scheduled pod uses it (a {@code persistentVolumeClaim} volume, or the claim of an {@code ephemeral} volume of a pod not
 * shut down), so a running pod never loses its volume; once none does, the finalizer goes and the claim with it.
 */
public final class PvcProtectionController implements Controller {
    public static final String FINALIZER = "kubernetes.io/pvc-protection";
    private ControllerContext ctx;
    private SharedIndexInformer<PersistentVolumeClaim> claims;
    private SharedIndexInformer<Pod> pods;

    @Override
    public String name() {
        return "pvc-protection-controller";
    }

    @Override
    public void register(ControllerContext ctx, WorkQueue queue) {
        this.ctx = ctx;
        claims = ctx.informers().of(PersistentVolumeClaim.class);
        pods = ctx.informers().of(Pod.class);
        claims.addEventHandler(Keys.on(c -> {
            if (c.getMetadata().getDeletionTimestamp() != null && hasFinalizer(c)) {
                queue.add(Keys.of(c));
            }
        }));
        // a pod going away (or shutting down) may free the claims it used
        pods.addEventHandler(Keys.on(p -> {
            for (Volume v : volumes(p)) {
                String claim = claimName(p, v);
                if (claim != null) {
                    queue.add(Keys.of(p.getMetadata().getNamespace(), claim));
                }
            }
        }));
    }

    @Override
    public void reconcile(String key) {
        PersistentVolumeClaim pvc = claims.getStore().getByKey(key);
        if (pvc == null || pvc.getMetadata().getDeletionTimestamp() == null || !hasFinalizer(pvc)) {
            return;
        }
        String ns = pvc.getMetadata().getNamespace();
        if (usedBy(pods.getIndexer().byIndex(Informers.namespaceIndex(), ns), pvc)) {
            return;
        }
        // As upstream's askAPIServer: the cache may not have a pod just created with this claim yet.
        if (usedBy(ctx.client().pods().inNamespace(ns).list().getItems(), pvc)) {
            return;
        }
        try {
            ctx.client().persistentVolumeClaims().inNamespace(ns).resource(new PersistentVolumeClaimBuilder(pvc).editMetadata()
                    .removeFromFinalizers(FINALIZER).endMetadata().build()).update();
        } catch (KubernetesClientException e) {
            if (e.getCode() != 404) {
                throw e; // 409: our copy is stale, retried with the newer one
            }
        }
    }

    private static boolean hasFinalizer(PersistentVolumeClaim c) {
        return c.getMetadata().getFinalizers() != null && c.getMetadata().getFinalizers().contains(FINALIZER);
    }

    private static boolean usedBy(List<Pod> candidates, PersistentVolumeClaim pvc) {
        for (Pod p : candidates) {
            // only a scheduled pod: the kubelet does not start one whose claim is being deleted
            if (p.getSpec().getNodeName() == null || p.getSpec().getNodeName().isEmpty()) {
                continue;
            }
            for (Volume v : volumes(p)) {
                if (pvc.getMetadata().getName().equals(claimName(p, v)) && (v.getEphemeral() == null || !shutDown(p))) {
                    return true;
                }
            }
        }
        return false;
    }

    private static List<Volume> volumes(Pod p) {
        return p.getSpec() == null || p.getSpec().getVolumes() == null ? List.of() : p.getSpec().getVolumes();
    }

    /** The claim a volume mounts: its own, or the one the ephemeral volume controller makes ({@code <pod>-<volume>}). */
    private static String claimName(Pod p, Volume v) {
        if (v.getPersistentVolumeClaim() != null) {
            return v.getPersistentVolumeClaim().getClaimName();
        }
        return v.getEphemeral() != null ? p.getMetadata().getName() + "-" + v.getName() : null;
    }

    private static boolean shutDown(Pod p) {
        String phase = p.getStatus() == null ? null : p.getStatus().getPhase();
        return "Succeeded".equals(phase) || "Failed".equals(phase);
    }
}
