package io.kuberaft.nodeagent;

import io.fabric8.kubernetes.api.model.coordination.v1.Lease;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static io.kuberaft.nodeagent.AgentFixture.await;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * One agent hosting 200 simulated nodes: every node's Lease is renewed within two renew periods of any moment once
 * they all exist. With 4 renewal threads (min(16, nodes / 50)), each blocking on one request, the renewals fell
 * behind as soon as a request took longer than threads × period / nodes; at 2,000 nodes the Leases starved.
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class ManyNodesHeartbeatTest {
    private static final int NODES = 200;
    private static final Duration RENEW = Duration.ofSeconds(2);

    @TempDir
    Path tmp;

    @Test
    void everyHostedNodesLeaseIsRenewedWithinTwoPeriods() throws Exception {
        try (AgentFixture f = new AgentFixture(tmp, "simulated", "many", NODES,
                c -> c.withTimings(RENEW, Duration.ofMinutes(5), Duration.ofSeconds(1), Duration.ofSeconds(1)))) {
            await(Duration.ofSeconds(90), "all " + NODES + " Leases", () -> leases(f).size() == NODES, () -> leases(f).size());
            // Two rounds, each from a fresh moment: every Lease renewed after it, within two periods.
            for (int round = 0; round < 2; round++) {
                Instant from = Instant.now();
                long deadline = System.nanoTime() + RENEW.multipliedBy(2).toNanos();
                List<String> stale = staleSince(f, from);
                while (!stale.isEmpty() && System.nanoTime() < deadline) {
                    Thread.sleep(100);
                    stale = staleSince(f, from);
                }
                assertThat(stale).as("Leases not renewed within %s of %s (round %d)", RENEW.multipliedBy(2), from, round).isEmpty();
            }
        }
    }

    private static List<String> staleSince(AgentFixture f, Instant from) {
        return leases(f).stream().filter(l -> !l.getSpec().getRenewTime().toInstant().isAfter(from)).map(l -> l.getMetadata().getName()).toList();
    }

    private static List<Lease> leases(AgentFixture f) {
        return f.client.leases().inNamespace(LeaseHeartbeat.NAMESPACE).list().getItems();
    }
}
