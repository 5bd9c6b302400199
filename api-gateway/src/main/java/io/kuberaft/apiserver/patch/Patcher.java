package io.kuberaft.apiserver.patch;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.kuberaft.apiserver.registry.ResourceDefinition;

/**
 * Applies a PATCH body to the current object, by Content-Type: JSON Patch, JSON merge patch,
 * strategic merge patch, server-side apply.
 */
public interface Patcher {
    /**
     * @param current a copy of the stored object (may be changed and returned)
     * @return the desired object
     */
    ObjectNode apply(ResourceDefinition def, String contentType, ObjectNode current, byte[] body, String fieldManager, boolean force);

    /**
     * The same on a subresource ("status", or null for the main resource): server-side apply owns different
     * fields there.
     */
    default ObjectNode apply(ResourceDefinition def, String contentType, ObjectNode current, byte[] body, String fieldManager,
                             boolean force, String subresource) {
        return apply(def, contentType, current, body, fieldManager, force);
    }
}
