package io.kuberaft.controllers.volume;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.ObjectReference;
import io.fabric8.kubernetes.api.model.ObjectReferenceBuilder;
import io.fabric8.kubernetes.api.model.PersistentVolume;
import io.fabric8.kubernetes.api.model.PersistentVolumeBuilder;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaim;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaimBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.storage.StorageClass;
import io.fabric8.kubernetes.api.model.storage.StorageClassBuilder;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import io.fabric8.kubernetes.client.utils.Serialization;
import io.kuberaft.controllers.runtime.Controller;
import io.kuberaft.controllers.runtime.ControllerContext;
import io.kuberaft.controllers.runtime.Keys;
import io.kuberaft.controllers.runtime.Selectors;
import io.kuberaft.controllers.runtime.DirectRequests;
import io.kuberaft.controllers.runtime.WorkQueue;
import io.kuberaft.kubeapi.LabelSelector;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.math.BigDecimal;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.stream.Stream;

/**
 * The PersistentVolume controller (upstream's persistentvolume-binder): binds Pending claims to the smallest
 * Available volume that satisfies them (class, capacity, access modes, volume mode, selector; pre-binding by
 * {@code spec.volumeName} or the volume's {@code claimRef}), provisions volumes for claims of a class whose
 * provisioner is the built-in {@value #HOSTPATH_PROVISIONER} (a hostPath directory per claim), waits for the
 * first consumer when the class says so, and moves volumes whose claim went away to Released and then
 * through their reclaim policy (Retain keeps them, Delete deletes them). It also makes the default
 * StorageClass {@value #DEFAULT_CLASS} when the cluster has none.
 */
public final class PersistentVolumeController implements Controller {
    private static final Logger LOG = LoggerFactory.getLogger(PersistentVolumeController.class);
    public static final String HOSTPATH_PROVISIONER = "kuberaft.io/hostpath";
    public static final String DEFAULT_CLASS = "standard";
    static final String BIND_COMPLETED = "pv.kubernetes.io/bind-completed";
    static final String BOUND_BY_CONTROLLER = "pv.kubernetes.io/bound-by-controller";
    static final String PROVISIONED_BY = "pv.kubernetes.io/provisioned-by";
    static final String STORAGE_PROVISIONER = "volume.kubernetes.io/storage-provisioner";
    static final String BETA_STORAGE_PROVISIONER = "volume.beta.kubernetes.io/storage-provisioner";
    static final String SELECTED_NODE = "volume.kubernetes.io/selected-node";
    static final String BETA_CLASS = "volume.beta.kubernetes.io/storage-class";
    static final String IS_DEFAULT_CLASS = "storageclass.kubernetes.io/is-default-class";
    private static final String CLAIM = "pvc:";
    private static final String VOLUME = "pv:";
    private static final String BOOTSTRAP = "bootstrap:default-storage-class";

    private ControllerContext ctx;
    private SharedIndexInformer<PersistentVolumeClaim> claims;
    private SharedIndexInformer<PersistentVolume> volumes;
    private SharedIndexInformer<StorageClass> classes;
    private SharedIndexInformer<Pod> pods;

    @Override
    public String name() {
        return "persistentvolume-binder-controller";
    }

    /** upstream's binder records as {@code persistentvolume-controller} (its recorder's component, not the controller's name). */
    @Override
    public String eventSource() {
        return "persistentvolume-controller";
    }

