package io.kuberaft.controllers;

import java.time.Duration;

/**
 * The controller manager's flags, with kube-controller-manager 1.32's defaults
 * ({@code ../shared/spec/reference-numbers.md}); tests shorten the timings to run in seconds.
 *
 * @param nodeMonitorPeriod         how often the node lifecycle controller checks node health
 * @param nodeMonitorGracePeriod    no heartbeat for this long → Ready=Unknown and the unreachable taints
 * @param nodeStartupGracePeriod    a new node's allowance before its first heartbeat counts as missing
 * @param nodeEvictionRate          nodes per second whose pods may be evicted in a healthy zone
 * @param secondaryNodeEvictionRate the same in a partially disrupted zone of a large cluster
 * @param unhealthyZoneThreshold    the fraction of NotReady nodes that makes a zone partially disrupted
 * @param largeClusterSizeThreshold zones of at most this many nodes stop evicting when partially disrupted
 * @param terminatedPodGcThreshold  PodGC deletes terminated pods above this many (0: never)
 * @param jobPodFailureBackoff      the Job controller's delay before replacing a failed pod, doubled per
 *                                  consecutive failure (upstream DefaultJobPodFailureBackOff, 10 s)
 * @param jobPodFailureBackoffMax   the cap of that delay (upstream MaxJobPodFailureBackOff, 10 min)
 */
public record ControllerOptions(Duration nodeMonitorPeriod, Duration nodeMonitorGracePeriod, Duration nodeStartupGracePeriod,
                                double nodeEvictionRate, double secondaryNodeEvictionRate, double unhealthyZoneThreshold,
                                int largeClusterSizeThreshold, int terminatedPodGcThreshold,
                                Duration jobPodFailureBackoff, Duration jobPodFailureBackoffMax) {
    public static ControllerOptions defaults() {
        return new ControllerOptions(Duration.ofSeconds(5), Duration.ofSeconds(50), Duration.ofSeconds(60),
                0.1, 0.01, 0.55, 50, 12500, Duration.ofSeconds(10), Duration.ofMinutes(10));
    }

    public ControllerOptions withNodeMonitor(Duration period, Duration grace) {
        return new ControllerOptions(period, grace, nodeStartupGracePeriod, nodeEvictionRate, secondaryNodeEvictionRate,
                unhealthyZoneThreshold, largeClusterSizeThreshold, terminatedPodGcThreshold, jobPodFailureBackoff, jobPodFailureBackoffMax);
    }

    public ControllerOptions withNodeStartupGracePeriod(Duration d) {
        return new ControllerOptions(nodeMonitorPeriod, nodeMonitorGracePeriod, d, nodeEvictionRate, secondaryNodeEvictionRate,
                unhealthyZoneThreshold, largeClusterSizeThreshold, terminatedPodGcThreshold, jobPodFailureBackoff, jobPodFailureBackoffMax);
    }

    public ControllerOptions withEvictionRates(double primary, double secondary) {
        return new ControllerOptions(nodeMonitorPeriod, nodeMonitorGracePeriod, nodeStartupGracePeriod, primary, secondary,
                unhealthyZoneThreshold, largeClusterSizeThreshold, terminatedPodGcThreshold, jobPodFailureBackoff, jobPodFailureBackoffMax);
    }

    public ControllerOptions withJobPodFailureBackoff(Duration base, Duration max) {
        return new ControllerOptions(nodeMonitorPeriod, nodeMonitorGracePeriod, nodeStartupGracePeriod, nodeEvictionRate,
                secondaryNodeEvictionRate, unhealthyZoneThreshold, largeClusterSizeThreshold, terminatedPodGcThreshold, base, max);
    }
}
