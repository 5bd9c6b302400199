package io.kuberaft.apiserver.registry;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.google.protobuf.ByteString;
import io.etcd.jetcd.api.Compare;
import io.etcd.jetcd.api.DeleteRangeRequest;
import io.etcd.jetcd.api.Event;
import io.etcd.jetcd.api.KeyValue;
import io.etcd.jetcd.api.PutRequest;
import io.etcd.jetcd.api.RangeRequest;
import io.etcd.jetcd.api.RangeResponse;
import io.etcd.jetcd.api.RequestOp;
import io.etcd.jetcd.api.TxnRequest;
import io.etcd.jetcd.api.TxnResponse;
import io.etcd.jetcd.api.WatchCreateRequest;
import io.kuberaft.kubeapi.StatusException;
import io.kuberaft.raftstore.ReadConsistency;
import io.kuberaft.raftstore.Watch;
import io.kuberaft.raftstore.WatchListener;
import io.kuberaft.raftstore.WatchableKvStore;
import io.kuberaft.raftstore.errors.ErrorCode;
import io.kuberaft.raftstore.errors.StoreException;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;
import java.util.function.Predicate;

/**
 * Kubernetes objects over the replicated key-value store (ARCHITECTURE.md decision 1): one JSON
 * value per object under {@code /registry/<resource>[.<group>]/[<namespace>/]<name>};
 * {@code metadata.resourceVersion} is the key's mod revision; optimistic concurrency is a txn compare
 * on it. Handlers never see keys or bytes. Blocking: called from worker threads.
 */
public final class ResourceStore {
    private static final long TIMEOUT_S = 30;
    /** The request header that carries a leader-only client's term (ARCHITECTURE.md decision 5). */
    public static final String FENCE_HEADER = "X-Kuberaft-Fence-Term";
    private final WatchableKvStore kv;
    private final WatchDecodes decodes = new WatchDecodes();
    /**
     * The fence term of the request this worker thread is serving (0: none). A property of the request,
     * like its user: every write on its behalf, however deep in admission or a subresource, must carry it,
     * and threading it through every registry call would touch every handler.
     */
    private static final ThreadLocal<Long> FENCE = ThreadLocal.withInitial(() -> 0L);

    public ResourceStore(WatchableKvStore kv) {
        this.kv = kv;
    }

    /** Runs {@code body} with every write it makes fenced by {@code term}: refused (409) unless committed in that term. */
    public static <T> T fenced(long term, java.util.function.Supplier<T> body) {
        long before = FENCE.get();
        FENCE.set(term);
        try {
            return body.get();
        } finally {
            FENCE.set(before);
        }
    }

    /** Where writes go: the store itself, or its view fenced by the current request's term. */
    private io.kuberaft.raftstore.KvStore writer() {
        long term = FENCE.get();
        return term > 0 ? kv.fenced(term) : kv;
    }

    public WatchableKvStore kv() {
        return kv;
    }

    public static String prefix(ResourceDefinition def, String namespace) {
        String p = "/registry/" + def.storageName() + "/";
        return def.namespaced() && namespace != null && !namespace.isEmpty() ? p + namespace + "/" : p;
    }

    public static String key(ResourceDefinition def, String namespace, String name) {
        return prefix(def, namespace) + name;
    }

    /** How many objects of the resource this replica's store holds: a count-only range, which reads no values. */
    public long count(ResourceDefinition def) {
        String p = prefix(def, null);
        return await(kv.range(RangeRequest.newBuilder().setKey(bytes(p)).setRangeEnd(prefixEnd(p)).setCountOnly(true).build(),
                ReadConsistency.SERIALIZABLE)).getCount();
    }

    static ByteString bytes(String s) {
        return ByteString.copyFromUtf8(s);
    }

    /** The first key after every key with this prefix. */
    static ByteString prefixEnd(String prefix) {
        byte[] b = prefix.getBytes(StandardCharsets.UTF_8);
        b[b.length - 1]++;
        return ByteString.copyFrom(b);
    }

