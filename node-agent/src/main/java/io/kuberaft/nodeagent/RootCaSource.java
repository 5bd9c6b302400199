package io.kuberaft.nodeagent;

import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;

import java.util.Map;

/**
 * The {@code kube-root-ca.crt} ConfigMap of every namespace (the root-ca-cert-publisher's), which every pod's
 * ServiceAccount volume ({@code kube-api-access-*}) projects as {@code ca.crt}: one watch per agent, so that starting a
 * pod costs no read for it.
 */
final class RootCaSource implements AutoCloseable {
    static final String NAME = "kube-root-ca.crt";
    private final SharedIndexInformer<ConfigMap> informer;

    private RootCaSource(SharedIndexInformer<ConfigMap> informer) {
        this.informer = informer;
    }

    /** Starts the watch; does not wait for the first list. */
    static RootCaSource start(KubernetesClient client) {
        SharedIndexInformer<ConfigMap> informer = client.configMaps().inAnyNamespace().withField("metadata.name", NAME).runnableInformer(0);
        informer.start();
        return new RootCaSource(informer);
    }

    boolean synced() {
        return informer.hasSynced();
    }

    /** The ConfigMap's data in {@code namespace}; null when it does not exist there. */
    Map<String, String> data(String namespace) {
        ConfigMap cm = informer.getStore().getByKey(namespace + "/" + NAME);
        return cm == null ? null : cm.getData() == null ? Map.of() : cm.getData();
    }

    @Override
    public void close() {
        informer.close();
    }
}
