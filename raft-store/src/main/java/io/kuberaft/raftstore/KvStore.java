package io.kuberaft.raftstore;

import io.etcd.jetcd.api.CompactionRequest;
import io.etcd.jetcd.api.CompactionResponse;
import io.etcd.jetcd.api.DeleteRangeRequest;
import io.etcd.jetcd.api.DeleteRangeResponse;
import io.etcd.jetcd.api.LeaseGrantRequest;
import io.etcd.jetcd.api.LeaseGrantResponse;
import io.etcd.jetcd.api.LeaseKeepAliveResponse;
import io.etcd.jetcd.api.LeaseRevokeResponse;
import io.etcd.jetcd.api.LeaseTimeToLiveRequest;
import io.etcd.jetcd.api.LeaseTimeToLiveResponse;
import io.etcd.jetcd.api.PutRequest;
import io.etcd.jetcd.api.PutResponse;
import io.etcd.jetcd.api.RangeRequest;
import io.etcd.jetcd.api.RangeResponse;
import io.etcd.jetcd.api.TxnRequest;
import io.etcd.jetcd.api.TxnResponse;
import io.kuberaft.raftstore.proto.StoreStatus;

import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * The replicated key-value store, with etcd v3 semantics: a global revision, per-key create and mod
 * revision and version, range reads at past revisions, txn with compares, leases and compaction.
 * Requests and responses are etcd's own messages. Failures complete the future with a
 * {@link io.kuberaft.raftstore.errors.StoreException}.
 *
 * <p>Writes may carry a fence term ({@link #fenced(long)}): applied only if the log entry that holds
 * them was written in that term.
 */
public interface KvStore {

    CompletableFuture<RangeResponse> range(RangeRequest request, ReadConsistency consistency);

    default CompletableFuture<RangeResponse> range(RangeRequest request) {
        return range(request, ReadConsistency.LINEARIZABLE);
    }

    CompletableFuture<PutResponse> put(PutRequest request);

    CompletableFuture<DeleteRangeResponse> deleteRange(DeleteRangeRequest request);

    CompletableFuture<TxnResponse> txn(TxnRequest request);

    CompletableFuture<CompactionResponse> compact(CompactionRequest request);

    CompletableFuture<LeaseGrantResponse> leaseGrant(LeaseGrantRequest request);

    CompletableFuture<LeaseRevokeResponse> leaseRevoke(long leaseId);

    CompletableFuture<LeaseKeepAliveResponse> leaseKeepAlive(long leaseId);

    CompletableFuture<LeaseTimeToLiveResponse> leaseTimeToLive(LeaseTimeToLiveRequest request);

    CompletableFuture<List<Long>> leases();

    /** The local replica's revision, compaction point, applied index and (optionally costly) hash. */
    CompletableFuture<StoreStatus> status(ReadConsistency consistency);

    /** {@link #status} plus a digest of the replicated state (costly: reads the whole history). */
    CompletableFuture<StoreStatus> statusWithHash(ReadConsistency consistency);

    /** A view of this store whose writes carry the given fence term (0 = no fence). */
    KvStore fenced(long term);
}
