package io.kuberaft.raftstore.apply;

import io.kuberaft.raftstore.mvcc.WriteTxn;
import io.kuberaft.raftstore.proto.Command;
import io.kuberaft.raftstore.proto.CommandResult;

/**
 * Applies one replicated command to the store, deterministically: no clocks, no randomness, no
 * network. A refused request becomes an error result (replicated like any other outcome); only a real
 * fault throws, and that stops the replica. Built as decorators, one concern each.
 */
public interface Applier {
    CommandResult apply(Command command, WriteTxn txn, long entryTerm);
}
