package io.kuberaft.apiserver.patch;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.kuberaft.apiserver.registry.Objects;
import io.kuberaft.kubeapi.StatusException;

import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * The structured-merge-diff operations server-side apply needs, over JSON trees with a kind's list and map
 * types ({@link PatchMeta}): field sets of a value, comparison of two values, the apply merge, and removal of
 * a set of fields. Lists are atomic, sets ({@code v:} items) or maps ({@code k:} items keyed by fields);
 * objects are granular unless marked atomic.
 */
final class Structured {
    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;
    /**
     * Fields that exist in an empty Go object of every kind that has them (non-pointer structs and
     * non-omitempty lists): an Update never "adds" these nodes themselves, only what is under them.
     */
    private static final Set<String> ALWAYS_PRESENT = Set.of("f:metadata", "f:spec", "f:status", "f:template",
            "f:strategy", "f:updateStrategy", "f:jobTemplate", "f:containers");

    private final PatchMeta.Kind schema;

    Structured(PatchMeta.Kind schema) {
        this.schema = schema;
    }

    private enum Shape { LEAF, MAP, LIST }

    private Shape shape(JsonNode v, String spath) {
        if (v.isObject()) {
            return schema.atomicMap(spath) ? Shape.LEAF : Shape.MAP;
        }
        if (v.isArray()) {
            return schema.listType(spath).equals("atomic") ? Shape.LEAF : Shape.LIST;
        }
        return Shape.LEAF;
    }

    /**
     * The path element of a list item: {@code k:{"name":"web"}} for lists of type map, {@code v:"x"} for
     * sets. Strict (an applied configuration): missing key fields and non-object items are 400; lenient
     * (a stored object): such items are addressed by index.
     */
    String itemElement(JsonNode item, int index, String spath, boolean strict) {
        String type = schema.listType(spath);
        if (type.equals("set")) {
            return "v:" + json(normalize(item));
        }
        if (!item.isObject()) {
            if (strict) {
                throw StatusException.badRequest(".%s: element %d: associative list with keys has an element that is not a map"
                        .formatted(spath, index));
            }
            return "i:" + index;
        }
        TreeMap<String, JsonNode> key = new TreeMap<>();
        for (String k : schema.listMapKeys(spath)) {
            JsonNode v = item.get(k);
            if (v == null || v.isNull()) {
                v = schema.keyDefault(spath, k);
            }
            if (v == null) {
                if (strict) {
                    throw StatusException.badRequest((".%s: element %d: associative list with keys has an element that omits key field \"%s\""
                            + " (and doesn't have default value)").formatted(spath, index, k));
                }
                return "i:" + index;
            }
            key.put(k, normalize(v));
        }
        ObjectNode k = NODES.objectNode();
        key.forEach(k::set);
        return "k:" + json(k);
    }

    // ---- field sets ----

    /** The fields a value sets (SMD's ToFieldSet): leaves, atomic values and the items of granular lists. */
    FieldSet toFieldSet(JsonNode value, boolean strict) {
        FieldSet out = new FieldSet();
        collect(value, "", new ArrayList<>(), out, strict);
        return out;
    }

    private void collect(JsonNode v, String spath, List<String> fpath, FieldSet out, boolean strict) {
        switch (fpath.isEmpty() && v.isObject() ? Shape.MAP : shape(v, spath)) {
            case LEAF -> out.insert(fpath);
            case MAP -> {
                Iterator<Map.Entry<String, JsonNode>> it = v.fields();
                while (it.hasNext()) {
                    Map.Entry<String, JsonNode> e = it.next();
                    JsonNode c = e.getValue();
                    fpath.add("f:" + e.getKey());
                    if (c.isNull() || (c.isObject() && c.isEmpty())) {
                        out.insert(fpath);
                    } else {
                        collect(c, PatchMeta.Kind.child(spath, e.getKey()), fpath, out, strict);
                    }
                    fpath.remove(fpath.size() - 1);
                }
            }
            case LIST -> {
                Set<String> seen = new HashSet<>();
                for (int i = 0; i < v.size(); i++) {
                    JsonNode item = v.get(i);
                    String pe = itemElement(item, i, spath, strict);
                    if (!seen.add(pe) && strict) {
                        throw StatusException.badRequest(".%s: duplicate entries for key %s".formatted(spath,
                                FieldSet.pathString(List.of(pe))));
                    }
                    fpath.add(pe);
                    if (item.isObject() && !pe.startsWith("v:")) {
                        collect(item, spath, fpath, out, strict);
                    }
                    out.insert(fpath);
                    fpath.remove(fpath.size() - 1);
                }
            }
        }
    }