    @Override
    public void register(ControllerContext ctx, WorkQueue queue) {
        this.ctx = ctx;
        claims = ctx.informers().of(PersistentVolumeClaim.class);
        volumes = ctx.informers().of(PersistentVolume.class);
        classes = ctx.informers().of(StorageClass.class);
        pods = ctx.informers().of(Pod.class);
        claims.addEventHandler(Keys.on(c -> {
            queue.add(CLAIM + Keys.of(c));
            // a deleted claim releases its volume
            if (c.getSpec().getVolumeName() != null && !c.getSpec().getVolumeName().isEmpty()) {
                queue.add(VOLUME + c.getSpec().getVolumeName());
            }
        }));
        volumes.addEventHandler(Keys.on(v -> {
            queue.add(VOLUME + v.getMetadata().getName());
            ObjectReference ref = v.getSpec() == null ? null : v.getSpec().getClaimRef();
            if (ref != null && ref.getName() != null) {
                queue.add(CLAIM + Keys.of(ref.getNamespace(), ref.getName()));
            } else if (v.getMetadata().getDeletionTimestamp() == null) {
                // a volume free to bind: the Pending claims look again (upstream finds it on its 15 s resync of every
                // claim; a claim synced before the volume reached this cache would otherwise stay Pending)
                for (PersistentVolumeClaim c : claims.getStore().list()) {
                    if (c.getSpec().getVolumeName() == null || c.getSpec().getVolumeName().isEmpty()) {
                        queue.add(CLAIM + Keys.of(c));
                    }
                }
            }
        }));
        classes.addEventHandler(Keys.on(sc -> {
            for (PersistentVolumeClaim c : claims.getStore().list()) {
                if (c.getSpec().getVolumeName() == null && sc.getMetadata().getName().equals(className(c))) {
                    queue.add(CLAIM + Keys.of(c));
                }
            }
        }));
        pods.addEventHandler(Keys.on(p -> {
            if (p.getSpec() == null || p.getSpec().getNodeName() == null || p.getSpec().getVolumes() == null) {
                return;
            }
            for (Volume v : p.getSpec().getVolumes()) {
                if (v.getPersistentVolumeClaim() != null) {
                    queue.add(CLAIM + Keys.of(p.getMetadata().getNamespace(), v.getPersistentVolumeClaim().getClaimName()));
                }
            }
        }));
        if (ctx.options().defaultStorageClass()) {
            queue.add(BOOTSTRAP);
        }
    }

    @Override
    public void reconcile(String key) throws IOException {
        if (key.equals(BOOTSTRAP)) {
            ensureDefaultClass();
        } else if (key.startsWith(CLAIM)) {
            PersistentVolumeClaim claim = claims.getStore().getByKey(key.substring(CLAIM.length()));
            if (claim != null && claim.getMetadata().getDeletionTimestamp() == null) {
                syncClaim(claim);
            }
        } else if (key.startsWith(VOLUME)) {
            PersistentVolume pv = volumes.getStore().getByKey(key.substring(VOLUME.length()));
            // a volume being deleted still goes Released when its claim does: the pv-protection controller waits for that
            if (pv != null) {
                syncVolume(pv);
            }
        }
    }

    // ---------------------------------------------------------------- default class

    private void ensureDefaultClass() {
        if (!ctx.client().storage().v1().storageClasses().list().getItems().isEmpty()) {
            return;
        }
        StorageClass sc = new StorageClassBuilder().withNewMetadata().withName(DEFAULT_CLASS)
                .addToAnnotations(IS_DEFAULT_CLASS, "true").endMetadata()
                .withProvisioner(HOSTPATH_PROVISIONER).withReclaimPolicy("Delete").withVolumeBindingMode("Immediate").build();
        try {
            ctx.client().storage().v1().storageClasses().resource(sc).create();
            LOG.info("created the default StorageClass {}", DEFAULT_CLASS);
        } catch (KubernetesClientException e) {
            if (e.getCode() != 409) {
                throw e;
            }
        }
    }

    // ---------------------------------------------------------------- claims

    static String className(PersistentVolumeClaim c) {
        String cls = c.getSpec().getStorageClassName();
        if (cls == null && c.getMetadata().getAnnotations() != null) {
            cls = c.getMetadata().getAnnotations().get(BETA_CLASS);
        }
        return cls == null ? "" : cls;
    }

    static String className(PersistentVolume v) {
        String cls = v.getSpec().getStorageClassName();
        if (cls == null && v.getMetadata().getAnnotations() != null) {
            cls = v.getMetadata().getAnnotations().get(BETA_CLASS);
        }
        return cls == null ? "" : cls;
    }

    private static String annotation(HasMetadata o, String name) {
        return o.getMetadata().getAnnotations() == null ? null : o.getMetadata().getAnnotations().get(name);
    }

