package io.kuberaft.apiserver.strategy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.kuberaft.apiserver.registry.ResourceDefinition;
import io.kuberaft.kubeapi.Quantity;
import io.kuberaft.kubeapi.StatusException;
import io.kuberaft.kubeapi.StatusException.Cause;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/** Resource lists ({@code requests}, {@code limits}, {@code hard}) as quantities: parsing, sums, QoS class. */
public final class Resources {
    private Resources() {
    }

    private static final Set<String> STANDARD_CONTAINER = Set.of("cpu", "memory", "ephemeral-storage");

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

    public static ObjectNode toJson(Map<String, Quantity> list) {
        ObjectNode o = io.kuberaft.apiserver.registry.Objects.JSON.createObjectNode();
        list.forEach((k, v) -> o.put(k, v.toString()));
        return o;
    }

    /**
     * Rewrites every quantity of a resource list in canonical form (as upstream stores them); a malformed
     * one is a decode error (400), as upstream's.
     */
    public static void canonicalize(ResourceDefinition def, JsonNode list) {
        if (!(list instanceof ObjectNode o)) {
            return;
        }
        Iterator<Map.Entry<String, JsonNode>> it = o.fields();
        List<String> names = new ArrayList<>();
        it.forEachRemaining(e -> names.add(e.getKey()));
        for (String name : names) {
            try {
                o.put(name, Quantity.parse(o.get(name)).toString());
            } catch (IllegalArgumentException e) {
                throw StatusException.badRequest(def.kind() + " in version \"" + def.version() + "\" cannot be handled as a "
                        + def.kind() + ": " + e.getMessage());
            }
        }
    }

    /** Canonicalizes the requests and limits of every container of a pod spec. */
    public static void canonicalizeContainers(ResourceDefinition def, JsonNode spec) {
        for (String kind : List.of("containers", "initContainers")) {
            for (JsonNode c : spec.path(kind)) {
                canonicalize(def, c.path("resources").path("requests"));
                canonicalize(def, c.path("resources").path("limits"));
            }
        }
        canonicalize(def, spec.path("overhead"));
    }

    /** Validation of one container's requirements: names, non-negative values, requests ≤ limits. */
    public static void validateRequirements(List<Cause> out, String path, JsonNode resources) {
        String limPath = path + ".limits";
        String reqPath = path + ".requests";
        TreeMap<String, Quantity> limits = list(resources.path("limits"));
        checkList(out, limPath, resources.path("limits"));
        checkList(out, reqPath, resources.path("requests"));
        for (Map.Entry<String, Quantity> e : list(resources.path("requests")).entrySet()) {
            Quantity limit = limits.get(e.getKey());
            String name = e.getKey();
            boolean overcommit = (!name.contains("/") || name.startsWith("kubernetes.io/")) && !name.startsWith("hugepages-");
            if (limit != null) {
                if (!overcommit && e.getValue().compareTo(limit) != 0) {
                    out.add(Fields.invalid(reqPath, e.getValue().toString(), "must be equal to " + e.getKey() + " limit of " + limit));
                } else if (e.getValue().compareTo(limit) > 0) {
                    out.add(Fields.invalid(reqPath, e.getValue().toString(),
                            "must be less than or equal to " + e.getKey() + " limit of " + limit));
                }
            } else if (!overcommit) {
                out.add(Fields.required(limPath, "Limit must be set for non overcommitable resources"));
            }
        }
    }

    private static void checkList(List<Cause> out, String path, JsonNode list) {
        list.fields().forEachRemaining(e -> {
            String f = Fields.key(path, e.getKey());
            String name = e.getKey();
            if (!name.contains("/") && !STANDARD_CONTAINER.contains(name) && !name.startsWith("hugepages-")) {
                out.add(Fields.invalid(f, name, "must be a standard resource for containers"));
            } else if (name.contains("/")) {
                out.addAll(Fields.qualifiedName(f, name));
            }
            Quantity q = Quantity.tryParse(e.getValue());
            if (q == null) {
                out.add(Fields.invalid(f, e.getValue(), Quantity.FORMAT_ERROR));
            } else if (q.signum() < 0) {
                out.add(Fields.invalid(f, q.toString(), Fields.NON_NEGATIVE));
            } else if (name.contains("/") && !name.startsWith("kubernetes.io/") && q.decimalValue().stripTrailingZeros().scale() > 0) {
                out.add(Fields.invalid(f, q.toString(), "must be an integer"));
            }
        });
    }

    /** Whether an init container is a sidecar (restartPolicy Always). */
    static boolean restartable(JsonNode initContainer) {
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

    public static void addAll(Map<String, Quantity> into, Map<String, Quantity> add) {
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