    // ---- comparison ----

    record Comparison(FieldSet added, FieldSet modified, FieldSet removed) {
        FieldSet changed() {
            return added.union(modified);
        }

        boolean isSame() {
            return added.isEmpty() && modified.isEmpty() && removed.isEmpty();
        }

        Comparison map(java.util.function.UnaryOperator<FieldSet> f) {
            return new Comparison(f.apply(added), f.apply(modified), f.apply(removed));
        }
    }

    /**
     * What changed from {@code lhs} to {@code rhs} (SMD's Compare). {@code update}: nodes that every Go object
     * has ({@link #ALWAYS_PRESENT}) are never added or removed themselves.
     */
    Comparison compare(JsonNode lhs, JsonNode rhs, boolean update) {
        Comparison c = new Comparison(new FieldSet(), new FieldSet(), new FieldSet());
        compare(lhs, rhs, "", new ArrayList<>(), c, update);
        return c;
    }

    private void compare(JsonNode l, JsonNode r, String spath, List<String> fpath, Comparison c, boolean update) {
        if (l == null && r == null) {
            return;
        }
        if (l == null) {
            mark(r, spath, fpath, c.added(), update);
            return;
        }
        if (r == null) {
            mark(l, spath, fpath, c.removed(), update);
            return;
        }
        Shape sl = fpath.isEmpty() && l.isObject() ? Shape.MAP : shape(l, spath);
        Shape sr = fpath.isEmpty() && r.isObject() ? Shape.MAP : shape(r, spath);
        if (sl != sr) {
            c.modified().insert(fpath);
            markChildren(l, spath, fpath, c.removed(), update);
            markChildren(r, spath, fpath, c.added(), update);
            return;
        }
        switch (sl) {
            case LEAF -> {
                if (!same(l, r)) {
                    c.modified().insert(fpath);
                }
            }
            case MAP -> {
                Set<String> keys = new LinkedHashSet<>();
                l.fieldNames().forEachRemaining(keys::add);
                r.fieldNames().forEachRemaining(keys::add);
                for (String k : keys) {
                    fpath.add("f:" + k);
                    compare(l.get(k), r.get(k), PatchMeta.Kind.child(spath, k), fpath, c, update);
                    fpath.remove(fpath.size() - 1);
                }
            }
            case LIST -> {
                Map<String, JsonNode> li = items(l, spath);
                Map<String, JsonNode> ri = items(r, spath);
                Set<String> keys = new LinkedHashSet<>(li.keySet());
                keys.addAll(ri.keySet());
                for (String pe : keys) {
                    fpath.add(pe);
                    compare(li.get(pe), ri.get(pe), spath, fpath, c, update);
                    fpath.remove(fpath.size() - 1);
                }
            }
        }
    }

    /** A whole subtree into {@code into}: every leaf and every granular node. */
    private void mark(JsonNode v, String spath, List<String> fpath, FieldSet into, boolean update) {
        Shape s = fpath.isEmpty() && v.isObject() ? Shape.MAP : shape(v, spath);
        boolean alwaysPresent = update && !fpath.isEmpty() && ALWAYS_PRESENT.contains(fpath.get(fpath.size() - 1));
        if (s == Shape.LEAF || !alwaysPresent && !fpath.isEmpty()) {
            into.insert(fpath);
        }
        if (s != Shape.LEAF) {
            markChildren(v, spath, fpath, into, update);
        }
    }

    private void markChildren(JsonNode v, String spath, List<String> fpath, FieldSet into, boolean update) {
        Shape s = fpath.isEmpty() && v.isObject() ? Shape.MAP : shape(v, spath);
        if (s == Shape.MAP) {
            Iterator<Map.Entry<String, JsonNode>> it = v.fields();
            while (it.hasNext()) {
                Map.Entry<String, JsonNode> e = it.next();
                fpath.add("f:" + e.getKey());
                mark(e.getValue(), PatchMeta.Kind.child(spath, e.getKey()), fpath, into, update);
                fpath.remove(fpath.size() - 1);
            }
        } else if (s == Shape.LIST) {
            for (Map.Entry<String, JsonNode> e : items(v, spath).entrySet()) {
                fpath.add(e.getKey());
                if (e.getKey().startsWith("v:")) {
                    into.insert(fpath);
                } else {
                    mark(e.getValue(), spath, fpath, into, update);
                }
                fpath.remove(fpath.size() - 1);
            }
        }
    }

