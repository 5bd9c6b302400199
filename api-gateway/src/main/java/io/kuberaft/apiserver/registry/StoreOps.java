package io.kuberaft.apiserver.registry;

import com.fasterxml.jackson.databind.node.ObjectNode;
import com.google.protobuf.ByteString;
import io.etcd.jetcd.api.Compare;
import io.etcd.jetcd.api.DeleteRangeRequest;
import io.etcd.jetcd.api.PutRequest;
import io.etcd.jetcd.api.RequestOp;
import io.etcd.jetcd.api.TxnRequest;
import io.kuberaft.kubeapi.StatusException;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Compares and writes that must commit in the same store transaction as an object write: quota usage
 * charged with the create that uses it, a service's cluster IP and node ports reserved with the service,
 * released with its removal. Admission plugins add them; {@link ResourceStore} appends them to the
 * object's txn. When one of these compares fails (another replica wrote in between) the store throws
 * {@link Conflict} and {@link GenericRegistry} runs admission again on fresh reads.
 */
public final class StoreOps {
    private final List<Compare> compares = new ArrayList<>();
    private final List<RequestOp> writes = new ArrayList<>();

    public boolean isEmpty() {
        return compares.isEmpty() && writes.isEmpty();
    }

    /** The key must not exist (its version is 0). */
    public StoreOps requireAbsent(String key) {
        compares.add(Compare.newBuilder().setKey(ResourceStore.bytes(key)).setTarget(Compare.CompareTarget.VERSION)
                .setResult(Compare.CompareResult.EQUAL).setVersion(0).build());
        return this;
    }

    /** The key must still be at this mod revision (0: must not exist). */
    public StoreOps requireModRevision(String key, long modRevision) {
        compares.add(Compare.newBuilder().setKey(ResourceStore.bytes(key)).setTarget(Compare.CompareTarget.MOD)
                .setResult(Compare.CompareResult.EQUAL).setModRevision(modRevision).build());
        return this;
    }

    /**
     * No key under the prefix was created after {@code revision}: the set read at that revision has gained no
     * member since (changes to existing keys and deletions are not detected).
     */
    public StoreOps requireNoneCreatedSince(String prefix, long revision) {
        compares.add(Compare.newBuilder().setKey(ResourceStore.bytes(prefix)).setRangeEnd(ResourceStore.prefixEnd(prefix))
                .setTarget(Compare.CompareTarget.CREATE).setResult(Compare.CompareResult.LESS).setCreateRevision(revision + 1).build());
        return this;
    }

    public StoreOps put(String key, String value) {
        writes.add(RequestOp.newBuilder().setRequestPut(PutRequest.newBuilder().setKey(ResourceStore.bytes(key))
                .setValue(ByteString.copyFromUtf8(value))).build());
        return this;
    }

    /** Replaces a stored object if it is still at its resourceVersion. */
    public StoreOps replaceObject(ResourceDefinition def, ObjectNode obj) {
        String key = ResourceStore.key(def, def.namespaced() ? Objects.namespace(obj) : null, Objects.name(obj));
        requireModRevision(key, Objects.resourceVersion(obj));
        writes.add(RequestOp.newBuilder().setRequestPut(PutRequest.newBuilder().setKey(ResourceStore.bytes(key))
                .setValue(ResourceStore.encode(def, obj))).build());
        return this;
    }

    public StoreOps delete(String key) {
        writes.add(RequestOp.newBuilder().setRequestDeleteRange(DeleteRangeRequest.newBuilder().setKey(ResourceStore.bytes(key))).build());
        return this;
    }

    /** Deletes every key under the prefix (all objects of a resource: a CRD's custom resources). */
    public StoreOps deletePrefix(String prefix) {
        writes.add(RequestOp.newBuilder().setRequestDeleteRange(DeleteRangeRequest.newBuilder().setKey(ResourceStore.bytes(prefix))
                .setRangeEnd(ResourceStore.prefixEnd(prefix))).build());
        return this;
    }

    void appendTo(TxnRequest.Builder txn) {
        compares.forEach(txn::addCompare);
        writes.forEach(txn::addSuccess);
    }

    /** Short randomized pause before running admission again, so contending replicas spread out. */
    public static void backoff(int attempt) {
        try {
            Thread.sleep(ThreadLocalRandom.current().nextLong(1, 2L << Math.min(attempt, 5)));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw StatusException.internal("interrupted");
        }
    }

    /** One of the extra compares failed: what admission read is stale. Retried by the registry. */
    public static final class Conflict extends StatusException {
        public Conflict(ResourceDefinition def, String name) {
            super(409, "Conflict", "Operation cannot be fulfilled on " + def.qualifiedName() + " \"" + name
                    + "\": the object has been modified; please apply your changes to the latest version and try again",
                    def.group(), def.plural(), name, List.of(), null);
        }
    }
}
