package io.kuberaft.nodeagent;

import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.ConfigBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;

import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * The Lease renewals' own API client, as the kubelet's heartbeat client: a request timeout of the renew
 * interval (at least 2 s, at most 10 s), no client-side retries, and after a failed renewal its connections
 * are dropped (a new client), as the kubelet's closeAllConns, so the next renewal goes through the load
 * balancer to a replica that answers. A keep-alive connection pinned to a frozen (SIGSTOPped) replica
 * otherwise held every renewal for the general client's 15 s timeout, longer than a short grace period,
 * and the node was marked Unknown although its agent was fine (NodeFailureIT, SIGSTOP scenario).
 *
 * <p>One agent renews the Leases of all the nodes it hosts through this client, so the replaced client is
 * not closed at once: closing it failed every other node's renewal in flight on it (hundreds at 2,000
 * nodes), and each of those then asked for a reset in turn. It is closed once every request on it has
 * answered or timed out, and only a failure on the current client replaces it.
 */
final class HeartbeatClient implements AutoCloseable {
    private final Config config;
    private final long timeoutMs;
    private final long minResetGapNanos;
    private final ScheduledExecutorService closer = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "agent-lease-client-closer");
        t.setDaemon(true);
        return t;
    });
    /** Replaced clients not closed yet. */
    private final java.util.Set<KubernetesClient> retired = java.util.concurrent.ConcurrentHashMap.newKeySet();
    private volatile KubernetesClient client;
    private long lastReset;
    private long resets;

    HeartbeatClient(Config base, Duration renewInterval) {
        this.timeoutMs = Math.max(2_000, Math.min(10_000, renewInterval.toMillis()));
        this.config = new ConfigBuilder(base).withRequestTimeout((int) timeoutMs).withRequestRetryBackoffLimit(0)
                .withOnlyHttpWatches(true).withUserAgent("kubelet/v1.32.4-kuberaft").build();
        this.minResetGapNanos = Duration.ofMillis(timeoutMs).toNanos();
        this.lastReset = System.nanoTime() - minResetGapNanos;
        this.client = build();
    }

    private KubernetesClient build() {
        return new KubernetesClientBuilder().withConfig(config).build();
    }

    KubernetesClient get() {
        return client;
    }

    /** Replacements so far. */
    synchronized long resets() {
        return resets;
    }

    /**
     * New connections for the next renewals after one failed on {@code failed}: only if that is still the current
     * client (a failure on a replaced one says nothing about the new connections) and at most once per request
     * timeout (many hosted nodes fail together). The replaced client is closed a request timeout later, when the
     * renewals in flight on it have answered or timed out. Returns whether it replaced the client.
     */
    synchronized boolean reset(KubernetesClient failed) {
        long now = System.nanoTime();
        if (failed != client || now - lastReset < minResetGapNanos) {
            return false;
        }
        lastReset = now;
        resets++;
        KubernetesClient old = client;
        client = build();
        retired.add(old);
        try {
            closer.schedule(() -> {
                if (retired.remove(old)) {
                    old.close();
                }
            }, timeoutMs + 1_000, TimeUnit.MILLISECONDS);
        } catch (java.util.concurrent.RejectedExecutionException e) {
            retired.remove(old);
            old.close(); // closing down
        }
        return true;
    }

    @Override
    public synchronized void close() {
        closer.shutdownNow();
        for (KubernetesClient old : retired) {
            if (retired.remove(old)) {
                old.close();
            }
        }
        client.close();
    }
}
