package io.kuberaft.controllers.namespace;

import io.fabric8.kubernetes.api.model.APIGroup;
import io.fabric8.kubernetes.api.model.APIResource;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.Namespace;
import io.fabric8.kubernetes.api.model.NamespaceCondition;
import io.fabric8.kubernetes.api.model.NamespaceConditionBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import io.fabric8.kubernetes.client.dsl.base.ResourceDefinitionContext;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import io.fabric8.kubernetes.client.utils.Serialization;
import io.kuberaft.controllers.runtime.Controller;
import io.kuberaft.controllers.runtime.ControllerContext;
import io.kuberaft.controllers.runtime.Keys;
import io.kuberaft.controllers.runtime.DirectRequests;
import io.kuberaft.controllers.runtime.WorkQueue;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The namespace lifecycle controller: a deleted (Terminating) namespace is emptied of every namespaced
 * resource the API serves — found through discovery, so custom resources go too — and then finalized
 * (the {@code kubernetes} spec finalizer dropped through {@code namespaces/{name}/finalize}), which
 * removes it. Content that is still terminating (pods in their grace period, objects with
 * finalizers) is waited for, with the upstream status conditions saying what remains.
 */
public final class NamespaceController implements Controller {
    static final String FINALIZER = "kubernetes";
    private static final long RECHECK_MS = 1_000;
    private ControllerContext ctx;
    private WorkQueue queue;
    private SharedIndexInformer<Namespace> namespaces;

    @Override
    public String name() {
        return "namespace-controller";
    }

    @Override
    public void register(ControllerContext ctx, WorkQueue queue) {
        this.ctx = ctx;
        this.queue = queue;
        this.namespaces = ctx.informers().of(Namespace.class);
        namespaces.addEventHandler(Keys.on(ns -> {
            if (ns.getMetadata().getDeletionTimestamp() != null) {
                queue.add(ns.getMetadata().getName());
            }
        }));
    }

    @Override
    public void reconcile(String name) {
        Namespace ns = namespaces.getStore().getByKey(name);
        if (ns == null || ns.getMetadata().getDeletionTimestamp() == null) {
            return;
        }
        List<String> finalizers = ns.getSpec() == null || ns.getSpec().getFinalizers() == null ? List.of() : ns.getSpec().getFinalizers();
        if (!finalizers.contains(FINALIZER)) {
            return;
        }
        KubernetesClient client = ctx.client();
        Map<String, Integer> remaining = new TreeMap<>();
        Map<String, Integer> withFinalizers = new TreeMap<>();
        for (NamespacedResource r : namespacedResources(client)) {
            ResourceDefinitionContext rd = r.definition();
            List<GenericKubernetesResource> items;
            try {
                items = client.genericKubernetesResources(rd).inNamespace(name).list().getItems();
            } catch (KubernetesClientException e) {
                if (e.getCode() == 404 || e.getCode() == 405) {
                    continue; // a resource that went away (a CRD deleted meanwhile)
                }
                throw e;
            }
            if (items.isEmpty()) {
                continue;
            }
            String what = rd.getGroup() == null || rd.getGroup().isEmpty() ? rd.getPlural() : rd.getPlural() + "." + rd.getGroup();
            remaining.put(what, items.size());
            for (GenericKubernetesResource item : items) {
                if (item.getMetadata().getFinalizers() != null && !item.getMetadata().getFinalizers().isEmpty()) {
                    item.getMetadata().getFinalizers().forEach(f -> withFinalizers.merge(f, 1, Integer::sum));
                }
            }
            if (items.stream().allMatch(i -> i.getMetadata().getDeletionTimestamp() != null)) {
                continue;
            }
            if (r.deleteCollection() && deleteCollection(client, rd, name)) {
                continue;
            }
            for (GenericKubernetesResource item : items) {
                if (item.getMetadata().getDeletionTimestamp() == null) {
                    try {
                        client.genericKubernetesResources(rd).inNamespace(name).withName(item.getMetadata().getName()).delete();
                    } catch (KubernetesClientException e) {
                        if (e.getCode() != 404) {
                            throw e;
                        }
                    }
                }
            }
        }
        if (!remaining.isEmpty()) {
            setConditions(ns, remaining, withFinalizers);
            queue.addAfter(name, RECHECK_MS);
            return;
        }
        List<String> rest = new ArrayList<>(finalizers);
        rest.remove(FINALIZER);
        Map<String, Object> body = Map.of("apiVersion", "v1", "kind", "Namespace",
                "metadata", Map.of("name", name), "spec", Map.of("finalizers", rest));
        try {
            client.raw("/api/v1/namespaces/" + name + "/finalize", "PUT", body);
        } catch (KubernetesClientException e) {
            if (e.getCode() != 404) {
                throw e;
            }
        }
    }

