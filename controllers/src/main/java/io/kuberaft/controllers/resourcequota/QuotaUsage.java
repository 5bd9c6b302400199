package io.kuberaft.controllers.resourcequota;

import com.fasterxml.jackson.databind.JsonNode;
import io.kuberaft.kubeapi.Quantity;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * What one object counts for in a ResourceQuota, as upstream's evaluators (and the API server's
 * ResourceQuota admission, which charges the same numbers in each write's txn): pods (non-terminal: pods,
 * cpu/memory/ephemeral-storage requests and limits, extended resources), services (node ports, load
 * balancers), persistentvolumeclaims (storage, per storage class) and {@code count/<resource>[.<group>]}.
 * Kept in step with {@code api-gateway}'s {@code admission/QuotaUsage} (the two modules share no code but
 * kube-api; moving both into kube-api is the next step).
 */
final class QuotaUsage {
    private QuotaUsage() {
    }

    static final String STORAGE_CLASS_SUFFIX = ".storageclass.storage.k8s.io/";
    private static final Quantity ONE = Quantity.of(1, Quantity.Format.DECIMAL_SI);
    private static final Set<String> LEGACY_COUNTED = Set.of("configmaps", "secrets", "replicationcontrollers", "resourcequotas");

    /** {group, plural} of the objects a quota resource name counts. */
    static String[] countedResource(String name) {
        if (name.startsWith("count/")) {
            String res = name.substring(6);
            int dot = res.indexOf('.');
            return dot < 0 ? new String[] {"", res} : new String[] {res.substring(dot + 1), res.substring(0, dot)};
        }
        if (name.equals("persistentvolumeclaims") || name.equals("requests.storage") || name.contains(STORAGE_CLASS_SUFFIX)) {
            return new String[] {"", "persistentvolumeclaims"};
        }
        if (name.equals("services") || name.startsWith("services.")) {
            return new String[] {"", "services"};
        }
        if (LEGACY_COUNTED.contains(name)) {
            return new String[] {"", name};
        }
        return new String[] {"", "pods"};
    }

    static TreeMap<String, Quantity> of(String group, String plural, JsonNode obj) {
        TreeMap<String, Quantity> out = new TreeMap<>();
        out.put("count/" + plural + (group.isEmpty() ? "" : "." + group), ONE);
        if (!group.isEmpty()) {
            return out;
        }
        switch (plural) {
            case "pods" -> pod(out, obj);
            case "services" -> service(out, obj);
            case "persistentvolumeclaims" -> claim(out, obj);
            default -> {
                if (LEGACY_COUNTED.contains(plural)) {
                    out.put(plural, ONE);
                }
            }
        }
        return out;
    }

    private static void pod(TreeMap<String, Quantity> out, JsonNode pod) {
        String phase = pod.path("status").path("phase").asText("");
        if (phase.equals("Succeeded") || phase.equals("Failed")) {
            return;
        }
        out.put("pods", ONE);
        JsonNode spec = pod.path("spec");
        TreeMap<String, Quantity> requests = podTotal(spec, "requests");
        TreeMap<String, Quantity> limits = podTotal(spec, "limits");
        for (String r : new String[] {"cpu", "memory", "ephemeral-storage"}) {
            if (requests.containsKey(r)) {
                out.put(r, requests.get(r));
                out.put("requests." + r, requests.get(r));
            }
            if (limits.containsKey(r)) {
                out.put("limits." + r, limits.get(r));
            }
        }
        requests.forEach((name, q) -> {
            if (name.startsWith("hugepages-")) {
                out.put(name, q);
                out.put("requests." + name, q);
            } else if (name.contains("/") && !name.startsWith("kubernetes.io/")) {
                out.put("requests." + name, q);
            }
        });
    }

    static TreeMap<String, Quantity> list(JsonNode list) {
        TreeMap<String, Quantity> out = new TreeMap<>();
        list.fields().forEachRemaining(e -> {
            Quantity q = Quantity.tryParse(e.getValue());
            if (q != null) {
                out.put(e.getKey(), q);
            }
        });
        return out;
    }

    /** Upstream's PodRequests/PodLimits: containers and sidecars summed, at least each init container (with earlier sidecars), plus overhead. */
    private static TreeMap<String, Quantity> podTotal(JsonNode spec, String which) {
        TreeMap<String, Quantity> sum = new TreeMap<>();
        for (JsonNode c : spec.path("containers")) {
            list(c.path("resources").path(which)).forEach((k, v) -> sum.merge(k, v, Quantity::add));
        }
        TreeMap<String, Quantity> sidecars = new TreeMap<>();
        for (JsonNode c : spec.path("initContainers")) {
            TreeMap<String, Quantity> r = list(c.path("resources").path(which));
            if ("Always".equals(c.path("restartPolicy").asText())) {
                r.forEach((k, v) -> sum.merge(k, v, Quantity::add));
                r.forEach((k, v) -> sidecars.merge(k, v, Quantity::add));
            } else {
                TreeMap<String, Quantity> with = new TreeMap<>(sidecars);
                r.forEach((k, v) -> with.merge(k, v, Quantity::add));
                with.forEach((k, v) -> sum.merge(k, v, Quantity::max));
            }
        }
        if (which.equals("requests") || !sum.isEmpty()) {
            list(spec.path("overhead")).forEach((k, v) -> sum.merge(k, v, Quantity::add));
        }
        return sum;
    }

