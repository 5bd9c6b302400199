package io.kuberaft.apiserver.admission;

import io.kuberaft.kubeapi.PodResources;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.kuberaft.apiserver.registry.Objects;
import io.kuberaft.apiserver.registry.ResourceDefinition;
import io.kuberaft.apiserver.registry.ResourceStore;
import io.kuberaft.apiserver.strategy.Json;
import io.kuberaft.apiserver.strategy.Resources;
import io.kuberaft.kubeapi.Quantity;
import io.kuberaft.kubeapi.StatusException;
import io.kuberaft.kubeapi.StatusException.Cause;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * Upstream's LimitRanger: containers of new pods get the defaults of the namespace's LimitRanges (annotated
 * {@code kubernetes.io/limit-ranger}); then pods and claims are checked against min, max and
 * maxLimitRequestRatio with upstream's messages ({@code minimum memory usage per Container is 10Mi, but request
 * is 5Mi}). The LimitRange list is pinned in the txn: one created concurrently makes the write re-run.
 */
public final class LimitRanger implements AdmissionPlugin {
    static final String ANNOTATION = "kubernetes.io/limit-ranger";
    private final Lookup lookup;

    public LimitRanger(Lookup lookup) {
        this.lookup = lookup;
    }

    @Override
    public String name() {
        return "LimitRanger";
    }

    @Override
    public Set<Operation> operations() {
        return Set.of(Operation.CREATE, Operation.UPDATE);
    }

    @Override
    public boolean mutating() {
        return true;
    }

    @Override
    public void admit(Attributes a) {
        boolean pod = a.is("", "Pod") && a.operation() == Operation.CREATE;
        boolean claim = a.is("", "PersistentVolumeClaim");
        if (!pod && !claim) {
            return;
        }
        ResourceDefinition lrDef = lookup.kind("", "LimitRange");
        ResourceStore.Page page = lookup.list(lrDef, a.namespace(), a.reads());
        a.ops().requireNoneCreatedSince(ResourceStore.prefix(lrDef, a.namespace()), page.revision());
        if (page.items().isEmpty()) {
            return;
        }
        if (pod) {
            admitPod(a, page.items());
        } else {
            admitClaim(a, page.items());
        }
    }

    private void admitPod(Attributes a, List<ObjectNode> ranges) {
        ObjectNode pod = a.object();
        ObjectNode spec = Json.obj(pod, "spec");
        boolean changed = false;
        for (ObjectNode range : ranges) {
            changed |= applyDefaults(pod, spec, range);
        }
        if (changed) {
            List<Cause> causes = new ArrayList<>();
            for (String kind : new String[] {"containers", "initContainers"}) {
                JsonNode cs = spec.path(kind);
                for (int i = 0; i < cs.size(); i++) {
                    Resources.validateRequirements(causes, "spec." + kind + "[" + i + "].resources", cs.get(i).path("resources"));
                }
            }
            if (!causes.isEmpty()) {
                throw StatusException.invalid(a.def().group(), a.def().kind(), a.name(), causes);
            }
            Json.obj(pod, "status").put("qosClass", PodResources.qosClass(spec));
        }
        for (ObjectNode range : ranges) {
            List<String> errors = new ArrayList<>();
            for (JsonNode item : range.path("spec").path("limits")) {
                String type = item.path("type").asText("");
                if (type.equals("Container")) {
                    for (String kind : new String[] {"containers", "initContainers"}) {
                        for (JsonNode c : spec.path(kind)) {
                            check(errors, item, type, PodResources.list(c.path("resources").path("requests")),
                                    PodResources.list(c.path("resources").path("limits")), true);
                        }
                    }
                } else if (type.equals("Pod")) {
                    check(errors, item, type, PodResources.podRequests(spec), PodResources.podLimits(spec), true);
                }
            }
            fail(a, errors);
        }
    }

