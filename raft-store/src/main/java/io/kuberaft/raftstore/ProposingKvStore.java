package io.kuberaft.raftstore;

import com.google.protobuf.ByteString;
import io.etcd.jetcd.api.CompactionRequest;
import io.etcd.jetcd.api.CompactionResponse;
import io.etcd.jetcd.api.DeleteRangeRequest;
import io.etcd.jetcd.api.DeleteRangeResponse;
import io.etcd.jetcd.api.LeaseGrantRequest;
import io.etcd.jetcd.api.LeaseGrantResponse;
import io.etcd.jetcd.api.LeaseKeepAliveResponse;
import io.etcd.jetcd.api.LeaseRevokeRequest;
import io.etcd.jetcd.api.LeaseRevokeResponse;
import io.etcd.jetcd.api.LeaseTimeToLiveRequest;
import io.etcd.jetcd.api.LeaseTimeToLiveResponse;
import io.etcd.jetcd.api.PutRequest;
import io.etcd.jetcd.api.PutResponse;
import io.etcd.jetcd.api.RangeRequest;
import io.etcd.jetcd.api.RangeResponse;
import io.etcd.jetcd.api.TxnRequest;
import io.etcd.jetcd.api.TxnResponse;
import io.kuberaft.raftstore.apply.Results;
import io.kuberaft.raftstore.errors.ErrorCode;
import io.kuberaft.raftstore.errors.StoreException;
import io.kuberaft.raftstore.proto.Command;
import io.kuberaft.raftstore.proto.CommandResult;
import io.kuberaft.raftstore.proto.LeaseRenew;
import io.kuberaft.raftstore.proto.LeasesQuery;
import io.kuberaft.raftstore.proto.Query;
import io.kuberaft.raftstore.proto.QueryResult;
import io.kuberaft.raftstore.proto.RequestId;
import io.kuberaft.raftstore.proto.StatusQuery;
import io.kuberaft.raftstore.proto.StoreStatus;

import java.security.SecureRandom;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentSkipListSet;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;

/**
 * The client half of the store: turns {@link KvStore} calls into replicated {@link Command}s and
 * read {@link Query}s, gives each write a request id (so a retry is applied once), checks sizes
 * before anything is proposed, and unwraps replicated errors into {@link StoreException}s. How a
 * command reaches the log is the subclass's business.
 */
public abstract class ProposingKvStore implements WatchableKvStore {
    /** etcd's default --max-request-bytes. */
    public static final int MAX_REQUEST_BYTES = 1536 * 1024;

    private final ByteString clientId;
    private final AtomicLong seq;
    private final ConcurrentSkipListSet<Long> inFlight;
    private final SecureRandom random = new SecureRandom();
    private final long fenceTerm;
    private final AtomicLong failedProposals;

    protected ProposingKvStore() {
        byte[] id = new byte[16];
        random.nextBytes(id);
        this.clientId = ByteString.copyFrom(id);
        this.seq = new AtomicLong();
        this.inFlight = new ConcurrentSkipListSet<>();
        this.fenceTerm = 0;
        this.failedProposals = new AtomicLong();
    }

    /** A fenced view sharing the parent's session. */
    protected ProposingKvStore(ProposingKvStore parent, long fenceTerm) {
        this.clientId = parent.clientId;
        this.seq = parent.seq;
        this.inFlight = parent.inFlight;
        this.fenceTerm = fenceTerm;
        this.failedProposals = parent.failedProposals;
    }

    /** Replicates the command; completes with its applied result (which may be an error result). */
    protected abstract CompletableFuture<CommandResult> propose(Command command);

    protected abstract CompletableFuture<QueryResult> query(Query query, ReadConsistency consistency);

    private <T> CompletableFuture<T> write(Command.Builder b, Function<CommandResult, T> extract) {
        long s = seq.incrementAndGet();
        inFlight.add(s);
        long firstIncomplete = inFlight.first();
        Command command = b.setFormat(StoreEngine.COMMAND_FORMAT).setFenceTerm(fenceTerm)
                .setRequestId(RequestId.newBuilder().setClientId(clientId).setSeq(s).setFirstIncompleteSeq(firstIncomplete))
                .build();
        if (command.getSerializedSize() > MAX_REQUEST_BYTES) {
            inFlight.remove(s);
            return CompletableFuture.failedFuture(new StoreException(ErrorCode.REQUEST_TOO_LARGE, "etcdserver: request is too large"));
        }
        CompletableFuture<CommandResult> f;
        try {
            f = propose(command);
        } catch (RuntimeException e) {
            f = CompletableFuture.failedFuture(e);
        }
        return f.whenComplete((r, t) -> {
            inFlight.remove(s);
            if (t != null) {
                failedProposals.incrementAndGet();
            }
        }).thenApply(r -> {
            if (r.hasError()) {
                throw Results.toException(r.getError());
            }
            return extract.apply(r);
        });
    }