    private static void service(TreeMap<String, Quantity> out, JsonNode svc) {
        out.put("services", ONE);
        JsonNode spec = svc.path("spec");
        String type = spec.path("type").asText("ClusterIP");
        long ports = spec.path("ports").size();
        long nodePorts = 0;
        if (type.equals("NodePort")) {
            nodePorts = ports;
        } else if (type.equals("LoadBalancer")) {
            if (spec.path("allocateLoadBalancerNodePorts").asBoolean(true)) {
                nodePorts = ports;
            } else {
                for (JsonNode p : spec.path("ports")) {
                    nodePorts += p.path("nodePort").asInt(0) != 0 ? 1 : 0;
                }
            }
        }
        out.put("services.nodeports", Quantity.of(nodePorts, Quantity.Format.DECIMAL_SI));
        out.put("services.loadbalancers", Quantity.of(type.equals("LoadBalancer") ? 1 : 0, Quantity.Format.DECIMAL_SI));
    }

    private static void claim(TreeMap<String, Quantity> out, JsonNode pvc) {
        out.put("persistentvolumeclaims", ONE);
        String cls = pvc.path("spec").path("storageClassName").asText("");
        if (cls.isEmpty()) {
            cls = pvc.path("metadata").path("annotations").path("volume.beta.kubernetes.io/storage-class").asText("");
        }
        if (!cls.isEmpty()) {
            out.put(cls + STORAGE_CLASS_SUFFIX + "persistentvolumeclaims", ONE);
        }
        Quantity storage = Quantity.tryParse(pvc.path("spec").path("resources").path("requests").path("storage"));
        Quantity allocated = Quantity.tryParse(pvc.path("status").path("allocatedResources").path("storage"));
        if (allocated != null && (storage == null || allocated.compareTo(storage) > 0)) {
            storage = allocated;
        }
        if (storage != null) {
            out.put("requests.storage", storage);
            if (!cls.isEmpty()) {
                out.put(cls + STORAGE_CLASS_SUFFIX + "requests.storage", storage);
            }
        }
    }

    /** Upstream's scopes (Terminating, NotTerminating, BestEffort, NotBestEffort, PriorityClass, CrossNamespacePodAffinity): pods only. */
    static boolean matchesScopes(JsonNode quota, String group, String plural, JsonNode obj) {
        JsonNode scopes = quota.path("spec").path("scopes");
        JsonNode selector = quota.path("spec").path("scopeSelector").path("matchExpressions");
        if (scopes.size() == 0 && selector.size() == 0) {
            return true;
        }
        if (!group.isEmpty() || !plural.equals("pods")) {
            return false;
        }
        for (JsonNode s : scopes) {
            if (!scopeMatches(s.asText(), "Exists", null, obj)) {
                return false;
            }
        }
        for (JsonNode e : selector) {
            if (!scopeMatches(e.path("scopeName").asText(), e.path("operator").asText("Exists"), e.path("values"), obj)) {
                return false;
            }
        }
        return true;
    }

    private static boolean scopeMatches(String scope, String operator, JsonNode values, JsonNode pod) {
        JsonNode spec = pod.path("spec");
        boolean terminating = spec.path("activeDeadlineSeconds").isNumber() && spec.path("activeDeadlineSeconds").asLong() >= 0;
        boolean bestEffort = bestEffort(spec);
        return switch (scope) {
            case "Terminating" -> terminating;
            case "NotTerminating" -> !terminating;
            case "BestEffort" -> bestEffort;
            case "NotBestEffort" -> !bestEffort;
            case "PriorityClass" -> {
                String pc = spec.path("priorityClassName").asText("");
                boolean in = false;
                if (values != null) {
                    for (JsonNode v : values) {
                        in |= v.asText().equals(pc);
                    }
                }
                yield switch (operator) {
                    case "In" -> in;
                    case "NotIn" -> !in;
                    case "Exists" -> !pc.isEmpty();
                    case "DoesNotExist" -> pc.isEmpty();
                    default -> false;
                };
            }
            case "CrossNamespacePodAffinity" -> crossNamespaceAffinity(spec);
            default -> false;
        };
    }

    /** BestEffort QoS: no cpu or memory request or limit in any container. */
    private static boolean bestEffort(JsonNode spec) {
        List<JsonNode> all = new ArrayList<>();
        spec.path("containers").forEach(all::add);
        spec.path("initContainers").forEach(all::add);
        for (JsonNode c : all) {
            for (String which : new String[] {"requests", "limits"}) {
                for (Map.Entry<String, Quantity> e : list(c.path("resources").path(which)).entrySet()) {
                    if ((e.getKey().equals("cpu") || e.getKey().equals("memory")) && e.getValue().signum() > 0) {
                        return false;
                    }
                }
            }
        }
        return true;
    }

    private static boolean crossNamespaceAffinity(JsonNode spec) {
        for (String kind : new String[] {"podAffinity", "podAntiAffinity"}) {
            JsonNode aff = spec.path("affinity").path(kind);
            for (JsonNode t : aff.path("requiredDuringSchedulingIgnoredDuringExecution")) {
                if (t.path("namespaces").size() > 0 || t.has("namespaceSelector")) {
                    return true;
                }
            }
            for (JsonNode w : aff.path("preferredDuringSchedulingIgnoredDuringExecution")) {
                JsonNode t = w.path("podAffinityTerm");
                if (t.path("namespaces").size() > 0 || t.has("namespaceSelector")) {
                    return true;
                }
            }
        }
        return false;
    }
}
