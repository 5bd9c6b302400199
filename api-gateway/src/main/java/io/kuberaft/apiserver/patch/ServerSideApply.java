package io.kuberaft.apiserver.patch;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.kuberaft.apiserver.registry.Objects;
import io.kuberaft.apiserver.registry.ResourceDefinition;
import io.kuberaft.kubeapi.StatusException;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Server-side apply (upstream's fieldmanager over structured-merge-diff's Updater.Apply): merge the applied
 * configuration into the live object, take ownership of its fields, remove what this manager applied last
 * time and no manager owns any more, and refuse to change fields other managers own (409) unless forced.
 * kubectl's default manager "kubectl" may take over fields of client-side apply whose values still match the
 * last-applied-configuration annotation, and keeps that annotation up to date, as upstream.
 */
public final class ServerSideApply {
    public static final String LAST_APPLIED = "kubectl.kubernetes.io/last-applied-configuration";
    private static final String KUBECTL = "kubectl";

    private ServerSideApply() {
    }

    /**
     * @param live        the current object (for create-on-apply: kind, apiVersion, name and namespace only)
     * @param subresource "status" or null
     * @return the object to store, with its managedFields
     */
    public static ObjectNode apply(ResourceDefinition def, PatchMeta meta, ObjectNode live, ObjectNode config,
                                   String manager, boolean force, String subresource) {
        String version = config.path("apiVersion").asText("");
        if (!version.equals(def.apiVersion())) {
            throw StatusException.badRequest("Incorrect version specified in apply patch. Specified patch version: "
                    + version + ", expected: " + def.apiVersion());
        }
        if (config.path("metadata").has("managedFields") && !config.path("metadata").get("managedFields").isNull()) {
            throw StatusException.badRequest("metadata.managedFields must be nil");
        }
        Structured s = new Structured(new PatchMeta.Kind(meta, def.group(), def.kind()));
        Map<String, ManagedFields.Entry> managers;
        try {
            managers = ManagedFields.decode(live);
        } catch (IllegalArgumentException e) {
            throw StatusException.internal("failed to decode managed fields: " + e.getMessage());
        }
        ObjectNode liveBody = ManagedFields.body(live);
        FieldSet configFull = s.toFieldSet(config, true);
        ObjectNode merged = (ObjectNode) s.merge(liveBody, config, "", true);

        String sub = subresource == null ? "" : subresource;
        ManagedFields.Entry self = new ManagedFields.Entry(manager, ManagedFields.APPLY, def.apiVersion(), null, sub,
                ManagedFields.untracked(configFull, def, subresource));
        ManagedFields.Entry last = managers.get(self.id());

        // Prune: what this manager applied last time, does not apply now, and nobody else owns.
        if (last != null && !last.fields().isEmpty()) {
            FieldSet owned = configFull.copy();
            managers.forEach((id, e) -> {
                if (!id.equals(self.id())) {
                    owned.addAll(e.fields());
                }
            });
            FieldSet toRemove = last.fields().ensureNamedFieldsAreMembers().difference(owned.ensureNamedFieldsAreMembers());
            merged = (ObjectNode) s.removeItems(merged, toRemove);
        }

        Structured.Comparison cmp = s.compare(liveBody, merged, false).map(f -> ManagedFields.untracked(f, def, subresource));
        FieldSet changed = cmp.changed();
        Map<String, FieldSet> conflicts = new TreeMap<>();
        managers.forEach((id, e) -> {
            if (!id.equals(self.id())) {
                FieldSet c = e.fields().intersection(changed);
                if (!c.isEmpty()) {
                    conflicts.put(id, c);
                }
            }
        });
        if (!conflicts.isEmpty() && !force) {
            Map<String, FieldSet> remaining = conflicts;
            if (manager.equals(KUBECTL)) {
                FieldSet allowed = allowedFromLastApplied(s, def, liveBody);
                if (allowed != null) {
                    remaining = new TreeMap<>();
                    for (Map.Entry<String, FieldSet> c : conflicts.entrySet()) {
                        FieldSet left = new FieldSet();
                        for (List<String> p : c.getValue().paths()) {
                            if (!allowed.has(p)) {
                                left.insert(p);
                            }
                        }
                        if (!left.isEmpty()) {
                            remaining.put(c.getKey(), left);
                        }
                    }
                }
            }
            if (!remaining.isEmpty()) {
                throw conflictError(remaining, managers);
            }
        }
        Map<String, ManagedFields.Entry> next = new LinkedHashMap<>();
        managers.forEach((id, e) -> {
            if (!id.equals(self.id())) {
                FieldSet f = e.fields().difference(conflicts.getOrDefault(id, new FieldSet())).difference(cmp.removed());
                next.put(id, e.withFields(f));
            }
        });
        boolean objectChanged = !Structured.same(liveBody, merged);
        String time = objectChanged || last == null || last.time() == null ? Objects.now() : last.time();
        next.put(self.id(), self.withTime(time));

        if (manager.equals(KUBECTL) && merged.path("metadata").path("annotations").has(LAST_APPLIED)) {
            ((ObjectNode) merged.get("metadata").get("annotations")).put(LAST_APPLIED, lastAppliedOf(config));
        }
        ManagedFields.encode(merged, next);
        return merged;
    }

