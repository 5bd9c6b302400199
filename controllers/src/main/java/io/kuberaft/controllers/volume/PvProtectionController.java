package io.kuberaft.controllers.volume;

import io.fabric8.kubernetes.api.model.PersistentVolume;
import io.fabric8.kubernetes.api.model.PersistentVolumeBuilder;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import io.kuberaft.controllers.runtime.Controller;
import io.kuberaft.controllers.runtime.ControllerContext;
import io.kuberaft.controllers.runtime.Keys;
import io.kuberaft.controllers.runtime.WorkQueue;

/**
 * Upstream's pv-protection-controller: a PersistentVolume marked for deletion keeps its {@value #FINALIZER} finalizer while
 * it is Bound to a claim; once it is not (its claim went away: Released, or Available), the finalizer goes.
 */
public final class PvProtectionController implements Controller {
    public static final String FINALIZER = "kubernetes.io/pv-protection";
    private ControllerContext ctx;
    private SharedIndexInformer<PersistentVolume> volumes;

    @Override
    public String name() {
        return "pv-protection-controller";
    }

    @Override
    public void register(ControllerContext ctx, WorkQueue queue) {
        this.ctx = ctx;
        volumes = ctx.informers().of(PersistentVolume.class);
        volumes.addEventHandler(Keys.on(pv -> {
            if (pv.getMetadata().getDeletionTimestamp() != null && hasFinalizer(pv)) {
                queue.add(Keys.of(pv));
            }
        }));
    }

    @Override
    public void reconcile(String key) {
        PersistentVolume pv = volumes.getStore().getByKey(key);
        if (pv == null || pv.getMetadata().getDeletionTimestamp() == null || !hasFinalizer(pv)
                || pv.getStatus() != null && "Bound".equals(pv.getStatus().getPhase())) {
            return;
        }
        try {
            ctx.client().persistentVolumes().resource(new PersistentVolumeBuilder(pv).editMetadata().removeFromFinalizers(FINALIZER)
                    .endMetadata().build()).update();
        } catch (KubernetesClientException e) {
            if (e.getCode() != 404) {
                throw e;
            }
        }
    }

    private static boolean hasFinalizer(PersistentVolume pv) {
        return pv.getMetadata().getFinalizers() != null && pv.getMetadata().getFinalizers().contains(FINALIZER);
    }
}
