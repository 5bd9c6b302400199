package io.kuberaft.controllers.runtime;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.OwnerReference;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import io.fabric8.kubernetes.client.utils.Serialization;
import io.kuberaft.kubeapi.LabelSelector;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Predicate;
import java.util.function.Supplier;

/**
 * upstream's PodControllerRefManager.ClaimPods: the pods an owner controls, after adopting the orphans its selector
 * matches and releasing its pods whose labels no longer match. Before the first adoption the owner is read again
 * (upstream's RecheckDeletionTimestamp): an owner being deleted, or replaced by a new one of the same name, adopts
 * nothing. Both writes are patches with the pod's uid as precondition, so a new pod of the same name is never touched.
 */
public final class PodControllerRefManager {
    private final KubernetesClient client;
    private final HasMetadata owner;
    private final OwnerReference ref;
    private final LabelSelector selector;
    private final Supplier<? extends HasMetadata> reread;

    /**
     * @param ref    the controller reference the owner puts on its pods (apiVersion and kind filled in)
     * @param reread a fresh read of the owner (null when it is gone)
     */
    public PodControllerRefManager(KubernetesClient client, HasMetadata owner, OwnerReference ref, LabelSelector selector,
                                   Supplier<? extends HasMetadata> reread) {
        this.client = client;
        this.owner = owner;
        this.ref = ref;
        this.selector = selector;
        this.reread = reread;
    }

    /** The pods among {@code candidates} (those {@code filter} accepts) the owner controls once claimed. */
    public List<Pod> claim(List<Pod> candidates, Predicate<Pod> filter) {
        String uid = owner.getMetadata().getUid();
        boolean ownerDeleting = owner.getMetadata().getDeletionTimestamp() != null;
        List<Pod> claimed = new ArrayList<>();
        Boolean canAdopt = null;
        for (Pod p : candidates) {
            if (!filter.test(p)) {
                continue;
            }
            Map<String, String> labels = p.getMetadata().getLabels() == null ? Map.of() : p.getMetadata().getLabels();
            boolean matches = !selector.isEverything() && selector.matches(labels);
            Optional<OwnerReference> controller = ControllerRefs.controllerOf(p);
            if (controller.isPresent()) {
                if (!controller.get().getUid().equals(uid)) {
                    continue; // someone else's
                }
                if (matches) {
                    claimed.add(p);
                } else if (!ownerDeleting) {
                    release(p);
                }
                continue;
            }
            if (!matches || ownerDeleting || p.getMetadata().getDeletionTimestamp() != null) {
                continue;
            }
            if (canAdopt == null) {
                canAdopt = notDeleted(reread.get());
            }
            if (canAdopt && adopt(p)) {
                claimed.add(new PodBuilder(p).editMetadata().addToOwnerReferences(ref).endMetadata().build());
            }
        }
        return claimed;
    }

    private boolean notDeleted(HasMetadata fresh) {
        return fresh != null && fresh.getMetadata().getUid().equals(owner.getMetadata().getUid())
                && fresh.getMetadata().getDeletionTimestamp() == null;
    }

    private boolean adopt(Pod p) {
        Map<String, Object> patch = Map.of("metadata", Map.of("ownerReferences", List.of(ref), "uid", p.getMetadata().getUid()));
        try {
            DirectRequests.patch(client, client.pods().inNamespace(p.getMetadata().getNamespace()).withName(p.getMetadata().getName()),
                    PatchType.STRATEGIC_MERGE, Serialization.asJson(patch), null);
            return true;
        } catch (KubernetesClientException e) {
            if (e.getCode() == 404 || e.getCode() == 422) {
                return false; // gone, or a new pod of that name: nothing to adopt
            }
            throw e;
        }
    }

    private void release(Pod p) {
        Map<String, Object> patch = Map.of("metadata", Map.of(
                "ownerReferences", List.of(Map.of("$patch", "delete", "uid", owner.getMetadata().getUid())),
                "uid", p.getMetadata().getUid()));
        try {
            DirectRequests.patch(client, client.pods().inNamespace(p.getMetadata().getNamespace()).withName(p.getMetadata().getName()),
                    PatchType.STRATEGIC_MERGE, Serialization.asJson(patch), null);
        } catch (KubernetesClientException e) {
            if (e.getCode() != 404 && e.getCode() != 422) {
                throw e; // 404: gone; 422: the uid changed (a new pod of that name): nothing to release
            }
        }
    }
}
