package io.kuberaft.apiserver.registry;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.kuberaft.apiserver.admission.AdmissionChain;
import io.kuberaft.apiserver.admission.AdmissionPlugin.Operation;
import io.kuberaft.kubeapi.StatusException;
import io.kuberaft.raftstore.ReadConsistency;

import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.function.UnaryOperator;

/**
 * Kubernetes' generic registry store: the fixed sequence around every write (metadata, strategy,
 * validation, admission, store) shared by every kind, so a kind only brings its strategy.
 */
public final class GenericRegistry {
    private static final String NAME_CHARS = "bcdfghjklmnpqrstvwxz2456789";
    private static final int MAX_CONFLICT_RETRIES = 16;
    private final SecureRandom random = new SecureRandom();
    private final ResourceStore store;
    private final AdmissionChain admission;

    /** The admission chain, for plugins that need what only the server has (its service account key). */
    public AdmissionChain admission() {
        return admission;
    }

    public GenericRegistry(ResourceStore store, AdmissionChain admission) {
        this.store = store;
        this.admission = admission;
    }

    public ResourceStore store() {
        return store;
    }

    /**
     * Hook that maintains metadata.managedFields (field ownership for server-side apply), called on every
     * create and update after the strategy prepared the object and before validation and admission.
     * {@code old} is null on create; {@code desired} is what the request asked for, {@code next} what will be
     * stored (they differ on the status subresource). Installed by the patch package; a no-op otherwise.
     */
    public interface ManagedFieldsHook {
        void track(ResourceDefinition def, ObjectNode old, ObjectNode desired, ObjectNode next, String fieldManager, boolean statusOnly);
    }

    private volatile ManagedFieldsHook managedFields = (def, old, desired, next, fieldManager, statusOnly) -> { };

    public void managedFieldsHook(ManagedFieldsHook hook) {
        this.managedFields = hook;
    }

    /** Options every write takes. */
    public record WriteOptions(boolean dryRun, String fieldManager) {
        public static final WriteOptions DEFAULT = new WriteOptions(false, null);
    }

    private void checkKind(ResourceDefinition def, ObjectNode obj) {
        String kind = obj.path("kind").asText("");
        String apiVersion = obj.path("apiVersion").asText("");
        if (!kind.isEmpty() && !kind.equals(def.kind())) {
            throw StatusException.badRequest("the kind in the data (" + kind + ") does not match the expected kind (" + def.kind() + ")");
        }
        if (!apiVersion.isEmpty() && !apiVersion.equals(def.apiVersion())) {
            throw StatusException.badRequest("the API version in the data (" + apiVersion
                    + ") does not match the expected API version (" + def.apiVersion() + ")");
        }
        obj.put("kind", def.kind());
        obj.put("apiVersion", def.apiVersion());
    }

    private static void checkNamespace(ResourceDefinition def, String ns, ObjectNode obj) {
        ObjectNode meta = Objects.meta(obj);
        if (def.namespaced()) {
            String inObj = meta.path("namespace").asText("");
            if (!inObj.isEmpty() && !inObj.equals(ns)) {
                throw StatusException.badRequest("the namespace of the provided object does not match the namespace sent on the request");
            }
            meta.put("namespace", ns);
        } else {
            meta.remove("namespace");
        }
    }

    private String generateName(String base) {
        StringBuilder b = new StringBuilder(base.length() > 58 ? base.substring(0, 58) : base);
        for (int i = 0; i < 5; i++) {
            b.append(NAME_CHARS.charAt(random.nextInt(NAME_CHARS.length())));
        }
        return b.toString();
    }

