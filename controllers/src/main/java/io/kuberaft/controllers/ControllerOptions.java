package io.kuberaft.controllers;

import java.time.Duration;

/**
 * The controller manager's flags, with kube-controller-manager 1.32's defaults
 * ({@code ../shared/spec/reference-numbers.md}); tests shorten the timings to run in seconds.
 * Changed through {@link #toBuilder()} (or the {@code with…} shorthands), so adding a flag touches one place.
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
 * @param resourceQuotaSyncPeriod   how often every quota's usage is recalculated in full (--resource-quota-sync-period)
 * @param hostPathProvisionerDir    where the {@code kuberaft.io/hostpath} provisioner makes volume directories
 * @param defaultStorageClass       whether the controllers make a default StorageClass {@code standard} when none exists
 * @param rootCaPem                 the cluster CA bundle (PEM) published as {@code kube-root-ca.crt}; null: none published
 * @param hpaSyncPeriod             how often every HorizontalPodAutoscaler is reconciled
 *                                  (--horizontal-pod-autoscaler-sync-period, 15 s)
 * @param hpaDownscaleStabilization the window whose highest recommendation a scale-down may not go below
 *                                  (--horizontal-pod-autoscaler-downscale-stabilization, 5 min)
 * @param hpaTolerance              no rescale while |usage/target − 1| is at most this (--horizontal-pod-autoscaler-tolerance, 0.1)
 * @param hpaCpuInitializationPeriod a pod this young has its cpu sample ignored unless it is ready and was sampled after
 *                                  turning ready (--horizontal-pod-autoscaler-cpu-initialization-period, 5 min)
 * @param hpaInitialReadinessDelay  an unready pod that turned unready within this of its start is taken as never
 *                                  ready yet (--horizontal-pod-autoscaler-initial-readiness-delay, 30 s)
 * @param clusterSigningCertPem     the CA certificate (PEM) that signs approved CertificateSigningRequests
 *                                  (--cluster-signing-cert-file); null: no signer runs
 * @param clusterSigningKeyPem      its private key (PEM, --cluster-signing-key-file)
 * @param clusterSigningDuration    the longest validity of a signed certificate (--cluster-signing-duration, 8760h)
 */
