package io.kuberaft.nodeagent;

import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.ConfigMapBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.ConfigBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import io.kuberaft.apiserver.ApiServer;
import io.kuberaft.raftstore.ClusterView;
import io.kuberaft.raftstore.LocalKvStore;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

import static io.kuberaft.nodeagent.AgentFixture.await;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The agent's watches behind a load balancer whose replica freezes ({@link FreezingProxy}): a watch that receives
 * nothing, not even the server's bookmarks, for the idle timeout is reconnected and catches up; a quiet watch that
 * gets its bookmarks is left alone.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class WatchIdleTimeoutTest {
    static final long BOOKMARK_MS = 300;
    static final Duration IDLE = Duration.ofMillis(1500);

    @TempDir
    Path tmp;
    LocalKvStore store;
    ApiServer server;
    KubernetesClient direct;
    FreezingProxy proxy;
    KubernetesClient viaProxy;

    @BeforeEach
    void start() throws Exception {
        store = new LocalKvStore(tmp.resolve("store"));
        server = ApiServer.start(ApiServer.Options.plain("127.0.0.1", 0).withBookmarkInterval(BOOKMARK_MS), store,
                ClusterView.standalone("m1", () -> 0), new SimpleMeterRegistry(), () -> "");
        direct = AgentFixture.client(server.port());
        proxy = new FreezingProxy(server.port());
        Config c = new ConfigBuilder(Config.empty()).withMasterUrl("http://127.0.0.1:" + proxy.port()).withNamespace("default").build();
        viaProxy = AgentClient.build(c, IDLE);
    }

    @AfterEach
    void stop() throws Exception {
        viaProxy.close();
        proxy.close();
        direct.close();
        server.close();
        store.close();
    }

    @Test
    void aWatchPinnedToAFrozenReplicaReconnectsAndCatchesUp() throws Exception {
        try (SharedIndexInformer<ConfigMap> informer = viaProxy.configMaps().inNamespace("default").inform()) {
            direct.configMaps().resource(cm("before")).create();
            await(Duration.ofSeconds(20), "the informer sees the first ConfigMap", () -> has(informer, "before"));
            int connections = proxy.accepted();

            proxy.freezeExisting();
            direct.configMaps().resource(cm("after")).create();

            await(Duration.ofSeconds(20), "the informer sees the ConfigMap created after the freeze", () -> has(informer, "after"),
                    () -> "connections " + connections + " before the freeze, " + proxy.accepted() + " now");
            assertThat(proxy.accepted()).as("the watch resumed on a new connection").isGreaterThan(connections);
        }
    }

    @Test
    void aQuietWatchThatGetsItsBookmarksIsKept() throws Exception {
        try (SharedIndexInformer<ConfigMap> informer = viaProxy.configMaps().inNamespace("default").inform()) {
            direct.configMaps().resource(cm("first")).create();
            await(Duration.ofSeconds(20), "the informer sees the first ConfigMap", () -> has(informer, "first"));
            int connections = proxy.accepted();
            long quietUntil = System.nanoTime() + IDLE.multipliedBy(3).toNanos();
            // three idle timeouts without an event: only bookmarks arrive, and they must keep the stream
            await(Duration.ofSeconds(20), "three idle timeouts without events",
                    () -> System.nanoTime() > quietUntil || proxy.accepted() != connections);
            assertThat(proxy.accepted()).as("no reconnect while bookmarks arrive").isEqualTo(connections);

            direct.configMaps().resource(cm("second")).create();
            await(Duration.ofSeconds(20), "the informer sees the second ConfigMap", () -> has(informer, "second"));
            assertThat(proxy.accepted()).as("delivered on the same connection").isEqualTo(connections);
        }
    }

    /** End to end: a pod bound to the node after the agent's replica froze still starts. */
    @Test
    void aPodBoundAfterTheReplicaFrozeStarts() throws Exception {
        AgentConfig config = AgentConfig.defaults("frozen", 1, "simulated", tmp.resolve("agent"))
                .withTimings(Duration.ofSeconds(1), Duration.ofMinutes(5), Duration.ofSeconds(1), Duration.ofSeconds(1))
                .withAgentPort(0);
        AgentFixture.publishRootCa(direct, "default");
        try (NodeAgent agent = new NodeAgent(viaProxy, config, Clock.systemUTC()).start()) {
            direct.pods().inNamespace("default").resource(pod("p1")).create();
            await(Duration.ofSeconds(30), "p1 Running", () -> running(direct, "p1"));

            proxy.freezeExisting();
            direct.pods().inNamespace("default").resource(pod("p2")).create();

            await(Duration.ofSeconds(30), "p2, bound after the freeze, Running", () -> running(direct, "p2"),
                    () -> direct.pods().inNamespace("default").withName("p2").get().getStatus());
        }
    }

    private static boolean has(SharedIndexInformer<ConfigMap> informer, String name) {
        return informer.getStore().getByKey("default/" + name) != null;
    }

    private static ConfigMap cm(String name) {
        return new ConfigMapBuilder().withNewMetadata().withName(name).withNamespace("default").endMetadata()
                .addToData("k", name).build();
    }

    private static Pod pod(String name) {
        return new PodBuilder().withNewMetadata().withName(name).withNamespace("default").endMetadata()
                .withNewSpec().withNodeName("frozen").addNewContainer().withName("c").withImage("nginx").endContainer().endSpec()
                .build();
    }

    private static boolean running(KubernetesClient k, String name) {
        Pod p = k.pods().inNamespace("default").withName(name).get();
        return p != null && p.getStatus() != null && "Running".equals(p.getStatus().getPhase());
    }
}
