package io.kuberaft.nodeagent;

import com.sun.net.httpserver.HttpServer;
import io.fabric8.kubernetes.api.model.coordination.v1.Lease;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.ConfigBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * One agent renews the Leases of all its nodes through one {@link HeartbeatClient}: a reset after one node's failed
 * renewal must give the next renewals new connections without failing the renewals of other nodes already in flight
 * (closing the client at once failed all of them, and each then reset again).
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class HeartbeatClientTest {
    @Test
    void aResetLeavesTheRenewalsInFlightToFinish() throws Exception {
        CountDownLatch arrived = new CountDownLatch(1);
        CountDownLatch answer = new CountDownLatch(1);
        HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.setExecutor(Executors.newCachedThreadPool());
        server.createContext("/", ex -> {
            arrived.countDown();
            try {
                answer.await(30, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            byte[] body = ("{\"apiVersion\":\"coordination.k8s.io/v1\",\"kind\":\"Lease\",\"metadata\":{\"name\":\"n1\","
                    + "\"namespace\":\"kube-node-lease\",\"resourceVersion\":\"7\"},\"spec\":{\"holderIdentity\":\"n1\"}}")
                    .getBytes(StandardCharsets.UTF_8);
            ex.getResponseHeaders().add("Content-Type", "application/json");
            ex.sendResponseHeaders(200, body.length);
            ex.getResponseBody().write(body);
            ex.close();
        });
        server.start();
        Config base = new ConfigBuilder(Config.empty()).withMasterUrl("http://127.0.0.1:" + server.getAddress().getPort()).build();
        HeartbeatClient heartbeats = new HeartbeatClient(base, Duration.ofSeconds(10));
        try {
            KubernetesClient first = heartbeats.get();
            CompletableFuture<Lease> inFlight = CompletableFuture.supplyAsync(
                    () -> first.leases().inNamespace("kube-node-lease").withName("n1").get());
            assertThat(arrived.await(10, TimeUnit.SECONDS)).as("the renewal reached the server").isTrue();

            assertThat(heartbeats.reset(first)).as("another node's renewal failed on this client: replaced").isTrue();
            KubernetesClient second = heartbeats.get();
            assertThat(second).isNotSameAs(first);
            assertThat(heartbeats.reset(first)).as("a failure on the replaced client does not replace the new one").isFalse();
            assertThat(heartbeats.reset(second)).as("at most one reset per request timeout").isFalse();
            assertThat(heartbeats.resets()).isEqualTo(1);

            answer.countDown();
            Lease l = inFlight.get(10, TimeUnit.SECONDS);
            assertThat(l.getSpec().getHolderIdentity()).as("the renewal in flight on the replaced client completed").isEqualTo("n1");
        } finally {
            answer.countDown();
            heartbeats.close();
            server.stop(0);
        }
    }
}
