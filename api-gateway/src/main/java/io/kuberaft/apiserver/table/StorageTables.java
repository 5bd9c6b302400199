package io.kuberaft.apiserver.table;

import com.fasterxml.jackson.databind.JsonNode;

import java.util.List;

import static io.kuberaft.apiserver.table.Cells.text;

/**
 * Persistent volumes, claims and storage classes. Fields the apiserver defaults on create (reclaim
 * policy Retain, volume mode Filesystem, phase Pending; class reclaim policy Delete, binding mode
 * Immediate) are read with those defaults.
 */
final class StorageTables {
    private StorageTables() {
    }

    private static final String BETA_CLASS_ANNOTATION = "volume.beta.kubernetes.io/storage-class";

    static final TableConvertor PERSISTENT_VOLUME = new RowTable(List.of(
            Columns.NAME,
            Columns.col("Capacity", "string", SwaggerDocs.PERSISTENT_VOLUME_SPEC_CAPACITY),
            Columns.col("Access Modes", "string", SwaggerDocs.PERSISTENT_VOLUME_SPEC_ACCESS_MODES),
            Columns.col("Reclaim Policy", "string", SwaggerDocs.PERSISTENT_VOLUME_SPEC_PERSISTENT_VOLUME_RECLAIM_POLICY),
            Columns.col("Status", "string", SwaggerDocs.PERSISTENT_VOLUME_STATUS_PHASE),
            Columns.col("Claim", "string", SwaggerDocs.PERSISTENT_VOLUME_SPEC_CLAIM_REF),
            Columns.col("StorageClass", "string", "StorageClass of the pv"),
            Columns.col("VolumeAttributesClass", "string", "VolumeAttributesClass of the pv"),
            Columns.col("Reason", "string", SwaggerDocs.PERSISTENT_VOLUME_STATUS_REASON),
            Columns.AGE,
            Columns.wide("VolumeMode", "string", SwaggerDocs.PERSISTENT_VOLUME_SPEC_VOLUME_MODE)),
            (o, now) -> {
                JsonNode spec = o.path("spec");
                JsonNode claimRef = spec.path("claimRef");
                String claim = claimRef.isObject()
                        ? text(claimRef.path("namespace")) + "/" + text(claimRef.path("name")) : "";
                String phase = Cells.deleting(o) ? "Terminating" : text(o.path("status").path("phase"), "Pending");
                return List.of(Cells.name(o), Cells.quantity(spec.path("capacity").path("storage")),
                        Cells.accessModes(spec.path("accessModes")),
                        text(spec.path("persistentVolumeReclaimPolicy"), "Retain"), phase, claim,
                        storageClass(o), text(spec.path("volumeAttributesClassName"), Cells.UNSET),
                        text(o.path("status").path("reason")), Cells.age(o, now),
                        text(spec.path("volumeMode"), "Filesystem"));
            });

    static final TableConvertor PERSISTENT_VOLUME_CLAIM = new RowTable(List.of(
            Columns.NAME,
            Columns.col("Status", "string", SwaggerDocs.PERSISTENT_VOLUME_CLAIM_STATUS_PHASE),
            Columns.col("Volume", "string", SwaggerDocs.PERSISTENT_VOLUME_CLAIM_SPEC_VOLUME_NAME),
            Columns.col("Capacity", "string", SwaggerDocs.PERSISTENT_VOLUME_CLAIM_STATUS_CAPACITY),
            Columns.col("Access Modes", "string", SwaggerDocs.PERSISTENT_VOLUME_CLAIM_STATUS_ACCESS_MODES),
            Columns.col("StorageClass", "string", "StorageClass of the pvc"),
            Columns.col("VolumeAttributesClass", "string", "VolumeAttributesClass of the pvc"),
            Columns.AGE,
            Columns.wide("VolumeMode", "string", SwaggerDocs.PERSISTENT_VOLUME_CLAIM_SPEC_VOLUME_MODE)),
            (o, now) -> {
                JsonNode spec = o.path("spec");
                JsonNode status = o.path("status");
                String phase = Cells.deleting(o) ? "Terminating" : text(status.path("phase"), "Pending");
                String volume = text(spec.path("volumeName"));
                String capacity = "";
                String accessModes = "";
                if (!volume.isEmpty()) {
                    accessModes = Cells.accessModes(status.path("accessModes"));
                    capacity = Cells.quantity(status.path("capacity").path("storage"));
                }
                return List.of(Cells.name(o), phase, volume, capacity, accessModes, storageClass(o),
                        text(spec.path("volumeAttributesClassName"), Cells.UNSET), Cells.age(o, now),
                        text(spec.path("volumeMode"), "Filesystem"));
            });

    static final TableConvertor STORAGE_CLASS = new RowTable(List.of(
            Columns.NAME,
            Columns.col("Provisioner", "string", SwaggerDocs.STORAGE_CLASS_PROVISIONER),
            Columns.col("ReclaimPolicy", "string", SwaggerDocs.STORAGE_CLASS_RECLAIM_POLICY),
            Columns.col("VolumeBindingMode", "string", SwaggerDocs.STORAGE_CLASS_VOLUME_BINDING_MODE),
            Columns.col("AllowVolumeExpansion", "string", SwaggerDocs.STORAGE_CLASS_ALLOW_VOLUME_EXPANSION),
            Columns.AGE),
            (o, now) -> List.of(isDefaultClass(o) ? Cells.name(o) + " (default)" : Cells.name(o),
                    text(o.path("provisioner")), text(o.path("reclaimPolicy"), "Delete"),
                    text(o.path("volumeBindingMode"), "Immediate"), Cells.bool(o.path("allowVolumeExpansion"), false),
                    Cells.age(o, now)));

    /** The beta annotation wins over spec.storageClassName, as in GetPersistentVolume(Claim)Class. */
    static String storageClass(JsonNode o) {
        JsonNode beta = o.path("metadata").path("annotations").path(BETA_CLASS_ANNOTATION);
        if (beta.isTextual()) {
            return beta.asText();
        }
        return text(o.path("spec").path("storageClassName"));
    }

    static boolean isDefaultClass(JsonNode o) {
        JsonNode a = o.path("metadata").path("annotations");
        return "true".equals(text(a.path("storageclass.kubernetes.io/is-default-class")))
                || "true".equals(text(a.path("storageclass.beta.kubernetes.io/is-default-class")));
    }
}
