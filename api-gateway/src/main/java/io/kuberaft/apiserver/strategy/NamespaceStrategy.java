package io.kuberaft.apiserver.strategy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.kuberaft.apiserver.registry.DefaultStrategy;
import io.kuberaft.apiserver.registry.Objects;
import io.kuberaft.apiserver.registry.ResourceDefinition;
import io.kuberaft.apiserver.registry.Validation;
import io.kuberaft.kubeapi.StatusException.Cause;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * Namespaces: the {@code kubernetes.io/metadata.name} label, {@code spec.finalizers [kubernetes]}, phase Active;
 * a delete marks the namespace Terminating and keeps it until its spec finalizers are gone (the namespace
 * controller empties it, then finalizes).
 */
public final class NamespaceStrategy extends DefaultStrategy implements Validation.NameIsDns1123Label {
    public static final String NAME_LABEL = "kubernetes.io/metadata.name";
    private static final Set<String> STANDARD_FINALIZERS = Set.of("kubernetes", "orphan", "foregroundDeletion");

    @Override
    public void prepareForCreate(ResourceDefinition def, ObjectNode obj) {
        labelName(obj);
        ArrayNode finalizers = Json.arr(Json.obj(obj, "spec"), "finalizers");
        boolean has = false;
        for (JsonNode f : finalizers) {
            has |= f.asText().equals("kubernetes");
        }
        if (!has) {
            finalizers.add("kubernetes");
        }
        obj.putObject("status").put("phase", "Active");
    }

    private static void labelName(ObjectNode obj) {
        ObjectNode meta = Objects.meta(obj);
        if (!meta.path("name").asText("").isEmpty()) {
            Json.obj(meta, "labels").put(NAME_LABEL, meta.path("name").asText());
        }
    }

    @Override
    public void prepareForUpdate(ResourceDefinition def, ObjectNode obj, ObjectNode old) {
        labelName(obj);
        // Spec finalizers change only through the finalize subresource.
        obj.set("spec", old.path("spec").isObject() ? old.get("spec").deepCopy() : Objects.JSON.createObjectNode());
    }

    @Override
    public List<Cause> validate(ResourceDefinition def, ObjectNode obj) {
        List<Cause> out = new ArrayList<>();
        JsonNode finalizers = obj.path("spec").path("finalizers");
        for (int i = 0; i < finalizers.size(); i++) {
            String f = finalizers.get(i).asText("");
            String p = Fields.index("spec.finalizers", i);
            out.addAll(Fields.qualifiedName(p, f));
            if (!f.contains("/") && !STANDARD_FINALIZERS.contains(f)) {
                out.add(Fields.invalid(p, f, "name is neither a standard finalizer name nor is it fully qualified"));
            }
        }
        String phase = obj.path("status").path("phase").asText("");
        if (!phase.isEmpty() && !phase.equals("Active") && !phase.equals("Terminating")) {
            out.add(Fields.notSupported("status.phase", phase, List.of("Active", "Terminating")));
        }
        return out;
    }

    @Override
    public boolean keepOnDelete(ObjectNode marked) {
        if (marked.path("spec").path("finalizers").size() == 0) {
            return false;
        }
        Json.obj(marked, "status").put("phase", "Terminating");
        return true;
    }

    @Override
    public String fieldValue(ObjectNode obj, String field) {
        return field.equals("status.phase") ? obj.path("status").path("phase").asText("") : super.fieldValue(obj, field);
    }
}