    static <T> T await(CompletableFuture<T> f) {
        try {
            return f.get(TIMEOUT_S, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            throw translate(e.getCause());
        } catch (TimeoutException e) {
            throw StatusException.unavailable("the server was unable to return a response in the time allotted, but may still be processing the request", 1);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw StatusException.internal("interrupted");
        }
    }

    /**
     * {@link #await} for a write. A write that timed out may still be applied (it may have reached the leader, or
     * Ratis may still retry it): as upstream's finishRequest, that is a 504 Timeout without Retry-After. A 503 with
     * Retry-After made client-go resend it: `kubectl delete` during a leader change deleted the object on its first
     * attempt and then printed NotFound for the resend (a create would see AlreadyExists).
     */
    static <T> T awaitWrite(CompletableFuture<T> f) {
        try {
            return await(f);
        } catch (StatusException e) {
            // NO_LEADER: refused before anything was proposed (the replica has known no leader for a while), so it is
            // certainly not applied and stays a 503 that client-go may resend
            boolean neverProposed = f.isCompletedExceptionally() && f.handle((v, t) -> t != null
                    && StoreException.unwrap(t).code() == ErrorCode.NO_LEADER).getNow(false);
            if (e.code() == 503 && !neverProposed) {
                throw new StatusException(504, "Timeout", "Timeout: request did not complete within requested timeout - "
                        + e.getMessage() + " (it may still be applied)");
            }
            throw e;
        }
    }

    /** The one place store errors become API errors. */
    public static StatusException translate(Throwable t) {
        if (t instanceof StatusException se) {
            return se;
        }
        StoreException e = StoreException.unwrap(t);
        return switch (e.code()) {
            case NO_LEADER, TIMEOUT, UNAVAILABLE -> StatusException.unavailable(
                    "the cluster has no quorum right now (" + e.getMessage() + "); retry", 1);
            case COMPACTED -> StatusException.gone("The provided continue parameter or resourceVersion is too old: " + e.getMessage());
            case FUTURE_REVISION -> new StatusException(504, "Timeout", "Too large resource version");
            case REQUEST_TOO_LARGE -> StatusException.tooLarge("Request entity too large: " + e.getMessage());
            case FENCE_MISMATCH -> StatusException.conflict("", "", "", e.getMessage());
            default -> StatusException.internal(e.getMessage());
        };
    }

    ObjectNode decode(KeyValue kv) {
        try {
            ObjectNode obj = (ObjectNode) Objects.JSON.readTree(kv.getValue().toByteArray());
            Objects.meta(obj).put("resourceVersion", String.valueOf(kv.getModRevision()));
            return obj;
        } catch (IOException | ClassCastException e) {
            throw StatusException.internal("stored object at " + kv.getKey().toStringUtf8() + " is not valid JSON");
        }
    }

    /**
     * A stored object as the definition serves it: converted to the definition's version ({@link VersionConversion});
     * a custom resource stored through one version of its CRD is served by every other version with that version's
     * apiVersion (upstream's conversion strategy None).
     */
    ObjectNode decode(ResourceDefinition def, KeyValue kv) {
        ObjectNode o = decode(kv);
        if (def.isCustom()) {
            o.put("apiVersion", def.apiVersion());
        }
        return def.conversion().fromStorage(def, o);
    }

    /** What is stored for {@code obj} (in the version of {@code def}): its storage form, without resourceVersion. */
    private static ObjectNode storageForm(ResourceDefinition def, ObjectNode obj) {
        ObjectNode copy = def.conversion().toStorage(def, obj).deepCopy();
        ObjectNode meta = Objects.meta(copy);
        meta.remove("resourceVersion");
        // omitempty in ObjectMeta: an emptied list or map (the last finalizer removed) is not stored or shown
        for (String f : EMPTY_OMITTED) {
            JsonNode v = meta.get(f);
            if (v != null && (v.isNull() || v.isContainerNode() && v.isEmpty())) {
                meta.remove(f);
            }
        }
        return copy;
    }

    private static final List<String> EMPTY_OMITTED = List.of("finalizers", "ownerReferences", "labels", "annotations", "managedFields");

    private static ByteString serialize(ObjectNode stored) {
        try {
            return ByteString.copyFrom(Objects.JSON.writeValueAsBytes(stored));
        } catch (IOException e) {
            throw StatusException.internal("cannot encode object: " + e.getMessage());
        }
    }

    static ByteString encode(ResourceDefinition def, ObjectNode obj) {
        return serialize(storageForm(def, obj));
    }

    /** A written object as a read of it returns: in the definition's version, at the revision of the write. */
    private static ObjectNode written(ResourceDefinition def, ObjectNode stored, long revision) {
        ObjectNode out = def.conversion().fromStorage(def, stored);
        Objects.meta(out).put("resourceVersion", String.valueOf(revision));
        return out;
    }

    public ObjectNode get(ResourceDefinition def, String ns, String name) {
        return get(def, ns, name, ReadConsistency.LINEARIZABLE);
    }

    /** The object as of a read of consistency {@code c}; 404 when there is none. */
    public ObjectNode get(ResourceDefinition def, String ns, String name, ReadConsistency c) {
        ObjectNode o = getOrNull(def, ns, name, c);
        if (o == null) {
            throw StatusException.notFound(def.group(), def.plural(), name);
        }
        return o;
    }

    public ObjectNode getOrNull(ResourceDefinition def, String ns, String name, ReadConsistency c) {
        RangeResponse r = await(kv.range(RangeRequest.newBuilder().setKey(bytes(key(def, ns, name))).build(), c));
        return r.getKvsCount() == 0 ? null : decode(def, r.getKvs(0));
    }

    /** One page of a list. */
    public record Page(List<ObjectNode> items, long revision, String continueToken, long remaining) {
    }

    /**
     * Lists the objects of a namespace (or all) at one revision, filtered, up to {@code limit}
     * (0 = all), resuming after a continue token.
     */
    public Page list(ResourceDefinition def, String ns, Predicate<ObjectNode> filter, long limit, String continueToken,
                     ReadConsistency consistency, long atRevision) {
        String prefix = prefix(def, ns);
        ByteString end = prefixEnd(prefix);
        ByteString start = bytes(prefix);
        long rev = atRevision;
        if (continueToken != null && !continueToken.isEmpty()) {
            Continue c = Continue.decode(continueToken, prefix);
            start = c.start();
            rev = c.revision();
        }
        List<ObjectNode> items = new java.util.ArrayList<>();
        // First the page's worth of keys (without a selector each is an item); when a selector leaves the page short,
        // read on in growing chunks, up to 500 keys at a time.
        long chunk = limit;
        while (true) {
            RangeRequest.Builder rq = RangeRequest.newBuilder().setKey(start).setRangeEnd(end).setRevision(rev);
            if (chunk > 0) {
                rq.setLimit(chunk);
            }
            RangeResponse r = await(kv.range(rq.build(), rev > 0 ? ReadConsistency.SERIALIZABLE : consistency));
            if (rev <= 0) {
                rev = r.getHeader().getRevision();
            }
            KeyValue last = null;
            for (KeyValue k : r.getKvsList()) {
                last = k;
                ObjectNode o = decode(def, k);
                if (filter.test(o)) {
                    items.add(o);
                    if (limit > 0 && items.size() == limit) {
                        boolean more = k != r.getKvs(r.getKvsCount() - 1) || r.getMore();
                        if (more) {
                            String token = Continue.encode(rev, k.getKey().concat(ByteString.copyFrom(new byte[] {0})));
                            long remaining = r.getCount() - (r.getKvsList().indexOf(k) + 1);
                            return new Page(items, rev, token, Math.max(0, remaining));
                        }
                        return new Page(items, rev, null, 0);
                    }
                }
            }
            if (!r.getMore() || last == null) {
                return new Page(items, rev, null, 0);
            }
            start = last.getKey().concat(ByteString.copyFrom(new byte[] {0}));
            chunk = Math.min(chunk * 2, Math.max(limit, 500));
        }
    }

    /** Stores a new object; 409 AlreadyExists when the name is taken. Returns it with its resourceVersion. */
    public ObjectNode create(ResourceDefinition def, String ns, String name, ObjectNode obj) {
        return create(def, ns, name, obj, new StoreOps());
    }

    /**
     * Stores a new object together with {@code extra} in one txn; {@link StoreOps.Conflict} when only an
     * extra compare failed.
     */
    public ObjectNode create(ResourceDefinition def, String ns, String name, ObjectNode obj, StoreOps extra) {
        ByteString key = bytes(key(def, ns, name));
        ObjectNode stored = storageForm(def, obj);
        TxnRequest.Builder txn = TxnRequest.newBuilder()
                .addCompare(Compare.newBuilder().setKey(key).setTarget(Compare.CompareTarget.VERSION)
                        .setResult(Compare.CompareResult.EQUAL).setVersion(0))
                .addSuccess(RequestOp.newBuilder().setRequestPut(PutRequest.newBuilder().setKey(key).setValue(serialize(stored))))
                .addFailure(RequestOp.newBuilder().setRequestRange(RangeRequest.newBuilder().setKey(key).setKeysOnly(true)));
        extra.appendTo(txn);
        TxnResponse r = awaitWrite(writer().txn(txn.build()));
        if (!r.getSucceeded()) {
            if (extra.isEmpty() || r.getResponses(0).getResponseRange().getKvsCount() > 0) {
                throw StatusException.alreadyExists(def.group(), def.plural(), name);
            }
            throw new StoreOps.Conflict(def, name);
        }
        return written(def, stored, r.getHeader().getRevision());
    }

    /**
     * Replaces an object if its stored resourceVersion is {@code expectedRv} (0: if it exists at all).
     * 409 Conflict on a stale version, 404 when gone.
     */
    public ObjectNode update(ResourceDefinition def, String ns, String name, ObjectNode obj, long expectedRv) {
        return update(def, ns, name, obj, expectedRv, new StoreOps());
    }

    /** {@link #update} together with {@code extra} in one txn; {@link StoreOps.Conflict} when only an extra compare failed. */
    public ObjectNode update(ResourceDefinition def, String ns, String name, ObjectNode obj, long expectedRv, StoreOps extra) {
        ByteString key = bytes(key(def, ns, name));
        Compare cmp = expectedRv > 0
                ? Compare.newBuilder().setKey(key).setTarget(Compare.CompareTarget.MOD).setResult(Compare.CompareResult.EQUAL).setModRevision(expectedRv).build()
                : Compare.newBuilder().setKey(key).setTarget(Compare.CompareTarget.VERSION).setResult(Compare.CompareResult.GREATER).setVersion(0).build();
        ObjectNode stored = storageForm(def, obj);
        TxnRequest.Builder txn = TxnRequest.newBuilder().addCompare(cmp)
                .addSuccess(RequestOp.newBuilder().setRequestPut(PutRequest.newBuilder().setKey(key).setValue(serialize(stored))))
                .addFailure(RequestOp.newBuilder().setRequestRange(RangeRequest.newBuilder().setKey(key).setKeysOnly(true)));
        extra.appendTo(txn);
        TxnResponse r = awaitWrite(writer().txn(txn.build()));
        if (!r.getSucceeded()) {
            failedWrite(def, name, expectedRv, extra, r);
        }
        return written(def, stored, r.getHeader().getRevision());
    }

    /** Deletes the object if its resourceVersion is still {@code expectedRv} (0: unconditionally). */
    public void delete(ResourceDefinition def, String ns, String name, long expectedRv) {
        delete(def, ns, name, expectedRv, new StoreOps());
    }

    /** {@link #delete} together with {@code extra} in one txn; {@link StoreOps.Conflict} when only an extra compare failed. */
    public void delete(ResourceDefinition def, String ns, String name, long expectedRv, StoreOps extra) {
        ByteString key = bytes(key(def, ns, name));
        Compare cmp = expectedRv > 0
                ? Compare.newBuilder().setKey(key).setTarget(Compare.CompareTarget.MOD).setResult(Compare.CompareResult.EQUAL).setModRevision(expectedRv).build()
                : Compare.newBuilder().setKey(key).setTarget(Compare.CompareTarget.VERSION).setResult(Compare.CompareResult.GREATER).setVersion(0).build();
        TxnRequest.Builder txn = TxnRequest.newBuilder().addCompare(cmp)
                .addSuccess(RequestOp.newBuilder().setRequestDeleteRange(DeleteRangeRequest.newBuilder().setKey(key)))
                .addFailure(RequestOp.newBuilder().setRequestRange(RangeRequest.newBuilder().setKey(key).setKeysOnly(true)));
        extra.appendTo(txn);
        TxnResponse r = awaitWrite(writer().txn(txn.build()));
        if (!r.getSucceeded()) {
            failedWrite(def, name, expectedRv, extra, r);
        }
    }

    /** Why a conditional write of an existing object failed: gone (404), stale (409) or an extra compare. */
    private static void failedWrite(ResourceDefinition def, String name, long expectedRv, StoreOps extra, TxnResponse r) {
        RangeResponse current = r.getResponses(0).getResponseRange();
        if (current.getKvsCount() == 0) {
            throw StatusException.notFound(def.group(), def.plural(), name);
        }
        if (!extra.isEmpty() && (expectedRv <= 0 || current.getKvs(0).getModRevision() == expectedRv)) {
            throw new StoreOps.Conflict(def, name);
        }
        throw StatusException.conflict(def.group(), def.plural(), name,
                "the object has been modified; please apply your changes to the latest version and try again");
    }

    /**
     * A change to an object, as a watch reports it. {@code current} (the object now, or as deleted) and {@code previous}
     * are shared with every other watcher of the event: read only.
     */
    public record Change(String type, WatchObject current, ObjectNode previous, long revision) {
        /** The object now, or as it was deleted; null for a bookmark. */
        public ObjectNode object() {
            return current == null ? null : current.object();
        }
    }

    /**
     * Watches every object of the namespace (or all) from after {@code afterRevision}. The consumer
     * runs on the replica's apply thread: it must not block.
     */
    public Watch watch(ResourceDefinition def, String ns, long afterRevision, Consumer<Change> onChange,
                       Consumer<StatusException> onError) {
        String prefix = prefix(def, ns);
        WatchCreateRequest req = WatchCreateRequest.newBuilder().setKey(bytes(prefix)).setRangeEnd(prefixEnd(prefix))
                .setStartRevision(afterRevision + 1).setPrevKv(true).build();
        AtomicBoolean expired = new AtomicBoolean();
        return kv.watch(req, new WatchListener() {
            @Override
            public void onEvents(long revision, List<Event> events) {
                for (Event e : events) {
                    if (expired.get()) {
                        return;
                    }
                    boolean create = e.getType() == Event.EventType.PUT && e.getKv().getCreateRevision() == e.getKv().getModRevision();
                    if (!create && !e.hasPrevKv()) {
                        // The previous revision is gone (compacted at exactly this event's revision, the watch
                        // having started there): without it a MODIFIED cannot be told from a selector ADDED
                        // and a DELETED has no object. 410 Expired, as for any history no longer there; the
                        // client relists.
                        expired.set(true);
                        onError.accept(StatusException.gone("too old resource version: " + afterRevision
                                + " (the revision before " + revision + " is compacted)"));
                        return;
                    }
                    if (e.getType() == Event.EventType.DELETE) {
                        if (e.hasPrevKv()) {
                            // The object as deleted: its resourceVersion is the deletion's revision.
                            WatchObject gone = decodes.get(def, e.getPrevKv(), revision, () -> {
                                ObjectNode o = decode(def, e.getPrevKv());
                                Objects.meta(o).put("resourceVersion", String.valueOf(revision));
                                return o;
                            });
                            onChange.accept(new Change("DELETED", gone, gone.object(), revision));
                        }
                    } else {
                        ObjectNode prev = e.hasPrevKv() ? decodes.get(def, e.getPrevKv(), 0, () -> decode(def, e.getPrevKv())).object() : null;
                        WatchObject cur = decodes.get(def, e.getKv(), 0, () -> decode(def, e.getKv()));
                        onChange.accept(new Change(create ? "ADDED" : "MODIFIED", cur, prev, revision));
                    }
                }
            }

            @Override
            public void onProgress(long revision) {
                onChange.accept(new Change("BOOKMARK", null, null, revision));
            }

            @Override
            public void onCanceled(long compactRevision, String reason) {
                if (compactRevision > 0) {
                    onError.accept(StatusException.gone("too old resource version: " + afterRevision + " (" + compactRevision + ")"));
                } else {
                    onError.accept(StatusException.unavailable("watch ended: " + reason, 1));
                }
            }
        });
    }

    /** The continue token: the revision of the first page and the key to resume after, opaque to clients. */
    record Continue(long revision, ByteString start) {
        static String encode(long rev, ByteString start) {
            ObjectNode n = Objects.JSON.createObjectNode();
            n.put("v", "meta.k8s.io/v1").put("rv", rev).put("start", Base64.getEncoder().encodeToString(start.toByteArray()));
            return Base64.getUrlEncoder().withoutPadding().encodeToString(n.toString().getBytes(StandardCharsets.UTF_8));
        }

        static Continue decode(String token, String prefix) {
            try {
                JsonNode n = Objects.JSON.readTree(Base64.getUrlDecoder().decode(token));
                ByteString start = ByteString.copyFrom(Base64.getDecoder().decode(n.path("start").asText()));
                long rev = n.path("rv").asLong();
                if (rev <= 0 || !start.startsWith(bytes(prefix))) {
                    throw new IllegalArgumentException("token for another list");
                }
                return new Continue(rev, start);
            } catch (IOException | IllegalArgumentException e) {
                throw StatusException.badRequest("continue key is not valid: " + e.getMessage());
            }
        }
    }

    static ArrayNode array() {
        return Objects.JSON.createArrayNode();
    }
}
