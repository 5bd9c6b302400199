package io.kuberaft.cli;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * A fresh 3-replica local cluster in a temporary directory for one benchmark: the replicas are
 * separate processes started by {@link LocalCluster}, like etcd's members. {@link #close()} stops
 * them and deletes the directory; a JVM shutdown hook does the same on Ctrl-C (the replicas run
 * in their own sessions and would otherwise outlive the benchmark).
 */
final class BenchCluster implements AutoCloseable {
    private final LocalCluster cluster;
    private final Thread hook;
    private ClusterFile file;

    private BenchCluster(LocalCluster cluster) {
        this.cluster = cluster;
        this.hook = new Thread(this::stop, "bench-cluster-cleanup");
        Runtime.getRuntime().addShutdownHook(hook);
    }

    static BenchCluster start(int masters, PrintStream out) throws IOException {
        return start(masters, List.of(), out);
    }

    /** {@code serverArgs}: extra `server` flags for every replica, as `up --server-arg` passes them. */
    static BenchCluster start(int masters, List<String> serverArgs, PrintStream out) throws IOException {
        Path dir = Files.createTempDirectory("kuberaft-bench-");
        BenchCluster c = new BenchCluster(new LocalCluster(dir, out));
        try {
            c.file = c.cluster.up(masters, serverArgs);
        } catch (IOException | RuntimeException e) {
            c.close();
            throw e;
        }
        return c;
    }

    LocalCluster cluster() {
        return cluster;
    }

    ClusterFile file() throws IOException {
        file = cluster.file();
        return file;
    }

    List<String> etcdEndpoints() {
        return file.masters.stream().map(m -> m.etcdEndpoint).toList();
    }

    private void stop() {
        try {
            cluster.down(10_000);
            cluster.purge();
        } catch (IOException | RuntimeException e) {
            System.err.println("kuberaft bench: could not clean up " + cluster.dir() + ": " + e);
        }
    }

    @Override
    public void close() {
        try {
            Runtime.getRuntime().removeShutdownHook(hook);
        } catch (IllegalStateException e) {
            return; // shutting down: the hook does it
        }
        stop();
    }
}
