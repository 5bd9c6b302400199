package io.kuberaft.controllers.rootcacert;

import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.ConfigMapBuilder;
import io.fabric8.kubernetes.api.model.Namespace;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import io.kuberaft.controllers.runtime.Controller;
import io.kuberaft.controllers.runtime.ControllerContext;
import io.kuberaft.controllers.runtime.Keys;
import io.kuberaft.controllers.runtime.WorkQueue;

import java.util.Map;

/**
 * The root CA publisher: a ConfigMap {@value #NAME} with the cluster CA bundle ({@code ca.crt}) in every
 * active namespace, put back when deleted or changed. Without a configured CA ({@code ControllerOptions.rootCaPem}: a
 * plain-HTTP cluster) the bundle is empty: every pod's ServiceAccount volume projects this ConfigMap, not optionally,
 * and a node agent, like the kubelet, does not start a pod whose volume it cannot set up.
 */
public final class RootCaCertPublisher implements Controller {
    public static final String NAME = "kube-root-ca.crt";
    static final String KEY = "ca.crt";
    static final String DESCRIPTION = "kubernetes.io/description";
    static final String DESCRIPTION_TEXT = "Contains a CA bundle that can be used to verify the kube-apiserver when using internal "
            + "endpoints such as the internal service IP or kubernetes.default.svc. No other usage is guaranteed across "
            + "distributions of Kubernetes clusters.";
    private ControllerContext ctx;
    private SharedIndexInformer<Namespace> namespaces;
    private SharedIndexInformer<ConfigMap> configMaps;

    @Override
    public String name() {
        return "root-ca-cert-publisher";
    }

    @Override
    public void register(ControllerContext ctx, WorkQueue queue) {
        this.ctx = ctx;
        namespaces = ctx.informers().of(Namespace.class);
        configMaps = ctx.informers().of(ConfigMap.class);
        namespaces.addEventHandler(Keys.on(ns -> queue.add(ns.getMetadata().getName())));
        configMaps.addEventHandler(Keys.on(cm -> {
            if (NAME.equals(cm.getMetadata().getName())) {
                queue.add(cm.getMetadata().getNamespace());
            }
        }));
    }

    @Override
    public void reconcile(String namespace) {
        String pem = ctx.options().rootCaPem() == null ? "" : ctx.options().rootCaPem();
        Namespace ns = namespaces.getStore().getByKey(namespace);
        if (ns == null || ns.getMetadata().getDeletionTimestamp() != null) {
            return;
        }
        ConfigMap cm = configMaps.getStore().getByKey(Keys.of(namespace, NAME));
        try {
            if (cm == null) {
                ctx.client().configMaps().inNamespace(namespace).resource(new ConfigMapBuilder().withNewMetadata().withName(NAME)
                        .withNamespace(namespace).addToAnnotations(DESCRIPTION, DESCRIPTION_TEXT).endMetadata()
                        .addToData(KEY, pem).build()).create();
                return;
            }
            Map<String, String> ann = cm.getMetadata().getAnnotations() == null ? Map.of() : cm.getMetadata().getAnnotations();
            Map<String, String> data = cm.getData() == null ? Map.of() : cm.getData();
            if (pem.equals(data.get(KEY)) && data.size() == 1 && DESCRIPTION_TEXT.equals(ann.get(DESCRIPTION))) {
                return;
            }
            ctx.client().configMaps().inNamespace(namespace).resource(new ConfigMapBuilder(cm).editMetadata()
                    .addToAnnotations(DESCRIPTION, DESCRIPTION_TEXT).endMetadata().withData(Map.of(KEY, pem)).build()).update();
        } catch (KubernetesClientException e) {
            // 403/404: the namespace is terminating or gone; 409: our cache is behind (retried)
            if (e.getCode() != 403 && e.getCode() != 404) {
                throw e;
            }
        }
    }
}
