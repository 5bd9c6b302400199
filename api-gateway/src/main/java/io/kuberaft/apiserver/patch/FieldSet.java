package io.kuberaft.apiserver.patch;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.kuberaft.apiserver.registry.Objects;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Consumer;

/**
 * A set of field paths, as structured-merge-diff's {@code fieldpath.Set} and its FieldsV1 form in
 * {@code metadata.managedFields}. A path is a list of elements: {@code f:<field>}, {@code k:<json of the key
 * fields>} (an item of a list keyed by fields), {@code v:<json value>} (an item of a set), {@code i:<index>}.
 * A node is a member when the path itself is in the set ({@code ".": {}} in FieldsV1 when it also has children).
 * Mutable; the set operations return new sets.
 */
public final class FieldSet {
    /** SMD's order of path elements: fields, then keys, values, indices; each by value. */
    static final Comparator<String> ORDER = Comparator.comparingInt(FieldSet::rank).thenComparing((a, b) -> {
        if (a.startsWith("i:") && b.startsWith("i:")) {
            return Long.compare(parseIndex(a), parseIndex(b));
        }
        return a.compareTo(b);
    });

    private boolean member;
    private final TreeMap<String, FieldSet> children = new TreeMap<>(ORDER);

    private static int rank(String pe) {
        return switch (pe.isEmpty() ? ' ' : pe.charAt(0)) {
            case 'f' -> 0;
            case 'k' -> 1;
            case 'v' -> 2;
            case 'i' -> 3;
            default -> 4;
        };
    }

    private static long parseIndex(String pe) {
        try {
            return Long.parseLong(pe.substring(2));
        } catch (NumberFormatException e) {
            return Long.MAX_VALUE;
        }
    }

    public FieldSet() {
    }

    @SafeVarargs
    public static FieldSet of(List<String>... paths) {
        FieldSet s = new FieldSet();
        for (List<String> p : paths) {
            s.insert(p);
        }
        return s;
    }

    public void insert(List<String> path) {
        node(path).member = true;
    }

    /** The node at path, created if missing. */
    FieldSet node(List<String> path) {
        FieldSet n = this;
        for (String pe : path) {
            n = n.children.computeIfAbsent(pe, k -> new FieldSet());
        }
        return n;
    }

    /** The node at path, or null. */
    FieldSet get(List<String> path) {
        FieldSet n = this;
        for (String pe : path) {
            n = n.children.get(pe);
            if (n == null) {
                return null;
            }
        }
        return n;
    }

    public boolean has(List<String> path) {
        FieldSet n = get(path);
        return n != null && n.member;
    }

    public boolean isEmpty() {
        if (member) {
            return false;
        }
        for (FieldSet c : children.values()) {
            if (!c.isEmpty()) {
                return false;
            }
        }
        return true;
    }

    /** Removes the subtree at path (SMD's RecursiveDifference with one path). */
    public void removeSubtree(List<String> path) {
        if (path.isEmpty()) {
            member = false;
            children.clear();
            return;
        }
        FieldSet parent = get(path.subList(0, path.size() - 1));
        if (parent != null) {
            parent.children.remove(path.get(path.size() - 1));
        }
    }

    /** Un-marks one path, keeping its children. */
    public void removeMember(List<String> path) {
        FieldSet n = get(path);
        if (n != null) {
            n.member = false;
        }
    }

    public FieldSet copy() {
        FieldSet c = new FieldSet();
        c.member = member;
        children.forEach((k, v) -> c.children.put(k, v.copy()));
        return c;
    }

    public FieldSet union(FieldSet o) {
        FieldSet out = copy();
        out.addAll(o);
        return out;
    }

    public void addAll(FieldSet o) {
        member |= o.member;
        o.children.forEach((k, v) -> children.computeIfAbsent(k, x -> new FieldSet()).addAll(v));
    }

    /** Members of this set not in {@code o} (member-wise: a member of o does not remove this set's children). */
    public FieldSet difference(FieldSet o) {
        FieldSet out = new FieldSet();
        out.member = member && !o.member;
        children.forEach((k, v) -> {
            FieldSet oc = o.children.get(k);
            FieldSet d = oc == null ? v.copy() : v.difference(oc);
            if (!d.isEmpty()) {
                out.children.put(k, d);
            }
        });
        return out;
    }

    public FieldSet intersection(FieldSet o) {
        FieldSet out = new FieldSet();
        out.member = member && o.member;
        children.forEach((k, v) -> {
            FieldSet oc = o.children.get(k);
            if (oc != null) {
                FieldSet i = v.intersection(oc);
                if (!i.isEmpty()) {
                    out.children.put(k, i);
                }
            }
        });
        return out;
    }

