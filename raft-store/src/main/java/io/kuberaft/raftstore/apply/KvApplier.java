package io.kuberaft.raftstore.apply;

import com.google.protobuf.ByteString;
import io.etcd.jetcd.api.Compare;
import io.etcd.jetcd.api.CompactionRequest;
import io.etcd.jetcd.api.CompactionResponse;
import io.etcd.jetcd.api.DeleteRangeRequest;
import io.etcd.jetcd.api.DeleteRangeResponse;
import io.etcd.jetcd.api.KeyValue;
import io.etcd.jetcd.api.LeaseGrantRequest;
import io.etcd.jetcd.api.LeaseGrantResponse;
import io.etcd.jetcd.api.LeaseKeepAliveResponse;
import io.etcd.jetcd.api.LeaseRevokeResponse;
import io.etcd.jetcd.api.PutRequest;
import io.etcd.jetcd.api.PutResponse;
import io.etcd.jetcd.api.RangeRequest;
import io.etcd.jetcd.api.RangeResponse;
import io.etcd.jetcd.api.RequestOp;
import io.etcd.jetcd.api.ResponseHeader;
import io.etcd.jetcd.api.ResponseOp;
import io.etcd.jetcd.api.TxnRequest;
import io.etcd.jetcd.api.TxnResponse;
import io.kuberaft.raftstore.errors.ErrorCode;
import io.kuberaft.raftstore.errors.StoreException;
import io.kuberaft.raftstore.mvcc.KeyRange;
import io.kuberaft.raftstore.mvcc.WriteTxn;
import io.kuberaft.raftstore.proto.Command;
import io.kuberaft.raftstore.proto.CommandResult;
import io.kuberaft.raftstore.proto.Empty;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Set;

/** The etcd operations themselves: validate everything first, then change the store. */
public final class KvApplier implements Applier {
    /** etcd's --max-txn-ops default. */
    public static final int MAX_TXN_OPS = 128;
    /** etcd's MaxLeaseTTL. */
    public static final long MAX_LEASE_TTL = 9_000_000_000L;

    @Override
    public CommandResult apply(Command command, WriteTxn txn, long entryTerm) {
        try {
            return switch (command.getOpCase()) {
                case PUT -> CommandResult.newBuilder().setPut(put(command.getPut(), txn)).build();
                case DELETE_RANGE -> CommandResult.newBuilder().setDeleteRange(deleteRange(command.getDeleteRange(), txn)).build();
                case TXN -> CommandResult.newBuilder().setTxn(txn(command.getTxn(), txn)).build();
                case COMPACT -> CommandResult.newBuilder().setCompact(compact(command.getCompact(), txn)).build();
                case LEASE_GRANT -> CommandResult.newBuilder().setLeaseGrant(leaseGrant(command.getLeaseGrant(), txn)).build();
                case LEASE_REVOKE -> CommandResult.newBuilder().setLeaseRevoke(leaseRevoke(command.getLeaseRevoke().getID(), txn)).build();
                case LEASE_RENEW -> CommandResult.newBuilder().setLeaseRenew(leaseRenew(command.getLeaseRenew().getId(), txn)).build();
                case LEASE_EXPIRE -> {
                    for (long id : command.getLeaseExpire().getIdsList()) {
                        if (txn.leaseExists(id)) {
                            txn.revokeLease(id);
                        }
                    }
                    yield CommandResult.newBuilder().setLeaseExpire(Empty.getDefaultInstance()).build();
                }
                case BATCH -> throw new StoreException(ErrorCode.INVALID_ARGUMENT, "kuberaft: a command batch cannot be nested");
                case OP_NOT_SET -> throw new StoreException(ErrorCode.INVALID_ARGUMENT, "kuberaft: command has no operation");
            };
        } catch (StoreException e) {
            return Results.error(e);
        }
    }

    private static ResponseHeader header(WriteTxn txn) {
        return ResponseHeader.newBuilder().setRevision(txn.revision()).build();
    }

    // ---- validation (before anything changes) ----

    static void checkPut(PutRequest p, WriteTxn txn) {
        if (p.getKey().isEmpty()) {
            throw StoreException.keyNotProvided();
        }
        if (p.getIgnoreValue() && !p.getValue().isEmpty()) {
            throw new StoreException(ErrorCode.INVALID_ARGUMENT, "etcdserver: value is provided");
        }
        if (p.getIgnoreLease() && p.getLease() != 0) {
            throw new StoreException(ErrorCode.INVALID_ARGUMENT, "etcdserver: lease is provided");
        }
        if ((p.getIgnoreValue() || p.getIgnoreLease()) && txn.get(p.getKey()) == null) {
            throw new StoreException(ErrorCode.KEY_NOT_FOUND, "etcdserver: key not found");
        }
        if (!p.getIgnoreLease() && p.getLease() != 0 && !txn.leaseExists(p.getLease())) {
            throw StoreException.leaseNotFound();
        }
    }

