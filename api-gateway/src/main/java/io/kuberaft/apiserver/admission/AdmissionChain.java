package io.kuberaft.apiserver.admission;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.kuberaft.apiserver.registry.ResourceDefinition;
import io.kuberaft.apiserver.registry.StoreOps;
import io.kuberaft.raftstore.ReadConsistency;

import java.util.ArrayList;
import java.util.List;

/** All mutating plugins, then all validating ones, in registration order; the first error wins. */
public final class AdmissionChain {
    private final List<AdmissionPlugin> plugins = new ArrayList<>();

    public AdmissionChain register(AdmissionPlugin p) {
        plugins.add(p);
        return this;
    }

    public List<String> names() {
        return plugins.stream().map(AdmissionPlugin::name).toList();
    }

    public StoreOps admit(AdmissionPlugin.Operation op, ResourceDefinition def, String ns, ObjectNode obj, ObjectNode old) {
        return admit(op, def, ns, obj, old, 0);
    }

    /**
     * Runs the chain on one attempt of a write.
     *
     * @return the compares and writes the plugins want in the object's txn
     */
    public StoreOps admit(AdmissionPlugin.Operation op, ResourceDefinition def, String ns, ObjectNode obj, ObjectNode old,
                          int attempt) {
        StoreOps ops = new StoreOps();
        AdmissionPlugin.Attributes a = new AdmissionPlugin.Attributes(op, def, ns, obj, old, ops, consistency(attempt));
        for (boolean mutatingPhase : new boolean[] {true, false}) {
            for (AdmissionPlugin p : plugins) {
                if (p.mutating() == mutatingPhase && p.operations().contains(op)) {
                    p.admit(a);
                }
            }
        }
        return ops;
    }

    /** What the plugins release in the txn that removes {@code obj} from the store. */
    public StoreOps onRemove(ResourceDefinition def, String ns, ObjectNode obj, int attempt) {
        StoreOps ops = new StoreOps();
        AdmissionPlugin.Attributes a = new AdmissionPlugin.Attributes(AdmissionPlugin.Operation.DELETE, def, ns, null, obj, ops,
                consistency(attempt));
        for (AdmissionPlugin p : plugins) {
            p.onRemove(a);
        }
        return ops;
    }

    private static ReadConsistency consistency(int attempt) {
        return attempt == 0 ? ReadConsistency.SERIALIZABLE : ReadConsistency.LINEARIZABLE;
    }
}
