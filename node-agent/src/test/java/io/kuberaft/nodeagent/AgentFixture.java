package io.kuberaft.nodeagent;

import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.ConfigBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.kuberaft.apiserver.ApiServer;
import io.kuberaft.raftstore.ClusterView;
import io.kuberaft.raftstore.LocalKvStore;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;

import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

/**
 * A real API server over a {@link LocalKvStore} in this JVM (plain HTTP, no auth), a fabric8 client to it,
 * and an agent with test timings (Lease every second, 1 s crash back-off, simulated jobs run 1 s).
 */
final class AgentFixture implements AutoCloseable {
    final LocalKvStore store;
    final ApiServer server;
    final KubernetesClient client;
    final NodeAgent agent;
    final TestPki pki;
    /** The (first) node this fixture's agent runs. */
    final String node;
    private volatile java.net.http.HttpClient agentHttp;

    AgentFixture(Path tmp, String runtime, String name, int nodes) throws Exception {
        this(tmp, runtime, name, nodes, c -> c);
    }

    /** The API server presents a client certificate of a test CA to the agent, which accepts that CA only. */
    AgentFixture(Path tmp, String runtime, String name, int nodes, java.util.function.UnaryOperator<AgentConfig> tweak) throws Exception {
        pki = TestPki.create(tmp.resolve("pki"), "cluster");
        store = new LocalKvStore(tmp.resolve("store"));
        server = ApiServer.start(ApiServer.Options.plain("127.0.0.1", 0).withKubeletClient(pki.clientCert(), pki.clientKey()), store,
                ClusterView.standalone("m1", () -> 0), new SimpleMeterRegistry(), () -> "");
        client = client(server.port());
        publishRootCa(client, "default");
        AgentConfig config = tweak.apply(AgentConfig.defaults(name, nodes, runtime, tmp.resolve("agent"))
                .withTimings(Duration.ofSeconds(1), Duration.ofMinutes(5), Duration.ofSeconds(1), Duration.ofSeconds(1))
                .withAgentPort(0).withClientCa(pki.caPem()).withSyncFrequency(Duration.ofSeconds(1)));
        agent = new NodeAgent(client, config, Clock.systemUTC()).start();
        node = config.nodeNames().get(0);
    }

    /**
     * What the controllers' root-ca-cert-publisher keeps in every namespace (the fixture runs no controllers): every
     * pod's ServiceAccount volume projects it, and a pod cannot start without it.
     */
    static void publishRootCa(KubernetesClient client, String namespace) {
        client.configMaps().inNamespace(namespace).resource(new io.fabric8.kubernetes.api.model.ConfigMapBuilder().withNewMetadata()
                .withName("kube-root-ca.crt").endMetadata().addToData("ca.crt", "-----BEGIN CERTIFICATE-----\n").build()).create();
    }

    /** The default-namespace pod as the API server has it now (null when there is none). */
    io.fabric8.kubernetes.api.model.Pod pod(String name) {
        return client.pods().inNamespace("default").withName(name).get();
    }

    /** A pod bound to this fixture's node, one container "main" running {@code command} (grace period 5 s). */
    io.fabric8.kubernetes.api.model.PodBuilder podRunning(String name, String restartPolicy, String... command) {
        return new io.fabric8.kubernetes.api.model.PodBuilder().withNewMetadata().withName(name).withNamespace("default").endMetadata()
                .withNewSpec().withNodeName(node).withRestartPolicy(restartPolicy).withTerminationGracePeriodSeconds(5L)
                .addNewContainer().withName("main").withImage("busybox").withCommand(command).endContainer().endSpec();
    }

    /** GET {@code pathAndQuery} from the agent API over HTTPS with the API server's client certificate, as the API server calls it. */
    java.net.http.HttpResponse<String> agentGet(String pathAndQuery) {
        try {
            if (agentHttp == null) {
                agentHttp = TestPki.agentClient(pki);
            }
            return agentHttp.send(java.net.http.HttpRequest.newBuilder(java.net.URI.create("https://127.0.0.1:" + agent.apiPort() + pathAndQuery))
                    .timeout(Duration.ofSeconds(10)).build(), java.net.http.HttpResponse.BodyHandlers.ofString());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        } catch (Exception e) {
            throw new IllegalStateException("GET " + pathAndQuery + " from the agent: " + e, e);
        }
    }

    static KubernetesClient client(int port) {
        Config c = new ConfigBuilder(Config.empty()).withMasterUrl("http://127.0.0.1:" + port).withNamespace("default").withOnlyHttpWatches(true)
                .withRequestTimeout(10_000).build();
        return AgentClient.build(c);
    }

    /** Polls {@code condition} every 100 ms until it holds; fails with {@code what} (and its last value) at the deadline. */
    static void await(Duration timeout, String what, BooleanSupplier condition) throws InterruptedException {
        await(timeout, what, condition, () -> "");
    }

    static void await(Duration timeout, String what, BooleanSupplier condition, Supplier<Object> state) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            try {
                if (condition.getAsBoolean()) {
                    return;
                }
            } catch (RuntimeException e) {
                // not yet: the object may not exist
            }
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out after " + timeout.toSeconds() + " s waiting for " + what + "; last: " + state.get());
            }
            Thread.sleep(100);
        }
    }

    @Override
    public void close() {
        agent.close();
        client.close();
        server.close();
        store.close();
    }
}
