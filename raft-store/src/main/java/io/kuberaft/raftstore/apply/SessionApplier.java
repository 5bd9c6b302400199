package io.kuberaft.raftstore.apply;

import com.google.protobuf.InvalidProtocolBufferException;
import io.kuberaft.raftstore.mvcc.WriteTxn;
import io.kuberaft.raftstore.proto.Command;
import io.kuberaft.raftstore.proto.CommandResult;
import io.kuberaft.raftstore.proto.RequestId;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;

/**
 * Exactly-once: a command retried with the same (client, seq) returns the first outcome instead of
 * applying again, also after a leader change, because the outcome is replicated state written in the
 * same batch as the change. Outcomes below the client's first incomplete seq are forgotten (in
 * batches: see {@link #PRUNE_EVERY}).
 */
public final class SessionApplier implements Applier {
    static final int MAX_CLIENT_ID = 64;
    /**
     * Forgotten outcomes are pruned by one RocksDB range delete every this many seqs of a client,
     * not on every command: each range tombstone in the memtable is re-fragmented by every later
     * point read (the session lookup below), so one per command made applies slow down
     * quadratically until the next memtable flush (about 30 ms per apply after 2,000 writes).
     */
    static final long PRUNE_EVERY = 256;
    private final Applier next;

    public SessionApplier(Applier next) {
        this.next = next;
    }

    @Override
    public CommandResult apply(Command command, WriteTxn txn, long entryTerm) {
        if (!command.hasRequestId() || command.getRequestId().getClientId().isEmpty()
                || command.getRequestId().getClientId().size() > MAX_CLIENT_ID) {
            return next.apply(command, txn, entryTerm);
        }
        RequestId id = command.getRequestId();
        byte[] key = key(id, id.getSeq());
        byte[] seen = txn.getSession(key);
        if (seen != null) {
            try {
                return CommandResult.parseFrom(seen);
            } catch (InvalidProtocolBufferException e) {
                throw new UncheckedIOException(new IOException("corrupt session record", e));
            }
        }
        if (id.getFirstIncompleteSeq() > 0 && id.getSeq() % PRUNE_EVERY == 0) {
            txn.deleteSessions(key(id, 0), key(id, id.getFirstIncompleteSeq()));
        }
        CommandResult result = next.apply(command, txn, entryTerm);
        txn.putSession(key, result.toByteArray());
        return result;
    }

    private static byte[] key(RequestId id, long seq) {
        byte[] client = id.getClientId().toByteArray();
        return ByteBuffer.allocate(1 + client.length + 8).put((byte) client.length).put(client).putLong(seq).array();
    }
}
