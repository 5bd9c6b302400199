package io.kuberaft.apiserver.admission;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import io.kuberaft.apiserver.strategy.Json;

import java.util.Set;

/**
 * Upstream's StorageObjectInUseProtection: a new PersistentVolumeClaim gets the {@value #PVC_PROTECTION} finalizer and a
 * new PersistentVolume {@value #PV_PROTECTION}, so that deleting one still in use (a pod mounts the claim, a claim is bound
 * to the volume) only marks it; the pvc- and pv-protection controllers remove the finalizer once it is no longer used.
 */
public final class StorageObjectInUseProtection implements AdmissionPlugin {
    public static final String PVC_PROTECTION = "kubernetes.io/pvc-protection";
    public static final String PV_PROTECTION = "kubernetes.io/pv-protection";

    @Override
    public String name() {
        return "StorageObjectInUseProtection";
    }

    @Override
    public Set<Operation> operations() {
        return Set.of(Operation.CREATE);
    }

    @Override
    public boolean mutating() {
        return true;
    }

    @Override
    public void admit(Attributes a) {
        String finalizer = a.is("", "PersistentVolumeClaim") ? PVC_PROTECTION : a.is("", "PersistentVolume") ? PV_PROTECTION : null;
        if (finalizer == null) {
            return;
        }
        ArrayNode finalizers = Json.arr(Json.obj(a.object(), "metadata"), "finalizers");
        for (JsonNode f : finalizers) {
            if (finalizer.equals(f.asText())) {
                return;
            }
        }
        finalizers.add(finalizer);
    }
}