    private void syncClaim(PersistentVolumeClaim claim) throws IOException {
        String volumeName = claim.getSpec().getVolumeName();
        boolean bindCompleted = "yes".equals(annotation(claim, BIND_COMPLETED));
        if (volumeName == null || volumeName.isEmpty()) {
            syncUnboundClaim(claim);
            return;
        }
        PersistentVolume pv = volumes.getStore().getByKey(volumeName);
        if (pv == null) {
            if (bindCompleted) {
                if (!"Lost".equals(phase(claim))) {
                    claimStatus(claim, "Lost", null);
                    ctx.events().warning(claim, "ClaimLost", "Bound claim has lost its PersistentVolume. Data on the volume is lost!");
                }
            }
            return; // a requested volume that does not exist (yet): Pending
        }
        ObjectReference ref = pv.getSpec().getClaimRef();
        if (ref == null || refersTo(ref, claim)) {
            bind(pv, claim);
        } else if (bindCompleted) {
            if (!"Lost".equals(phase(claim))) {
                claimStatus(claim, "Lost", null);
                ctx.events().warning(claim, "ClaimMisbound", "Two claims are bound to the same volume, this one is bound incorrectly");
            }
        } else {
            ctx.events().warning(claim, "FailedBinding", "volume \"" + volumeName + "\" already bound to a different claim.");
        }
    }

    private void syncUnboundClaim(PersistentVolumeClaim claim) throws IOException {
        String cls = className(claim);
        StorageClass sc = cls.isEmpty() ? null : classes.getStore().getByKey(cls);
        boolean delay = sc != null && "WaitForFirstConsumer".equals(sc.getVolumeBindingMode())
                && annotation(claim, SELECTED_NODE) == null;
        if (delay) {
            String node = scheduledConsumerNode(claim);
            if (node != null) {
                // The consumer is scheduled: bind or provision for its node (the scheduler's volume binding step).
                PersistentVolumeClaim next = new PersistentVolumeClaimBuilder(claim).editMetadata()
                        .addToAnnotations(SELECTED_NODE, node).endMetadata().build();
                ctx.client().persistentVolumeClaims().inNamespace(claim.getMetadata().getNamespace()).resource(next).update();
                return;
            }
        }
        PersistentVolume pv = findBestMatch(claim, delay);
        if (pv != null) {
            bind(pv, claim);
            return;
        }
        if (delay) {
            ctx.events().normal(claim, "WaitForFirstConsumer", "waiting for first consumer to be created before binding");
            return;
        }
        if (cls.isEmpty()) {
            ctx.events().normal(claim, "FailedBinding", "no persistent volumes available for this claim and no storage class is set");
            return;
        }
        if (sc == null) {
            ctx.events().warning(claim, "ProvisioningFailed", "storageclass.storage.k8s.io \"" + cls + "\" not found");
            return;
        }
        provision(claim, sc);
    }

    private String scheduledConsumerNode(PersistentVolumeClaim claim) {
        for (Pod p : pods.getStore().list()) {
            if (!claim.getMetadata().getNamespace().equals(p.getMetadata().getNamespace()) || p.getSpec().getNodeName() == null
                    || p.getSpec().getVolumes() == null) {
                continue;
            }
            for (Volume v : p.getSpec().getVolumes()) {
                if (v.getPersistentVolumeClaim() != null && claim.getMetadata().getName().equals(v.getPersistentVolumeClaim().getClaimName())) {
                    return p.getSpec().getNodeName();
                }
            }
        }
        return null;
    }

    private static boolean refersTo(ObjectReference ref, PersistentVolumeClaim claim) {
        return claim.getMetadata().getName().equals(ref.getName()) && claim.getMetadata().getNamespace().equals(ref.getNamespace())
                && (ref.getUid() == null || ref.getUid().isEmpty() || ref.getUid().equals(claim.getMetadata().getUid()));
    }

