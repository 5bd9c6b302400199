package io.kuberaft.raftstore.etcd;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.kuberaft.raftstore.errors.ErrorCode;
import io.kuberaft.raftstore.errors.StoreException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.util.concurrent.CompletionException;

import static org.assertj.core.api.Assertions.assertThat;

class GrpcErrorsTest {

    @Test
    void mapsEveryCodeAsEtcd() {
        assertThat(GrpcErrors.codeOf(ErrorCode.INVALID_ARGUMENT)).isEqualTo(Status.Code.INVALID_ARGUMENT);
        assertThat(GrpcErrors.codeOf(ErrorCode.REQUEST_TOO_LARGE)).isEqualTo(Status.Code.INVALID_ARGUMENT);
        assertThat(GrpcErrors.codeOf(ErrorCode.DUPLICATE_KEY)).isEqualTo(Status.Code.INVALID_ARGUMENT);
        assertThat(GrpcErrors.codeOf(ErrorCode.TOO_MANY_OPS)).isEqualTo(Status.Code.INVALID_ARGUMENT);
        assertThat(GrpcErrors.codeOf(ErrorCode.COMPACTED)).isEqualTo(Status.Code.OUT_OF_RANGE);
        assertThat(GrpcErrors.codeOf(ErrorCode.FUTURE_REVISION)).isEqualTo(Status.Code.OUT_OF_RANGE);
        assertThat(GrpcErrors.codeOf(ErrorCode.KEY_NOT_FOUND)).isEqualTo(Status.Code.INVALID_ARGUMENT);
        assertThat(GrpcErrors.codeOf(ErrorCode.LEASE_NOT_FOUND)).isEqualTo(Status.Code.NOT_FOUND);
        assertThat(GrpcErrors.codeOf(ErrorCode.LEASE_EXISTS)).isEqualTo(Status.Code.FAILED_PRECONDITION);
        assertThat(GrpcErrors.codeOf(ErrorCode.FENCE_MISMATCH)).isEqualTo(Status.Code.FAILED_PRECONDITION);
        assertThat(GrpcErrors.codeOf(ErrorCode.NO_LEADER)).isEqualTo(Status.Code.UNAVAILABLE);
        assertThat(GrpcErrors.codeOf(ErrorCode.UNAVAILABLE)).isEqualTo(Status.Code.UNAVAILABLE);
        assertThat(GrpcErrors.codeOf(ErrorCode.TIMEOUT)).isEqualTo(Status.Code.UNAVAILABLE);
        assertThat(GrpcErrors.codeOf(ErrorCode.INTERNAL)).isEqualTo(Status.Code.INTERNAL);
    }

    @Test
    void keepsTheStoresEtcdMessageThroughFutureWrapping() {
        StatusRuntimeException s = GrpcErrors.toStatus(new CompletionException(StoreException.compacted()));
        assertThat(s.getStatus().getCode()).isEqualTo(Status.Code.OUT_OF_RANGE);
        assertThat(s.getStatus().getDescription()).isEqualTo("etcdserver: mvcc: required revision has been compacted");
    }

    @ParameterizedTest
    @EnumSource(ErrorCode.class)
    void givesEtcdsMessageWhenTheStoreGaveNone(ErrorCode code) {
        StatusRuntimeException s = GrpcErrors.toStatus(new StoreException(code, null));
        assertThat(s.getStatus().getCode()).isEqualTo(GrpcErrors.codeOf(code));
        assertThat(s.getStatus().getDescription()).isNotBlank();
    }

    @Test
    void unknownFailuresAreInternal() {
        StatusRuntimeException s = GrpcErrors.toStatus(new IllegalStateException("boom"));
        assertThat(s.getStatus().getCode()).isEqualTo(Status.Code.INTERNAL);
    }
}
