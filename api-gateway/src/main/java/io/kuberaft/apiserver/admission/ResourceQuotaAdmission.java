package io.kuberaft.apiserver.admission;

import io.kuberaft.kubeapi.QuotaUsage;
import io.kuberaft.kubeapi.PodResources;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.kuberaft.apiserver.registry.Objects;
import io.kuberaft.apiserver.registry.ResourceDefinition;
import io.kuberaft.apiserver.registry.ResourceStore;
import io.kuberaft.apiserver.strategy.Json;
import io.kuberaft.apiserver.strategy.Resources;
import io.kuberaft.kubeapi.Quantity;
import io.kuberaft.raftstore.ReadConsistency;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * Upstream's ResourceQuota plugin, charged exactly: the new {@code status.used} of every quota a write changes
 * is put in the write's own txn with a compare on the quota's revision, and the namespace's quota set is pinned
 * (no quota created since it was read). Two replicas racing for the last unit: one txn fails its compare,
 * re-runs admission on fresh reads and is refused with upstream's message
 * ({@code exceeded quota: rq, requested: pods=1, used: pods=2, limited: pods=2}). Usage is released in the txn
 * that removes an object (and when a pod becomes terminal), so {@code used} stays exact without a repair loop;
 * a quota's own create or spec change computes {@code status.hard} and the missing {@code status.used}.
 */
public final class ResourceQuotaAdmission implements AdmissionPlugin {
    private static final Set<String> CONSTRAINED = Set.of("cpu", "memory", "requests.cpu", "requests.memory", "limits.cpu", "limits.memory");
    private final Lookup lookup;

    public ResourceQuotaAdmission(Lookup lookup) {
        this.lookup = lookup;
    }

    @Override
    public String name() {
        return "ResourceQuota";
    }

    @Override
    public Set<Operation> operations() {
        return Set.of(Operation.CREATE, Operation.UPDATE);
    }

    @Override
    public boolean mutating() {
        return false;
    }

    @Override
    public void admit(Attributes a) {
        if (!a.def().namespaced() || a.namespace() == null || a.namespace().isEmpty()) {
            return;
        }
        if (a.is("", "ResourceQuota")) {
            initializeStatus(a);
        }
        TreeMap<String, Quantity> delta = QuotaUsage.of(a.def().group(), a.def().plural(), a.object());
        if (a.old() != null) {
            QuotaUsage.of(a.def().group(), a.def().plural(), a.old()).forEach((k, v) -> delta.merge(k, v.negate(), Quantity::add));
        }
        delta.values().removeIf(Quantity::isZero);
        if (!delta.isEmpty()) {
            charge(a, a.object(), delta, a.operation() == Operation.CREATE);
        }
    }

    @Override
    public void onRemove(Attributes a) {
        if (!a.def().namespaced() || a.namespace() == null || a.namespace().isEmpty()) {
            return;
        }
        TreeMap<String, Quantity> delta = new TreeMap<>();
        QuotaUsage.of(a.def().group(), a.def().plural(), a.old()).forEach((k, v) -> delta.put(k, v.negate()));
        delta.values().removeIf(Quantity::isZero);
        if (!delta.isEmpty()) {
            charge(a, a.old(), delta, false);
        }
    }

    /** Applies {@code delta} to every quota of the namespace that tracks it; refuses increases beyond hard. */
    private void charge(Attributes a, ObjectNode subject, TreeMap<String, Quantity> delta, boolean create) {
        ResourceDefinition quotaDef = lookup.kind("", "ResourceQuota");
        ResourceStore.Page quotas = lookup.list(quotaDef, a.namespace(), a.reads());
        a.ops().requireNoneCreatedSince(ResourceStore.prefix(quotaDef, a.namespace()), quotas.revision());
        boolean self = a.is("", "ResourceQuota");
        for (ObjectNode quota : quotas.items()) {
            if (self && Objects.name(quota).equals(a.name()) || !QuotaUsage.matchesScopes(quota, a.def().group(), a.def().plural(), subject)) {
                continue;
            }
            TreeMap<String, Quantity> hard = hard(quota);
            String quotaName = Objects.name(quota);
            if (create && a.is("", "Pod")) {
                checkConstraints(a, quotaName, hard.keySet(), subject);
            }
            TreeMap<String, Quantity> interesting = new TreeMap<>(delta);
            interesting.keySet().retainAll(hard.keySet());
            if (interesting.isEmpty()) {
                continue;
            }
            TreeMap<String, Quantity> used = PodResources.list(quota.path("status").path("used"));
            for (String k : interesting.keySet()) {
                if (!used.containsKey(k)) {
                    used.put(k, usage(a, quota, k, a.reads(), null));
                }
            }
            TreeMap<String, Quantity> newUsed = new TreeMap<>(used);
            List<String> exceeded = new ArrayList<>();
            interesting.forEach((k, d) -> {
                Quantity next = used.get(k).add(d);
                if (next.signum() < 0) {
                    next = Quantity.of(0, used.get(k).format());
                }
                newUsed.put(k, next);
                if (d.signum() > 0 && next.compareTo(hard.get(k)) > 0) {
                    exceeded.add(k);
                }
            });
            if (!exceeded.isEmpty()) {
                throw Lookup.forbidden(a.def(), a.name(), "exceeded quota: " + quotaName
                        + ", requested: " + QuotaUsage.pretty(mask(interesting, exceeded))
                        + ", used: " + QuotaUsage.pretty(mask(used, exceeded))
                        + ", limited: " + QuotaUsage.pretty(mask(hard, exceeded)));
            }
            ObjectNode updated = quota.deepCopy();
            ObjectNode status = Json.obj(updated, "status");
            status.set("hard", Resources.toJson(hard));
            status.set("used", Resources.toJson(newUsed));
            a.ops().replaceObject(quotaDef, updated);
        }
    }