    private <T> CompletableFuture<T> read(Query q, ReadConsistency c, Function<QueryResult, T> extract) {
        CompletableFuture<QueryResult> f;
        try {
            f = query(q, c);
        } catch (RuntimeException e) {
            f = CompletableFuture.failedFuture(e);
        }
        return f.thenApply(r -> {
            if (r.hasError()) {
                throw Results.toException(r.getError());
            }
            return extract.apply(r);
        });
    }

    @Override
    public CompletableFuture<RangeResponse> range(RangeRequest request, ReadConsistency consistency) {
        if (request.getKey().isEmpty()) {
            return CompletableFuture.failedFuture(StoreException.keyNotProvided());
        }
        ReadConsistency c = request.getSerializable() ? ReadConsistency.SERIALIZABLE : consistency;
        return read(Query.newBuilder().setRange(request).build(), c, QueryResult::getRange);
    }

    @Override
    public CompletableFuture<PutResponse> put(PutRequest request) {
        return write(Command.newBuilder().setPut(request), CommandResult::getPut);
    }

    @Override
    public CompletableFuture<DeleteRangeResponse> deleteRange(DeleteRangeRequest request) {
        return write(Command.newBuilder().setDeleteRange(request), CommandResult::getDeleteRange);
    }

    @Override
    public CompletableFuture<TxnResponse> txn(TxnRequest request) {
        return write(Command.newBuilder().setTxn(request), CommandResult::getTxn);
    }

    @Override
    public CompletableFuture<CompactionResponse> compact(CompactionRequest request) {
        return write(Command.newBuilder().setCompact(request), CommandResult::getCompact);
    }

    @Override
    public CompletableFuture<LeaseGrantResponse> leaseGrant(LeaseGrantRequest request) {
        LeaseGrantRequest r = request;
        if (r.getID() == 0) {
            // Chosen before proposing: apply must stay deterministic.
            r = r.toBuilder().setID(random.nextLong() & Long.MAX_VALUE | 1L).build();
        }
        return write(Command.newBuilder().setLeaseGrant(r), CommandResult::getLeaseGrant);
    }

    @Override
    public CompletableFuture<LeaseRevokeResponse> leaseRevoke(long leaseId) {
        return write(Command.newBuilder().setLeaseRevoke(LeaseRevokeRequest.newBuilder().setID(leaseId)),
                CommandResult::getLeaseRevoke);
    }

    @Override
    public CompletableFuture<LeaseKeepAliveResponse> leaseKeepAlive(long leaseId) {
        return write(Command.newBuilder().setLeaseRenew(LeaseRenew.newBuilder().setId(leaseId)), CommandResult::getLeaseRenew);
    }

    /** Proposes the leader's expiry decision (fenced by the caller's term). */
    public CompletableFuture<Void> leaseExpire(List<Long> ids) {
        return write(Command.newBuilder().setLeaseExpire(io.kuberaft.raftstore.proto.LeaseExpire.newBuilder().addAllIds(ids)),
                r -> null);
    }

    @Override
    public CompletableFuture<LeaseTimeToLiveResponse> leaseTimeToLive(LeaseTimeToLiveRequest request) {
        return read(Query.newBuilder().setLeaseTimeToLive(request).build(), ReadConsistency.LINEARIZABLE,
                QueryResult::getLeaseTimeToLive);
    }

    @Override
    public CompletableFuture<List<Long>> leases() {
        return read(Query.newBuilder().setLeases(LeasesQuery.getDefaultInstance()).build(), ReadConsistency.LINEARIZABLE,
                r -> r.getLeases().getIdsList());
    }

    @Override
    public CompletableFuture<StoreStatus> status(ReadConsistency consistency) {
        return read(Query.newBuilder().setStatus(StatusQuery.getDefaultInstance()).build(), consistency, QueryResult::getStatus);
    }

    /** Writes proposed by this client and not yet answered (etcd_server_proposals_pending). */
    public int pendingProposals() {
        return inFlight.size();
    }

    /** Writes that failed to get an answer from the log (timeouts, no leader): etcd_server_proposals_failed_total. */
    public long failedProposals() {
        return failedProposals.get();
    }

    @Override
    public CompletableFuture<StoreStatus> statusWithHash(ReadConsistency consistency) {
        return read(Query.newBuilder().setStatus(StatusQuery.newBuilder().setWithHash(true)).build(), consistency, QueryResult::getStatus);
    }

    public long fenceTerm() {
        return fenceTerm;
    }
}
