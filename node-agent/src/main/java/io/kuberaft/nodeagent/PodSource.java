package io.kuberaft.nodeagent;

import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;

import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The pods bound to an agent's nodes, as the API server has them. An agent with one node watches
 * {@code spec.nodeName=<node>}, as the kubelet does. An agent hosting many simulated nodes (KWOK-style) watches all
 * pods once and indexes them by node: a watch per node would cost the API server a list and a watch per node, and
 * every pod event would be matched against each of those watches' field selectors.
 */
final class PodSource implements AutoCloseable {
    private static final String BY_NODE = "spec.nodeName";
    private final SharedIndexInformer<Pod> informer;
    private final boolean shared;

    private PodSource(SharedIndexInformer<Pod> informer, boolean shared) {
        this.informer = informer;
        this.shared = shared;
    }

    /** Starts the watch of the pods of {@code nodes}; does not wait for the first list. */
    static PodSource start(KubernetesClient client, Set<String> nodes) {
        SharedIndexInformer<Pod> informer;
        boolean shared = nodes.size() > 1;
        if (shared) {
            informer = client.pods().inAnyNamespace().runnableInformer(0);
            informer.addIndexers(Map.of(BY_NODE, p -> {
                String n = p.getSpec() == null ? null : p.getSpec().getNodeName();
                return n != null && nodes.contains(n) ? List.of(n) : List.of();
            }));
        } else {
            informer = client.pods().inAnyNamespace().withField("spec.nodeName", nodes.iterator().next()).runnableInformer(0);
        }
        informer.start();
        return new PodSource(informer, shared);
    }

    boolean synced() {
        return informer.hasSynced();
    }

    /** The pods bound to {@code node} (one of this source's nodes). */
    List<Pod> podsOn(String node) {
        return shared ? informer.getIndexer().byIndex(BY_NODE, node) : informer.getStore().list();
    }

    @Override
    public void close() {
        informer.close();
    }
}
