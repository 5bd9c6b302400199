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
 * @param resourceQuotaSyncPeriod   how often every quota's usage is recalculated in full (--resource-quota-sync-period)
 * @param hostPathProvisionerDir    where the {@code kuberaft.io/hostpath} provisioner makes volume directories
 * @param defaultStorageClass       whether the controllers make a default StorageClass {@code standard} when none exists
 * @param rootCaPem                 the cluster CA bundle (PEM) published as {@code kube-root-ca.crt}; null: none published
 */
public record ControllerOptions(Duration nodeMonitorPeriod, Duration nodeMonitorGracePeriod, Duration nodeStartupGracePeriod,
                                double nodeEvictionRate, double secondaryNodeEvictionRate, double unhealthyZoneThreshold,
                                int largeClusterSizeThreshold, int terminatedPodGcThreshold,
                                Duration resourceQuotaSyncPeriod, String hostPathProvisionerDir, boolean defaultStorageClass,
                                String rootCaPem) {
    public static ControllerOptions defaults() {
        return new ControllerOptions(Duration.ofSeconds(5), Duration.ofSeconds(50), Duration.ofSeconds(60),
                0.1, 0.01, 0.55, 50, 12500,
                Duration.ofMinutes(5), "/tmp/kuberaft-hostpath", true, null);
    }

    public ControllerOptions withResourceQuotaSyncPeriod(Duration d) {
        return new ControllerOptions(nodeMonitorPeriod, nodeMonitorGracePeriod, nodeStartupGracePeriod, nodeEvictionRate,
                secondaryNodeEvictionRate, unhealthyZoneThreshold, largeClusterSizeThreshold, terminatedPodGcThreshold,
                d, hostPathProvisionerDir, defaultStorageClass, rootCaPem);
    }

    public ControllerOptions withStorage(String hostPathDir, boolean makeDefaultClass) {
        return new ControllerOptions(nodeMonitorPeriod, nodeMonitorGracePeriod, nodeStartupGracePeriod, nodeEvictionRate,
                secondaryNodeEvictionRate, unhealthyZoneThreshold, largeClusterSizeThreshold, terminatedPodGcThreshold,
                resourceQuotaSyncPeriod, hostPathDir, makeDefaultClass, rootCaPem);
    }

    public ControllerOptions withRootCaPem(String pem) {
        return new ControllerOptions(nodeMonitorPeriod, nodeMonitorGracePeriod, nodeStartupGracePeriod, nodeEvictionRate,
                secondaryNodeEvictionRate, unhealthyZoneThreshold, largeClusterSizeThreshold, terminatedPodGcThreshold,
                resourceQuotaSyncPeriod, hostPathProvisionerDir, defaultStorageClass, pem);
    }

    public ControllerOptions withNodeMonitor(Duration period, Duration grace) {
        return new ControllerOptions(period, grace, nodeStartupGracePeriod, nodeEvictionRate, secondaryNodeEvictionRate,
                unhealthyZoneThreshold, largeClusterSizeThreshold, terminatedPodGcThreshold,
                resourceQuotaSyncPeriod, hostPathProvisionerDir, defaultStorageClass, rootCaPem);
    }

    public ControllerOptions withNodeStartupGracePeriod(Duration d) {
        return new ControllerOptions(nodeMonitorPeriod, nodeMonitorGracePeriod, d, nodeEvictionRate, secondaryNodeEvictionRate,
                unhealthyZoneThreshold, largeClusterSizeThreshold, terminatedPodGcThreshold,
                resourceQuotaSyncPeriod, hostPathProvisionerDir, defaultStorageClass, rootCaPem);
    }

    public ControllerOptions withEvictionRates(double primary, double secondary) {
        return new ControllerOptions(nodeMonitorPeriod, nodeMonitorGracePeriod, nodeStartupGracePeriod, primary, secondary,
                unhealthyZoneThreshold, largeClusterSizeThreshold, terminatedPodGcThreshold,
                resourceQuotaSyncPeriod, hostPathProvisionerDir, defaultStorageClass, rootCaPem);
    }
}