    static void checkRange(RangeRequest r, WriteTxn txn) {
        if (r.getKey().isEmpty()) {
            throw StoreException.keyNotProvided();
        }
        if (r.getRevision() > txn.revision()) {
            throw StoreException.futureRevision();
        }
        if (r.getRevision() > 0 && r.getRevision() < txn.compactedRevision()) {
            throw StoreException.compacted();
        }
    }

    // ---- operations ----

    private PutResponse put(PutRequest p, WriteTxn txn) {
        checkPut(p, txn);
        return doPut(p, txn);
    }

    private PutResponse doPut(PutRequest p, WriteTxn txn) {
        ByteString value = p.getValue();
        long lease = p.getLease();
        if (p.getIgnoreValue() || p.getIgnoreLease()) {
            KeyValue current = txn.get(p.getKey());
            if (p.getIgnoreValue()) {
                value = current.getValue();
            }
            if (p.getIgnoreLease()) {
                lease = current.getLease();
            }
        }
        KeyValue prev = txn.put(p.getKey(), value, lease, p.getPrevKv());
        PutResponse.Builder r = PutResponse.newBuilder().setHeader(header(txn));
        if (p.getPrevKv() && prev != null) {
            r.setPrevKv(prev);
        }
        return r.build();
    }

    private DeleteRangeResponse deleteRange(DeleteRangeRequest d, WriteTxn txn) {
        if (d.getKey().isEmpty()) {
            throw StoreException.keyNotProvided();
        }
        return doDelete(d, txn);
    }

    private DeleteRangeResponse doDelete(DeleteRangeRequest d, WriteTxn txn) {
        List<KeyValue> deleted = txn.deleteRange(KeyRange.of(d.getKey(), d.getRangeEnd()), d.getPrevKv());
        DeleteRangeResponse.Builder r = DeleteRangeResponse.newBuilder().setDeleted(deleted.size());
        if (d.getPrevKv()) {
            r.addAllPrevKvs(deleted);
        }
        return r.setHeader(header(txn)).build();
    }

    private TxnResponse txn(TxnRequest t, WriteTxn txn) {
        // etcd decides every (nested) branch before executing anything, then checks the chosen ops.
        List<Boolean> path = new ArrayList<>();
        decidePath(t, txn, path);
        checkTxn(t, txn, path.iterator(), new HashSet<>(), new ArrayList<>());
        return executeTxn(t, txn, path.iterator());
    }

    private void decidePath(TxnRequest t, WriteTxn txn, List<Boolean> path) {
        boolean ok = true;
        for (Compare c : t.getCompareList()) {
            if (!compare(c, txn)) {
                ok = false;
                break;
            }
        }
        path.add(ok);
        for (RequestOp op : ok ? t.getSuccessList() : t.getFailureList()) {
            if (op.hasRequestTxn()) {
                decidePath(op.getRequestTxn(), txn, path);
            }
        }
    }

    private void checkTxn(TxnRequest t, WriteTxn txn, Iterator<Boolean> path,
                          Set<ByteString> puts, List<KeyRange> deletes) {
        List<RequestOp> chosen = path.next() ? t.getSuccessList() : t.getFailureList();
        // As etcd's checkTxnRequest: the compares, the success ops and the failure ops are each limited.
        if (Math.max(t.getCompareCount(), Math.max(t.getSuccessCount(), t.getFailureCount())) > MAX_TXN_OPS) {
            throw new StoreException(ErrorCode.TOO_MANY_OPS, "etcdserver: too many operations in txn request");
        }
        for (Compare c : t.getCompareList()) {
            if (c.getKey().isEmpty()) {
                throw StoreException.keyNotProvided();
            }
        }
        for (RequestOp op : chosen) {
            switch (op.getRequestCase()) {
                case REQUEST_RANGE -> checkRange(op.getRequestRange(), txn);
                case REQUEST_PUT -> {
                    checkPut(op.getRequestPut(), txn);
                    ByteString key = op.getRequestPut().getKey();
                    if (!puts.add(key) || deletes.stream().anyMatch(r -> r.contains(key))) {
                        throw duplicateKey();
                    }
                }
                case REQUEST_DELETE_RANGE -> {
                    DeleteRangeRequest d = op.getRequestDeleteRange();
                    if (d.getKey().isEmpty()) {
                        throw StoreException.keyNotProvided();
                    }
                    KeyRange r = KeyRange.of(d.getKey(), d.getRangeEnd());
                    if (puts.stream().anyMatch(r::contains)) {
                        throw duplicateKey();
                    }
                    deletes.add(r);
                }
                case REQUEST_TXN -> checkTxn(op.getRequestTxn(), txn, path, puts, deletes);
                case REQUEST_NOT_SET -> throw new StoreException(ErrorCode.INVALID_ARGUMENT, "etcdserver: empty request op in txn");
            }
        }
    }

    private static StoreException duplicateKey() {
        return new StoreException(ErrorCode.DUPLICATE_KEY, "etcdserver: duplicate key given in txn request");
    }

