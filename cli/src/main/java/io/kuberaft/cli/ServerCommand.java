package io.kuberaft.cli;

import io.kuberaft.apiserver.ApiServer;
import io.kuberaft.controllers.ControllerManager;
import io.kuberaft.controllers.ControllerOptions;
import io.kuberaft.raftstore.raft.LeadershipListener;
import io.kuberaft.raftstore.etcd.EtcdGrpcServer;
import io.kuberaft.raftstore.metrics.StoreMetrics;
import io.kuberaft.raftstore.raft.RaftReplica;
import io.kuberaft.raftstore.raft.ReplicaConfig;
import io.micrometer.core.instrument.Metrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;

/** Runs one control-plane replica in the foreground: what `up`, systemd units and Ansible start. */
@Command(name = "server", mixinStandardHelpOptions = true,
        description = "Run one control-plane replica in the foreground (Raft peer + etcd v3 API + /metrics).")
public final class ServerCommand implements Callable<Integer> {
    private static final Logger LOG = LoggerFactory.getLogger(ServerCommand.class);

    @Option(names = "--id", required = true, description = "This replica's id, e.g. m1 (must appear in --peers).")
    String id;

    @Option(names = "--peers", required = true, description = "Every voting member: id=host:raftPort,...")
    String peers;

    @Option(names = "--data-dir", required = true, description = "Where RocksDB, snapshots and the Raft log live.")
    Path dataDir;

    @Option(names = "--host", defaultValue = "127.0.0.1", description = "Address the etcd and metrics ports bind to (default: ${DEFAULT-VALUE}).")
    String host;

    @Option(names = "--etcd-port", defaultValue = "2379", description = "etcd v3 gRPC API port (default: ${DEFAULT-VALUE}).")
    int etcdPort;

    @Option(names = "--metrics-port", defaultValue = "0", description = "Prometheus /metrics port; 0 = none (default: ${DEFAULT-VALUE}).")
    int metricsPort;

    @Option(names = "--election-timeout-min-ms", defaultValue = "1000", description = "Raft election timeout, lower bound (default: ${DEFAULT-VALUE}).")
    long electionMinMs;

    @Option(names = "--election-timeout-max-ms", defaultValue = "2000", description = "Raft election timeout, upper bound (default: ${DEFAULT-VALUE}).")
    long electionMaxMs;

    @Option(names = "--request-timeout-ms", defaultValue = "5000", description = "Bound on a write or linearizable read before UNAVAILABLE (default: ${DEFAULT-VALUE}).")
    long requestTimeoutMs;

    @Option(names = "--snapshot-threshold", defaultValue = "10000", description = "Log entries between snapshots (default: ${DEFAULT-VALUE}).")
    long snapshotThreshold;

    @Option(names = "--compaction-retention", defaultValue = "10000", description = "Revisions of history kept by automatic compaction; 0 = off (default: ${DEFAULT-VALUE}).")
    long compactionRetention;

    @Option(names = "--compaction-interval-s", defaultValue = "60", description = "Seconds between automatic compactions (default: ${DEFAULT-VALUE}).")
    long compactionIntervalS;

    @Option(names = "--api-port", defaultValue = "0", description = "Kubernetes API port (HTTPS when --tls-cert-file is given); 0 = none (default: ${DEFAULT-VALUE}).")
    int apiPort;

    @Option(names = "--tls-cert-file", description = "PEM serving certificate of the API.")
    Path tlsCert;

    @Option(names = "--tls-private-key-file", description = "PEM private key of --tls-cert-file.")
    Path tlsKey;

    @Option(names = "--client-ca-file", description = "PEM CA: client certificates it signed are authenticated (CN = user).")
    Path clientCa;

    @Option(names = "--kubelet-client-certificate", description = "PEM client certificate presented to node agents (logs, exec).")
    Path kubeletClientCert;

    @Option(names = "--kubelet-client-key", description = "PEM private key of --kubelet-client-certificate.")
    Path kubeletClientKey;

    @Option(names = "--token-auth-file", description = "CSV of token,user,uid[,\"group1,group2\"] accepted as bearer tokens.")
    Path tokenFile;

    @Option(names = "--service-account-key-file", description = "PEM public key that verifies ServiceAccount tokens.")
    Path serviceAccountKey;

    @Option(names = "--service-account-signing-key-file", description = "PEM private key (PKCS#8) that signs ServiceAccount tokens (TokenRequest).")
    Path serviceAccountSigningKey;

    @Option(names = "--service-account-issuer", defaultValue = "https://kubernetes.default.svc.cluster.local",
            description = "The iss claim of ServiceAccount tokens (default: ${DEFAULT-VALUE}).")
    String serviceAccountIssuer;

    @Option(names = "--join", description = "Start without a group and wait to be added with `kuberaft member add`.")
    boolean join;

