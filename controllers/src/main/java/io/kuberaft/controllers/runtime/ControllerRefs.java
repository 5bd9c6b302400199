package io.kuberaft.controllers.runtime;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.OwnerReference;
import io.fabric8.kubernetes.api.model.OwnerReferenceBuilder;

import java.util.List;
import java.util.Optional;

/** ownerReferences as upstream's controller-ref helpers read and write them (metav1.GetControllerOf, NewControllerRef). */
public final class ControllerRefs {
    private ControllerRefs() {
    }

    /** The owner reference with {@code controller: true}, if any. */
    public static Optional<OwnerReference> controllerOf(HasMetadata o) {
        List<OwnerReference> refs = o.getMetadata().getOwnerReferences();
        if (refs == null) {
            return Optional.empty();
        }
        return refs.stream().filter(r -> Boolean.TRUE.equals(r.getController())).findFirst();
    }

    public static boolean isControlledBy(HasMetadata o, HasMetadata owner) {
        return controllerOf(o).map(r -> r.getUid().equals(owner.getMetadata().getUid())).orElse(false);
    }

    /** The reference a controller puts on what it creates: controller and blockOwnerDeletion true. */
    public static OwnerReference controllerRef(HasMetadata owner) {
        return controllerRef(owner, owner.getApiVersion(), owner.getKind());
    }

    /** The same for an owner from an informer's cache, which may lack apiVersion and kind. */
    public static OwnerReference controllerRef(HasMetadata owner, String apiVersion, String kind) {
        return new OwnerReferenceBuilder().withApiVersion(apiVersion).withKind(kind)
                .withName(owner.getMetadata().getName()).withUid(owner.getMetadata().getUid())
                .withController(true).withBlockOwnerDeletion(true).build();
    }
}
