package io.kuberaft.apiserver.registry;

import io.kuberaft.kubeapi.StatusException;
import io.kuberaft.raftstore.errors.ErrorCode;
import io.kuberaft.raftstore.errors.StoreException;
import org.junit.jupiter.api.Test;

import java.util.concurrent.CompletableFuture;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

/**
 * A write whose outcome is unknown (the store timed out: it may still be applied) must not invite a client retry.
 * Found by NodeFailureIT: during a leader change `kubectl delete --force` got 503 + Retry-After: 1, client-go sent
 * the DELETE again, the first one had been applied, and kubectl printed `Error from server (NotFound)` for a delete
 * that succeeded. Upstream answers such a write with 504 Timeout and no Retry-After.
 */
class WriteTimeoutTest {
    private static final StoreException TIMEOUT = new StoreException(ErrorCode.TIMEOUT,
            "etcdserver: request timed out (no Raft quorum answered within 5000 ms)");

    @Test
    void aTimedOutWriteIsA504WithoutRetryAfter() {
        StatusException e = catchThrowableOfType(StatusException.class,
                () -> ResourceStore.awaitWrite(CompletableFuture.failedFuture(TIMEOUT)));
        assertThat(e.code()).isEqualTo(504);
        assertThat(e.retryAfterSeconds()).isNull();
        assertThat(e.getMessage()).startsWith("Timeout: request did not complete within requested timeout - ");
    }

    @Test
    void aTimedOutReadStillAsksForARetry() {
        StatusException e = catchThrowableOfType(StatusException.class,
                () -> ResourceStore.await(CompletableFuture.failedFuture(TIMEOUT)));
        assertThat(e.code()).isEqualTo(503);
        assertThat(e.retryAfterSeconds()).isEqualTo(1);
    }

    @Test
    void aWriteRefusedForWantOfALeaderWasNeverProposedAndMayBeResent() {
        StatusException e = catchThrowableOfType(StatusException.class, () -> ResourceStore.awaitWrite(CompletableFuture
                .<Object>failedFuture(new StoreException(ErrorCode.NO_LEADER, "etcdserver: no leader")).thenApply(x -> x)));
        assertThat(e.code()).isEqualTo(503);
        assertThat(e.retryAfterSeconds()).isEqualTo(1);
        assertThat(e.getMessage()).contains("etcdserver: no leader");
    }

    @Test
    void otherWriteErrorsAreUnchanged() {
        StatusException e = catchThrowableOfType(StatusException.class, () -> ResourceStore.awaitWrite(CompletableFuture.failedFuture(
                new StoreException(ErrorCode.FENCE_MISMATCH, "kuberaft: fenced write refused: proposed for term 3 but committed in term 4"))));
        assertThat(e.code()).isEqualTo(409);
    }
}
