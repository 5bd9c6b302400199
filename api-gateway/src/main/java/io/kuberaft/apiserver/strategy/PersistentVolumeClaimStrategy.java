package io.kuberaft.apiserver.strategy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.kuberaft.apiserver.registry.DefaultStrategy;
import io.kuberaft.apiserver.registry.ResourceDefinition;
import io.kuberaft.kubeapi.Quantity;
import io.kuberaft.kubeapi.StatusException.Cause;

import java.util.ArrayList;
import java.util.List;

/** PersistentVolumeClaims: volumeMode Filesystem, phase Pending, access modes and storage request, a mostly immutable spec. */
public final class PersistentVolumeClaimStrategy extends DefaultStrategy {
    static final List<String> ACCESS_MODES = List.of("ReadOnlyMany", "ReadWriteMany", "ReadWriteOnce", "ReadWriteOncePod");

    @Override
    public void prepareForCreate(ResourceDefinition def, ObjectNode obj) {
        specDefaults(def, Json.obj(obj, "spec"));
        obj.putObject("status").put("phase", "Pending");
    }

    @Override
    public void prepareForUpdate(ResourceDefinition def, ObjectNode obj, ObjectNode old) {
        specDefaults(def, Json.obj(obj, "spec"));
    }

    static void specDefaults(ResourceDefinition def, ObjectNode spec) {
        Json.defaultText(spec, "volumeMode", "Filesystem");
        Resources.canonicalize(def, spec.path("resources").path("requests"));
        Resources.canonicalize(def, spec.path("resources").path("limits"));
    }

    @Override
    public List<Cause> validate(ResourceDefinition def, ObjectNode obj) {
        List<Cause> out = new ArrayList<>();
        validateSpec(out, obj.path("spec"), "spec");
        return out;
    }

    static void validateSpec(List<Cause> out, JsonNode spec, String path) {
        JsonNode modes = spec.path("accessModes");
        if (modes.size() == 0) {
            out.add(Fields.required(path + ".accessModes", "at least 1 access mode is required"));
        }
        for (JsonNode m : modes) {
            if (!ACCESS_MODES.contains(m.asText())) {
                out.add(Fields.notSupported(path + ".accessModes", m.asText(), ACCESS_MODES));
            }
        }
        if (modes.toString().contains("ReadWriteOncePod") && modes.size() > 1) {
            out.add(Fields.forbidden(path + ".accessModes", "may not use ReadWriteOncePod with other access modes"));
        }
        JsonNode storage = spec.path("resources").path("requests").path("storage");
        Quantity q = Quantity.tryParse(storage);
        if (storage.isMissingNode()) {
            out.add(Fields.required(path + ".resources[storage]"));
        } else if (q == null || q.signum() <= 0) {
            out.add(Fields.invalid(path + ".resources[storage]", storage, "must be greater than zero"));
        }
        String mode = spec.path("volumeMode").asText("");
        if (!mode.isEmpty() && !mode.equals("Filesystem") && !mode.equals("Block")) {
            out.add(Fields.notSupported(path + ".volumeMode", mode, List.of("Block", "Filesystem")));
        }
        if (spec.path("selector").isObject()) {
            Fields.labelSelector(out, path + ".selector", spec.path("selector"));
        }
    }

    @Override
    public List<Cause> validateUpdate(ResourceDefinition def, ObjectNode obj, ObjectNode old) {
        List<Cause> out = validate(def, obj);
        ObjectNode now = obj.path("spec").deepCopy();
        ObjectNode before = old.path("spec").deepCopy();
        // The binder sets volumeName once; a missing storage class may be set once (retroactive default class).
        if (before.path("volumeName").asText("").isEmpty()) {
            before.set("volumeName", now.get("volumeName"));
            if (!now.hasNonNull("volumeName")) {
                before.remove("volumeName");
            }
        }
        if (!before.hasNonNull("storageClassName") && now.hasNonNull("storageClassName")) {
            now.remove("storageClassName");
        }
        now.remove("volumeAttributesClassName");
        before.remove("volumeAttributesClassName");
        boolean bound = "Bound".equals(old.path("status").path("phase").asText());
        Quantity newSize = Quantity.tryParse(now.path("resources").path("requests").path("storage"));
        Quantity oldSize = Quantity.tryParse(before.path("resources").path("requests").path("storage"));
        if (bound && now.path("resources").path("requests").isObject() && before.path("resources").path("requests").has("storage")) {
            ((ObjectNode) now.path("resources").path("requests")).set("storage", before.path("resources").path("requests").get("storage"));
        }
        if (!Json.same(now, before)) {
            out.add(Fields.forbidden("spec", "spec is immutable after creation except resources.requests and volumeAttributesClassName for bound claims\n"
                    + PodStrategy.diff(before, now).replace("core.PodSpec", "core.PersistentVolumeClaimSpec")));
        }
        if (newSize != null && oldSize != null && newSize.compareTo(oldSize) < 0) {
            out.add(Fields.forbidden("spec.resources.requests.storage", "field can not be less than previous value"));
        }
        return out;
    }
}