    private TxnResponse executeTxn(TxnRequest t, WriteTxn txn, Iterator<Boolean> path) {
        boolean succeeded = path.next();
        TxnResponse.Builder r = TxnResponse.newBuilder().setSucceeded(succeeded);
        for (RequestOp op : succeeded ? t.getSuccessList() : t.getFailureList()) {
            ResponseOp.Builder resp = ResponseOp.newBuilder();
            switch (op.getRequestCase()) {
                case REQUEST_RANGE -> resp.setResponseRange(txn.range(op.getRequestRange()));
                case REQUEST_PUT -> resp.setResponsePut(doPut(op.getRequestPut(), txn));
                case REQUEST_DELETE_RANGE -> resp.setResponseDeleteRange(doDelete(op.getRequestDeleteRange(), txn));
                case REQUEST_TXN -> resp.setResponseTxn(executeTxn(op.getRequestTxn(), txn, path));
                default -> throw new IllegalStateException("validated op has no request");
            }
            r.addResponses(resp);
        }
        return r.setHeader(header(txn)).build();
    }

    /** etcd's applyCompare: every key of the range must satisfy the compare; a missing key has zero fields. */
    static boolean compare(Compare c, WriteTxn txn) {
        if (c.getKey().isEmpty()) {
            throw StoreException.keyNotProvided();
        }
        // Only a value compare needs the values (every Kubernetes write compares a mod revision or a version).
        List<KeyValue> kvs = c.getTarget() == Compare.CompareTarget.VALUE
                ? txn.range(RangeRequest.newBuilder().setKey(c.getKey()).setRangeEnd(c.getRangeEnd()).build()).getKvsList()
                : txn.liveKeys(KeyRange.of(c.getKey(), c.getRangeEnd()));
        if (kvs.isEmpty()) {
            if (c.getTarget() == Compare.CompareTarget.VALUE) {
                return false;
            }
            return compareKv(c, KeyValue.getDefaultInstance());
        }
        for (KeyValue kv : kvs) {
            if (!compareKv(c, kv)) {
                return false;
            }
        }
        return true;
    }

    private static boolean compareKv(Compare c, KeyValue kv) {
        int result = switch (c.getTarget()) {
            case VALUE -> KeyRange.ORDER.compare(kv.getValue(), c.getValue());
            case CREATE -> Long.compare(kv.getCreateRevision(), c.getCreateRevision());
            case MOD -> Long.compare(kv.getModRevision(), c.getModRevision());
            case VERSION -> Long.compare(kv.getVersion(), c.getVersion());
            default -> throw new StoreException(ErrorCode.INVALID_ARGUMENT, "etcdserver: unknown compare target");
        };
        return switch (c.getResult()) {
            case EQUAL -> result == 0;
            case NOT_EQUAL -> result != 0;
            case GREATER -> result > 0;
            case LESS -> result < 0;
            default -> throw new StoreException(ErrorCode.INVALID_ARGUMENT, "etcdserver: unknown compare result");
        };
    }

    private CompactionResponse compact(CompactionRequest c, WriteTxn txn) {
        if (c.getRevision() <= txn.compactedRevision()) {
            throw StoreException.compacted();
        }
        if (c.getRevision() > txn.revision()) {
            throw StoreException.futureRevision();
        }
        txn.compact(c.getRevision());
        return CompactionResponse.newBuilder().setHeader(header(txn)).build();
    }

    private LeaseGrantResponse leaseGrant(LeaseGrantRequest g, WriteTxn txn) {
        if (g.getID() <= 0) {
            throw new StoreException(ErrorCode.INVALID_ARGUMENT, "etcdserver: lease ID must be positive");
        }
        if (g.getTTL() > MAX_LEASE_TTL) {
            throw new StoreException(ErrorCode.INVALID_ARGUMENT, "etcdserver: too large lease TTL");
        }
        if (txn.leaseExists(g.getID())) {
            throw new StoreException(ErrorCode.LEASE_EXISTS, "etcdserver: lease already exists");
        }
        long ttl = Math.max(1, g.getTTL());
        txn.grantLease(g.getID(), ttl);
        return LeaseGrantResponse.newBuilder().setHeader(header(txn)).setID(g.getID()).setTTL(ttl).build();
    }

    private LeaseRevokeResponse leaseRevoke(long id, WriteTxn txn) {
        if (!txn.leaseExists(id)) {
            throw StoreException.leaseNotFound();
        }
        txn.revokeLease(id);
        return LeaseRevokeResponse.newBuilder().setHeader(header(txn)).build();
    }

    private LeaseKeepAliveResponse leaseRenew(long id, WriteTxn txn) {
        if (!txn.leaseExists(id)) {
            // etcd answers a keep-alive of an unknown lease with TTL 0.
            return LeaseKeepAliveResponse.newBuilder().setHeader(header(txn)).setID(id).setTTL(0).build();
        }
        txn.renewLease(id);
        return LeaseKeepAliveResponse.newBuilder().setHeader(header(txn)).setID(id).setTTL(txn.leaseTtl(id)).build();
    }
}