    private static TreeMap<String, Quantity> mask(Map<String, Quantity> list, List<String> keys) {
        TreeMap<String, Quantity> out = new TreeMap<>();
        keys.forEach(k -> {
            if (list.containsKey(k)) {
                out.put(k, list.get(k));
            }
        });
        return out;
    }

    private static TreeMap<String, Quantity> hard(JsonNode quota) {
        JsonNode status = quota.path("status").path("hard");
        return PodResources.list(status.size() > 0 ? status : quota.path("spec").path("hard"));
    }

    /** Upstream's pod Constraints: with cpu or memory quota'd, every container must say what it requests/limits. */
    private static void checkConstraints(Attributes a, String quotaName, Set<String> hard, JsonNode pod) {
        TreeSet<String> required = new TreeSet<>(hard);
        required.retainAll(CONSTRAINED);
        if (required.isEmpty()) {
            return;
        }
        TreeMap<String, TreeSet<String>> missing = new TreeMap<>();
        for (String kind : new String[] {"containers", "initContainers"}) {
            for (JsonNode c : pod.path("spec").path(kind)) {
                JsonNode requests = c.path("resources").path("requests");
                JsonNode limits = c.path("resources").path("limits");
                for (String r : required) {
                    boolean present = r.startsWith("limits.") ? limits.has(r.substring(7))
                            : requests.has(r.startsWith("requests.") ? r.substring(9) : r);
                    if (!present) {
                        missing.computeIfAbsent(r, x -> new TreeSet<>()).add(c.path("name").asText());
                    }
                }
            }
        }
        if (!missing.isEmpty()) {
            List<String> parts = new ArrayList<>();
            missing.forEach((r, names) -> parts.add(r + " for: " + String.join(",", names)));
            throw Lookup.forbidden(a.def(), a.name(), "failed quota: " + quotaName + ": must specify " + String.join("; ", parts));
        }
    }

    /**
     * A quota's own create or update: {@code status.hard} follows {@code spec.hard}; usage of newly tracked
     * resources is computed from the namespace's objects, pinned so that none is created meanwhile.
     */
    private void initializeStatus(Attributes a) {
        ObjectNode quota = a.object();
        TreeMap<String, Quantity> hard = PodResources.list(quota.path("spec").path("hard"));
        ObjectNode status = Json.obj(quota, "status");
        TreeMap<String, Quantity> used = PodResources.list(status.path("used"));
        used.keySet().retainAll(hard.keySet());
        for (String k : hard.keySet()) {
            if (!used.containsKey(k)) {
                used.put(k, usage(a, quota, k, ReadConsistency.LINEARIZABLE, a.ops()));
            }
        }
        status.set("hard", Resources.toJson(hard));
        status.set("used", Resources.toJson(used));
    }

    /** The usage of one quota resource in the namespace, from its objects (pinned in {@code pin} when given). */
    private Quantity usage(Attributes a, JsonNode quota, String resource, ReadConsistency reads, io.kuberaft.apiserver.registry.StoreOps pin) {
        String[] kind = QuotaUsage.countedResource(resource);
        ResourceDefinition def = lookup.registry().all().stream()
                .filter(d -> d.group().equals(kind[0]) && d.plural().equals(kind[1]) && d.namespaced()).findFirst().orElse(null);
        Quantity total = Quantity.of(0, Quantity.Format.DECIMAL_SI);
        if (def == null) {
            return total;
        }
        ResourceStore.Page page = lookup.list(def, a.namespace(), reads);
        if (pin != null) {
            pin.requireNoneCreatedSince(ResourceStore.prefix(def, a.namespace()), page.revision());
        }
        for (ObjectNode o : page.items()) {
            if (QuotaUsage.matchesScopes(quota, def.group(), def.plural(), o)) {
                Quantity q = QuotaUsage.of(def.group(), def.plural(), o).get(resource);
                if (q != null) {
                    total = total.add(q);
                }
            }
        }
        return total;
    }
}
