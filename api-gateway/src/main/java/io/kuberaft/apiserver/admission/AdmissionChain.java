package io.kuberaft.apiserver.admission;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.kuberaft.apiserver.registry.ResourceDefinition;

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

    public void admit(AdmissionPlugin.Operation op, ResourceDefinition def, String ns, ObjectNode obj, ObjectNode old) {
        for (boolean mutatingPhase : new boolean[] {true, false}) {
            for (AdmissionPlugin p : plugins) {
                if (p.mutating() == mutatingPhase && p.operations().contains(op)) {
                    p.admit(op, def, ns, obj, old);
                }
            }
        }
    }
}
