package io.kuberaft.raftstore.etcd;

import io.grpc.Server;
import io.grpc.netty.NettyServerBuilder;
import io.kuberaft.raftstore.ClusterView;
import io.kuberaft.raftstore.WatchableKvStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The etcd v3 gRPC API of one replica (services {@code etcdserverpb.KV}, {@code Watch},
 * {@code Lease}, {@code Maintenance.Status}, {@code Cluster.MemberList}), so {@code etcdctl} and
 * etcd client libraries work against the store. Plain-text HTTP/2 (no TLS, no auth).
 *
 * <pre>{@code
 * try (EtcdGrpcServer server = EtcdGrpcServer.start("127.0.0.1", 2379, store, clusterView)) { ... }
 * }</pre>
 */
public final class EtcdGrpcServer implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(EtcdGrpcServer.class);

    /**
     * Settings.
     *
     * @param progressNotifyInterval how often an idle {@code progress_notify} watch gets a progress response (etcd: 10 min)
     * @param maxInboundMessageBytes larger requests are refused by gRPC with RESOURCE_EXHAUSTED before they reach the
     *                               store (which itself refuses requests over 1.5 MiB, as etcd)
     * @param maxQueuedWatchBytes    responses a watch stream may have waiting for a slow client before it is ended
     * @param shutdownGrace          how long {@link #close()} waits for calls in flight before cutting them off
     */
    public record Options(Duration progressNotifyInterval, int maxInboundMessageBytes, long maxQueuedWatchBytes,
                          Duration shutdownGrace) {
        public static Options defaults() {
            return new Options(Duration.ofMinutes(10), 2 * 1024 * 1024, 64L * 1024 * 1024, Duration.ofSeconds(5));
        }

        public Options withProgressNotifyInterval(Duration interval) {
            return new Options(interval, maxInboundMessageBytes, maxQueuedWatchBytes, shutdownGrace);
        }

        public Options withShutdownGrace(Duration grace) {
            return new Options(progressNotifyInterval, maxInboundMessageBytes, maxQueuedWatchBytes, grace);
        }
    }

    private final Server server;
    private final WatchService watchService;
    private final LeaseService leaseService;
    private final ExecutorService sendExecutor;
    private final ScheduledExecutorService scheduler;
    private final Duration shutdownGrace;
    private final String host;
    private final AtomicBoolean closed = new AtomicBoolean();

    private EtcdGrpcServer(String host, int port, WatchableKvStore store, ClusterView view, Options options) {
        this.host = host;
        this.shutdownGrace = options.shutdownGrace();
        this.sendExecutor = Executors.newFixedThreadPool(Math.max(2, Runtime.getRuntime().availableProcessors()),
                daemonThreads("etcd-grpc-send-"));
        this.scheduler = Executors.newSingleThreadScheduledExecutor(daemonThreads("etcd-grpc-ticker-"));
        ResponseHeaders headers = new ResponseHeaders(view, store);
        this.watchService = new WatchService(store, headers, sendExecutor, scheduler,
                options.progressNotifyInterval(), options.maxQueuedWatchBytes());
        this.leaseService = new LeaseService(store, headers, sendExecutor);
        this.server = NettyServerBuilder.forAddress(new InetSocketAddress(host, port))
                .maxInboundMessageSize(options.maxInboundMessageBytes())
                // etcd clients ping every 10-30 s (etcdctl asks for 2 s; grpc-go raises it to 10 s), also
                // with no call open; gRPC's default policy would answer them with GOAWAY "too_many_pings".
                .permitKeepAliveTime(5, TimeUnit.SECONDS)
                .permitKeepAliveWithoutCalls(true)
                .addService(new KvService(store, headers))
                .addService(watchService)
                .addService(leaseService)
                .addService(new MaintenanceService(store, view, headers))
                .addService(new ClusterService(view, headers))
                .build();
    }

    /** Starts serving on host:port (port 0: an ephemeral port, see {@link #port()}). */
    public static EtcdGrpcServer start(String host, int port, WatchableKvStore store, ClusterView view) {
        return start(host, port, store, view, Options.defaults());
    }

    public static EtcdGrpcServer start(String host, int port, WatchableKvStore store, ClusterView view, Options options) {
        EtcdGrpcServer s = new EtcdGrpcServer(host, port, store, view, options);
        try {
            s.server.start();
        } catch (IOException e) {
            s.stopExecutors();
            throw new UncheckedIOException("etcd gRPC facade: cannot listen on " + host + ":" + port, e);
        }
        LOG.info("etcd gRPC facade listening on {}:{}", host, s.port());
        return s;
    }

    public int port() {
        return server.getPort();
    }

    /** The endpoint clients use, e.g. {@code 127.0.0.1:2379} (etcdctl's --endpoints form). */
    public String endpoint() {
        return host + ":" + port();
    }

    /** Streams and watches currently open (for tests and metrics). */
    public int activeWatchStreams() {
        return watchService.activeStreams();
    }

    public int activeWatches() {
        return watchService.activeWatches();
    }

    /**
     * Stops accepting calls, ends the open watch and keep-alive streams with UNAVAILABLE (clients
     * reconnect to another replica), waits up to the shutdown grace for unary calls in flight, then
     * cuts off whatever remains.
     */
    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        server.shutdown();
        watchService.close();
        leaseService.close();
        try {
            if (!server.awaitTermination(shutdownGrace.toMillis(), TimeUnit.MILLISECONDS)) {
                LOG.warn("etcd gRPC facade: calls still open after {}, cutting them off", shutdownGrace);
                server.shutdownNow();
                server.awaitTermination(1, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            server.shutdownNow();
            Thread.currentThread().interrupt();
        } finally {
            stopExecutors();
        }
    }

    private void stopExecutors() {
        scheduler.shutdownNow();
        sendExecutor.shutdown();
        try {
            if (!sendExecutor.awaitTermination(1, TimeUnit.SECONDS)) {
                sendExecutor.shutdownNow();
            }
        } catch (InterruptedException e) {
            sendExecutor.shutdownNow();
            Thread.currentThread().interrupt();
        }
    }

    private static ThreadFactory daemonThreads(String prefix) {
        AtomicInteger n = new AtomicInteger();
        return r -> {
            Thread t = new Thread(r, prefix + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        };
    }
}
