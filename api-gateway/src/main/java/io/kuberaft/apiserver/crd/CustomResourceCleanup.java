package io.kuberaft.apiserver.crd;

import io.kuberaft.apiserver.admission.AdmissionPlugin;

import java.util.Set;

/**
 * Deleting a CustomResourceDefinition deletes its custom resources, in the same store transaction as the CRD
 * itself (upstream's finalizer and cleanup controller reach the same end state in several steps): no replica can
 * ever serve a resource whose objects outlived their definition, nor find them again if the CRD is created anew.
 */
public final class CustomResourceCleanup implements AdmissionPlugin {
    @Override
    public String name() {
        return "CustomResourceCleanup";
    }

    @Override
    public Set<Operation> operations() {
        return Set.of(Operation.DELETE);
    }

    @Override
    public boolean mutating() {
        return false;
    }

    @Override
    public void admit(Attributes a) {
    }

    @Override
    public void onRemove(Attributes a) {
        if (a.is(CustomResourceDefinitions.GROUP, "CustomResourceDefinition") && a.old() != null) {
            String storageName = CustomResourceDefinitions.storageName(a.old());
            if (storageName != null) {
                a.ops().deletePrefix("/registry/" + storageName + "/");
            }
        }
    }
}