    public ObjectNode create(ResourceDefinition def, String ns, ObjectNode request, WriteOptions opts) {
        checkKind(def, request);
        checkNamespace(def, ns, request);
        // As a read will return it (a version that keeps fields elsewhere, or defaults them in conversion).
        ObjectNode obj = def.conversion().normalize(def, request);
        ObjectNode meta = Objects.meta(obj);
        if (meta.path("name").asText("").isEmpty()) {
            String gen = meta.path("generateName").asText("");
            if (gen.isEmpty()) {
                throw StatusException.invalid(def.group(), def.kind(), "",
                        List.of(new StatusException.Cause("FieldValueRequired", "Required value: name or generateName is required", "metadata.name")));
            }
            meta.put("name", generateName(gen));
        }
        String name = meta.path("name").asText();
        meta.put("uid", UUID.randomUUID().toString());
        meta.put("creationTimestamp", Objects.now());
        meta.remove("resourceVersion");
        meta.remove("deletionTimestamp");
        meta.remove("deletionGracePeriodSeconds");
        if (def.strategy().generation() == ResourceStrategy.Generation.NONE) {
            meta.remove("generation");
        } else {
            meta.put("generation", 1);
        }
        def.strategy().prepareForCreate(def, obj);
        managedFields.track(def, null, request, obj, opts.fieldManager(), false);
        List<StatusException.Cause> causes = new ArrayList<>(Validation.objectMeta(def, obj));
        causes.addAll(def.strategy().validate(def, obj));
        if (!causes.isEmpty()) {
            throw StatusException.invalid(def.group(), def.kind(), name, causes);
        }
        def.strategy().canonicalize(def, obj);
        // Admission may add compares and writes (quota usage, cluster IPs) that commit in the object's own
        // txn; when another write got in between, admission runs again on a fresh copy and fresh reads.
        for (int attempt = 0; ; attempt++) {
            ObjectNode admitted = obj.deepCopy();
            StoreOps ops = admission.admit(Operation.CREATE, def, ns, admitted, null, attempt);
            if (opts.dryRun()) {
                return admitted;
            }
            try {
                return store.create(def, ns, name, admitted, ops);
            } catch (StoreOps.Conflict e) {
                if (attempt >= MAX_CONFLICT_RETRIES) {
                    throw e;
                }
                StoreOps.backoff(attempt);
            }
        }
    }

    /** Update admission and the store write, as {@link #create}: retried when an admission compare failed. */
    private ObjectNode admitAndUpdate(ResourceDefinition def, String ns, String name, ObjectNode next, ObjectNode old,
                                      WriteOptions opts) {
        for (int attempt = 0; ; attempt++) {
            ObjectNode admitted = next.deepCopy();
            StoreOps ops = admission.admit(Operation.UPDATE, def, ns, admitted, old, attempt);
            if (opts.dryRun()) {
                return admitted;
            }
            if (ops.isEmpty() && unchanged(admitted, old)) {
                // Upstream skips a write that changes nothing: same resourceVersion, no watch event
                // (`kubectl apply` prints "unchanged", `kubectl patch` "patched (no change)").
                return old;
            }
            try {
                ObjectNode out = store.update(def, ns, name, admitted, Objects.resourceVersion(old), ops);
                // The update that removed the last finalizer of a deleted object completes its delete (as upstream).
                finishIfFinalized(def, ns, out);
                return out;
            } catch (StoreOps.Conflict e) {
                if (attempt >= MAX_CONFLICT_RETRIES) {
                    throw e;
                }
                StoreOps.backoff(attempt);
            }
        }
    }

    /** Equal but for resourceVersion and the timestamps of managedFields entries (upstream ignores those too). */
    static boolean unchanged(ObjectNode next, ObjectNode old) {
        return Objects.sameJson(withoutVolatileMeta(next), withoutVolatileMeta(old));
    }

    private static ObjectNode withoutVolatileMeta(ObjectNode obj) {
        ObjectNode copy = obj.deepCopy();
        ObjectNode meta = Objects.meta(copy);
        meta.remove("resourceVersion");
        JsonNode mf = meta.get("managedFields");
        if (mf != null && mf.isArray()) {
            mf.forEach(e -> {
                if (e instanceof ObjectNode o) {
                    o.remove("time");
                }
            });
        }
        return copy;
    }

    /** Removes the object for good, with what admission releases in the same txn (quota usage, allocations). */
    private void remove(ResourceDefinition def, String ns, ObjectNode current) {
        for (int attempt = 0; ; attempt++) {
            StoreOps ops = admission.onRemove(def, ns, current, attempt);
            try {
                store.delete(def, ns, Objects.name(current), Objects.resourceVersion(current), ops);
                return;
            } catch (StoreOps.Conflict e) {
                if (attempt >= MAX_CONFLICT_RETRIES) {
                    throw e;
                }
                StoreOps.backoff(attempt);
            }
        }
    }