    /** A stored list's items by path element; duplicates keep the first. */
    private Map<String, JsonNode> items(JsonNode list, String spath) {
        Map<String, JsonNode> out = new LinkedHashMap<>();
        for (int i = 0; i < list.size(); i++) {
            out.putIfAbsent(itemElement(list.get(i), i, spath, false), list.get(i));
        }
        return out;
    }

    // ---- apply merge ----

    /**
     * Merges an applied configuration into the live object (SMD's Merge): granular maps merge by key, lists
     * of type map by key and sets by value (keeping the live order where it does not contradict the
     * configuration's), atomic values are replaced. A null in the configuration removes the field.
     */
    JsonNode merge(JsonNode live, JsonNode config, String spath, boolean root) {
        if (config == null) {
            return live == null ? null : live.deepCopy();
        }
        if (config.isNull()) {
            return null;
        }
        if (live == null || live.isNull()) {
            return clean(config);
        }
        Shape sl = root && live.isObject() ? Shape.MAP : shape(live, spath);
        Shape sc = root && config.isObject() ? Shape.MAP : shape(config, spath);
        if (sl != sc || sl == Shape.LEAF) {
            if (sc == Shape.LIST) {
                items(config, spath, true);
            }
            return clean(config);
        }
        if (sl == Shape.MAP) {
            ObjectNode out = ((ObjectNode) live).deepCopy();
            Iterator<Map.Entry<String, JsonNode>> it = config.fields();
            while (it.hasNext()) {
                Map.Entry<String, JsonNode> e = it.next();
                JsonNode m = merge(live.get(e.getKey()), e.getValue(), PatchMeta.Kind.child(spath, e.getKey()), false);
                if (m == null) {
                    out.remove(e.getKey());
                } else {
                    out.set(e.getKey(), m);
                }
            }
            return out;
        }
        return mergeList((ArrayNode) live, (ArrayNode) config, spath);
    }

    /** The configuration's items by path element; duplicates are 400. */
    private Map<String, JsonNode> items(JsonNode list, String spath, boolean strict) {
        Map<String, JsonNode> out = new LinkedHashMap<>();
        for (int i = 0; i < list.size(); i++) {
            String pe = itemElement(list.get(i), i, spath, strict);
            if (out.putIfAbsent(pe, list.get(i)) != null) {
                throw StatusException.badRequest(".%s: duplicate entries for key %s".formatted(spath, FieldSet.pathString(List.of(pe))));
            }
        }
        return out;
    }

    /** SMD's list merge: shared items in the configuration's order, live-only items kept where they were. */
    private ArrayNode mergeList(ArrayNode lhs, ArrayNode rhs, String spath) {
        List<String> lhsPEs = new ArrayList<>();
        Map<String, JsonNode> observedLhs = new LinkedHashMap<>();
        for (int i = 0; i < lhs.size(); i++) {
            String pe = itemElement(lhs.get(i), i, spath, false);
            lhsPEs.add(pe);
            observedLhs.putIfAbsent(pe, lhs.get(i));
        }
        Map<String, JsonNode> observedRhs = items(rhs, spath, true);
        List<String> rhsPEs = new ArrayList<>(observedRhs.keySet());
        List<String> sharedOrder = new ArrayList<>();
        for (String pe : rhsPEs) {
            if (observedLhs.containsKey(pe)) {
                sharedOrder.add(pe);
            }
        }
        int shared = 0;
        String nextShared = sharedOrder.isEmpty() ? null : sharedOrder.get(shared++);
        Set<String> mergedRhs = new HashSet<>();
        ArrayNode out = NODES.arrayNode();
        int li = 0;
        int ri = 0;
        while (li < lhsPEs.size() || ri < rhsPEs.size()) {
            if (li < lhsPEs.size() && ri < rhsPEs.size()) {
                String pe = lhsPEs.get(li);
                if (pe.equals(rhsPEs.get(ri))) {
                    mergedRhs.add(pe);
                    addItem(out, observedLhs.get(pe), observedRhs.get(pe), spath);
                    li++;
                    ri++;
                    nextShared = shared < sharedOrder.size() ? sharedOrder.get(shared++) : null;
                    continue;
                }
                if (observedRhs.containsKey(pe) && nextShared != null && !nextShared.equals(pe)) {
                    li++;
                    continue;
                }
            }
            if (li < lhsPEs.size()) {
                String pe = lhsPEs.get(li);
                if (!observedRhs.containsKey(pe)) {
                    out.add(lhs.get(li).deepCopy());
                    li++;
                    continue;
                } else if (mergedRhs.contains(pe)) {
                    li++;
                    continue;
                }
            }
            if (ri < rhsPEs.size()) {
                String pe = rhsPEs.get(ri);
                mergedRhs.add(pe);
                addItem(out, observedLhs.get(pe), observedRhs.get(pe), spath);
                ri++;
                if (nextShared != null && nextShared.equals(pe)) {
                    nextShared = shared < sharedOrder.size() ? sharedOrder.get(shared++) : null;
                }
            }
        }
        return out;
    }

