package io.kuberaft.cli;

import io.etcd.jetcd.api.MaintenanceGrpc;
import io.etcd.jetcd.api.StatusRequest;
import io.etcd.jetcd.api.StatusResponse;
import io.grpc.ManagedChannel;
import io.grpc.netty.NettyChannelBuilder;

import java.util.Optional;
import java.util.concurrent.TimeUnit;

/** Asks a replica's etcd endpoint for its status, like `etcdctl endpoint status`. */
final class StoreProbe {
    private StoreProbe() {
    }

    static Optional<StatusResponse> status(String endpoint, long timeoutMs) {
        ManagedChannel ch = NettyChannelBuilder.forTarget(endpoint).usePlaintext().build();
        try {
            return Optional.of(MaintenanceGrpc.newBlockingStub(ch).withDeadlineAfter(timeoutMs, TimeUnit.MILLISECONDS)
                    .status(StatusRequest.getDefaultInstance()));
        } catch (RuntimeException e) {
            return Optional.empty();
        } finally {
            ch.shutdownNow();
        }
    }

    static String role(StatusResponse s) {
        if (s.getLeader() == 0) {
            return "CANDIDATE";
        }
        return s.getLeader() == s.getHeader().getMemberId() ? "LEADER" : "FOLLOWER";
    }
}