    /** Upstream's findMatchingVolume: a volume pre-bound to the claim, else the smallest that satisfies it. */
    PersistentVolume findBestMatch(PersistentVolumeClaim claim, boolean delay) {
        BigDecimal request = bytes(claim.getSpec().getResources() == null || claim.getSpec().getResources().getRequests() == null
                ? null : claim.getSpec().getResources().getRequests().get("storage"));
        String cls = className(claim);
        String mode = Objects.requireNonNullElse(claim.getSpec().getVolumeMode(), "Filesystem");
        List<String> modes = claim.getSpec().getAccessModes() == null ? List.of() : claim.getSpec().getAccessModes();
        LabelSelector selector = claim.getSpec().getSelector() == null ? null
                : Selectors.of(claim.getSpec().getSelector());
        List<PersistentVolume> all = new ArrayList<>(volumes.getStore().list());
        all.sort(Comparator.comparing(v -> v.getMetadata().getName()));
        PersistentVolume best = null;
        BigDecimal bestSize = null;
        for (PersistentVolume pv : all) {
            if (pv.getMetadata().getDeletionTimestamp() != null) {
                continue;
            }
            BigDecimal size = bytes(pv.getSpec().getCapacity() == null ? null : pv.getSpec().getCapacity().get("storage"));
            ObjectReference ref = pv.getSpec().getClaimRef();
            if (ref != null) {
                if (refersTo(ref, claim)) {
                    return pv; // pre-bound to this claim
                }
                continue;
            }
            if (delay || !cls.equals(className(pv)) || !mode.equals(Objects.requireNonNullElse(pv.getSpec().getVolumeMode(), "Filesystem"))) {
                continue;
            }
            List<String> pvModes = pv.getSpec().getAccessModes() == null ? List.of() : pv.getSpec().getAccessModes();
            if (!pvModes.containsAll(modes)) {
                continue;
            }
            if (selector != null && !selector.matches(pv.getMetadata().getLabels() == null ? Map.of() : pv.getMetadata().getLabels())) {
                continue;
            }
            if (size == null || (request != null && size.compareTo(request) < 0)) {
                continue;
            }
            if (best == null || size.compareTo(bestSize) < 0) {
                best = pv;
                bestSize = size;
            }
        }
        return best;
    }

    private static BigDecimal bytes(Quantity q) {
        if (q == null) {
            return null;
        }
        try {
            return io.kuberaft.kubeapi.Quantity.parse(q.toString()).decimalValue();
        } catch (RuntimeException e) {
            return null;
        }
    }

    /** Binds both ways (volume first, as upstream, so a crash in between leaves a volume the claim finds pre-bound). */
    private void bind(PersistentVolume pv, PersistentVolumeClaim claim) {
        ObjectReference ref = pv.getSpec().getClaimRef();
        if (ref == null || ref.getUid() == null || ref.getUid().isEmpty() || !ref.getUid().equals(claim.getMetadata().getUid())) {
            PersistentVolumeBuilder b = new PersistentVolumeBuilder(pv).editSpec().withClaimRef(new ObjectReferenceBuilder()
                    .withKind("PersistentVolumeClaim").withApiVersion("v1").withNamespace(claim.getMetadata().getNamespace())
                    .withName(claim.getMetadata().getName()).withUid(claim.getMetadata().getUid())
                    .withResourceVersion(claim.getMetadata().getResourceVersion()).build()).endSpec();
            if (ref == null) {
                b.editMetadata().addToAnnotations(BOUND_BY_CONTROLLER, "yes").endMetadata();
            }
            pv = ctx.client().persistentVolumes().resource(b.build()).update();
        }
        if (!"Bound".equals(phase(pv))) {
            patchStatus(pv, Map.of("phase", "Bound"));
        }
        boolean setName = claim.getSpec().getVolumeName() == null || claim.getSpec().getVolumeName().isEmpty();
        if (setName || !"yes".equals(annotation(claim, BIND_COMPLETED))) {
            PersistentVolumeClaimBuilder b = new PersistentVolumeClaimBuilder(claim).editSpec().withVolumeName(pv.getMetadata().getName())
                    .endSpec().editMetadata().addToAnnotations(BIND_COMPLETED, "yes").endMetadata();
            if (setName) {
                b.editMetadata().addToAnnotations(BOUND_BY_CONTROLLER, "yes").endMetadata();
            }
            claim = ctx.client().persistentVolumeClaims().inNamespace(claim.getMetadata().getNamespace()).resource(b.build()).update();
        }
        if (!"Bound".equals(phase(claim)) || claim.getStatus().getCapacity() == null) {
            claimStatus(claim, "Bound", pv);
        }
    }

    private static String phase(PersistentVolumeClaim c) {
        return c.getStatus() == null ? null : c.getStatus().getPhase();
    }

    private static String phase(PersistentVolume v) {
        return v.getStatus() == null ? null : v.getStatus().getPhase();
    }

