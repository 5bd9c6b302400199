package io.kuberaft.apiserver.patch;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.JsonNodeType;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.kuberaft.kubeapi.StatusException;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Kubernetes' strategic merge patch, as the API server applies it (apimachinery's
 * {@code StrategicMergeMapPatch} with parallel-list merging and unmatched nulls ignored).
 *
 * <ul>
 *   <li>maps merge recursively; {@code null} deletes a key;</li>
 *   <li>lists whose field has the "merge" strategy merge: lists of objects by the field's merge key,
 *       lists of scalars as a union; every other list is replaced;</li>
 *   <li>directives: {@code $patch: replace|delete} on a map, {@code $patch: delete|replace} as a list
 *       element, {@code $retainKeys}, {@code $setElementOrder/<field>},
 *       {@code $deleteFromPrimitiveList/<field>};</li>
 *   <li>order: items of the patch come in patch order (or {@code $setElementOrder}'s), items only on the
 *       server keep their relative order, interleaved where both lists know them — so a new list item
 *       without an order directive comes first, as upstream.</li>
 * </ul>
 *
 * Errors that upstream reports as 500 (missing merge key, malformed directives) are 400 here: they are the
 * client's fault, and the server never answers bad input with 500.
 */
public final class StrategicMergePatch {
    static final String DIRECTIVE = "$patch";
    static final String RETAIN_KEYS = "$retainKeys";
    static final String SET_ELEMENT_ORDER = "$setElementOrder";
    static final String DELETE_FROM_PRIMITIVE_LIST = "$deleteFromPrimitiveList";
    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

    private final PatchMeta.Kind schema;

    private StrategicMergePatch(PatchMeta.Kind schema) {
        this.schema = schema;
    }

    /** Applies {@code patch} to {@code original}; neither argument is changed. */
    public static ObjectNode apply(ObjectNode original, ObjectNode patch, PatchMeta.Kind schema) {
        return new StrategicMergePatch(schema).mergeMap(original.deepCopy(), patch.deepCopy(), "");
    }

    // ---- maps ----

    private ObjectNode mergeMap(ObjectNode original, ObjectNode patch, String path) {
        JsonNode directive = patch.get(DIRECTIVE);
        if (directive != null) {
            String d = directive.asText("");
            if (d.equals("replace")) {
                patch.remove(DIRECTIVE);
                return mergeMap(NODES.objectNode(), patch, path);
            }
            if (d.equals("delete")) {
                return NODES.objectNode();
            }
            throw badRequest("unknown patch type: " + directive + " in map: " + patch);
        }
        if (original == null) {
            original = NODES.objectNode();
        }
        applyRetainKeys(original, patch);
        mergeOrderedLists(original, patch, path);
        for (String k : fieldNames(patch)) {
            JsonNode v = patch.get(k);
            boolean deleteList = false;
            if (k.startsWith(DELETE_FROM_PRIMITIVE_LIST)) {
                k = extractKey(k, DELETE_FROM_PRIMITIVE_LIST, "invalid patch format of primitive list");
                deleteList = true;
            } else if (k.startsWith("$")) {
                continue; // directives are never stored (upstream's typed decoding drops them)
            }
            if (v.isNull()) {
                original.remove(k);
                continue;
            }
            String cp = PatchMeta.Kind.child(path, k);
            JsonNode o = original.get(k);
            if (o == null || o.isNull() || kindOf(o) != kindOf(v)) {
                if (!deleteList) {
                    original.set(k, fresh(v, cp));
                }
                continue;
            }
            if (o.isObject()) {
                original.set(k, strategy(cp).equals("replace") ? fresh(v, cp) : mergeMap((ObjectNode) o, (ObjectNode) v, cp));
            } else if (o.isArray()) {
                if (strategy(cp).equals("merge")) {
                    original.set(k, mergeSlice((ArrayNode) o, (ArrayNode) v, cp, schema.mergeKey(cp), deleteList));
                } else if (deleteList) {
                    original.set(k, deleteFromSlice((ArrayNode) o, (ArrayNode) v));
                } else {
                    original.set(k, fresh(v, cp));
                }
            } else {
                original.set(k, v);
            }
        }
        return original;
    }

    /** The patch strategy without retainKeys (which only matters when patches are created). */
    private String strategy(String path) {
        String out = "";
        for (String s : schema.strategy(path).split(",")) {
            if (!s.isBlank() && !s.trim().equals("retainKeys")) {
                out = s.trim();
            }
        }
        return out;
    }

    /** A patch value for a field the original does not have: directives resolved, nulls dropped. */
    private JsonNode fresh(JsonNode v, String path) {
        if (v instanceof ObjectNode o) {
            return mergeMap(NODES.objectNode(), o, path);
        }
        if (v instanceof ArrayNode a) {
            if (strategy(path).equals("merge")) {
                return mergeSlice(NODES.arrayNode(), a, path, schema.mergeKey(path), false);
            }
            ArrayNode out = NODES.arrayNode();
            for (JsonNode e : a) {
                out.add(fresh(e, path));
            }
            return out;
        }
        return v;
    }

    private static void applyRetainKeys(ObjectNode original, ObjectNode patch) {
        JsonNode retain = patch.remove(RETAIN_KEYS);
        if (retain == null) {
            return;
        }
        if (!retain.isArray()) {
            throw badRequest("invalid patch format of retainKeys");
        }
        Set<String> keep = new HashSet<>();
        retain.forEach(k -> {
            if (k.isTextual()) {
                keep.add(k.asText());
            }
        });
        for (String k : fieldNames(patch)) {
            if (patch.get(k).isNull() || k.startsWith(DELETE_FROM_PRIMITIVE_LIST) || k.startsWith(SET_ELEMENT_ORDER)) {
                continue;
            }
            if (!keep.contains(k)) {
                throw new StatusException(422, "Invalid", "patch content doesn't match retainKeys list");
            }
        }
        for (String k : fieldNames(original)) {
            if (!keep.contains(k)) {
                original.remove(k);
            }
        }
    }

    /** {@code $setElementOrder/<field>}: merges the field's list and orders it as the directive says. */
    private void mergeOrderedLists(ObjectNode original, ObjectNode patch, String path) {
        for (String key : fieldNames(patch)) {
            if (!key.startsWith(SET_ELEMENT_ORDER)) {
                continue;
            }
            JsonNode order = patch.remove(key);
            if (!(order instanceof ArrayNode orderList)) {
                throw badRequest("invalid patch format of setElementOrder list");
            }
            String field = extractKey(key, SET_ELEMENT_ORDER, "invalid patch format of setElementOrder list");
            JsonNode o = original.get(field);
            JsonNode p = patch.get(field);
            boolean foundOriginal = o != null && !o.isNull();
            boolean foundPatch = p != null && !p.isNull();
            if ((foundOriginal && !o.isArray()) || (foundPatch && !p.isArray())) {
                throw badRequest("expected a list for " + field + " with " + key);
            }
            ArrayNode originalList = foundOriginal ? (ArrayNode) o : NODES.arrayNode();
            ArrayNode patchList = foundPatch ? (ArrayNode) p : NODES.arrayNode();
            String cp = PatchMeta.Kind.child(path, field);
            String mergeKey = schema.mergeKey(cp);
            validatePatchWithSetOrderList(patchList, orderList, mergeKey);
            ArrayNode merged;
            if (foundOriginal && foundPatch) {
                merged = strategy(cp).equals("merge") ? mergeSlice(originalList, patchList, cp, mergeKey, false)
                        : (ArrayNode) fresh(patchList, cp);
            } else if (foundPatch) {
                merged = (ArrayNode) fresh(patchList, cp);
            } else if (foundOriginal) {
                merged = originalList;
            } else {
                continue;
            }
            if (merged.isEmpty()) {
                original.set(field, merged);
                patch.remove(field);
                continue;
            }
            JsonNodeType kind = elementKind(originalList, patchList, merged);
            List<JsonNode> patchItems = new ArrayList<>();
            List<JsonNode> serverOnly = new ArrayList<>();
            partition(list(merged), list(orderList), mergeKey, kind, patchItems, serverOnly);
            original.set(field, normalizeElementOrder(patchItems, serverOnly, list(orderList), list(originalList), mergeKey, kind));
            patch.remove(field);
        }
    }

    private static void validatePatchWithSetOrderList(ArrayNode patchList, ArrayNode order, String mergeKey) {
        if (order.isEmpty() || patchList.isEmpty()) {
            return;
        }
        List<JsonNode> nonDelete = new ArrayList<>();
        for (JsonNode e : patchList) {
            if (!mergeKey.isEmpty()) {
                if (!e.isObject()) {
                    throw badRequest("expected a map in the list, but received " + e);
                }
                if ("delete".equals(e.path(DIRECTIVE).asText(null))) {
                    continue;
                }
            }
            nonDelete.add(e);
        }
        int pi = 0;
        int si = 0;
        while (pi < nonDelete.size() && si < order.size()) {
            JsonNode item = nonDelete.get(pi);
            if (item.isObject() && item.has(DIRECTIVE)) {
                pi++;
                continue;
            }
            if (mergeKeyValueEqual(item, order.get(si), mergeKey)) {
                pi++;
            }
            si++;
        }
        if (pi < nonDelete.size()) {
            throw badRequest("The order in patch list:\n" + patchList + "\n doesn't match " + SET_ELEMENT_ORDER + " list:\n" + order + "\n");
        }
    }

    private static boolean mergeKeyValueEqual(JsonNode left, JsonNode right, String mergeKey) {
        if (mergeKey.isEmpty()) {
            return same(left, right);
        }
        if (!left.isObject() || !right.isObject()) {
            throw badRequest("expected a map, but received " + (left.isObject() ? right : left));
        }
        JsonNode l = left.get(mergeKey);
        JsonNode r = right.get(mergeKey);
        if (l == null) {
            throw noMergeKey(left, mergeKey);
        }
        if (r == null) {
            throw noMergeKey(right, mergeKey);
        }
        return same(l, r);
    }

    // ---- lists ----

    private ArrayNode mergeSlice(ArrayNode original, ArrayNode patch, String path, String mergeKey, boolean deleteList) {
        if (original.isEmpty() && patch.isEmpty()) {
            return original;
        }
        JsonNodeType kind = elementKind(original, patch);
        List<JsonNode> orig = list(original);
        List<JsonNode> pat = list(patch);
        List<JsonNode> merged;
        if (kind != JsonNodeType.OBJECT) {
            if (deleteList) {
                return deleteFromSlice(original, patch);
            }
            Map<String, JsonNode> unique = new LinkedHashMap<>();
            for (JsonNode v : orig) {
                unique.putIfAbsent(keyOf(v), v);
            }
            for (JsonNode v : pat) {
                unique.putIfAbsent(keyOf(v), v);
            }
            merged = new ArrayList<>(unique.values());
        } else {
            if (mergeKey.isEmpty()) {
                throw badRequest("cannot merge lists without merge key for " + (path.isEmpty() ? "the object" : path));
            }
            // Special elements: {"$patch":"delete", key: v} removes, {"$patch":"replace"} replaces the list.
            List<JsonNode> plain = new ArrayList<>();
            Set<String> deleted = new HashSet<>();
            boolean replace = false;
            for (JsonNode v : pat) {
                JsonNode directive = v.get(DIRECTIVE);
                if (directive == null) {
                    plain.add(v);
                    continue;
                }
                switch (directive.asText("")) {
                    case "delete" -> {
                        JsonNode key = v.get(mergeKey);
                        if (key == null) {
                            throw noMergeKey(v, mergeKey);
                        }
                        deleted.add(keyOf(key));
                    }
                    case "replace" -> replace = true;
                    case "merge" -> throw badRequest("merging lists cannot yet be specified in the patch");
                    default -> throw badRequest("unknown patch type: " + directive + " in map: " + v);
                }
            }
            if (!deleted.isEmpty()) {
                orig.removeIf(e -> e.has(mergeKey) && deleted.contains(keyOf(e.get(mergeKey))));
            }
            if (replace) {
                orig = new ArrayList<>();
                for (JsonNode v : plain) {
                    orig.add(fresh(v, path));
                }
                pat = List.of();
            } else {
                pat = plain;
            }
            merged = new ArrayList<>(orig);
            Map<String, Integer> at = new HashMap<>();
            for (int i = 0; i < merged.size(); i++) {
                JsonNode k = merged.get(i).get(mergeKey);
                if (k != null) {
                    at.putIfAbsent(keyOf(k), i);
                }
            }
            for (JsonNode v : pat) {
                JsonNode key = v.get(mergeKey);
                if (key == null) {
                    throw noMergeKey(v, mergeKey);
                }
                Integer i = at.get(keyOf(key));
                if (i != null) {
                    merged.set(i, mergeMap((ObjectNode) merged.get(i), (ObjectNode) v, path));
                } else {
                    at.put(keyOf(key), merged.size());
                    merged.add(mergeMap(NODES.objectNode(), (ObjectNode) v, path));
                }
            }
        }
        String key = kind == JsonNodeType.OBJECT ? mergeKey : "";
        List<JsonNode> patchItems = new ArrayList<>();
        List<JsonNode> serverOnly = new ArrayList<>();
        partition(merged, pat, key, kind, patchItems, serverOnly);
        return normalizeElementOrder(patchItems, serverOnly, pat, orig, key, kind);
    }

    private static ArrayNode deleteFromSlice(ArrayNode current, ArrayNode toDelete) {
        Set<String> gone = new HashSet<>();
        toDelete.forEach(d -> gone.add(keyOf(d)));
        ArrayNode out = NODES.arrayNode();
        for (JsonNode v : current) {
            if (!gone.contains(keyOf(v))) {
                out.add(v);
            }
        }
        return out;
    }

    /** What identifies a list item: its merge key's value for objects, itself for scalars. */
    private static JsonNode identity(JsonNode v, String mergeKey, JsonNodeType kind) {
        return kind == JsonNodeType.OBJECT ? v.get(mergeKey) : v;
    }

    /** Splits merged items into those present in {@code by} (by merge key, or value for scalars) and the rest. */
    private static void partition(List<JsonNode> merged, List<JsonNode> by, String mergeKey, JsonNodeType kind,
                                  List<JsonNode> present, List<JsonNode> absent) {
        Set<String> in = new HashSet<>();
        for (JsonNode b : by) {
            if (kind == JsonNodeType.OBJECT && !b.isObject()) {
                throw badRequest("expected a map, but received " + b);
            }
            JsonNode id = identity(b, mergeKey, kind);
            if (id != null) {
                in.add(keyOf(id));
            }
        }
        for (JsonNode v : merged) {
            JsonNode id = identity(v, mergeKey, kind);
            if (id == null) {
                throw noMergeKey(v, mergeKey);
            }
            (in.contains(keyOf(id)) ? present : absent).add(v);
        }
    }

    /**
     * Patch items sorted by the patch's order, server-only items by the server's, then merged: a server
     * item goes before a patch item only when the server list has both and orders them so.
     */
    private static ArrayNode normalizeElementOrder(List<JsonNode> patch, List<JsonNode> serverOnly, List<JsonNode> patchOrder,
                                                   List<JsonNode> serverOrder, String mergeKey, JsonNodeType kind) {
        List<JsonNode> p = sortByOrder(patch, patchOrder, mergeKey, kind);
        List<JsonNode> s = sortByOrder(serverOnly, serverOrder, mergeKey, kind);
        Map<String, Integer> serverIndex = positions(serverOrder, mergeKey, kind);
        ArrayNode out = NODES.arrayNode();
        int i = 0;
        int j = 0;
        while (i < s.size() || j < p.size()) {
            if (i >= s.size()) {
                out.add(p.get(j++));
            } else if (j >= p.size()) {
                out.add(s.get(i++));
            } else {
                Integer li = serverIndex.get(keyOf(identity(s.get(i), mergeKey, kind)));
                Integer ri = serverIndex.get(keyOf(identity(p.get(j), mergeKey, kind)));
                if (li != null && ri != null && li < ri) {
                    out.add(s.get(i++));
                } else {
                    out.add(p.get(j++));
                }
            }
        }
        return out;
    }

    private static List<JsonNode> sortByOrder(List<JsonNode> items, List<JsonNode> order, String mergeKey, JsonNodeType kind) {
        List<JsonNode> toSort = new ArrayList<>();
        List<JsonNode> toDelete = new ArrayList<>();
        for (JsonNode v : items) {
            if (kind == JsonNodeType.OBJECT) {
                if (!v.isObject() || !v.has(mergeKey)) {
                    throw noMergeKey(v, mergeKey);
                }
                if ("delete".equals(v.path(DIRECTIVE).asText(null))) {
                    toDelete.add(v);
                    continue;
                }
            }
            toSort.add(v);
        }
        for (JsonNode v : order) {
            if (kind == JsonNodeType.OBJECT && (!v.isObject() || !v.has(mergeKey))) {
                throw noMergeKey(v, mergeKey);
            }
        }
        Map<String, Integer> index = positions(order, mergeKey, kind);
        Map<JsonNode, Integer> rank = new java.util.IdentityHashMap<>();
        for (JsonNode v : toSort) {
            rank.put(v, index.getOrDefault(keyOf(identity(v, mergeKey, kind)), Integer.MAX_VALUE));
        }
        List<JsonNode> sorted = new ArrayList<>(toSort);
        sorted.sort(Comparator.comparingInt(rank::get));
        sorted.addAll(toDelete);
        return sorted;
    }

    /** First position of every item's identity in a list. */
    private static Map<String, Integer> positions(List<JsonNode> list, String mergeKey, JsonNodeType kind) {
        Map<String, Integer> out = new HashMap<>();
        for (int i = 0; i < list.size(); i++) {
            JsonNode id = list.get(i).isObject() || kind != JsonNodeType.OBJECT ? identity(list.get(i), mergeKey, kind) : null;
            if (id != null) {
                out.putIfAbsent(keyOf(id), i);
            }
        }
        return out;
    }

    /** The common element type of the lists: objects or one scalar type; lists of lists are refused. */
    private static JsonNodeType elementKind(ArrayNode... lists) {
        JsonNodeType kind = null;
        for (ArrayNode l : lists) {
            for (JsonNode v : l) {
                JsonNodeType t = kindOf(v);
                if (t == JsonNodeType.ARRAY) {
                    throw new StatusException(422, "Invalid", "lists of lists are not supported");
                }
                if (kind == null) {
                    kind = t;
                } else if (kind != t) {
                    throw badRequest("list element types are not identical: " + java.util.Arrays.toString(lists));
                }
            }
        }
        if (kind == null) {
            throw badRequest("no elements in any of the given slices");
        }
        return kind;
    }

    // ---- helpers ----

    static JsonNodeType kindOf(JsonNode v) {
        JsonNodeType t = v.getNodeType();
        return t == JsonNodeType.POJO ? JsonNodeType.OBJECT : t;
    }

    /** A hashable identity of a value, numbers by value (1 and 1.0 are the same, as Go's float64 decoding sees them). */
    static String keyOf(JsonNode v) {
        if (v.isTextual()) {
            return "s" + v.textValue();
        }
        if (v.isNumber()) {
            return "n" + (v.isIntegralNumber() && v.canConvertToLong() ? Long.toString(v.longValue())
                    : v.decimalValue().stripTrailingZeros().toPlainString());
        }
        if (v.isBoolean() || v.isNull()) {
            return "b" + v.asText();
        }
        return "j" + v;
    }

    /** JSON equality with numbers compared by value (1 == 1.0), as Go's float64 decoding sees them. */
    static boolean same(JsonNode a, JsonNode b) {
        if (a.isNumber() && b.isNumber()) {
            return a.decimalValue().compareTo(b.decimalValue()) == 0;
        }
        return a.equals(b);
    }

    private static String extractKey(String key, String prefix, String error) {
        int slash = key.indexOf('/');
        if (slash < 0 || !key.substring(0, slash).equals(prefix)) {
            throw badRequest(error);
        }
        return key.substring(slash + 1);
    }

    private static List<String> fieldNames(ObjectNode o) {
        List<String> out = new ArrayList<>();
        o.fieldNames().forEachRemaining(out::add);
        return out;
    }

    private static List<JsonNode> list(ArrayNode a) {
        List<JsonNode> out = new ArrayList<>(a.size());
        a.forEach(out::add);
        return out;
    }

    private static StatusException noMergeKey(JsonNode v, String mergeKey) {
        return badRequest("map: " + v + " does not contain declared merge key: " + mergeKey);
    }

    private static StatusException badRequest(String message) {
        return StatusException.badRequest(message);
    }
}