    /** Every named field ({@code f:}) on a path of the set becomes a member too (SMD's EnsureNamedFieldsAreMembers). */
    public FieldSet ensureNamedFieldsAreMembers() {
        FieldSet out = copy();
        out.markNamed();
        return out;
    }

    private void markNamed() {
        children.forEach((k, v) -> {
            if (k.startsWith("f:") && !v.isEmpty()) {
                v.member = true;
            }
            v.markNamed();
        });
    }

    /** Calls {@code fn} with every member path, in SMD's order. */
    public void forEachPath(Consumer<List<String>> fn) {
        walk(new ArrayList<>(), fn);
    }

    private void walk(List<String> prefix, Consumer<List<String>> fn) {
        if (member) {
            fn.accept(List.copyOf(prefix));
        }
        children.forEach((k, v) -> {
            prefix.add(k);
            v.walk(prefix, fn);
            prefix.remove(prefix.size() - 1);
        });
    }

    public List<List<String>> paths() {
        List<List<String>> out = new ArrayList<>();
        forEachPath(out::add);
        return out;
    }

    // ---- FieldsV1 ----

    /** The FieldsV1 JSON form: {"f:spec":{"f:replicas":{}},"f:metadata":{"f:labels":{".":{},"f:app":{}}}}. */
    public ObjectNode toFieldsV1() {
        ObjectNode o = JsonNodeFactory.instance.objectNode();
        if (member && !children.isEmpty()) {
            o.putObject(".");
        }
        children.forEach((k, v) -> {
            if (!v.isEmpty()) {
                o.set(k, v.toFieldsV1());
            }
        });
        return o;
    }

    /** Parses FieldsV1; {@link IllegalArgumentException} when malformed. */
    public static FieldSet fromFieldsV1(JsonNode json) {
        FieldSet root = new FieldSet();
        if (json == null || json.isNull()) {
            return root;
        }
        if (!json.isObject()) {
            throw new IllegalArgumentException("FieldsV1 must be an object");
        }
        parseInto(root, json, true);
        return root;
    }

    private static void parseInto(FieldSet node, JsonNode json, boolean root) {
        if (!json.isObject()) {
            throw new IllegalArgumentException("FieldsV1 node must be an object: " + json);
        }
        if (json.isEmpty() && !root) {
            node.member = true;
            return;
        }
        Iterator<Map.Entry<String, JsonNode>> it = json.fields();
        while (it.hasNext()) {
            Map.Entry<String, JsonNode> e = it.next();
            String k = e.getKey();
            if (k.equals(".")) {
                node.member = true;
                continue;
            }
            validateElement(k);
            FieldSet child = node.children.computeIfAbsent(k, x -> new FieldSet());
            parseInto(child, e.getValue(), false);
        }
    }

    private static void validateElement(String pe) {
        if (pe.length() < 2 || pe.charAt(1) != ':' || "fkvi".indexOf(pe.charAt(0)) < 0) {
            throw new IllegalArgumentException("unknown path element: " + pe);
        }
        try {
            switch (pe.charAt(0)) {
                case 'k' -> {
                    if (!Objects.JSON.readTree(pe.substring(2)).isObject()) {
                        throw new IllegalArgumentException("key path element must be an object: " + pe);
                    }
                }
                case 'v' -> Objects.JSON.readTree(pe.substring(2));
                case 'i' -> Integer.parseInt(pe.substring(2));
                default -> {
                }
            }
        } catch (IllegalArgumentException e) {
            throw e;
        } catch (Exception e) {
            throw new IllegalArgumentException("malformed path element " + pe + ": " + e.getMessage());
        }
    }

    // ---- printing ----

    /** SMD's path string: {@code .spec.template.spec.containers[name="web"].image}. */
    public static String pathString(List<String> path) {
        StringBuilder b = new StringBuilder();
        for (String pe : path) {
            String rest = pe.substring(2);
            switch (pe.charAt(0)) {
                case 'f' -> b.append('.').append(rest);
                case 'k' -> {
                    b.append('[');
                    try {
                        JsonNode key = Objects.JSON.readTree(rest);
                        List<String> parts = new ArrayList<>();
                        key.fields().forEachRemaining(e -> parts.add(e.getKey() + "=" + e.getValue().toString()));
                        b.append(String.join(",", parts));
                    } catch (Exception e) {
                        b.append(rest);
                    }
                    b.append(']');
                }
                case 'v' -> b.append("[=").append(rest).append(']');
                case 'i' -> b.append('[').append(rest).append(']');
                default -> b.append(pe);
            }
        }
        return b.toString();
    }

    @Override
    public String toString() {
        return toFieldsV1().toString();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof FieldSet s && toFieldsV1().equals(s.toFieldsV1());
    }

    @Override
    public int hashCode() {
        return toFieldsV1().hashCode();
    }
}
