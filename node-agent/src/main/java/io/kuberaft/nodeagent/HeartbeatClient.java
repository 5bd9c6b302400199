package io.kuberaft.nodeagent;

import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.ConfigBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;

import java.time.Duration;

/**
 * The Lease renewals' own API client, as the kubelet's heartbeat client: a request timeout of the renew
 * interval (at least 2 s, at most 10 s), no client-side retries, and after a failed renewal its connections
 * are dropped (a new client), as the kubelet's closeAllConns, so the next renewal goes through the load
 * balancer to a replica that answers. A keep-alive connection pinned to a frozen (SIGSTOPped) replica
 * otherwise held every renewal for the general client's 15 s timeout, longer than a short grace period,
 * and the node was marked Unknown although its agent was fine (NodeFailureIT, SIGSTOP scenario).
 */
final class HeartbeatClient implements AutoCloseable {
    private final Config config;
    private final long minResetGapNanos;
    private volatile KubernetesClient client;
    private long lastReset = System.nanoTime();

    HeartbeatClient(Config base, Duration renewInterval) {
        long timeoutMs = Math.max(2_000, Math.min(10_000, renewInterval.toMillis()));
        this.config = new ConfigBuilder(base).withRequestTimeout((int) timeoutMs).withRequestRetryBackoffLimit(0)
                .withOnlyHttpWatches(true).build();
        this.minResetGapNanos = Duration.ofMillis(timeoutMs).toNanos();
        this.client = build();
    }

    private KubernetesClient build() {
        return new KubernetesClientBuilder().withConfig(config).build();
    }

    KubernetesClient get() {
        return client;
    }

    /** New connections for the next renewals; at most once per timeout (many hosted nodes fail together). */
    synchronized void reset() {
        long now = System.nanoTime();
        if (now - lastReset < minResetGapNanos) {
            return;
        }
        lastReset = now;
        KubernetesClient old = client;
        client = build();
        old.close();
    }

    @Override
    public void close() {
        client.close();
    }
}
