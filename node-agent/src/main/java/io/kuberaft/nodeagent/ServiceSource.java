package io.kuberaft.nodeagent;

import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import io.fabric8.kubernetes.client.informers.cache.Cache;

import java.util.List;

/**
 * The cluster's Services as the kubelet's service lister sees them, for the {@code <NAME>_SERVICE_HOST} variables of
 * the containers it starts: one watch per agent, however many nodes it hosts, so that starting a pod costs no API call.
 */
final class ServiceSource implements AutoCloseable {
    private final SharedIndexInformer<Service> informer;

    private ServiceSource(SharedIndexInformer<Service> informer) {
        this.informer = informer;
    }

    /** Starts the watch; does not wait for the first list. */
    static ServiceSource start(KubernetesClient client) {
        SharedIndexInformer<Service> informer = client.services().inAnyNamespace().runnableInformer(0);
        informer.start();
        return new ServiceSource(informer);
    }

    boolean synced() {
        return informer.hasSynced();
    }

    List<Service> inNamespace(String namespace) {
        return informer.getIndexer().byIndex(Cache.NAMESPACE_INDEX, namespace);
    }

    Service get(String namespace, String name) {
        return informer.getStore().getByKey(namespace + "/" + name);
    }

    @Override
    public void close() {
        informer.close();
    }
}
