package io.kuberaft.controllers.statefulset;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.OwnerReference;
import io.fabric8.kubernetes.api.model.OwnerReferenceBuilder;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaim;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * {@code persistentVolumeClaimRetentionPolicy} as upstream 1.32 (StatefulSetAutoDeletePVC, GA): the controller only
 * sets owner references on the claims and the garbage collector deletes them. A claim is owned by its StatefulSet when
 * {@code whenDeleted: Delete} (gone with the set), and by its pod when {@code whenScaled: Delete} and the pod's ordinal
 * is beyond the replicas (gone with the condemned pod) — then not by the set; with {@code Retain} neither reference is
 * kept (upstream's claimOwnerMatchesSetAndPod).
 */
final class ClaimRetention {
    private ClaimRetention() {
    }

    private static boolean delete(String policy) {
        return "Delete".equals(policy);
    }

    /** The owner references {@code claim} should have; {@code pod} null before the pod exists. */
    static List<OwnerReference> wanted(StatefulSet set, PersistentVolumeClaim claim, Pod pod, boolean scaledDown) {
        var policy = set.getSpec().getPersistentVolumeClaimRetentionPolicy();
        boolean whenDeleted = policy != null && delete(policy.getWhenDeleted());
        boolean whenScaled = policy != null && delete(policy.getWhenScaled());
        List<OwnerReference> refs = new ArrayList<>(claim.getMetadata().getOwnerReferences() == null ? List.of()
                : claim.getMetadata().getOwnerReferences());
        refs.removeIf(r -> r.getUid().equals(set.getMetadata().getUid()) || (pod != null && r.getUid().equals(pod.getMetadata().getUid())));
        if (whenDeleted && !(whenScaled && scaledDown)) {
            refs.add(ref(set, "apps/v1", "StatefulSet"));
        }
        if (whenScaled && scaledDown && pod != null) {
            refs.add(ref(pod, "v1", "Pod"));
        }
        return refs;
    }

    static boolean matches(PersistentVolumeClaim claim, List<OwnerReference> wanted) {
        List<OwnerReference> now = claim.getMetadata().getOwnerReferences() == null ? List.of() : claim.getMetadata().getOwnerReferences();
        return now.size() == wanted.size() && now.stream().allMatch(r -> wanted.stream().anyMatch(w -> Objects.equals(w.getUid(), r.getUid())));
    }

    private static OwnerReference ref(HasMetadata owner, String apiVersion, String kind) {
        return new OwnerReferenceBuilder().withApiVersion(apiVersion).withKind(kind).withName(owner.getMetadata().getName())
                .withUid(owner.getMetadata().getUid()).build();
    }
}
