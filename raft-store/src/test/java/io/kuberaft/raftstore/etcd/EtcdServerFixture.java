package io.kuberaft.raftstore.etcd;

import io.grpc.ManagedChannel;
import io.grpc.netty.NettyChannelBuilder;
import io.kuberaft.raftstore.ClusterView;
import io.kuberaft.raftstore.LocalKvStore;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;

import static org.assertj.core.api.Assertions.fail;

/** A real {@link LocalKvStore} in a temp dir behind an {@link EtcdGrpcServer} on an ephemeral loopback port. */
abstract class EtcdServerFixture {
    static final String MEMBER = "m1";
    static final long MEMBER_ID = ClusterView.memberIdOf(MEMBER);
    /** Short enough that progress_notify is observable in a test. */
    static final Duration PROGRESS_INTERVAL = Duration.ofMillis(300);

    @TempDir
    Path dir;
    LocalKvStore store;
    EtcdGrpcServer server;
    private ManagedChannel channel;

    @BeforeEach
    void startServer() {
        store = new LocalKvStore(dir.resolve("db"));
        ClusterView view = ClusterView.standalone(MEMBER, () -> store.engine().mvcc().appliedIndex());
        server = EtcdGrpcServer.start("127.0.0.1", 0, store, view,
                EtcdGrpcServer.Options.defaults().withProgressNotifyInterval(PROGRESS_INTERVAL).withShutdownGrace(Duration.ofSeconds(2)));
    }

    @AfterEach
    void stopServer() throws InterruptedException {
        if (channel != null) {
            channel.shutdownNow();
            channel.awaitTermination(5, TimeUnit.SECONDS);
        }
        server.close();
        store.close();
    }

    /** A plain grpc-java channel to the server, for asserting on the wire messages themselves. */
    ManagedChannel channel() {
        if (channel == null) {
            channel = NettyChannelBuilder.forAddress("127.0.0.1", server.port()).usePlaintext()
                    .maxInboundMessageSize(16 * 1024 * 1024).build();
        }
        return channel;
    }

    /** Polls {@code condition} until it holds, failing after {@code timeout}. */
    static void await(String what, Duration timeout, BooleanSupplier condition) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() - deadline > 0) {
                fail("timed out after " + timeout + " waiting for " + what);
            }
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(10));
        }
    }

    static void await(String what, BooleanSupplier condition) {
        await(what, Duration.ofSeconds(10), condition);
    }
}
