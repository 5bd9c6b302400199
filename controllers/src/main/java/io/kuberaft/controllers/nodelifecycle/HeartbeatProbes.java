package io.kuberaft.controllers.nodelifecycle;

import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * When each node's silence began, on this leader's clock (upstream's nodeHealthData.probeTimestamp). The heartbeat
 * times (the Lease's renewTime, the Ready condition's lastHeartbeatTime) are written with the agents' clocks, so
 * they are trusted only as far as half the grace period: whenever the heartbeat value changes (a renewal, or the
 * first look of a new leader), the silence starts at the heartbeat time if that is at most grace/2 ago, else
 * grace/2 ago. With synchronised clocks that is exactly the replicated heartbeat time, so a new leader continues the
 * previous one's wait (ARCHITECTURE.md decision 6); an agent whose clock is minutes behind stays healthy as long as
 * it renews more often than grace/2 (the kubelet: every 10 s against 40–50 s), and one ahead is judged from when its
 * heartbeat was seen.
 */
final class HeartbeatProbes {
    private record Probe(Instant value, Instant seenAt) {
    }

    private final Map<String, Probe> probes = new HashMap<>();

    /** The instant, on this leader's clock, from which the silence of {@code node} counts. */
    Instant silentSince(String node, Instant heartbeat, Instant now, Duration grace) {
        Probe p = probes.get(node);
        if (p != null && Objects.equals(p.value(), heartbeat)) {
            return p.seenAt();
        }
        Instant seenAt = now;
        if (heartbeat != null) {
            Duration age = Duration.between(heartbeat, now);
            Duration cap = grace.dividedBy(2);
            seenAt = age.isNegative() ? now : now.minus(age.compareTo(cap) > 0 ? cap : age);
        }
        if (p != null && p.seenAt().isAfter(seenAt)) {
            seenAt = p.seenAt(); // a value going back (an agent's clock reset) does not age the node
        }
        probes.put(node, new Probe(heartbeat, seenAt));
        return seenAt;
    }

    /** Drops nodes that are gone. */
    void retain(Set<String> nodes) {
        probes.keySet().retainAll(nodes);
    }
}
