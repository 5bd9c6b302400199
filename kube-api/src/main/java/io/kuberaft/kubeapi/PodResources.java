package io.kuberaft.kubeapi;

import com.fasterxml.jackson.databind.JsonNode;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * A pod's resources as upstream computes them (k8s.io/component-helpers resource and QoS helpers): resource
 * lists as quantities, the pod's effective requests and limits, its QoS class. Shared by the API server
 * (LimitRanger, ResourceQuota admission, pod status) and the controllers (quota usage).
 */
public final class PodResources {
    private PodResources() {
    }

    /** A resource list (name → quantity), sorted by name; invalid quantities are skipped (validation reports them). */
    public static TreeMap<String, Quantity> list(JsonNode list) {
        TreeMap<String, Quantity> out = new TreeMap<>();
        list.fields().forEachRemaining(e -> {
            Quantity q = Quantity.tryParse(e.getValue());
            if (q != null) {
                out.put(e.getKey(), q);
            }
        });
        return out;
    }

    /** Whether an init container is a sidecar (restartPolicy Always). */
    private static boolean restartable(JsonNode initContainer) {
        return "Always".equals(initContainer.path("restartPolicy").asText());
    }

    /** Upstream's PodRequests: sum of containers and sidecars, at least the largest init container, plus overhead. */
    public static TreeMap<String, Quantity> podRequests(JsonNode spec) {
        return podTotal(spec, "requests");
    }

    public static TreeMap<String, Quantity> podLimits(JsonNode spec) {
        return podTotal(spec, "limits");
    }

    private static TreeMap<String, Quantity> podTotal(JsonNode spec, String which) {
        TreeMap<String, Quantity> sum = new TreeMap<>();
        for (JsonNode c : spec.path("containers")) {
            addAll(sum, list(c.path("resources").path(which)));
        }
        TreeMap<String, Quantity> sidecars = new TreeMap<>();
        for (JsonNode c : spec.path("initContainers")) {
            TreeMap<String, Quantity> r = list(c.path("resources").path(which));
            if (restartable(c)) {
                addAll(sum, r);
                addAll(sidecars, r);
            } else {
                // An init container runs with the sidecars started before it.
                TreeMap<String, Quantity> withSidecars = new TreeMap<>(sidecars);
                addAll(withSidecars, r);
                withSidecars.forEach((k, v) -> sum.merge(k, v, Quantity::max));
            }
        }
        if (which.equals("requests") || !sum.isEmpty()) {
            addAll(sum, list(spec.path("overhead")));
        }
        return sum;
    }

    private static void addAll(Map<String, Quantity> into, Map<String, Quantity> add) {
        add.forEach((k, v) -> into.merge(k, v, Quantity::add));
    }

    /** Upstream's QoS class of a pod (cpu and memory of containers and init containers). */
    public static String qosClass(JsonNode spec) {
        TreeMap<String, Quantity> requests = new TreeMap<>();
        TreeMap<String, Quantity> limits = new TreeMap<>();
        boolean guaranteed = true;
        List<JsonNode> all = new ArrayList<>();
        spec.path("containers").forEach(all::add);
        spec.path("initContainers").forEach(all::add);
        for (JsonNode c : all) {
            list(c.path("resources").path("requests")).forEach((k, v) -> {
                if ((k.equals("cpu") || k.equals("memory")) && v.signum() > 0) {
                    requests.merge(k, v, Quantity::add);
                }
            });
            Set<String> found = new java.util.HashSet<>();
            list(c.path("resources").path("limits")).forEach((k, v) -> {
                if ((k.equals("cpu") || k.equals("memory")) && v.signum() > 0) {
                    found.add(k);
                    limits.merge(k, v, Quantity::add);
                }
            });
            if (!found.containsAll(Set.of("cpu", "memory"))) {
                guaranteed = false;
            }
        }
        if (requests.isEmpty() && limits.isEmpty()) {
            return "BestEffort";
        }
        if (guaranteed) {
            for (Map.Entry<String, Quantity> e : requests.entrySet()) {
                Quantity l = limits.get(e.getKey());
                if (l == null || l.compareTo(e.getValue()) != 0) {
                    guaranteed = false;
                    break;
                }
            }
        }
        return guaranteed && requests.size() == limits.size() ? "Guaranteed" : "Burstable";
    }
}
