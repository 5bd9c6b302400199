package io.kuberaft.chaos.client;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.ConnectException;

import static org.assertj.core.api.Assertions.assertThat;

/** How etcd client errors enter the history: fail (certainly not applied) or info (maybe applied). */
class EtcdClientTest {
    @Test
    void aConnectionThatCouldNotBeMadeIsADefiniteFailure() {
        var refused = new StatusRuntimeException(Status.UNAVAILABLE.withDescription("io exception")
                .withCause(new ConnectException("Connection refused: /127.0.0.1:2379")));
        assertThat(EtcdClient.error(refused).definite).isTrue();
    }

    @Test
    void aBrokenConnectionOrATimeoutMayHaveBeenApplied() {
        var reset = new StatusRuntimeException(Status.UNAVAILABLE.withDescription("io exception")
                .withCause(new IOException("Connection reset by peer")));
        assertThat(EtcdClient.error(reset).definite).isFalse();
        assertThat(EtcdClient.error(new StatusRuntimeException(Status.DEADLINE_EXCEEDED)).definite).isFalse();
        assertThat(EtcdClient.error(new StatusRuntimeException(Status.FAILED_PRECONDITION)).definite).isTrue();
    }

    @Test
    void noLeaderIsADefiniteFailureAndATimeoutIsNot() {
        var noLeader = new StatusRuntimeException(Status.UNAVAILABLE
                .withDescription("etcdserver: no leader (this replica has known no Raft leader for 9529 ms)"));
        assertThat(EtcdClient.error(noLeader).definite).isTrue();
        var timedOut = new StatusRuntimeException(Status.UNAVAILABLE.withDescription("etcdserver: request timed out"));
        assertThat(EtcdClient.error(timedOut).definite).isFalse();
    }
}