public record ControllerOptions(Duration nodeMonitorPeriod, Duration nodeMonitorGracePeriod, Duration nodeStartupGracePeriod,
                                double nodeEvictionRate, double secondaryNodeEvictionRate, double unhealthyZoneThreshold,
                                int largeClusterSizeThreshold, int terminatedPodGcThreshold,
                                Duration jobPodFailureBackoff, Duration jobPodFailureBackoffMax,
                                Duration resourceQuotaSyncPeriod, String hostPathProvisionerDir, boolean defaultStorageClass,
                                String rootCaPem, Duration hpaSyncPeriod, Duration hpaDownscaleStabilization, double hpaTolerance,
                                Duration hpaCpuInitializationPeriod, Duration hpaInitialReadinessDelay,
                                String clusterSigningCertPem, String clusterSigningKeyPem, Duration clusterSigningDuration) {
    public static ControllerOptions defaults() {
        return new Builder().build();
    }

    public Builder toBuilder() {
        return new Builder(this);
    }

    public ControllerOptions withNodeMonitor(Duration period, Duration grace) {
        return toBuilder().nodeMonitorPeriod(period).nodeMonitorGracePeriod(grace).build();
    }

    public ControllerOptions withNodeStartupGracePeriod(Duration d) {
        return toBuilder().nodeStartupGracePeriod(d).build();
    }

    public ControllerOptions withEvictionRates(double primary, double secondary) {
        return toBuilder().nodeEvictionRate(primary).secondaryNodeEvictionRate(secondary).build();
    }

    public ControllerOptions withJobPodFailureBackoff(Duration base, Duration max) {
        return toBuilder().jobPodFailureBackoff(base).jobPodFailureBackoffMax(max).build();
    }

    public ControllerOptions withResourceQuotaSyncPeriod(Duration d) {
        return toBuilder().resourceQuotaSyncPeriod(d).build();
    }

    public ControllerOptions withStorage(String hostPathDir, boolean makeDefaultClass) {
        return toBuilder().hostPathProvisionerDir(hostPathDir).defaultStorageClass(makeDefaultClass).build();
    }

    public ControllerOptions withRootCaPem(String pem) {
        return toBuilder().rootCaPem(pem).build();
    }

    /** Every option, starting from the upstream defaults. */
    public static final class Builder {
        private Duration nodeMonitorPeriod = Duration.ofSeconds(5);
        private Duration nodeMonitorGracePeriod = Duration.ofSeconds(50);
        private Duration nodeStartupGracePeriod = Duration.ofSeconds(60);
        private double nodeEvictionRate = 0.1;
        private double secondaryNodeEvictionRate = 0.01;
        private double unhealthyZoneThreshold = 0.55;
        private int largeClusterSizeThreshold = 50;
        private int terminatedPodGcThreshold = 12500;
        private Duration jobPodFailureBackoff = Duration.ofSeconds(10);
        private Duration jobPodFailureBackoffMax = Duration.ofMinutes(10);
        private Duration resourceQuotaSyncPeriod = Duration.ofMinutes(5);
        private String hostPathProvisionerDir = "/tmp/kuberaft-hostpath";
        private boolean defaultStorageClass = true;
        private String rootCaPem;
        private Duration hpaSyncPeriod = Duration.ofSeconds(15);
        private Duration hpaDownscaleStabilization = Duration.ofMinutes(5);
        private double hpaTolerance = 0.1;
        private Duration hpaCpuInitializationPeriod = Duration.ofMinutes(5);
        private Duration hpaInitialReadinessDelay = Duration.ofSeconds(30);
        private String clusterSigningCertPem;
        private String clusterSigningKeyPem;
        private Duration clusterSigningDuration = Duration.ofHours(8760);

        public Builder() {
        }

        Builder(ControllerOptions o) {
            nodeMonitorPeriod = o.nodeMonitorPeriod;
            nodeMonitorGracePeriod = o.nodeMonitorGracePeriod;
            nodeStartupGracePeriod = o.nodeStartupGracePeriod;
            nodeEvictionRate = o.nodeEvictionRate;
            secondaryNodeEvictionRate = o.secondaryNodeEvictionRate;
            unhealthyZoneThreshold = o.unhealthyZoneThreshold;
            largeClusterSizeThreshold = o.largeClusterSizeThreshold;
            terminatedPodGcThreshold = o.terminatedPodGcThreshold;
            jobPodFailureBackoff = o.jobPodFailureBackoff;
            jobPodFailureBackoffMax = o.jobPodFailureBackoffMax;
            resourceQuotaSyncPeriod = o.resourceQuotaSyncPeriod;
            hostPathProvisionerDir = o.hostPathProvisionerDir;
            defaultStorageClass = o.defaultStorageClass;
            rootCaPem = o.rootCaPem;
            hpaSyncPeriod = o.hpaSyncPeriod;
            hpaDownscaleStabilization = o.hpaDownscaleStabilization;
            hpaTolerance = o.hpaTolerance;
            hpaCpuInitializationPeriod = o.hpaCpuInitializationPeriod;
            hpaInitialReadinessDelay = o.hpaInitialReadinessDelay;
            clusterSigningCertPem = o.clusterSigningCertPem;
            clusterSigningKeyPem = o.clusterSigningKeyPem;
            clusterSigningDuration = o.clusterSigningDuration;
        }

        public Builder nodeMonitorPeriod(Duration v) { nodeMonitorPeriod = v; return this; }
        public Builder nodeMonitorGracePeriod(Duration v) { nodeMonitorGracePeriod = v; return this; }
        public Builder nodeStartupGracePeriod(Duration v) { nodeStartupGracePeriod = v; return this; }
        public Builder nodeEvictionRate(double v) { nodeEvictionRate = v; return this; }
        public Builder secondaryNodeEvictionRate(double v) { secondaryNodeEvictionRate = v; return this; }
        public Builder unhealthyZoneThreshold(double v) { unhealthyZoneThreshold = v; return this; }
        public Builder largeClusterSizeThreshold(int v) { largeClusterSizeThreshold = v; return this; }
        public Builder terminatedPodGcThreshold(int v) { terminatedPodGcThreshold = v; return this; }
        public Builder jobPodFailureBackoff(Duration v) { jobPodFailureBackoff = v; return this; }
        public Builder jobPodFailureBackoffMax(Duration v) { jobPodFailureBackoffMax = v; return this; }
        public Builder resourceQuotaSyncPeriod(Duration v) { resourceQuotaSyncPeriod = v; return this; }
        public Builder hostPathProvisionerDir(String v) { hostPathProvisionerDir = v; return this; }
        public Builder defaultStorageClass(boolean v) { defaultStorageClass = v; return this; }
        public Builder rootCaPem(String v) { rootCaPem = v; return this; }
        public Builder hpaSyncPeriod(Duration v) { hpaSyncPeriod = v; return this; }
        public Builder hpaDownscaleStabilization(Duration v) { hpaDownscaleStabilization = v; return this; }
        public Builder hpaTolerance(double v) { hpaTolerance = v; return this; }
        public Builder hpaCpuInitializationPeriod(Duration v) { hpaCpuInitializationPeriod = v; return this; }
        public Builder hpaInitialReadinessDelay(Duration v) { hpaInitialReadinessDelay = v; return this; }
        public Builder clusterSigning(String certPem, String keyPem) { clusterSigningCertPem = certPem; clusterSigningKeyPem = keyPem; return this; }
        public Builder clusterSigningDuration(Duration v) { clusterSigningDuration = v; return this; }

        public ControllerOptions build() {
            return new ControllerOptions(nodeMonitorPeriod, nodeMonitorGracePeriod, nodeStartupGracePeriod, nodeEvictionRate,
                    secondaryNodeEvictionRate, unhealthyZoneThreshold, largeClusterSizeThreshold, terminatedPodGcThreshold,
                    jobPodFailureBackoff, jobPodFailureBackoffMax, resourceQuotaSyncPeriod, hostPathProvisionerDir,
                    defaultStorageClass, rootCaPem, hpaSyncPeriod, hpaDownscaleStabilization, hpaTolerance,
                    hpaCpuInitializationPeriod, hpaInitialReadinessDelay, clusterSigningCertPem, clusterSigningKeyPem,
                    clusterSigningDuration);
        }
    }
}