    /** Upstream's mergePodResourceRequirements for one LimitRange; true when something was set. */
    private static boolean applyDefaults(ObjectNode pod, ObjectNode spec, ObjectNode range) {
        TreeMap<String, JsonNode> defaultRequests = new TreeMap<>();
        TreeMap<String, JsonNode> defaultLimits = new TreeMap<>();
        for (JsonNode item : range.path("spec").path("limits")) {
            if (item.path("type").asText().equals("Container")) {
                item.path("defaultRequest").fields().forEachRemaining(e -> defaultRequests.put(e.getKey(), e.getValue()));
                item.path("default").fields().forEachRemaining(e -> defaultLimits.put(e.getKey(), e.getValue()));
            }
        }
        if (defaultRequests.isEmpty() && defaultLimits.isEmpty()) {
            return false;
        }
        List<String> notes = new ArrayList<>();
        for (String kind : new String[] {"containers", "initContainers"}) {
            String prefix = kind.equals("containers") ? "container" : "init container";
            for (ObjectNode c : Json.objects(spec, kind)) {
                ObjectNode resources = Json.obj(c, "resources");
                ObjectNode limits = Json.obj(resources, "limits");
                ObjectNode requests = Json.obj(resources, "requests");
                List<String> setLimits = new ArrayList<>();
                List<String> setRequests = new ArrayList<>();
                defaultLimits.forEach((k, v) -> {
                    if (!limits.has(k)) {
                        limits.set(k, v.deepCopy());
                        setLimits.add(k);
                    }
                });
                defaultRequests.forEach((k, v) -> {
                    if (!requests.has(k)) {
                        requests.set(k, v.deepCopy());
                        setRequests.add(k);
                    }
                });
                if (!setRequests.isEmpty()) {
                    notes.add(String.join(", ", setRequests) + " request for " + prefix + " " + c.path("name").asText());
                }
                if (!setLimits.isEmpty()) {
                    notes.add(String.join(", ", setLimits) + " limit for " + prefix + " " + c.path("name").asText());
                }
                if (limits.isEmpty()) {
                    resources.remove("limits");
                }
                if (requests.isEmpty()) {
                    resources.remove("requests");
                }
            }
        }
        if (notes.isEmpty()) {
            return false;
        }
        Json.obj(Objects.meta(pod), "annotations").put(ANNOTATION, "LimitRanger plugin set: " + String.join("; ", notes));
        return true;
    }

    private void admitClaim(Attributes a, List<ObjectNode> ranges) {
        TreeMap<String, Quantity> requests = PodResources.list(a.object().path("spec").path("resources").path("requests"));
        for (ObjectNode range : ranges) {
            List<String> errors = new ArrayList<>();
            for (JsonNode item : range.path("spec").path("limits")) {
                if (item.path("type").asText().equals("PersistentVolumeClaim")) {
                    check(errors, item, "PersistentVolumeClaim", requests, new TreeMap<>(), false);
                }
            }
            fail(a, errors);
        }
    }

    private static void fail(Attributes a, List<String> errors) {
        List<String> unique = errors.stream().distinct().toList();
        if (!unique.isEmpty()) {
            throw Lookup.forbidden(a.def(), a.name(), unique.size() == 1 ? unique.get(0) : "[" + String.join(", ", unique) + "]");
        }
    }

    /** min, max (on limits, or on requests for claims) and maxLimitRequestRatio of one LimitRange item. */
    private static void check(List<String> errors, JsonNode item, String type, Map<String, Quantity> requests,
                              Map<String, Quantity> limits, boolean limitsApply) {
        PodResources.list(item.path("min")).forEach((k, min) -> {
            Quantity req = requests.get(k);
            Quantity lim = limits.get(k);
            if (req == null) {
                errors.add("minimum " + k + " usage per " + type + " is " + min + ".  No request is specified");
            } else if (req.compareTo(min) < 0) {
                errors.add("minimum " + k + " usage per " + type + " is " + min + ", but request is " + req);
            } else if (lim != null && lim.compareTo(min) < 0) {
                errors.add("minimum " + k + " usage per " + type + " is " + min + ", but limit is " + lim);
            }
        });
        PodResources.list(item.path("max")).forEach((k, max) -> {
            Quantity req = requests.get(k);
            Quantity lim = limits.get(k);
            if (!limitsApply) {
                if (req == null) {
                    errors.add("maximum " + k + " usage per " + type + " is " + max + ".  No request is specified");
                } else if (req.compareTo(max) > 0) {
                    errors.add("maximum " + k + " usage per " + type + " is " + max + ", but request is " + req);
                }
            } else if (lim == null) {
                errors.add("maximum " + k + " usage per " + type + " is " + max + ".  No limit is specified");
            } else if (lim.compareTo(max) > 0) {
                errors.add("maximum " + k + " usage per " + type + " is " + max + ", but limit is " + lim);
            } else if (req != null && req.compareTo(max) > 0) {
                errors.add("maximum " + k + " usage per " + type + " is " + max + ", but request is " + req);
            }
        });
        PodResources.list(item.path("maxLimitRequestRatio")).forEach((k, ratio) -> {
            Quantity req = requests.get(k);
            Quantity lim = limits.get(k);
            if (req == null || req.isZero()) {
                errors.add(k + " max limit to request ratio per " + type + " is " + ratio + ", but no request is specified or request is 0");
            } else if (lim == null || lim.isZero()) {
                errors.add(k + " max limit to request ratio per " + type + " is " + ratio + ", but no limit is specified or limit is 0");
            } else {
                double observed = lim.decimalValue().doubleValue() / req.decimalValue().doubleValue();
                if (observed > ratio.decimalValue().doubleValue()) {
                    errors.add(k + " max limit to request ratio per " + type + " is " + ratio + ", but provided ratio is "
                            + String.format(Locale.ROOT, "%f", observed));
                }
            }
        });
    }
}
