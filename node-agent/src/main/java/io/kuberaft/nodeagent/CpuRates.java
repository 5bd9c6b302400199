package io.kuberaft.nodeagent;

import io.kuberaft.nodeagent.runtime.ContainerUsage;

import java.math.BigInteger;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Turns each container's CPU counter into a rate (usageNanoCores), as cAdvisor does between housekeeping samples:
 * over the last {@link #WINDOW} when a sample that old exists, else since the container started. Samples are taken
 * when someone asks (the API servers' metrics requests), kept for a minute, and forgotten with the container.
 */
final class CpuRates {
    /** metrics-server's default resolution. */
    static final Duration WINDOW = Duration.ofSeconds(15);
    private static final Duration KEEP = Duration.ofSeconds(60);
    private static final Duration MIN_SPACING = Duration.ofSeconds(1);

    private record Sample(Instant at, long cpuNanos) {
    }

    /** A rate and the interval it was measured over. */
    record Rate(long nanoCores, Duration window) {
    }

    private final Map<String, Deque<Sample>> samples = new ConcurrentHashMap<>();

    Rate record(String containerId, Instant startedAt, ContainerUsage u) {
        Deque<Sample> d = samples.computeIfAbsent(containerId, k -> new ArrayDeque<>());
        synchronized (d) {
            Sample now = new Sample(u.at(), u.cpuCoreNanoSeconds());
            // the newest sample at least WINDOW old; without one, the average since the container started
            Sample ref = new Sample(startedAt, 0);
            for (Sample s : d) {
                if (Duration.between(s.at, now.at).compareTo(WINDOW) >= 0) {
                    ref = s;
                }
            }
            if (d.isEmpty() || Duration.between(d.peekLast().at, now.at).compareTo(MIN_SPACING) >= 0) {
                d.addLast(now);
            }
            while (d.size() > 1 && Duration.between(d.peekFirst().at, now.at).compareTo(KEEP) > 0) {
                d.removeFirst();
            }
            Duration window = Duration.between(ref.at, now.at);
            long nanos = window.toNanos();
            // exactly, rounded to the nearest nanocore (a double loses the last digits of a rate over a long window)
            long rate = nanos <= 0 || now.cpuNanos <= ref.cpuNanos ? 0 : BigInteger.valueOf(now.cpuNanos - ref.cpuNanos)
                    .multiply(BigInteger.valueOf(1_000_000_000L)).add(BigInteger.valueOf(nanos / 2))
                    .divide(BigInteger.valueOf(nanos)).longValueExact();
            return new Rate(rate, window);
        }
    }

    /** Drops the samples of containers that are gone. */
    void retain(java.util.Set<String> containerIds) {
        samples.keySet().retainAll(containerIds);
    }
}
