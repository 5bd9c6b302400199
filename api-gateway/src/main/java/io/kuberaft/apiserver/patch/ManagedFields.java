package io.kuberaft.apiserver.patch;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.kuberaft.apiserver.registry.ResourceDefinition;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code metadata.managedFields}: which manager owns which fields, per (manager, operation, apiVersion for
 * updates, subresource). Decoding, encoding in upstream's order, the fields never tracked, and the cap of ten
 * Update entries.
 */
public final class ManagedFields {
    public static final String APPLY = "Apply";
    public static final String UPDATE = "Update";
    static final int MAX_UPDATE_MANAGERS = 10;
    static final String ANCIENT_CHANGES = "ancient-changes";

    private ManagedFields() {
    }

    /** One managedFields entry. {@code time} may be null. */
    public record Entry(String manager, String operation, String apiVersion, String time, String subresource, FieldSet fields) {
        /** The identity upstream keys entries by (BuildManagerIdentifier): appliers are one entry whatever the version. */
        public String id() {
            return identifier(manager, operation, operation.equals(APPLY) ? "" : apiVersion, subresource);
        }

        Entry withFields(FieldSet f) {
            return new Entry(manager, operation, apiVersion, time, subresource, f);
        }

        Entry withTime(String t) {
            return new Entry(manager, operation, apiVersion, t, subresource, fields);
        }

        /** How conflicts name the manager: {@code "kubectl-client-side-apply" using apps/v1}. */
        String printable() {
            String s = "\"" + manager + "\"";
            if (subresource != null && !subresource.isEmpty()) {
                s += " with subresource \"" + subresource + "\"";
            }
            if (operation.equals(UPDATE)) {
                s += " using " + apiVersion;
            }
            return s;
        }
    }

    /** The JSON identifier upstream sorts managers by in conflict messages. */
    static String identifier(String manager, String operation, String apiVersion, String subresource) {
        ObjectNode o = JsonNodeFactory.instance.objectNode();
        if (manager != null && !manager.isEmpty()) {
            o.put("manager", manager);
        }
        if (operation != null && !operation.isEmpty()) {
            o.put("operation", operation);
        }
        if (apiVersion != null && !apiVersion.isEmpty()) {
            o.put("apiVersion", apiVersion);
        }
        if (subresource != null && !subresource.isEmpty()) {
            o.put("subresource", subresource);
        }
        return o.toString();
    }

    /**
     * The entries of an object, keyed by identity (same identity: fields united).
     *
     * @throws IllegalArgumentException when managedFields is malformed
     */
    public static Map<String, Entry> decode(JsonNode obj) {
        Map<String, Entry> out = new LinkedHashMap<>();
        JsonNode mf = obj == null ? null : obj.path("metadata").get("managedFields");
        if (mf == null || mf.isNull()) {
            return out;
        }
        if (!mf.isArray()) {
            throw new IllegalArgumentException("managedFields must be a list");
        }
        for (JsonNode e : mf) {
            if (!e.isObject()) {
                throw new IllegalArgumentException("managedFields entries must be objects");
            }
            String type = e.path("fieldsType").asText("");
            if (!type.isEmpty() && !type.equals("FieldsV1")) {
                throw new IllegalArgumentException("invalid fieldsType \"" + type + "\"");
            }
            String op = e.path("operation").asText("");
            if (!op.isEmpty() && !op.equals(APPLY) && !op.equals(UPDATE)) {
                throw new IllegalArgumentException("invalid operation \"" + op + "\"");
            }
            FieldSet fields = FieldSet.fromFieldsV1(e.get("fieldsV1"));
            if (fields.isEmpty()) {
                continue; // includes the documented reset value [{}]
            }
            Entry entry = new Entry(e.path("manager").asText(""), op, e.path("apiVersion").asText(""),
                    e.hasNonNull("time") ? e.get("time").asText() : null, e.path("subresource").asText(""), fields);
            out.merge(entry.id(), entry, (a, b) -> a.withFields(a.fields().union(b.fields())));
        }
        return out;
    }

    /** Decoding that treats malformed managedFields as none. */
    static Map<String, Entry> decodeOrEmpty(JsonNode obj) {
        try {
            return decode(obj);
        } catch (IllegalArgumentException e) {
            return new LinkedHashMap<>();
        }
    }

