package io.kuberaft.raftstore.etcd;

import io.grpc.stub.StreamObserver;

import java.util.concurrent.CompletableFuture;
import java.util.function.Supplier;
import java.util.function.UnaryOperator;

/** Answers a unary call from a store future: the finished response, or the mapped error. */
final class Calls {
    private Calls() {
    }

    /**
     * Runs {@code call} (checks included: whatever it throws becomes the error reply), then answers
     * with {@code finish} of its result, typically the response with its header filled.
     */
    static <T> void unary(StreamObserver<T> out, Supplier<CompletableFuture<T>> call, UnaryOperator<T> finish) {
        CompletableFuture<T> f;
        try {
            f = call.get();
        } catch (RuntimeException e) {
            f = CompletableFuture.failedFuture(e);
        }
        f.whenComplete((r, t) -> {
            if (t != null) {
                out.onError(GrpcErrors.toStatus(t));
                return;
            }
            T reply;
            try {
                reply = finish.apply(r);
            } catch (RuntimeException e) {
                out.onError(GrpcErrors.toStatus(e));
                return;
            }
            out.onNext(reply);
            out.onCompleted();
        });
    }
}
