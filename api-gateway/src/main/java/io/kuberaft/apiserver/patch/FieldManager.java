package io.kuberaft.apiserver.patch;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.kuberaft.apiserver.registry.GenericRegistry;
import io.kuberaft.apiserver.registry.Objects;
import io.kuberaft.apiserver.registry.ResourceDefinition;

import java.util.Map;

/**
 * Tracks field ownership of ordinary writes (operation Update): creates, updates and non-apply patches.
 * Installed into {@link GenericRegistry} as its managed-fields hook, which calls it for every write after the
 * strategy prepared the object. Server-side apply computes its own managedFields ({@link ServerSideApply}) and
 * marks its result so the hook leaves it alone.
 */
public final class FieldManager implements GenericRegistry.ManagedFieldsHook {
    /** The object an apply patch produced on this thread, whose managedFields are final. */
    private static final ThreadLocal<ObjectNode> APPLIED = new ThreadLocal<>();

    private final PatchMeta meta;

    public FieldManager(PatchMeta meta) {
        this.meta = meta;
    }

    private static boolean sameButManagedFields(ObjectNode a, ObjectNode b) {
        ObjectNode x = a.deepCopy();
        ObjectNode y = b.deepCopy();
        for (ObjectNode o : new ObjectNode[] {x, y}) {
            if (o.get("metadata") instanceof ObjectNode m) {
                m.remove("managedFields");
                m.remove("resourceVersion");
            }
        }
        return io.kuberaft.apiserver.registry.Objects.sameJson(x, y);
    }

    static void markApplied(ObjectNode result) {
        APPLIED.set(result);
    }

    static void clearApplied() {
        APPLIED.remove();
    }

    /**
     * The manager of a request without {@code ?fieldManager=}: the User-Agent up to its first "/", as upstream
     * ("kubectl/v1.32.4 (linux/amd64) kubernetes/…" → "kubectl"), at most 128 characters.
     */
    public static String managerFromUserAgent(String userAgent) {
        if (userAgent == null) {
            return "";
        }
        int slash = userAgent.indexOf('/');
        String p = slash < 0 ? userAgent : userAgent.substring(0, slash);
        return p.length() > 128 ? p.substring(0, 128) : p;
    }

    @Override
    public void track(ResourceDefinition def, ObjectNode old, ObjectNode desired, ObjectNode next, String fieldManager, boolean statusOnly) {
        if (desired != null && APPLIED.get() == desired) {
            APPLIED.remove();
            if (next != desired) {
                copyManagedFields(desired, next);
            }
            return;
        }
        APPLIED.remove();
        JsonNode sentFields = desired == null ? null : desired.path("metadata").get("managedFields");
        boolean resetsFields = sentFields != null && !io.kuberaft.apiserver.registry.Objects.sameJson(sentFields,
                old == null ? com.fasterxml.jackson.databind.node.MissingNode.getInstance() : old.path("metadata").path("managedFields"));
        if (old != null && !resetsFields && sameButManagedFields(next, old)) {
            // An update that changes nothing owns nothing new (upstream): the write becomes a no-op.
            copyManagedFields(old, next);
            return;
        }
        String subresource = statusOnly ? "status" : null;
        // Managed fields the client sent are honoured (that is how they are reset or migrated); else the stored ones.
        Map<String, ManagedFields.Entry> managers = null;
        JsonNode sent = desired == null ? null : desired.path("metadata").get("managedFields");
        if (sent != null && sent.isArray() && !sent.isEmpty()) {
            try {
                managers = ManagedFields.decode(desired);
            } catch (IllegalArgumentException e) {
                managers = null;
            }
        }
        if (managers == null) {
            managers = ManagedFields.decodeOrEmpty(old);
        }
        Structured s = new Structured(new PatchMeta.Kind(meta, def.group(), def.kind()));
        Structured.Comparison cmp = s.compare(ManagedFields.body(old), ManagedFields.body(next), true)
                .map(f -> ManagedFields.untracked(f, def, subresource));
        FieldSet changed = cmp.changed();
        managers.replaceAll((id, e) -> e.withFields(e.fields().difference(changed).difference(cmp.removed())));
        if (!changed.isEmpty()) {
            String manager = fieldManager == null ? "" : fieldManager;
            ManagedFields.Entry self = new ManagedFields.Entry(manager, ManagedFields.UPDATE, def.apiVersion(), Objects.now(),
                    subresource == null ? "" : subresource, changed);
            ManagedFields.Entry prev = managers.get(self.id());
            managers.put(self.id(), prev == null ? self : self.withFields(prev.fields().union(changed)));
        }
        managers.values().removeIf(e -> e.fields().isEmpty());
        ManagedFields.capUpdateManagers(managers);
        ManagedFields.encode(next, managers);
    }

    private static void copyManagedFields(ObjectNode from, ObjectNode to) {
        JsonNode mf = from.path("metadata").get("managedFields");
        ObjectNode meta = Objects.meta(to);
        if (mf == null) {
            meta.remove("managedFields");
        } else {
            meta.set("managedFields", mf.deepCopy());
        }
    }
}