    private void addItem(ArrayNode out, JsonNode l, JsonNode r, String spath) {
        JsonNode m = schema.listType(spath).equals("set") ? clean(r) : merge(l, r, spath, false);
        if (m != null) {
            out.add(m);
        }
    }

    // ---- removal ----

    /** Removes the member paths of {@code set} from {@code value} (SMD's RemoveItems); kind, apiVersion and metadata stay. */
    JsonNode removeItems(JsonNode value, FieldSet set) {
        JsonNode out = value.deepCopy();
        remove(out, set, "", true);
        return out;
    }

    private void remove(JsonNode v, FieldSet set, String spath, boolean root) {
        if (v instanceof ObjectNode o && (root || shape(v, spath) == Shape.MAP)) {
            for (String name : fieldNames(o)) {
                FieldSet child = set.get(List.of("f:" + name));
                if (child == null) {
                    continue;
                }
                boolean protectedField = root && (name.equals("apiVersion") || name.equals("kind") || name.equals("metadata"));
                if (child.has(List.of()) && !protectedField) {
                    o.remove(name);
                } else {
                    remove(o.get(name), child, PatchMeta.Kind.child(spath, name), false);
                }
            }
        } else if (v instanceof ArrayNode a && shape(v, spath) == Shape.LIST) {
            for (int i = a.size() - 1; i >= 0; i--) {
                FieldSet child = set.get(List.of(itemElement(a.get(i), i, spath, false)));
                if (child == null) {
                    continue;
                }
                if (child.has(List.of())) {
                    a.remove(i);
                } else {
                    remove(a.get(i), child, spath, false);
                }
            }
        }
    }

    // ---- values ----

    /** A deep copy without null object fields (what a typed object keeps of a value). */
    static JsonNode clean(JsonNode v) {
        if (v instanceof ObjectNode o) {
            ObjectNode out = NODES.objectNode();
            o.fields().forEachRemaining(e -> {
                if (!e.getValue().isNull()) {
                    out.set(e.getKey(), clean(e.getValue()));
                }
            });
            return out;
        }
        if (v instanceof ArrayNode a) {
            ArrayNode out = NODES.arrayNode();
            a.forEach(e -> out.add(clean(e)));
            return out;
        }
        return v;
    }

    /** Deep equality with numbers compared by value. */
    static boolean same(JsonNode a, JsonNode b) {
        if (a.isNumber() && b.isNumber()) {
            return a.decimalValue().compareTo(b.decimalValue()) == 0;
        }
        if (a.isObject() && b.isObject()) {
            if (a.size() != b.size()) {
                return false;
            }
            Iterator<Map.Entry<String, JsonNode>> it = a.fields();
            while (it.hasNext()) {
                Map.Entry<String, JsonNode> e = it.next();
                JsonNode o = b.get(e.getKey());
                if (o == null || !same(e.getValue(), o)) {
                    return false;
                }
            }
            return true;
        }
        if (a.isArray() && b.isArray()) {
            if (a.size() != b.size()) {
                return false;
            }
            for (int i = 0; i < a.size(); i++) {
                if (!same(a.get(i), b.get(i))) {
                    return false;
                }
            }
            return true;
        }
        return a.equals(b);
    }

    /** Integral numbers as integers, so 80 and 80.0 make the same key. */
    private static JsonNode normalize(JsonNode v) {
        if (v.isNumber() && !v.isIntegralNumber()) {
            BigDecimal d = v.decimalValue();
            if (d.stripTrailingZeros().scale() <= 0) {
                return NODES.numberNode(d.toBigIntegerExact());
            }
        }
        return v;
    }

    static String json(JsonNode v) {
        try {
            return Objects.JSON.writeValueAsString(v);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    private static List<String> fieldNames(ObjectNode o) {
        List<String> out = new ArrayList<>();
        o.fieldNames().forEachRemaining(out::add);
        return out;
    }
}
