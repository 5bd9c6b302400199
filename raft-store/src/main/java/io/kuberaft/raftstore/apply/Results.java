package io.kuberaft.raftstore.apply;

import io.kuberaft.raftstore.errors.ErrorCode;
import io.kuberaft.raftstore.errors.StoreException;
import io.kuberaft.raftstore.proto.CommandResult;
import io.kuberaft.raftstore.proto.StoreError;

/** Conversions between refused requests and their replicated form. */
public final class Results {
    private Results() {
    }

    public static CommandResult error(StoreException e) {
        return CommandResult.newBuilder()
                .setError(StoreError.newBuilder().setCode(e.code().name()).setMessage(e.getMessage()))
                .build();
    }

    public static StoreException toException(StoreError error) {
        ErrorCode code;
        try {
            code = ErrorCode.valueOf(error.getCode());
        } catch (IllegalArgumentException e) {
            code = ErrorCode.INTERNAL;
        }
        return new StoreException(code, error.getMessage());
    }
}