    @Option(names = "--controllers", negatable = true, defaultValue = "true", fallbackValue = "true",
            description = "Run the controllers and the scheduler while this replica leads (default: ${DEFAULT-VALUE}).")
    boolean controllers;

    @Option(names = "--node-monitor-period", defaultValue = "5s", converter = GoDuration.class,
            description = "How often node health is checked (default: ${DEFAULT-VALUE}).")
    Duration nodeMonitorPeriod;

    @Option(names = "--node-monitor-grace-period", defaultValue = "50s", converter = GoDuration.class,
            description = "No heartbeat for this long marks a node Unknown and taints it unreachable (default: ${DEFAULT-VALUE}).")
    Duration nodeMonitorGracePeriod;

    @Option(names = "--node-startup-grace-period", defaultValue = "60s", converter = GoDuration.class,
            description = "A new node's allowance before its first heartbeat (default: ${DEFAULT-VALUE}).")
    Duration nodeStartupGracePeriod;

    @Option(names = "--node-eviction-rate", defaultValue = "0.1",
            description = "Nodes per second whose pods may be evicted in a healthy zone (default: ${DEFAULT-VALUE}).")
    double nodeEvictionRate;

    @Option(names = "--secondary-node-eviction-rate", defaultValue = "0.01",
            description = "Nodes per second evicted in a partially disrupted zone of a large cluster (default: ${DEFAULT-VALUE}).")
    double secondaryNodeEvictionRate;

    @Option(names = "--unhealthy-zone-threshold", defaultValue = "0.55",
            description = "Fraction of NotReady nodes (at least 3) that makes a zone partially disrupted (default: ${DEFAULT-VALUE}).")
    double unhealthyZoneThreshold;

    @Option(names = "--large-cluster-size-threshold", defaultValue = "50",
            description = "A partially disrupted zone of more nodes keeps evicting at --secondary-node-eviction-rate; "
                    + "smaller ones stop (default: ${DEFAULT-VALUE}).")
    int largeClusterSizeThreshold;

    @Option(names = "--terminated-pod-gc-threshold", defaultValue = "12500",
            description = "Terminated pods kept before PodGC deletes the oldest; 0 turns that off (default: ${DEFAULT-VALUE}).")
    int terminatedPodGcThreshold;

    @Option(names = "--horizontal-pod-autoscaler-sync-period", defaultValue = "15s", converter = GoDuration.class,
            description = "How often every HorizontalPodAutoscaler is synced (default: ${DEFAULT-VALUE}).")
    Duration hpaSyncPeriod;

    @Option(names = "--horizontal-pod-autoscaler-downscale-stabilization", defaultValue = "5m", converter = GoDuration.class,
            description = "A scale-down goes no lower than the highest recommendation of this window (default: ${DEFAULT-VALUE}).")
    Duration hpaDownscaleStabilization;

    @Option(names = "--horizontal-pod-autoscaler-tolerance", defaultValue = "0.1",
            description = "No rescale while the usage-to-target ratio is within this of 1 (default: ${DEFAULT-VALUE}).")
    double hpaTolerance;

    @Option(names = "--horizontal-pod-autoscaler-cpu-initialization-period", defaultValue = "5m", converter = GoDuration.class,
            description = "After a pod starts, its cpu samples count only once it is ready and sampled since (default: ${DEFAULT-VALUE}).")
    Duration hpaCpuInitializationPeriod;

    @Option(names = "--horizontal-pod-autoscaler-initial-readiness-delay", defaultValue = "30s", converter = GoDuration.class,
            description = "A pod unready within this of its start counts as not yet ready for cpu (default: ${DEFAULT-VALUE}).")
    Duration hpaInitialReadinessDelay;

    @Option(names = "--cluster-signing-cert-file", description = "PEM CA certificate that signs approved CertificateSigningRequests "
            + "of the kubernetes.io signers (with --cluster-signing-key-file; none: they stay unissued).")
    Path clusterSigningCert;

    @Option(names = "--cluster-signing-key-file", description = "PEM private key of --cluster-signing-cert-file.")
    Path clusterSigningKey;

    @Option(names = "--cluster-signing-duration", defaultValue = "8760h", converter = GoDuration.class,
            description = "The longest validity of a signed certificate (default: ${DEFAULT-VALUE}).")
    Duration clusterSigningDuration;

    @Option(names = "--watch-bookmark-interval", defaultValue = "10s", converter = GoDuration.class,
            description = "How often watches that allow bookmarks get one; node agents take a watch silent for 3 intervals "
                    + "as a frozen replica and reconnect (default: ${DEFAULT-VALUE}).")
    Duration watchBookmarkInterval;