    /** PUT: replace the object (not its status, when it has a status subresource). */
    public ObjectNode update(ResourceDefinition def, String ns, String name, ObjectNode obj, WriteOptions opts) {
        checkKind(def, obj);
        checkNamespace(def, ns, obj);
        String bodyName = Objects.name(obj);
        if (!bodyName.isEmpty() && !bodyName.equals(name)) {
            throw StatusException.badRequest("the name of the object (" + bodyName + ") does not match the name on the URL (" + name + ")");
        }
        Objects.meta(obj).put("name", name);
        long rv = Objects.resourceVersion(obj);
        // An unconditional update (no resourceVersion) retries on conflict, as upstream's GuaranteedUpdate
        // without preconditions: a concurrent write to the object must not fail it with 409.
        for (int attempt = 0; ; attempt++) {
            ObjectNode old = store.getOrNull(def, ns, name, ReadConsistency.LINEARIZABLE);
            if (old == null) {
                if (def.strategy().allowCreateOnUpdate()) {
                    return create(def, ns, obj, opts);
                }
                throw StatusException.notFound(def.group(), def.plural(), name);
            }
            if (rv == 0 && !def.strategy().allowUnconditionalUpdate()) {
                throw StatusException.invalid(def.group(), def.kind(), name, List.of(new StatusException.Cause("FieldValueInvalid",
                        "Invalid value: 0x0: must be specified for an update", "metadata.resourceVersion")));
            }
            if (rv != 0 && rv != Objects.resourceVersion(old)) {
                throw StatusException.conflict(def.group(), def.plural(), name,
                        "the object has been modified; please apply your changes to the latest version and try again");
            }
            ObjectNode next = prepareUpdate(def, ns, obj.deepCopy(), old, false, opts);
            try {
                return admitAndUpdate(def, ns, name, next, old, opts);
            } catch (StatusException e) {
                if (e.code() != 409 || rv != 0 || attempt >= MAX_CONFLICT_RETRIES) {
                    throw e;
                }
                StoreOps.backoff(attempt);
            }
        }
    }

    /**
     * Read-modify-write with retries on conflict: PATCH and the status subresource. {@code fn} gets a
     * copy of the current object and returns the desired one.
     */
    public ObjectNode guaranteedUpdate(ResourceDefinition def, String ns, String name, boolean statusOnly,
                                       UnaryOperator<ObjectNode> fn, WriteOptions opts) {
        for (int attempt = 0; ; attempt++) {
            ObjectNode old = store.get(def, ns, name);
            ObjectNode desired = fn.apply(old.deepCopy());
            checkKind(def, desired);
            checkNamespace(def, ns, desired);
            if (!Objects.name(desired).equals(name)) {
                throw StatusException.badRequest("the name of the object (" + Objects.name(desired)
                        + ") does not match the name on the URL (" + name + ")");
            }
            long wantRv = Objects.resourceVersion(desired);
            if (wantRv != 0 && wantRv != Objects.resourceVersion(old)) {
                throw StatusException.conflict(def.group(), def.plural(), name,
                        "the object has been modified; please apply your changes to the latest version and try again");
            }
            ObjectNode next = prepareUpdate(def, ns, desired, old, statusOnly, opts);
            try {
                return admitAndUpdate(def, ns, name, next, old, opts);
            } catch (StatusException e) {
                // Retry from a fresh read: a desired object that named a resourceVersion of its own (a
                // patch or status PUT with a precondition) then fails the check above, as upstream;
                // one that did not (it carries the current one) is applied again.
                if (e.code() != 409 || attempt >= MAX_CONFLICT_RETRIES) {
                    throw e;
                }
            }
        }
    }

