package io.kuberaft.controllers.resourcequota;

import io.kuberaft.kubeapi.PodResources;
import io.kuberaft.kubeapi.QuotaUsage;
import com.fasterxml.jackson.databind.JsonNode;
import io.fabric8.kubernetes.api.model.APIGroup;
import io.fabric8.kubernetes.api.model.ResourceQuota;
import io.fabric8.kubernetes.api.model.ResourceQuotaBuilder;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import io.fabric8.kubernetes.client.utils.Serialization;
import io.kuberaft.controllers.runtime.Controller;
import io.kuberaft.controllers.runtime.ControllerContext;
import io.kuberaft.controllers.runtime.Keys;
import io.kuberaft.controllers.runtime.WorkQueue;
import io.kuberaft.kubeapi.Quantity;

import java.util.HashMap;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;

/**
 * The resource quota controller. The API server's ResourceQuota admission charges and releases usage in the
 * txn of every write, so {@code status.used} is exact as long as writes go through it; this controller is
 * the full recalculation upstream runs: {@code status.hard} = {@code spec.hard} and {@code status.used} from
 * the namespace's objects for every tracked resource (scopes included), on a quota's creation or spec change
 * and every {@code resourceQuotaSyncPeriod} (repairing whatever drifted). The quota is read before the
 * objects and written with that resourceVersion, so a charge the admission made meanwhile makes the write
 * a conflict (retried on fresh reads) instead of being lost.
 */
public final class ResourceQuotaController implements Controller {
    private ControllerContext ctx;
    private WorkQueue queue;
    private SharedIndexInformer<ResourceQuota> quotas;

    @Override
    public String name() {
        return "resourcequota-controller";
    }

    @Override
    public int workers() {
        return 1;
    }

    @Override
    public void register(ControllerContext ctx, WorkQueue queue) {
        this.ctx = ctx;
        this.queue = queue;
        quotas = ctx.informers().of(ResourceQuota.class);
        quotas.addEventHandler(new ResourceEventHandler<>() {
            @Override
            public void onAdd(ResourceQuota q) {
                queue.add(Keys.of(q));
            }

            @Override
            public void onUpdate(ResourceQuota o, ResourceQuota n) {
                // spec changes and status.hard out of step: recalculate now (usage changes are the admission's)
                // (a ResourceQuota has no metadata.generation, as upstream: its spec.hard is compared)
                Map<String, ?> hard = n.getSpec() == null || n.getSpec().getHard() == null ? Map.of() : n.getSpec().getHard();
                Map<String, ?> oldHard = o.getSpec() == null || o.getSpec().getHard() == null ? Map.of() : o.getSpec().getHard();
                Map<String, ?> statusHard = n.getStatus() == null || n.getStatus().getHard() == null ? Map.of() : n.getStatus().getHard();
                if (!Objects.equals(oldHard, hard) || !Objects.equals(o.getSpec() == null ? null : o.getSpec().getScopes(),
                        n.getSpec() == null ? null : n.getSpec().getScopes()) || !hard.keySet().equals(statusHard.keySet())) {
                    queue.add(Keys.of(n));
                }
            }

            @Override
            public void onDelete(ResourceQuota q, boolean unknown) {
            }
        });
    }

    @Override
    public void reconcile(String key) {
        String ns = Keys.namespace(key);
        ResourceQuota quota = ctx.client().resourceQuotas().inNamespace(ns).withName(Keys.name(key)).get();
        if (quota == null) {
            return;
        }
        JsonNode q = Serialization.jsonMapper().valueToTree(quota);
        TreeMap<String, Quantity> hard = PodResources.list(q.path("spec").path("hard"));
        TreeMap<String, Quantity> used = new TreeMap<>();
        Map<String, JsonNode> listed = new HashMap<>();
        for (String resource : hard.keySet()) {
            String[] kind = QuotaUsage.countedResource(resource);
            JsonNode items = listed.computeIfAbsent(kind[0] + "/" + kind[1], x -> list(ns, kind[0], kind[1]));
            Quantity total = Quantity.of(0, Quantity.Format.DECIMAL_SI);
            for (JsonNode o : items) {
                if (QuotaUsage.matchesScopes(q, kind[0], kind[1], o)) {
                    Quantity v = QuotaUsage.of(kind[0], kind[1], o).get(resource);
                    if (v != null) {
                        total = total.add(v);
                    }
                }
            }
            used.put(resource, total);
        }
        TreeMap<String, Quantity> curHard = PodResources.list(q.path("status").path("hard"));
        TreeMap<String, Quantity> curUsed = PodResources.list(q.path("status").path("used"));
        if (!same(hard, curHard) || !same(used, curUsed)) {
            Map<String, io.fabric8.kubernetes.api.model.Quantity> h = new TreeMap<>();
            hard.forEach((k, v) -> h.put(k, new io.fabric8.kubernetes.api.model.Quantity(v.toString())));
            Map<String, io.fabric8.kubernetes.api.model.Quantity> u = new TreeMap<>();
            used.forEach((k, v) -> u.put(k, new io.fabric8.kubernetes.api.model.Quantity(v.toString())));
            ResourceQuota next = new ResourceQuotaBuilder(quota).withNewStatus().withHard(h).withUsed(u).endStatus().build();
            ctx.client().resourceQuotas().inNamespace(ns).resource(next).updateStatus();
        }
        queue.addAfter(key, ctx.options().resourceQuotaSyncPeriod().toMillis());
    }

    private static boolean same(Map<String, Quantity> a, Map<String, Quantity> b) {
        if (!a.keySet().equals(b.keySet())) {
            return false;
        }
        for (Map.Entry<String, Quantity> e : a.entrySet()) {
            if (e.getValue().compareTo(b.get(e.getKey())) != 0) {
                return false;
            }
        }
        return true;
    }

    /** The items of one resource in the namespace, straight from the API (linearizable, after the quota's read). */
    private JsonNode list(String ns, String group, String plural) {
        String path;
        if (group.isEmpty()) {
            path = "/api/v1/namespaces/" + ns + "/" + plural;
        } else {
            APIGroup g = ctx.client().getApiGroup(group);
            if (g == null) {
                return Serialization.jsonMapper().createArrayNode();
            }
            path = "/apis/" + group + "/" + g.getPreferredVersion().getVersion() + "/namespaces/" + ns + "/" + plural;
        }
        try {
            String body = ctx.client().raw(path);
            if (body == null) {
                return Serialization.jsonMapper().createArrayNode();
            }
            return Serialization.jsonMapper().readTree(body).path("items");
        } catch (KubernetesClientException e) {
            if (e.getCode() == 404) {
                return Serialization.jsonMapper().createArrayNode();
            }
            throw e;
        } catch (java.io.IOException e) {
            throw new IllegalStateException("unreadable list of " + plural + ": " + e.getMessage(), e);
        }
    }
}
