package io.kuberaft.apiserver.strategy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.kuberaft.apiserver.registry.ResourceDefinition;
import io.kuberaft.kubeapi.PodResources;
import io.kuberaft.kubeapi.Quantity;
import io.kuberaft.kubeapi.StatusException;
import io.kuberaft.kubeapi.StatusException.Cause;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/** Resource lists ({@code requests}, {@code limits}) in the API server: canonical form and validation (sums and QoS: {@link PodResources}). */
public final class Resources {
    private Resources() {
    }

    private static final Set<String> STANDARD_CONTAINER = Set.of("cpu", "memory", "ephemeral-storage");

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
        TreeMap<String, Quantity> limits = PodResources.list(resources.path("limits"));
        checkList(out, limPath, resources.path("limits"));
        checkList(out, reqPath, resources.path("requests"));
        for (Map.Entry<String, Quantity> e : PodResources.list(resources.path("requests")).entrySet()) {
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
}
