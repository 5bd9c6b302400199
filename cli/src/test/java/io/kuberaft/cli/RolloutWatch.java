package io.kuberaft.cli;

import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.apps.ReplicaSet;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import io.fabric8.kubernetes.client.jdkhttp.JdkHttpClientFactory;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * A rolling update's bounds checked at every state a watch delivers, not at samples: the pods of {@code app} that are
 * not terminating never exceed replicas + maxSurge, nor do their ReplicaSets' spec.replicas together, and the Running
 * and Ready ones never drop below replicas − maxUnavailable. Watches go through the load balancer, so a killed replica
 * only makes the informers reconnect (a relist may skip states, it cannot invent one).
 */
final class RolloutWatch implements AutoCloseable {
    private final KubernetesClient client;
    private final SharedIndexInformer<Pod> pods;
    private final SharedIndexInformer<ReplicaSet> replicaSets;
    private final int maxPods;
    private final int minReady;
    final List<String> violations = Collections.synchronizedList(new ArrayList<>());
    volatile int events;
    volatile int mostPods;

    RolloutWatch(Path kubeconfig, String ns, String app, int replicas, int maxSurge, int maxUnavailable) throws Exception {
        Config config = Config.fromKubeconfig(null, Files.readString(kubeconfig), kubeconfig.toString());
        config.setOnlyHttpWatches(true);
        config.setWatchReconnectInterval(200);
        client = new KubernetesClientBuilder().withConfig(config).withHttpClientFactory(new JdkHttpClientFactory()).build();
        maxPods = replicas + maxSurge;
        minReady = replicas - maxUnavailable;
        pods = client.pods().inNamespace(ns).withLabel("app", app).inform(handler(), 0);
        replicaSets = client.apps().replicaSets().inNamespace(ns).withLabel("app", app).inform(handler(), 0);
    }

    private <T> ResourceEventHandler<T> handler() {
        return new ResourceEventHandler<>() {
            @Override
            public void onAdd(T obj) {
                check();
            }

            @Override
            public void onUpdate(T oldObj, T newObj) {
                check();
            }

            @Override
            public void onDelete(T obj, boolean deletedFinalStateUnknown) {
                check();
            }
        };
    }

    private synchronized void check() {
        if (pods == null || replicaSets == null) {
            return; // still starting: the first full check comes with the second informer's list
        }
        events++;
        int live = 0;
        int ready = 0;
        for (Pod p : pods.getStore().list()) {
            if (p.getMetadata().getDeletionTimestamp() != null) {
                continue;
            }
            live++;
            boolean running = p.getStatus() != null && "Running".equals(p.getStatus().getPhase());
            if (running && p.getStatus().getConditions() != null && p.getStatus().getConditions().stream()
                    .anyMatch(c -> "Ready".equals(c.getType()) && "True".equals(c.getStatus()))) {
                ready++;
            }
        }
        int specReplicas = replicaSets.getStore().list().stream()
                .mapToInt(rs -> rs.getSpec().getReplicas() == null ? 1 : rs.getSpec().getReplicas()).sum();
        mostPods = Math.max(mostPods, live);
        if (live > maxPods || specReplicas > maxPods || ready < minReady) {
            violations.add(Instant.now() + " pods=" + live + " ready=" + ready + " sum(rs.spec.replicas)=" + specReplicas);
        }
    }

    @Override
    public void close() {
        client.close(); // stops the informers too
    }
}
