package io.kuberaft.apiserver.registry;

import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * How a built-in kind served in several versions of its group is kept under its one storage key: every version
 * writes the storage form and reads are converted to the version of the request, as upstream stores an object in
 * its storage version and converts it for each client. {@link ResourceStore} applies it where objects become
 * bytes and bytes become objects, so every path (create, update, patch, status, get, list, watch, delete) is
 * covered; everything above the store works in the version of the request.
 */
public interface VersionConversion {
    /**
     * {@code obj}, in the version of {@code def}, in the storage version. Never changes {@code obj}; returns it
     * itself when it already is its own storage form.
     */
    ObjectNode toStorage(ResourceDefinition def, ObjectNode obj);

    /**
     * A stored object (in the storage version, or in a form earlier builds stored) in the version of {@code def}.
     * May change and return {@code stored}.
     */
    ObjectNode fromStorage(ResourceDefinition def, ObjectNode stored);

    /** {@code obj} as a read returns it once stored: to the storage version and back. */
    default ObjectNode normalize(ResourceDefinition def, ObjectNode obj) {
        ObjectNode stored = toStorage(def, obj);
        return stored == obj ? obj : fromStorage(def, stored);
    }

    /** A kind with one version, or whose versions share one form: stored as sent. */
    VersionConversion NONE = new VersionConversion() {
        @Override
        public ObjectNode toStorage(ResourceDefinition def, ObjectNode obj) {
            return obj;
        }

        @Override
        public ObjectNode fromStorage(ResourceDefinition def, ObjectNode stored) {
            return stored;
        }
    };
}
