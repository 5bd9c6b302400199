package io.kuberaft.apiserver.strategy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.kuberaft.apiserver.registry.DefaultStrategy;
import io.kuberaft.apiserver.registry.ResourceDefinition;
import io.kuberaft.kubeapi.StatusException.Cause;

import java.util.ArrayList;
import java.util.List;

/** PersistentVolumes: reclaim policy Retain, volumeMode Filesystem, phase Pending, capacity, access modes and one source. */
public final class PersistentVolumeStrategy extends DefaultStrategy {
    private static final List<String> SOURCES = List.of("gcePersistentDisk", "awsElasticBlockStore", "hostPath", "glusterfs", "nfs", "rbd",
            "iscsi", "cinder", "cephfs", "fc", "flocker", "flexVolume", "azureFile", "vsphereVolume", "quobyte", "azureDisk",
            "photonPersistentDisk", "portworxVolume", "scaleIO", "local", "storageos", "csi");
    private static final List<String> RECLAIM = List.of("Delete", "Recycle", "Retain");

    @Override
    public void prepareForCreate(ResourceDefinition def, ObjectNode obj) {
        defaults(def, obj);
        obj.putObject("status").put("phase", "Pending");
    }

    @Override
    public void prepareForUpdate(ResourceDefinition def, ObjectNode obj, ObjectNode old) {
        defaults(def, obj);
    }

    private static void defaults(ResourceDefinition def, ObjectNode obj) {
        ObjectNode spec = Json.obj(obj, "spec");
        Json.defaultText(spec, "persistentVolumeReclaimPolicy", "Retain");
        Json.defaultText(spec, "volumeMode", "Filesystem");
        if (spec.get("hostPath") instanceof ObjectNode h && !h.has("type")) {
            h.put("type", "");
        }
        Resources.canonicalize(def, spec.path("capacity"));
    }

    @Override
    public List<Cause> validate(ResourceDefinition def, ObjectNode obj) {
        List<Cause> out = new ArrayList<>();
        JsonNode spec = obj.path("spec");
        JsonNode modes = spec.path("accessModes");
        if (modes.size() == 0) {
            out.add(Fields.required("spec.accessModes"));
        }
        for (JsonNode m : modes) {
            if (!PersistentVolumeClaimStrategy.ACCESS_MODES.contains(m.asText())) {
                out.add(Fields.notSupported("spec.accessModes", m.asText(), PersistentVolumeClaimStrategy.ACCESS_MODES));
            }
        }
        JsonNode capacity = spec.path("capacity");
        if (capacity.size() == 0) {
            out.add(Fields.required("spec.capacity"));
        } else if (!capacity.has("storage") || capacity.size() > 1) {
            out.add(Fields.notSupported("spec.capacity", Fields.goStringMap(capacity), List.of("storage")));
        }
        int sources = 0;
        for (String s : SOURCES) {
            if (spec.hasNonNull(s)) {
                if (++sources > 1) {
                    out.add(Fields.forbidden("spec." + s, "may not specify more than 1 volume type"));
                }
            }
        }
        if (sources == 0) {
            out.add(Fields.required("spec", "must specify a volume type"));
        }
        String reclaim = spec.path("persistentVolumeReclaimPolicy").asText("");
        if (!reclaim.isEmpty() && !RECLAIM.contains(reclaim)) {
            out.add(Fields.notSupported("spec.persistentVolumeReclaimPolicy", reclaim, RECLAIM));
        }
        return out;
    }

    @Override
    public List<Cause> validateUpdate(ResourceDefinition def, ObjectNode obj, ObjectNode old) {
        List<Cause> out = validate(def, obj);
        for (String s : SOURCES) {
            if (!Json.same(obj.path("spec").path(s), old.path("spec").path(s))) {
                out.add(Fields.forbidden("spec.persistentvolumesource", "spec.persistentvolumesource is immutable after creation"));
                break;
            }
        }
        return out;
    }
}
