package io.kuberaft.controllers.serviceaccount;

import io.fabric8.kubernetes.api.model.Namespace;
import io.fabric8.kubernetes.api.model.ServiceAccount;
import io.fabric8.kubernetes.api.model.ServiceAccountBuilder;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import io.kuberaft.controllers.runtime.Controller;
import io.kuberaft.controllers.runtime.ControllerContext;
import io.kuberaft.controllers.runtime.Keys;
import io.kuberaft.controllers.runtime.WorkQueue;

/**
 * The service account controller: every active namespace has a {@code default} ServiceAccount,
 * recreated if deleted.
 */
public final class ServiceAccountController implements Controller {
    static final String DEFAULT = "default";
    private ControllerContext ctx;
    private SharedIndexInformer<Namespace> namespaces;
    private SharedIndexInformer<ServiceAccount> accounts;

    @Override
    public String name() {
        return "serviceaccount-controller";
    }

    @Override
    public void register(ControllerContext ctx, WorkQueue queue) {
        this.ctx = ctx;
        this.namespaces = ctx.informers().of(Namespace.class);
        this.accounts = ctx.informers().of(ServiceAccount.class);
        namespaces.addEventHandler(Keys.on(ns -> queue.add(ns.getMetadata().getName())));
        accounts.addEventHandler(Keys.on(sa -> {
            if (DEFAULT.equals(sa.getMetadata().getName())) {
                queue.add(sa.getMetadata().getNamespace());
            }
        }));
    }

    @Override
    public void reconcile(String namespace) {
        Namespace ns = namespaces.getStore().getByKey(namespace);
        if (ns == null || ns.getMetadata().getDeletionTimestamp() != null
                || accounts.getStore().getByKey(Keys.of(namespace, DEFAULT)) != null) {
            return;
        }
        try {
            ctx.client().serviceAccounts().inNamespace(namespace).resource(new ServiceAccountBuilder()
                    .withNewMetadata().withName(DEFAULT).withNamespace(namespace).endMetadata().build()).create();
        } catch (KubernetesClientException e) {
            // 409: it exists (our cache is behind); 403/404: the namespace is going away
            if (e.getCode() != 409 && e.getCode() != 403 && e.getCode() != 404) {
                throw e;
            }
        }
    }
}