    private ObjectNode prepareUpdate(ResourceDefinition def, String ns, ObjectNode obj, ObjectNode old, boolean statusOnly,
                                     WriteOptions opts) {
        // Spec and status are told apart in the storage form, where every field is where it belongs (autoscaling/v1
        // keeps part of an HPA's spec and status in annotations).
        VersionConversion conversion = def.conversion();
        ObjectNode next;
        if (statusOnly) {
            // The status subresource changes status only: everything else stays as stored.
            next = conversion.toStorage(def, old).deepCopy();
            ObjectNode requested = conversion.toStorage(def, obj);
            setStatus(next, requested);
            def.strategy().prepareForStatusUpdate(next, requested, conversion.toStorage(def, old));
        } else {
            next = conversion.toStorage(def, obj);
            if (def.hasSubresource("status")) {
                setStatus(next, conversion.toStorage(def, old));
            }
        }
        next = conversion.fromStorage(def, next);
        ObjectNode meta = Objects.meta(next);
        ObjectNode oldMeta = Objects.meta(old);
        for (String immutable : List.of("uid", "creationTimestamp", "deletionTimestamp", "deletionGracePeriodSeconds")) {
            if (oldMeta.has(immutable)) {
                meta.set(immutable, oldMeta.get(immutable));
            } else {
                meta.remove(immutable);
            }
        }
        // clients cannot set the generation; only the kinds that keep one move it
        ResourceStrategy.Generation policy = def.strategy().generation();
        if (oldMeta.has("generation")) {
            meta.set("generation", oldMeta.get("generation"));
        } else {
            meta.remove("generation");
        }
        if (!statusOnly) {
            def.strategy().prepareForUpdate(def, next, old);
            if (policy != ResourceStrategy.Generation.NONE) {
                boolean status = def.hasSubresource("status");
                boolean changed = !java.util.Objects.equals(specOf(conversion.toStorage(def, next), status), specOf(conversion.toStorage(def, old), status))
                        || (policy == ResourceStrategy.Generation.SPEC_AND_ANNOTATIONS
                        && !java.util.Objects.equals(meta.path("annotations"), oldMeta.path("annotations")))
                        || (policy == ResourceStrategy.Generation.SPEC_AND_LABELS
                        && !java.util.Objects.equals(meta.path("labels"), oldMeta.path("labels")));
                if (changed) {
                    meta.put("generation", oldMeta.path("generation").asLong(0) + 1);
                }
            }
        }
        managedFields.track(def, old, obj, next, opts.fieldManager(), statusOnly);
        List<StatusException.Cause> causes = new ArrayList<>(Validation.objectMeta(def, next));
        causes.addAll(def.strategy().validateUpdate(def, next, old));
        if (!causes.isEmpty()) {
            throw StatusException.invalid(def.group(), def.kind(), Objects.name(next), causes);
        }
        def.strategy().canonicalize(def, next);
        return next;
    }

    /** {@code to} with the status of {@code from} (none when it has none). */
    private static void setStatus(ObjectNode to, ObjectNode from) {
        if (from.has("status")) {
            to.set("status", from.get("status"));
        } else {
            to.remove("status");
        }
    }

    /** Everything but metadata (and status, when it has its own subresource) of the storage form: a change here bumps metadata.generation. */
    private static JsonNode specOf(ObjectNode obj, boolean withoutStatus) {
        ObjectNode copy = obj.deepCopy();
        copy.remove("metadata");
        if (withoutStatus) {
            copy.remove("status");
        }
        return copy;
    }

