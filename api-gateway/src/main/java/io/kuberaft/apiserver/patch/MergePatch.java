package io.kuberaft.apiserver.patch;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.util.Iterator;
import java.util.Map;

/** RFC 7386 JSON merge patch: objects merge recursively, null deletes, anything else replaces. */
public final class MergePatch {
    private MergePatch() {
    }

    public static JsonNode apply(JsonNode target, JsonNode patch) {
        if (!patch.isObject()) {
            return patch.deepCopy();
        }
        ObjectNode out = target != null && target.isObject() ? (ObjectNode) target : io.kuberaft.apiserver.registry.Objects.JSON.createObjectNode();
        Iterator<Map.Entry<String, JsonNode>> it = patch.fields();
        while (it.hasNext()) {
            Map.Entry<String, JsonNode> e = it.next();
            if (e.getValue().isNull()) {
                out.remove(e.getKey());
            } else {
                out.set(e.getKey(), apply(out.get(e.getKey()), e.getValue()));
            }
        }
        return out;
    }

    /**
     * The merge patch that turns {@code from} into {@code to} (evanphx/json-patch's CreateMergePatch for
     * objects): removed keys become null, changed objects recurse, anything else changed is replaced.
     * {@code to} must not hold nulls, which a merge patch cannot express.
     */
    public static ObjectNode diff(ObjectNode from, ObjectNode to) {
        ObjectNode patch = io.kuberaft.apiserver.registry.Objects.JSON.createObjectNode();
        from.fieldNames().forEachRemaining(k -> {
            if (!to.has(k)) {
                patch.putNull(k);
            }
        });
        Iterator<Map.Entry<String, JsonNode>> it = to.fields();
        while (it.hasNext()) {
            Map.Entry<String, JsonNode> e = it.next();
            JsonNode old = from.get(e.getKey());
            JsonNode now = e.getValue();
            if (old instanceof ObjectNode o && now instanceof ObjectNode n) {
                ObjectNode sub = diff(o, n);
                if (!sub.isEmpty()) {
                    patch.set(e.getKey(), sub);
                }
            } else if (old == null || !old.equals(now)) {
                patch.set(e.getKey(), now.deepCopy());
            }
        }
        return patch;
    }
}