    private void claimStatus(PersistentVolumeClaim claim, String phase, PersistentVolume pv) {
        Map<String, Object> status = new LinkedHashMap<>();
        status.put("phase", phase);
        if (pv != null) {
            status.put("capacity", pv.getSpec().getCapacity());
            status.put("accessModes", pv.getSpec().getAccessModes());
        }
        DirectRequests.patch(ctx.client(),
                ctx.client().persistentVolumeClaims().inNamespace(claim.getMetadata().getNamespace())
                        .withName(claim.getMetadata().getName()).subresource("status"),
                PatchType.JSON_MERGE, Serialization.asJson(Map.of("status", status)), null);
    }

    private void patchStatus(PersistentVolume pv, Map<String, Object> status) {
        DirectRequests.patch(ctx.client(), ctx.client().persistentVolumes().withName(pv.getMetadata().getName()).subresource("status"),
                PatchType.JSON_MERGE, Serialization.asJson(Map.of("status", status)), null);
    }

    // ---------------------------------------------------------------- provisioning

    private void provision(PersistentVolumeClaim claim, StorageClass sc) throws IOException {
        String provisioner = sc.getProvisioner();
        if (!provisioner.equals(annotation(claim, STORAGE_PROVISIONER))) {
            PersistentVolumeClaim next = new PersistentVolumeClaimBuilder(claim).editMetadata()
                    .addToAnnotations(STORAGE_PROVISIONER, provisioner).addToAnnotations(BETA_STORAGE_PROVISIONER, provisioner)
                    .endMetadata().build();
            ctx.client().persistentVolumeClaims().inNamespace(claim.getMetadata().getNamespace()).resource(next).update();
            return; // the update brings the claim back
        }
        if (!HOSTPATH_PROVISIONER.equals(provisioner)) {
            ctx.events().normal(claim, "ExternalProvisioning", "Waiting for a volume to be created either by the external provisioner '"
                    + provisioner + "' or manually by the system administrator. If volume creation is delayed, please verify that the "
                    + "provisioner is running and correctly registered.");
            return;
        }
        String pvName = "pvc-" + claim.getMetadata().getUid();
        if (volumes.getStore().getByKey(pvName) != null) {
            return; // provisioned; binding follows from the volume's event
        }
        Path dir = Path.of(ctx.options().hostPathProvisionerDir(), pvName);
        Map<String, Quantity> capacity = new HashMap<>();
        capacity.put("storage", claim.getSpec().getResources().getRequests().get("storage"));
        PersistentVolumeBuilder b = new PersistentVolumeBuilder().withNewMetadata().withName(pvName)
                .addToAnnotations(PROVISIONED_BY, provisioner).addToAnnotations(BOUND_BY_CONTROLLER, "yes").endMetadata()
                .withNewSpec().withCapacity(capacity).withAccessModes(claim.getSpec().getAccessModes())
                .withVolumeMode(claim.getSpec().getVolumeMode()).withStorageClassName(sc.getMetadata().getName())
                .withPersistentVolumeReclaimPolicy(sc.getReclaimPolicy() == null ? "Delete" : sc.getReclaimPolicy())
                .withMountOptions(sc.getMountOptions())
                .withClaimRef(new ObjectReferenceBuilder().withKind("PersistentVolumeClaim").withApiVersion("v1")
                        .withNamespace(claim.getMetadata().getNamespace()).withName(claim.getMetadata().getName())
                        .withUid(claim.getMetadata().getUid()).withResourceVersion(claim.getMetadata().getResourceVersion()).build())
                .withNewHostPath().withPath(dir.toString()).withType("DirectoryOrCreate").endHostPath()
                .endSpec();
        String node = annotation(claim, SELECTED_NODE);
        if (node != null) {
            b.editSpec().withNewNodeAffinity().withNewRequired().addNewNodeSelectorTerm().addNewMatchExpression()
                    .withKey("kubernetes.io/hostname").withOperator("In").withValues(node).endMatchExpression()
                    .endNodeSelectorTerm().endRequired().endNodeAffinity().endSpec();
        }
        try {
            Files.createDirectories(dir);
        } catch (IOException e) {
            // The directory is the node's business (DirectoryOrCreate); on the leader's host it is a convenience.
            LOG.debug("cannot create {}: {}", dir, e.toString());
        }
        try {
            ctx.client().persistentVolumes().resource(b.build()).create();
        } catch (KubernetesClientException e) {
            if (e.getCode() == 409) {
                return;
            }
            ctx.events().warning(claim, "ProvisioningFailed", "Failed to create provisioned volume: " + e.getMessage());
            throw e;
        }
        ctx.events().normal(claim, "ProvisioningSucceeded", "Successfully provisioned volume " + pvName + " using " + provisioner);
    }

