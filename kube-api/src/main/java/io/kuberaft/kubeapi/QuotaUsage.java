package io.kuberaft.kubeapi;

import com.fasterxml.jackson.databind.JsonNode;

import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * What one object counts for in a ResourceQuota, as upstream's evaluators: pods (pods, cpu/memory requests
 * and limits, extended resources; nothing but {@code count/pods} once terminal), services (node ports, load
 * balancers), persistentvolumeclaims (storage, per storage class) and {@code count/<resource>.<group>} for
 * everything. One set of rules for the API server's ResourceQuota admission (which charges each write in
 * its transaction) and the resource-quota controller (which recomputes {@code status.used}).
 */
public final class QuotaUsage {
    private QuotaUsage() {
    }

    private static final String STORAGE_CLASS_SUFFIX = ".storageclass.storage.k8s.io/";
    private static final Quantity ONE = Quantity.of(1, Quantity.Format.DECIMAL_SI);
    private static final Set<String> LEGACY_COUNTED = Set.of("configmaps", "secrets", "replicationcontrollers", "resourcequotas");

    /** {@code count/<plural>[.<group>]}. */
    public static String countName(String group, String plural) {
        return "count/" + plural + (group.isEmpty() ? "" : "." + group);
    }

    /** What {@code obj} (of the kind {@code group}/{@code plural}; null: nothing) counts for. */
    public static TreeMap<String, Quantity> of(String group, String plural, JsonNode obj) {
        TreeMap<String, Quantity> out = new TreeMap<>();
        if (obj == null) {
            return out;
        }
        out.put(countName(group, plural), ONE);
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

    private static boolean terminal(JsonNode pod) {
        String phase = pod.path("status").path("phase").asText("");
        return phase.equals("Succeeded") || phase.equals("Failed");
    }

    private static void pod(TreeMap<String, Quantity> out, JsonNode pod) {
        if (terminal(pod)) {
            return;
        }
        out.put("pods", ONE);
        JsonNode spec = pod.path("spec");
        TreeMap<String, Quantity> requests = PodResources.podRequests(spec);
        TreeMap<String, Quantity> limits = PodResources.podLimits(spec);
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

    /** The kind whose objects a quota resource name counts: "" + plural for core kinds, else group + plural. */
    public static String[] countedResource(String name) {
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

    /** Upstream's pod scopes (Terminating, NotTerminating, BestEffort, NotBestEffort, PriorityClass via scopeSelector). */
    public static boolean matchesScopes(JsonNode quota, String group, String plural, JsonNode obj) {
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
        boolean bestEffort = "BestEffort".equals(PodResources.qosClass(spec));
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

    /** {@code a=1,b=2} sorted by name, as upstream's prettyPrint. */
    public static String pretty(Map<String, Quantity> list) {
        StringBuilder b = new StringBuilder();
        new TreeMap<>(list).forEach((k, v) -> b.append(b.length() == 0 ? "" : ",").append(k).append('=').append(v));
        return b.toString();
    }
}