    /**
     * Deletes: objects with finalizers (or bound pods with a grace period) are marked with a
     * deletionTimestamp and left for their finalizers / node agent; others go at once.
     *
     * @return the object as deleted (or as marked)
     */
    public ObjectNode delete(ResourceDefinition def, String ns, String name, long preconditionRv, String preconditionUid,
                             Long gracePeriodSeconds, String propagationPolicy, WriteOptions opts) {
        // As upstream's store: a write that lost a race with another writer (a controller updating the
        // status) is retried from a fresh read, the preconditions checked again each time; the client
        // sees 409 only when its own preconditions fail.
        for (int attempt = 0; ; attempt++) {
            ObjectNode current = store.get(def, ns, name);
            if (preconditionUid != null && !preconditionUid.equals(Objects.meta(current).path("uid").asText())) {
                throw StatusException.conflict(def.group(), def.plural(), name,
                        "Precondition failed: UID in precondition: " + preconditionUid + ", UID in object meta: "
                                + Objects.meta(current).path("uid").asText());
            }
            if (preconditionRv != 0 && preconditionRv != Objects.resourceVersion(current)) {
                throw StatusException.conflict(def.group(), def.plural(), name,
                        "Precondition failed: ResourceVersion in precondition: " + preconditionRv
                                + ", ResourceVersion in object meta: " + Objects.resourceVersion(current));
            }
            admission.admit(Operation.DELETE, def, ns, current, current);
            try {
                return deleteOnce(def, ns, name, current, gracePeriodSeconds, propagationPolicy, opts);
            } catch (StatusException e) {
                if (e.code() != 409 || attempt >= MAX_CONFLICT_RETRIES) {
                    throw e;
                }
                StoreOps.backoff(attempt);
            }
        }
    }

    private ObjectNode deleteOnce(ResourceDefinition def, String ns, String name, ObjectNode current, Long gracePeriodSeconds,
                                  String propagationPolicy, WriteOptions opts) {
        long grace = def.strategy().gracePeriodSeconds(current, gracePeriodSeconds);
        boolean finalizers = Objects.meta(current).path("finalizers").size() > 0;
        boolean foreground = "Foreground".equals(propagationPolicy);
        boolean orphan = "Orphan".equals(propagationPolicy);
        ObjectNode marked = current.deepCopy();
        boolean kindKeeps = def.strategy().keepOnDelete(marked);
        if (grace > 0 || finalizers || foreground || orphan || kindKeeps) {
            if (opts.dryRun()) {
                return current;
            }
            return store.update(def, ns, name, markDeleted(marked, grace, propagationPolicy), Objects.resourceVersion(current));
        }
        if (!opts.dryRun()) {
            remove(def, ns, current);
        }
        return current;
    }

    private static ObjectNode markDeleted(ObjectNode current, long grace, String policy) {
        ObjectNode next = current.deepCopy();
        ObjectNode meta = Objects.meta(next);
        if (!meta.has("deletionTimestamp")) {
            meta.put("deletionTimestamp", java.time.Instant.now().plusSeconds(grace)
                    .truncatedTo(java.time.temporal.ChronoUnit.SECONDS).toString());
            meta.put("deletionGracePeriodSeconds", grace);
        } else if (meta.has("deletionGracePeriodSeconds") && grace < meta.path("deletionGracePeriodSeconds").asLong()) {
            // as upstream's BeforeDelete: a later delete may only shorten the grace period (the kubelet's final
            // delete with 0 on a pod a finalizer holds; the object then goes once the finalizer does)
            long old = meta.path("deletionGracePeriodSeconds").asLong();
            meta.put("deletionTimestamp", java.time.Instant.parse(meta.path("deletionTimestamp").asText())
                    .minusSeconds(old).plusSeconds(grace).toString());
            meta.put("deletionGracePeriodSeconds", grace);
        }
        String finalizer = "Foreground".equals(policy) ? "foregroundDeletion" : "Orphan".equals(policy) ? "orphan" : null;
        if (finalizer != null) {
            var arr = meta.withArray("finalizers");
            boolean present = false;
            for (JsonNode f : arr) {
                present |= f.asText().equals(finalizer);
            }
            if (!present) {
                arr.add(finalizer);
            }
        }
        return next;
    }

    /** Finishes a delete once the last finalizer is gone (called by updates that empty them). */
    public boolean finishIfFinalized(ResourceDefinition def, String ns, ObjectNode stored) {
        ObjectNode meta = Objects.meta(stored);
        if (meta.has("deletionTimestamp") && meta.path("finalizers").size() == 0
                && meta.path("deletionGracePeriodSeconds").asLong(0) == 0 && !def.strategy().keepOnDelete(stored.deepCopy())) {
            try {
                remove(def, ns, stored);
                return true;
            } catch (StatusException e) {
                return false;
            }
        }
        return false;
    }
}
