package io.kuberaft.apiserver.registry;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.kuberaft.kubeapi.StatusException;

/**
 * The object of one watch event as every watcher of this replica sees it: decoded once ({@link WatchDecodes}) and
 * encoded to JSON at most once, by the first watcher that writes it out. Shared between threads, so never changed
 * once made: a watcher that needs a different object makes its own.
 */
public final class WatchObject {
    private final ObjectNode object;
    private volatile byte[] json;

    WatchObject(ObjectNode object) {
        this.object = object;
    }

    /** Read only. */
    public ObjectNode object() {
        return object;
    }

    /** The object's JSON; two threads asking at once may both encode it, to the same bytes. */
    public byte[] json() {
        byte[] j = json;
        if (j == null) {
            try {
                j = Objects.JSON.writeValueAsBytes(object);
            } catch (JsonProcessingException e) {
                throw StatusException.internal("cannot encode object: " + e.getMessage());
            }
            json = j;
        }
        return j;
    }
}