    /**
     * Fields client-side apply set that still have the values of the last-applied-configuration: kubectl's
     * server-side apply may take them over without a conflict. Null when there is no usable annotation.
     */
    private static FieldSet allowedFromLastApplied(Structured s, ResourceDefinition def, ObjectNode liveBody) {
        String text = liveBody.path("metadata").path("annotations").path(LAST_APPLIED).asText("");
        if (text.isEmpty()) {
            return null;
        }
        JsonNode lastApplied;
        try {
            lastApplied = Objects.JSON.readTree(text);
        } catch (Exception e) {
            return null;
        }
        if (!(lastApplied instanceof ObjectNode) || !lastApplied.path("apiVersion").asText("").equals(def.apiVersion())) {
            return null;
        }
        try {
            FieldSet set = s.toFieldSet(lastApplied, false);
            Structured.Comparison cmp = s.compare(lastApplied, liveBody, false);
            return set.difference(cmp.modified()).difference(cmp.added()).difference(cmp.removed());
        } catch (StatusException e) {
            return null;
        }
    }

    /** The 409 upstream answers: {@code Apply failed with 1 conflict: conflict with "m" using apps/v1: .spec.replicas}. */
    static StatusException conflictError(Map<String, FieldSet> conflicts, Map<String, ManagedFields.Entry> managers) {
        List<StatusException.Cause> causes = new ArrayList<>();
        List<String> lines = new ArrayList<>();
        int count = 0;
        String single = null;
        for (Map.Entry<String, FieldSet> c : conflicts.entrySet()) {
            String who = managers.get(c.getKey()).printable();
            lines.add("conflicts with " + who + ":");
            for (List<String> p : c.getValue().paths()) {
                String path = FieldSet.pathString(p);
                causes.add(new StatusException.Cause("FieldManagerConflict", "conflict with " + who, path));
                lines.add("- " + path);
                single = "conflict with " + who + ": " + path;
                count++;
            }
        }
        String message = count == 1 ? "Apply failed with 1 conflict: " + single
                : "Apply failed with " + count + " conflicts: " + String.join("\n", lines);
        return new StatusException(409, "Conflict", message, null, null, null, causes, null);
    }

    /** The annotation value upstream writes: the configuration without the annotation, keys sorted, newline-terminated. */
    static String lastAppliedOf(ObjectNode config) {
        ObjectNode copy = config.deepCopy();
        if (copy.path("metadata").path("annotations") instanceof ObjectNode a) {
            a.remove(LAST_APPLIED);
            if (a.isEmpty()) {
                ((ObjectNode) copy.get("metadata")).remove("annotations");
            }
        }
        return Structured.json(sorted(copy)) + "\n";
    }

    private static JsonNode sorted(JsonNode v) {
        if (v instanceof ObjectNode o) {
            TreeMap<String, JsonNode> m = new TreeMap<>();
            Iterator<Map.Entry<String, JsonNode>> it = o.fields();
            while (it.hasNext()) {
                Map.Entry<String, JsonNode> e = it.next();
                m.put(e.getKey(), sorted(e.getValue()));
            }
            ObjectNode out = JsonNodeFactory.instance.objectNode();
            m.forEach(out::set);
            return out;
        }
        if (v.isArray()) {
            var out = JsonNodeFactory.instance.arrayNode();
            v.forEach(e -> out.add(sorted(e)));
            return out;
        }
        return v;
    }
}
