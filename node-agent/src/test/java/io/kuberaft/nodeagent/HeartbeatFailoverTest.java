package io.kuberaft.nodeagent;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.kuberaft.apiserver.ApiServer;
import io.kuberaft.raftstore.ClusterView;
import io.kuberaft.raftstore.LocalKvStore;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
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

    /** A TCP proxy whose existing connections can be frozen (bytes no longer forwarded); later ones flow. */
    static final class FreezingProxy implements AutoCloseable {
        final ServerSocket listener;
        final List<Socket> frozenCandidates = new CopyOnWriteArrayList<>();
        final List<boolean[]> flows = new CopyOnWriteArrayList<>();
        final int backend;

        FreezingProxy(int backend) throws IOException {
            this.backend = backend;
            this.listener = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
            Thread t = new Thread(this::accept, "freezing-proxy");
            t.setDaemon(true);
            t.start();
        }

        int port() {
            return listener.getLocalPort();
        }

        private void accept() {
            while (!listener.isClosed()) {
                try {
                    Socket in = listener.accept();
                    Socket out = new Socket(InetAddress.getLoopbackAddress(), backend);
                    boolean[] flowing = {true};
                    flows.add(flowing);
                    frozenCandidates.add(in);
                    frozenCandidates.add(out);
                    pump(in.getInputStream(), out.getOutputStream(), flowing);
                    pump(out.getInputStream(), in.getOutputStream(), flowing);
                } catch (IOException e) {
                    return;
                }
            }
        }

        private static void pump(InputStream from, OutputStream to, boolean[] flowing) {
            Thread t = new Thread(() -> {
                byte[] buf = new byte[16384];
                try {
                    int n;
                    while ((n = from.read(buf)) >= 0) {
                        while (!flowing[0]) {
                            Thread.sleep(50); // frozen: hold the bytes, keep the socket open
                        }
                        to.write(buf, 0, n);
                        to.flush();
                    }
                } catch (IOException | InterruptedException e) {
                    // connection over
                }
            }, "freezing-proxy-pump");
            t.setDaemon(true);
            t.start();
        }

        /** Every connection made so far stops forwarding (as a SIGSTOPped replica); new ones still flow. */
        void freezeExisting() {
            flows.forEach(f -> f[0] = false);
        }

        @Override
        public void close() throws IOException {
            listener.close();
            for (Socket s : frozenCandidates) {
                s.close();
            }
        }
    }

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
