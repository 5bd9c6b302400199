package io.kuberaft.nodeagent;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.kuberaft.apiserver.ApiServer;
import io.kuberaft.raftstore.ClusterView;
import io.kuberaft.raftstore.LocalKvStore;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.TimeUnit;

import static io.kuberaft.nodeagent.AgentFixture.await;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * A replica frozen under the load balancer (SIGSTOP) keeps the connections already made to it open and
 * silent, while new connections reach a replica that answers. The agent's Lease renewals must move to a
 * new connection well within the grace period instead of hanging on the frozen one.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class HeartbeatFailoverTest {
    @TempDir
    Path tmp;

    @Test
    void renewalsLeaveAFrozenConnectionWithinTheGracePeriod() throws Exception {
        LocalKvStore store = new LocalKvStore(tmp.resolve("store"));
        ApiServer server = ApiServer.start(ApiServer.Options.plain("127.0.0.1", 0), store, ClusterView.standalone("m1", () -> 0),
                new SimpleMeterRegistry(), () -> "");
        KubernetesClient direct = AgentFixture.client(server.port());
        try (FreezingProxy proxy = new FreezingProxy(server.port())) {
            KubernetesClient viaProxy = AgentFixture.client(proxy.port());
            AgentConfig config = AgentConfig.defaults("hb", 1, "simulated", tmp.resolve("agent"))
                    .withTimings(Duration.ofSeconds(1), Duration.ofMinutes(5), Duration.ofSeconds(1), Duration.ofSeconds(1))
                    .withAgentPort(0);
            NodeAgent agent = new NodeAgent(viaProxy, config, Clock.systemUTC()).start();
            try {
                await(Duration.ofSeconds(30), "first renewals", () -> renewed(direct) != null
                        && renewed(direct).isAfter(Instant.now().minusSeconds(2)));
                proxy.freezeExisting();
                Instant frozenAt = Instant.now();
                // upstream's grace is 40–50 s with 10 s renewals; here renewals every 1 s must resume within a few
                // seconds (a 2 s request timeout, then a new connection), not after the general client's 15 s
                await(Duration.ofSeconds(8), "a renewal through a new connection", () -> {
                    Instant r = renewed(direct);
                    return r != null && r.isAfter(frozenAt.plusMillis(500));
                }, () -> renewed(direct));
            } finally {
                agent.close();
                viaProxy.close();
            }
        } finally {
            direct.close();
            server.close();
            store.close();
        }
    }

    private static Instant renewed(KubernetesClient k) {
        var l = k.leases().inNamespace("kube-node-lease").withName("hb").get();
        return l == null || l.getSpec().getRenewTime() == null ? null : l.getSpec().getRenewTime().toInstant();
    }
}
