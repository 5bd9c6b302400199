package io.kuberaft.apiserver.patch;

import com.fasterxml.jackson.databind.JsonNode;

import java.util.List;

/**
 * Patch metadata of a kind's fields, as upstream's OpenAPI carries it ({@code x-kubernetes-patch-strategy},
 * {@code x-kubernetes-patch-merge-key}, {@code x-kubernetes-list-type}, {@code x-kubernetes-list-map-keys},
 * {@code x-kubernetes-map-type}). Fields are addressed by their JSON path within the kind, field names joined
 * by dots, list elements transparent: {@code spec.template.spec.containers.ports}.
 *
 * <p>Strategic merge patch uses {@link #strategy} and {@link #mergeKey}; server-side apply uses
 * {@link #listType}, {@link #listMapKeys} and {@link #atomicMap}, which by default derive from the patch tags
 * the way structured-merge-diff does when a built-in type carries no list-type marker.
 */
public interface PatchMeta {
    /** Whether strategic merge patch is defined for the kind (built-in types); false → 415, as upstream for custom resources. */
    boolean supportsStrategicMerge(String group, String kind);

    /** "merge", "replace", "retainKeys", "merge,retainKeys" or "" when the field has no patch strategy. */
    String strategy(String group, String kind, String path);

    /** The merge key of a list of objects with the merge strategy, or "". */
    String mergeKey(String group, String kind, String path);

    /** "atomic", "set" or "map". */
    default String listType(String group, String kind, String path) {
        if (!strategy(group, kind, path).contains("merge")) {
            return "atomic";
        }
        return mergeKey(group, kind, path).isEmpty() ? "set" : "map";
    }

    /** The keys of a list of listType map. */
    default List<String> listMapKeys(String group, String kind, String path) {
        String k = mergeKey(group, kind, path);
        return k.isEmpty() ? List.of() : List.of(k);
    }

    /** The schema default of a list-map key field, used when an element omits it (null: none). */
    default JsonNode listMapKeyDefault(String group, String kind, String path, String key) {
        return null;
    }

    /** Whether the object at path is atomic for server-side apply ({@code x-kubernetes-map-type: atomic}). */
    default boolean atomicMap(String group, String kind, String path) {
        return false;
    }

    /** One kind's view of a {@link PatchMeta}: what the patch algorithms walk with. */
    record Kind(PatchMeta meta, String group, String kind) {
        public String strategy(String path) {
            return meta.strategy(group, kind, path);
        }

        public String mergeKey(String path) {
            return meta.mergeKey(group, kind, path);
        }

        public String listType(String path) {
            return meta.listType(group, kind, path);
        }

        public List<String> listMapKeys(String path) {
            return meta.listMapKeys(group, kind, path);
        }

        public JsonNode keyDefault(String path, String key) {
            return meta.listMapKeyDefault(group, kind, path, key);
        }

        public boolean atomicMap(String path) {
            return meta.atomicMap(group, kind, path);
        }

        public static String child(String path, String field) {
            return path.isEmpty() ? field : path + "." + field;
        }
    }
}