    /** Writes the entries into {@code obj}'s metadata in upstream's order (Apply first, then by time, manager). */
    public static void encode(ObjectNode obj, Map<String, Entry> entries) {
        List<Entry> list = new ArrayList<>();
        for (Entry e : entries.values()) {
            if (!e.fields().isEmpty()) {
                list.add(e);
            }
        }
        list.sort(Comparator.comparing(Entry::operation)
                .thenComparing(e -> e.time() == null ? "" : e.time())
                .thenComparing(Entry::manager)
                .thenComparing(e -> e.apiVersion() == null ? "" : e.apiVersion())
                .thenComparing(e -> e.subresource() == null ? "" : e.subresource()));
        ObjectNode meta = obj.get("metadata") instanceof ObjectNode m ? m : obj.putObject("metadata");
        if (list.isEmpty()) {
            meta.remove("managedFields");
            return;
        }
        ArrayNode arr = meta.putArray("managedFields");
        for (Entry e : list) {
            ObjectNode o = arr.addObject();
            if (!e.manager().isEmpty()) {
                o.put("manager", e.manager());
            }
            o.put("operation", e.operation());
            if (e.apiVersion() != null && !e.apiVersion().isEmpty()) {
                o.put("apiVersion", e.apiVersion());
            }
            if (e.time() != null) {
                o.put("time", e.time());
            }
            o.put("fieldsType", "FieldsV1");
            o.set("fieldsV1", e.fields().toFieldsV1());
            if (e.subresource() != null && !e.subresource().isEmpty()) {
                o.put("subresource", e.subresource());
            }
        }
    }

    /** A copy of the object without managedFields: what ownership is computed over. */
    static ObjectNode body(JsonNode obj) {
        ObjectNode copy = obj == null ? JsonNodeFactory.instance.objectNode() : (ObjectNode) obj.deepCopy();
        if (copy.get("metadata") instanceof ObjectNode m) {
            m.remove("managedFields");
        }
        return copy;
    }

    private static final List<String> STRIPPED_META = List.of("name", "namespace", "creationTimestamp", "selfLink", "uid",
            "clusterName", "generation", "managedFields", "resourceVersion");

    /**
     * Removes what is never owned: apiVersion, kind, server-set metadata (upstream's stripMeta) and the fields
     * the endpoint resets — status on the main resource of a kind with a status subresource, everything
     * but status on the status subresource.
     */
    static FieldSet untracked(FieldSet s, ResourceDefinition def, String subresource) {
        FieldSet out = s.copy();
        out.removeSubtree(List.of("f:apiVersion"));
        out.removeSubtree(List.of("f:kind"));
        out.removeMember(List.of("f:metadata"));
        for (String f : STRIPPED_META) {
            out.removeSubtree(List.of("f:metadata", "f:" + f));
        }
        if ("status".equals(subresource)) {
            FieldSet status = out.get(List.of("f:status"));
            out = new FieldSet();
            if (status != null) {
                out.node(List.of("f:status")).addAll(status);
            }
        } else if (def.hasSubresource("status")) {
            out.removeSubtree(List.of("f:status"));
        }
        return out;
    }

    /** Upstream keeps at most ten Update entries: the oldest merge into "ancient-changes". */
    static void capUpdateManagers(Map<String, Entry> entries) {
        List<Entry> updaters = new ArrayList<>();
        for (Entry e : entries.values()) {
            if (e.operation().equals(UPDATE)) {
                updaters.add(e);
            }
        }
        if (updaters.size() <= MAX_UPDATE_MANAGERS) {
            return;
        }
        updaters.sort(Comparator.comparing(e -> e.time() == null ? "" : e.time()));
        int count = updaters.size();
        for (Entry e : updaters) {
            if (count <= MAX_UPDATE_MANAGERS) {
                break;
            }
            if (e.manager().equals(ANCIENT_CHANGES)) {
                continue;
            }
            entries.remove(e.id());
            Entry bucket = new Entry(ANCIENT_CHANGES, UPDATE, e.apiVersion(), e.time(), e.subresource(), e.fields());
            Entry existing = entries.get(bucket.id());
            if (existing != null) {
                entries.put(bucket.id(), existing.withFields(existing.fields().union(e.fields())).withTime(e.time()));
                count--;
            } else {
                entries.put(bucket.id(), bucket);
            }
        }
    }
}
