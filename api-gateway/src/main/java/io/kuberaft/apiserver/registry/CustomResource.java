package io.kuberaft.apiserver.registry;

import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * What a resource served from a CustomResourceDefinition has beyond a built-in one: the version's OpenAPI v3
 * schema (what OpenAPI publishes and field validation decodes against; the model classes describe built-ins) and
 * the JSON paths of its scale subresource.
 *
 * @param schema the version's {@code schema.openAPIV3Schema}
 * @param scale  the {@code subresources.scale} paths, or null when the version has no scale subresource
 */
public record CustomResource(ObjectNode schema, ScalePaths scale) {
    /** Where the Scale subresource reads and writes its fields ({@code .spec.replicas}, …); selector path may be null. */
    public record ScalePaths(String specReplicasPath, String statusReplicasPath, String labelSelectorPath) {
        /** The value at a dotted path such as {@code .spec.replicas}, or a missing node. */
        public static com.fasterxml.jackson.databind.JsonNode read(com.fasterxml.jackson.databind.JsonNode obj, String path) {
            com.fasterxml.jackson.databind.JsonNode n = obj;
            for (String seg : path.substring(path.startsWith(".") ? 1 : 0).split("\\.")) {
                n = n.path(seg);
            }
            return n;
        }

        /** Sets the value at a dotted path, creating the objects on the way. */
        public static void write(ObjectNode obj, String path, int value) {
            String[] segs = path.substring(path.startsWith(".") ? 1 : 0).split("\\.");
            ObjectNode n = obj;
            for (int i = 0; i < segs.length - 1; i++) {
                n = n.get(segs[i]) instanceof ObjectNode o ? o : n.putObject(segs[i]);
            }
            n.put(segs[segs.length - 1], value);
        }
    }
}