    /** A namespaced resource the controller empties; {@code deleteCollection}: it serves that verb. */
    private record NamespacedResource(ResourceDefinitionContext definition, boolean deleteCollection) {
    }

    /** Every namespaced resource that can be listed and deleted, from discovery (core, groups' preferred versions). */
    private static List<NamespacedResource> namespacedResources(KubernetesClient client) {
        List<NamespacedResource> out = new ArrayList<>();
        addResources(out, client, "", "v1");
        for (APIGroup g : client.getApiGroups().getGroups()) {
            addResources(out, client, g.getName(), g.getPreferredVersion().getVersion());
        }
        return out;
    }

    private static void addResources(List<NamespacedResource> out, KubernetesClient client, String group, String version) {
        var list = client.getApiResources(group.isEmpty() ? version : group + "/" + version);
        if (list == null) {
            return;
        }
        for (APIResource r : list.getResources()) {
            if (Boolean.TRUE.equals(r.getNamespaced()) && !r.getName().contains("/") && r.getVerbs().contains("list")
                    && r.getVerbs().contains("delete")) {
                out.add(new NamespacedResource(new ResourceDefinitionContext.Builder().withGroup(group).withVersion(version)
                        .withPlural(r.getName()).withKind(r.getKind()).withNamespaced(true).build(), r.getVerbs().contains("deletecollection")));
            }
        }
    }

    /**
     * One {@code deletecollection} for all of a resource's items, as upstream's namespace deleter: the API server deletes
     * them in process instead of one request each from here. False when the server refuses the verb (then: one by one).
     */
    private static boolean deleteCollection(KubernetesClient client, ResourceDefinitionContext rd, String namespace) {
        String base = rd.getGroup() == null || rd.getGroup().isEmpty() ? "/api/" + rd.getVersion() : "/apis/" + rd.getGroup() + "/" + rd.getVersion();
        try {
            client.raw(base + "/namespaces/" + namespace + "/" + rd.getPlural() + "?propagationPolicy=Background", "DELETE", null);
            return true;
        } catch (KubernetesClientException e) {
            if (e.getCode() == 404) {
                return true; // the resource went away meanwhile
            }
            if (e.getCode() == 405) {
                return false;
            }
            throw e;
        }
    }

    /** Upstream's NamespaceContentRemaining / NamespaceFinalizersRemaining conditions, for describe. */
    private void setConditions(Namespace ns, Map<String, Integer> remaining, Map<String, Integer> finalizers) {
        List<NamespaceCondition> conds = new ArrayList<>();
        StringBuilder content = new StringBuilder("Some resources are remaining: ");
        remaining.forEach((r, n) -> content.append(r).append(" has ").append(n).append(" resource instances, "));
        conds.add(condition("NamespaceContentRemaining", "True", "SomeResourcesRemain",
                content.substring(0, content.length() - 2)));
        if (finalizers.isEmpty()) {
            conds.add(condition("NamespaceFinalizersRemaining", "False", "ContentHasNoFinalizers", "All content-preserving finalizers finished"));
        } else {
            StringBuilder f = new StringBuilder("Some content in the namespace has finalizers remaining: ");
            finalizers.forEach((k, n) -> f.append(k).append(" in ").append(n).append(" resource instances, "));
            conds.add(condition("NamespaceFinalizersRemaining", "True", "SomeFinalizersRemain", f.substring(0, f.length() - 2)));
        }
        List<NamespaceCondition> current = ns.getStatus() == null || ns.getStatus().getConditions() == null
                ? List.of() : ns.getStatus().getConditions();
        if (sameConditions(current, conds)) {
            return;
        }
        Map<String, Object> patch = Map.of("status", Map.of("conditions", conds));
        try {
            DirectRequests.patch(ctx.client(), ctx.client().namespaces().withName(ns.getMetadata().getName()).subresource("status"),
                    PatchType.JSON_MERGE, Serialization.asJson(patch), null);
        } catch (KubernetesClientException e) {
            if (e.getCode() != 404 && e.getCode() != 409) {
                throw e;
            }
        }
    }

    private NamespaceCondition condition(String type, String status, String reason, String message) {
        return new NamespaceConditionBuilder().withType(type).withStatus(status).withReason(reason).withMessage(message)
                .withLastTransitionTime(ctx.clock().instant().truncatedTo(java.time.temporal.ChronoUnit.SECONDS).toString()).build();
    }

    private static boolean sameConditions(List<NamespaceCondition> a, List<NamespaceCondition> b) {
        if (a.size() != b.size()) {
            return false;
        }
        for (int i = 0; i < a.size(); i++) {
            if (!a.get(i).getType().equals(b.get(i).getType()) || !a.get(i).getStatus().equals(b.get(i).getStatus())
                    || !java.util.Objects.equals(a.get(i).getMessage(), b.get(i).getMessage())) {
                return false;
            }
        }
        return true;
    }
}
