package io.kuberaft.raftstore.apply;

import io.kuberaft.raftstore.errors.ErrorCode;
import io.kuberaft.raftstore.errors.StoreException;
import io.kuberaft.raftstore.mvcc.WriteTxn;
import io.kuberaft.raftstore.proto.Command;
import io.kuberaft.raftstore.proto.CommandResult;

/**
 * Refuses a fenced command whose log entry is not of the term it was proposed for: the proposer was
 * a leader that has since been deposed (ARCHITECTURE.md decision 5). Nothing of it is applied.
 */
public final class FenceApplier implements Applier {
    private final Applier next;

    public FenceApplier(Applier next) {
        this.next = next;
    }

    @Override
    public CommandResult apply(Command command, WriteTxn txn, long entryTerm) {
        long fence = command.getFenceTerm();
        if (fence != 0 && fence != entryTerm) {
            return Results.error(new StoreException(ErrorCode.FENCE_MISMATCH,
                    "kuberaft: fenced write refused: proposed for term " + fence + " but committed in term " + entryTerm));
        }
        return next.apply(command, txn, entryTerm);
    }
}