    @Override
    public Integer call() throws Exception {
        ReplicaConfig config = ReplicaConfig.of(id, ReplicaConfig.parsePeers(peers), dataDir)
                .withElectionTimeout(Duration.ofMillis(electionMinMs), Duration.ofMillis(electionMaxMs))
                .withRequestTimeout(Duration.ofMillis(requestTimeoutMs))
                .withSnapshotThreshold(snapshotThreshold)
                .withCompaction(compactionRetention, Duration.ofSeconds(compactionIntervalS))
                .joining(join);
        PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        Metrics.addRegistry(registry);
        RaftReplica replica = RaftReplica.start(config);
        StoreMetrics.bind(replica, registry);
        EtcdGrpcServer etcd = EtcdGrpcServer.start(host, etcdPort, replica.store(), replica.clusterView());
        MetricsHttpServer metrics = metricsPort > 0 ? MetricsHttpServer.start(host, metricsPort, registry) : null;
        ApiServer api = null;
        ControllerManager manager = null;
        if (apiPort > 0) {
            Map<String, io.kuberaft.apiserver.auth.UserInfo> tokens = new HashMap<>(TokenFile.read(tokenFile));
            String controllerToken = "";
            java.util.concurrent.atomic.AtomicReference<String> controllersApiUrl = new java.util.concurrent.atomic.AtomicReference<>();
            if (!tokens.isEmpty() || clientCa != null || serviceAccountKey != null) {
                // The controllers' own credential: made at start, known only to this process.
                controllerToken = UUID.randomUUID().toString();
                // its own user, privileged as system:masters (upstream gives it a ClusterRole per controller instead)
                tokens.put(controllerToken, io.kuberaft.apiserver.auth.UserInfo.authenticated("system:kube-controller-manager", "",
                        List.of(io.kuberaft.apiserver.auth.UserInfo.MASTERS), Map.of()));
            }
            if (controllers) {
                ControllerOptions options = ControllerOptions.defaults()
                        .withNodeMonitor(nodeMonitorPeriod, nodeMonitorGracePeriod)
                        .withNodeStartupGracePeriod(nodeStartupGracePeriod)
                        .withEvictionRates(nodeEvictionRate, secondaryNodeEvictionRate)
                        .toBuilder().hpaSyncPeriod(hpaSyncPeriod).hpaDownscaleStabilization(hpaDownscaleStabilization)
                        .hpaTolerance(hpaTolerance).hpaCpuInitializationPeriod(hpaCpuInitializationPeriod)
                        .hpaInitialReadinessDelay(hpaInitialReadinessDelay).clusterSigningDuration(clusterSigningDuration)
                        .unhealthyZoneThreshold(unhealthyZoneThreshold).largeClusterSizeThreshold(largeClusterSizeThreshold)
                        .terminatedPodGcThreshold(terminatedPodGcThreshold).build();
                if (clusterSigningCert != null && clusterSigningKey != null) {
                    options = options.toBuilder().clusterSigning(java.nio.file.Files.readString(clusterSigningCert),
                            java.nio.file.Files.readString(clusterSigningKey)).build();
                }
                if (clientCa != null) {
                    // published to every namespace as kube-root-ca.crt (the cluster CA, as kube-controller-manager's --root-ca-file)
                    options = options.withRootCaPem(java.nio.file.Files.readString(clientCa));
                }
                manager = ControllerManager.standard(controllersApiUrl::get, controllerToken, options);
                ControllerManager m = manager;
                // Registered before the API listens: a replica that leads at once must not miss its term.
                replica.addLeadershipListener(new LeadershipListener() {
                    @Override
                    public void onLeaderReady(long term) {
                        m.onLeaderReady(term);
                    }

                    @Override
                    public void onNotLeader() {
                        m.onNotLeader();
                    }
                });
            }
            ApiServer.Options o = new ApiServer.Options(host, apiPort, tlsCert, tlsKey, clientCa, tokens, watchBookmarkInterval.toMillis())
                    .withKubeletClient(kubeletClientCert, kubeletClientKey)
                    .withServiceAccountKeys(serviceAccountKey, serviceAccountSigningKey, serviceAccountIssuer)
                    .withLoopbackToken(controllerToken);
            api = ApiServer.start(o, replica.store(), replica.clusterView(), registry, registry::scrape);
            controllersApiUrl.set(api.loopbackUrl());
        }
        ApiServer apiServer = api;
        ControllerManager controllerManager = manager;
        LOG.info("replica={} raft={} etcd={}:{} api={} metrics={} data={} ready", id, config.address(), host, etcd.port(),
                api == null ? "off" : host + ":" + apiPort, metrics == null ? "off" : host + ":" + metricsPort, dataDir);
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            LOG.info("replica={} stopping", id);
            if (controllerManager != null) {
                controllerManager.close();
            }
            if (apiServer != null) {
                apiServer.close();
            }
            if (metrics != null) {
                metrics.close();
            }
            etcd.close();
            replica.close();
            stopped.countDown();
        }, "kuberaft-shutdown"));
        // Runs until SIGTERM/SIGINT: the shutdown hook closes everything, then the JVM exits.
        stopped.await();
        return 0;
    }
}
