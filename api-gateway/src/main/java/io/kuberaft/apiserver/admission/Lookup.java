package io.kuberaft.apiserver.admission;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.kuberaft.apiserver.registry.ResourceDefinition;
import io.kuberaft.apiserver.registry.ResourceRegistry;
import io.kuberaft.apiserver.registry.ResourceStore;
import io.kuberaft.kubeapi.StatusException;
import io.kuberaft.raftstore.ReadConsistency;

import java.util.List;

/** How plugins read the objects they depend on (namespaces, quotas, limit ranges, service accounts, classes). */
public final class Lookup {
    private final ResourceRegistry registry;
    private final ResourceStore store;

    public Lookup(ResourceRegistry registry, ResourceStore store) {
        this.registry = registry;
        this.store = store;
    }

    public ResourceStore store() {
        return store;
    }

    public ResourceRegistry registry() {
        return registry;
    }

    /** The served definition of a kind (the first registered version). */
    public ResourceDefinition kind(String group, String kind) {
        return registry.all().stream().filter(d -> d.group().equals(group) && d.kind().equals(kind)).findFirst()
                .orElseThrow(() -> StatusException.internal("kind " + group + "/" + kind + " is not served"));
    }

    public ObjectNode get(ResourceDefinition def, String ns, String name, ReadConsistency c) {
        return store.getOrNull(def, ns, name, c);
    }

    /** A get; when a local (serializable) read finds nothing, asks the leader before concluding it is absent. */
    public ObjectNode getFresh(ResourceDefinition def, String ns, String name, ReadConsistency c) {
        ObjectNode o = store.getOrNull(def, ns, name, c);
        if (o == null && c == ReadConsistency.SERIALIZABLE) {
            o = store.getOrNull(def, ns, name, ReadConsistency.LINEARIZABLE);
        }
        return o;
    }

    /** Every object of a kind in a namespace (or cluster-wide), with the revision it was read at. */
    public ResourceStore.Page list(ResourceDefinition def, String ns, ReadConsistency c) {
        return store.list(def, ns, o -> true, 0, null, c, 0);
    }

    /** {@code <resource> "name" is forbidden: why}, as upstream's admission.NewForbidden. */
    public static StatusException forbidden(ResourceDefinition def, String name, String why) {
        return forbidden(def, name, why, List.of());
    }

    public static StatusException forbidden(ResourceDefinition def, String name, String why, List<StatusException.Cause> causes) {
        String resource = def.qualifiedName();
        String message = (name == null || name.isEmpty() ? resource : resource + " \"" + name + "\"") + " is forbidden: " + why;
        return new StatusException(403, "Forbidden", message, def.group(), def.plural(), name, causes, null);
    }
}
