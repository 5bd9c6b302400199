package io.kuberaft.apiserver.patch;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.kuberaft.apiserver.http.MediaTypes;
import io.kuberaft.apiserver.registry.ResourceDefinition;
import io.kuberaft.kubeapi.StatusException;

/**
 * JSON Patch and JSON merge patch. Strategic merge patch and apply-patch are treated as merge
 * patches here (lists replaced, not merged by key) until the strategic and server-side-apply
 * patchers replace this.
 */
public final class BasicPatcher implements Patcher {
    @Override
    public ObjectNode apply(ResourceDefinition def, String contentType, ObjectNode current, byte[] body, String fieldManager, boolean force) {
        String base = MediaTypes.base(contentType);
        JsonNode patch = MediaTypes.parse(base.equals(MediaTypes.APPLY_PATCH) ? MediaTypes.YAML : MediaTypes.JSON, body);
        JsonNode out = switch (base) {
            case MediaTypes.JSON_PATCH -> JsonPatch.apply(current, patch);
            case MediaTypes.MERGE_PATCH, MediaTypes.STRATEGIC_MERGE_PATCH, MediaTypes.APPLY_PATCH -> MergePatch.apply(current, patch);
            default -> throw StatusException.unsupportedMediaType("the body of the request was in an unknown format - accepted media types include: "
                    + "application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml, application/strategic-merge-patch+json");
        };
        if (!(out instanceof ObjectNode o)) {
            throw StatusException.badRequest("the patch did not produce an object");
        }
        return o;
    }
}
