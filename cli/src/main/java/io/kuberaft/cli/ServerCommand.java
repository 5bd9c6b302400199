package io.kuberaft.cli;

import io.kuberaft.apiserver.ApiServer;
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

    @Option(names = "--token-auth-file", description = "CSV of token,user,uid[,\"group1,group2\"] accepted as bearer tokens.")
    Path tokenFile;

    @Option(names = "--join", description = "Start without a group and wait to be added with `kuberaft member add`.")
    boolean join;

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
        if (apiPort > 0) {
            ApiServer.Options o = new ApiServer.Options(host, apiPort, tlsCert, tlsKey, clientCa, TokenFile.read(tokenFile), 60_000);
            api = ApiServer.start(o, replica.store(), replica.clusterView(), registry, registry::scrape);
        }
        ApiServer apiServer = api;
        LOG.info("replica={} raft={} etcd={}:{} api={} metrics={} data={} ready", id, config.address(), host, etcd.port(),
                api == null ? "off" : host + ":" + apiPort, metrics == null ? "off" : host + ":" + metricsPort, dataDir);
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            LOG.info("replica={} stopping", id);
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