    // ---------------------------------------------------------------- volumes

    private void syncVolume(PersistentVolume pv) {
        ObjectReference ref = pv.getSpec().getClaimRef();
        if (ref == null) {
            if (!"Available".equals(phase(pv))) {
                patchStatus(pv, Map.of("phase", "Available"));
            }
            return;
        }
        PersistentVolumeClaim claim = claims.getStore().getByKey(Keys.of(ref.getNamespace(), ref.getName()));
        boolean uidLess = ref.getUid() == null || ref.getUid().isEmpty();
        if (claim == null && !uidLess) {
            // The cache may be behind a claim just created: ask the API before releasing.
            claim = ctx.client().persistentVolumeClaims().inNamespace(ref.getNamespace()).withName(ref.getName()).get();
        }
        if (claim != null && (uidLess || ref.getUid().equals(claim.getMetadata().getUid()))) {
            if (pv.getMetadata().getName().equals(claim.getSpec().getVolumeName())) {
                if (!"Bound".equals(phase(pv))) {
                    patchStatus(pv, Map.of("phase", "Bound"));
                }
            } else if (uidLess || claim.getSpec().getVolumeName() == null || claim.getSpec().getVolumeName().isEmpty()) {
                if (!"Available".equals(phase(pv)) && uidLess) {
                    patchStatus(pv, Map.of("phase", "Available"));
                }
            } else if ("yes".equals(annotation(pv, BOUND_BY_CONTROLLER))) {
                // the claim is bound elsewhere: give this volume back
                PersistentVolume next = new PersistentVolumeBuilder(pv).editSpec().withClaimRef(null).endSpec()
                        .editMetadata().removeFromAnnotations(BOUND_BY_CONTROLLER).endMetadata().build();
                ctx.client().persistentVolumes().resource(next).update();
            }
            return;
        }
        if (uidLess) {
            if (!"Available".equals(phase(pv))) {
                patchStatus(pv, Map.of("phase", "Available"));
            }
            return; // pre-bound to a claim that does not exist yet
        }
        // The claim is gone: Released, then the reclaim policy.
        if (!"Released".equals(phase(pv)) && !"Failed".equals(phase(pv))) {
            patchStatus(pv, Map.of("phase", "Released"));
            return; // the status event brings the volume back for reclaiming
        }
        String policy = Objects.requireNonNullElse(pv.getSpec().getPersistentVolumeReclaimPolicy(), "Retain");
        switch (policy) {
            case "Delete" -> deleteVolume(pv);
            case "Recycle" -> {
                if (!"Failed".equals(phase(pv))) {
                    patchStatus(pv, Map.of("phase", "Failed", "message", "No recycler plugin found for the volume!"));
                    ctx.events().warning(pv, "VolumeFailedRecycle", "No recycler plugin found for the volume!");
                }
            }
            default -> {
                // Retain: stays Released until an administrator acts
            }
        }
    }

    private void deleteVolume(PersistentVolume pv) {
        if (HOSTPATH_PROVISIONER.equals(annotation(pv, PROVISIONED_BY)) && pv.getSpec().getHostPath() != null) {
            Path base = Path.of(ctx.options().hostPathProvisionerDir()).toAbsolutePath().normalize();
            Path dir = Path.of(pv.getSpec().getHostPath().getPath()).toAbsolutePath().normalize();
            if (dir.startsWith(base) && !dir.equals(base) && Files.isDirectory(dir)) {
                try (Stream<Path> walk = Files.walk(dir)) {
                    walk.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
                } catch (IOException e) {
                    LOG.debug("cannot delete {}: {}", dir, e.toString());
                }
            }
        }
        try {
            ctx.client().persistentVolumes().withName(pv.getMetadata().getName()).delete();
        } catch (KubernetesClientException e) {
            if (e.getCode() != 404) {
                ctx.events().warning(pv, "VolumeFailedDelete", e.getMessage());
                throw e;
            }
        }
    }
}
