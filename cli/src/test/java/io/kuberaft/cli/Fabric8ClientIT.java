package io.kuberaft.cli;

import com.fasterxml.jackson.databind.JsonNode;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.ConfigMapBuilder;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.DeploymentBuilder;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import io.fabric8.kubernetes.client.jdkhttp.JdkHttpClientFactory;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * fabric8 kubernetes-client 7.8 (JDK HTTP client, HTTP watches as kubectl's) against `./kuberaft up`
 * through the load balancer: CRUD of a ConfigMap and a Deployment, and a ConfigMap informer that
 * keeps its cache right across a SIGKILL of the Raft leader.
 */
@Timeout(120)
class Fabric8ClientIT {
    private static final Path ROOT = Path.of(System.getProperty("kuberaft.root", "..")).toAbsolutePath().normalize();
    private static final String NS = "fabric8-it";
    private static final Map<String, String> LABELS = Map.of("it", "informer");

    @TempDir
    Path tmp;
    Path dir;
    KubernetesClient client;
    final long t0 = System.nanoTime();

    /** Phase timestamps, so that a timeout on a loaded machine shows where the time went. */
    void phase(String what) {
        System.out.printf("[%6.1f s] %s%n", (System.nanoTime() - t0) / 1e9, what);
    }

    @AfterEach
    void tearDown() throws Exception {
        if (client != null) {
            client.close();
        }
        if (dir != null) {
            LocalClusterIT.run(List.of(ROOT.resolve("kuberaft").toString(), "down", "--dir", dir.toString(), "--grace-ms", "3000", "--purge"), 60);
        }
    }

    LocalClusterIT.Result kuberaft(String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(ROOT.resolve("kuberaft").toString()));
        cmd.addAll(List.of(args));
        return LocalClusterIT.run(cmd, 120);
    }

    /** Retries what a leader change may fail once (a timeout or a 5xx); a create that went through before its answer was lost is a 409. */
    static <T> T retry(String what, Supplier<T> op) throws InterruptedException {
        long deadline = System.currentTimeMillis() + 20_000;
        while (true) {
            try {
                return op.get();
            } catch (KubernetesClientException e) {
                if (System.currentTimeMillis() > deadline || (e.getCode() >= 400 && e.getCode() < 500 && e.getCode() != 429)) {
                    throw new AssertionError(what + ": " + e.getCode() + " " + e.getMessage(), e);
                }
                Thread.sleep(200);
            }
        }
    }

    static ConfigMap cm(String name) {
        return new ConfigMapBuilder().withNewMetadata().withName(name).withNamespace(NS).withLabels(LABELS).endMetadata()
                .addToData("name", name).build();
    }

    void createCm(String name) throws InterruptedException {
        retry("create " + name, () -> {
            try {
                return client.configMaps().inNamespace(NS).resource(cm(name)).create();
            } catch (KubernetesClientException e) {
                if (e.getCode() == 409) { // a retried create whose first attempt was applied
                    return client.configMaps().inNamespace(NS).withName(name).get();
                }
                throw e;
            }
        });
    }

    @Test
    void crudAndInformerAcrossLeaderKill() throws Exception {
        dir = tmp.resolve("cluster");
        phase("up");
        LocalClusterIT.Result up = kuberaft("up", "--dir", dir.toString());
        assertThat(up.code()).as(up.out()).isZero();
        ClusterFile f = ClusterFile.read(dir);
        Config config = Config.fromKubeconfig(null, Files.readString(Path.of(f.kubeconfig)), f.kubeconfig);
        assertThat(config.getMasterUrl()).startsWith(f.loadBalancer.url);
        config.setOnlyHttpWatches(true);
        config.setRequestTimeout(10_000);
        config.setWatchReconnectInterval(200);
        client = new KubernetesClientBuilder().withConfig(config).withHttpClientFactory(new JdkHttpClientFactory()).build();

        assertThat(client.getKubernetesVersion().getGitVersion()).startsWith("v1.32");
        client.namespaces().resource(new NamespaceBuilder().withNewMetadata().withName(NS).endMetadata().build()).create();

        phase("cluster up; ConfigMap CRUD");
        ConfigMap c = client.configMaps().inNamespace(NS).resource(new ConfigMapBuilder().withNewMetadata().withName("crud")
                .addToLabels("app", "crud").endMetadata().addToData("a", "1").build()).create();
        assertThat(c.getMetadata().getResourceVersion()).isNotBlank();
        assertThat(c.getMetadata().getUid()).isNotBlank();
        assertThat(client.configMaps().inNamespace(NS).withName("crud").get().getData()).containsEntry("a", "1");
        ConfigMap edited = client.configMaps().inNamespace(NS).withName("crud").edit(x -> {
            x.getData().put("b", "2");
            return x;
        });
        assertThat(edited.getData()).containsEntry("b", "2");
        assertThat(Long.parseLong(edited.getMetadata().getResourceVersion())).isGreaterThan(Long.parseLong(c.getMetadata().getResourceVersion()));
        assertThat(client.configMaps().inNamespace(NS).withLabel("app", "crud").list().getItems()).extracting(x -> x.getMetadata().getName())
                .containsExactly("crud");
        ConfigMap stale = new ConfigMapBuilder(c).build(); // the first resourceVersion: an update with it conflicts
        stale.getData().put("c", "3");
        KubernetesClientException conflict = null;
        try {
            client.configMaps().inNamespace(NS).resource(stale).update();
        } catch (KubernetesClientException e) {
            conflict = e;
        }
        assertThat(conflict).isNotNull();
        assertThat(conflict.getCode()).isEqualTo(409);
        assertThat(client.configMaps().inNamespace(NS).withName("crud").delete()).hasSize(1);
        LocalClusterIT.await("configmap crud gone", 10_000, () -> client.configMaps().inNamespace(NS).withName("crud").get() == null);

        phase("Deployment CRUD");
        Deployment d = new DeploymentBuilder().withNewMetadata().withName("web").withNamespace(NS).endMetadata()
                .withNewSpec().withReplicas(1).withNewSelector().addToMatchLabels("app", "web").endSelector()
                .withNewTemplate().withNewMetadata().addToLabels("app", "web").endMetadata()
                .withNewSpec().addNewContainer().withName("web").withImage("nginx:1.27").endContainer().endSpec()
                .endTemplate().endSpec().build();
        Deployment created = client.apps().deployments().inNamespace(NS).resource(d).create();
        assertThat(created.getMetadata().getGeneration()).isEqualTo(1L);
        assertThat(created.getSpec().getStrategy().getType()).isEqualTo("RollingUpdate"); // defaulted by the server
        Deployment got = client.apps().deployments().inNamespace(NS).withName("web").get();
        assertThat(got.getSpec().getTemplate().getSpec().getContainers()).extracting(x -> x.getImage()).containsExactly("nginx:1.27");
        // edit() is optimistic (it sends the resourceVersion it read): the deployment controller updates the status
        // meanwhile, so a conflict is expected now and then and retried, as client-go's RetryOnConflict
        Deployment scaled = null;
        for (int attempt = 0; scaled == null; attempt++) {
            try {
                scaled = client.apps().deployments().inNamespace(NS).withName("web").edit(x -> {
                    x.getSpec().setReplicas(3);
                    return x;
                });
            } catch (io.fabric8.kubernetes.client.KubernetesClientException e) {
                if (e.getCode() != 409 || attempt >= 5) {
                    throw e;
                }
            }
        }
        assertThat(scaled.getSpec().getReplicas()).isEqualTo(3);
        assertThat(scaled.getMetadata().getGeneration()).isEqualTo(2L);
        assertThat(client.apps().deployments().inNamespace(NS).list().getItems()).extracting(x -> x.getMetadata().getName()).contains("web");
        assertThat(client.apps().deployments().inNamespace(NS).withName("web").delete()).hasSize(1);
        LocalClusterIT.await("deployment web gone", 15_000, () -> client.apps().deployments().inNamespace(NS).withName("web").get() == null);

        phase("informer");
        Map<String, String> delivered = new ConcurrentHashMap<>(); // "name@rv" -> event kind, for add / real update
        List<String> duplicates = Collections.synchronizedList(new ArrayList<>());
        AtomicInteger resyncs = new AtomicInteger();
        AtomicInteger deletes = new AtomicInteger();
        ResourceEventHandler<ConfigMap> handler = new ResourceEventHandler<ConfigMap>() {
            private void seen(String kind, ConfigMap o) {
                String k = o.getMetadata().getName() + "@" + o.getMetadata().getResourceVersion();
                String before = delivered.putIfAbsent(k, kind);
                if (before != null) {
                    duplicates.add(kind + " " + k + " (first " + before + ")");
                }
            }

            @Override
            public void onAdd(ConfigMap o) {
                seen("add", o);
            }

            @Override
            public void onUpdate(ConfigMap old, ConfigMap o) {
                if (old.getMetadata().getResourceVersion().equals(o.getMetadata().getResourceVersion())) {
                    resyncs.incrementAndGet(); // a resync redelivers the cached object; not a new event
                } else {
                    seen("update", o);
                }
            }

            @Override
            public void onDelete(ConfigMap o, boolean unknownFinalState) {
                deletes.incrementAndGet();
            }
        };
        SharedIndexInformer<ConfigMap> informer = client.configMaps().inNamespace(NS).withLabels(LABELS).inform(handler, 3_000);
        try {
            Set<String> expected = new TreeSet<>();
            for (int i = 0; i < 5; i++) {
                createCm("before-" + i);
                expected.add("before-" + i);
            }
            retry("update before-0", () -> client.configMaps().inNamespace(NS).withName("before-0").edit(x -> {
                x.getData().put("updated", "yes");
                return x;
            }));
            retry("delete before-1", () -> client.configMaps().inNamespace(NS).withName("before-1").delete());
            expected.remove("before-1");
            awaitCache(informer, expected, 15_000);

            phase("SIGKILL the leader");
            long leaderPid = 0;
            for (JsonNode m : ClusterFile.JSON.readTree(kuberaft("status", "--dir", dir.toString(), "--json").out()).get("masters")) {
                if (m.get("role").asText().equals("LEADER")) {
                    leaderPid = m.get("pid").asLong();
                }
            }
            assertThat(leaderPid).as("a leader in `status`").isPositive();
            ProcessHandle.of(leaderPid).orElseThrow().destroyForcibly();

            for (int i = 0; i < 5; i++) {
                createCm("after-" + i);
                phase("created after-" + i);
                expected.add("after-" + i);
            }
            retry("update before-2", () -> client.configMaps().inNamespace(NS).withName("before-2").edit(x -> {
                x.getData().put("updated", "after-kill");
                return x;
            }));
            retry("delete before-3", () -> client.configMaps().inNamespace(NS).withName("before-3").delete());
            expected.remove("before-3");
            phase("writes after the kill done");
            awaitCache(informer, expected, 45_000);
            phase("informer cache complete");
            // The cache holds the latest version of every object.
            assertThat(informer.getStore().getByKey(NS + "/before-2").getData()).containsEntry("updated", "after-kill");
            assertThat(informer.getStore().getByKey(NS + "/before-0").getData()).containsEntry("updated", "yes");
            Thread.sleep(4_000); // one more resync period: still the same set, nothing redelivered as new
            assertThat(cacheNames(informer)).isEqualTo(expected);
            assertThat(duplicates).as("events delivered twice for the same resourceVersion").isEmpty();
            assertThat(delivered.keySet().stream().map(k -> k.substring(0, k.indexOf('@'))).collect(Collectors.toSet()))
                    .containsAll(expected).contains("before-1", "before-3");
            assertThat(deletes.get()).isGreaterThanOrEqualTo(2);
            assertThat(resyncs.get()).as("resyncs").isPositive();
            System.out.println("informer: " + delivered.size() + " add/update events, " + deletes.get() + " deletes, "
                    + resyncs.get() + " resync deliveries, no duplicates");
        } finally {
            informer.close();
        }
    }

    static Set<String> cacheNames(SharedIndexInformer<ConfigMap> informer) {
        return informer.getStore().list().stream().map(x -> x.getMetadata().getName()).collect(Collectors.toCollection(TreeSet::new));
    }

    static void awaitCache(SharedIndexInformer<ConfigMap> informer, Set<String> expected, long timeoutMs) throws InterruptedException {
        long deadline = System.currentTimeMillis() + timeoutMs;
        while (System.currentTimeMillis() < deadline) {
            if (cacheNames(informer).equals(expected)) {
                return;
            }
            Thread.sleep(100);
        }
        assertThat(cacheNames(informer)).as("the informer's cache").isEqualTo(expected);
    }
}
