package io.kuberaft.apiserver.strategy;

import io.kuberaft.kubeapi.PodResources;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.kuberaft.apiserver.registry.DefaultStrategy;
import io.kuberaft.apiserver.registry.ResourceDefinition;
import io.kuberaft.kubeapi.Quantity;
import io.kuberaft.kubeapi.StatusException.Cause;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * LimitRanges: upstream's item defaults for Container limits (default limit ← max, default request ← default
 * limit, then ← min) and the consistency checks between min, max, default and defaultRequest.
 */
public final class LimitRangeStrategy extends DefaultStrategy {
    private static final List<String> TYPES = List.of("Container", "PersistentVolumeClaim", "Pod");
    private static final String[] LISTS = {"max", "min", "default", "defaultRequest", "maxLimitRequestRatio"};

    @Override
    public void prepareForCreate(ResourceDefinition def, ObjectNode obj) {
        defaults(def, obj);
    }

    @Override
    public void prepareForUpdate(ResourceDefinition def, ObjectNode obj, ObjectNode old) {
        defaults(def, obj);
    }

    private static void defaults(ResourceDefinition def, ObjectNode obj) {
        for (ObjectNode item : Json.objects(Json.obj(obj, "spec"), "limits")) {
            for (String l : LISTS) {
                Resources.canonicalize(def, item.path(l));
            }
            if (!item.path("type").asText().equals("Container")) {
                continue;
            }
            ObjectNode dflt = Json.obj(item, "default");
            ObjectNode dfltRequest = Json.obj(item, "defaultRequest");
            item.path("max").fields().forEachRemaining(e -> {
                if (!dflt.has(e.getKey())) {
                    dflt.set(e.getKey(), e.getValue().deepCopy());
                }
            });
            dflt.fields().forEachRemaining(e -> {
                if (!dfltRequest.has(e.getKey())) {
                    dfltRequest.set(e.getKey(), e.getValue().deepCopy());
                }
            });
            item.path("min").fields().forEachRemaining(e -> {
                if (!dfltRequest.has(e.getKey())) {
                    dfltRequest.set(e.getKey(), e.getValue().deepCopy());
                }
            });
        }
    }

    @Override
    public List<Cause> validate(ResourceDefinition def, ObjectNode obj) {
        List<Cause> out = new ArrayList<>();
        JsonNode limits = obj.path("spec").path("limits");
        for (int i = 0; i < limits.size(); i++) {
            JsonNode item = limits.path(i);
            String p = Fields.index("spec.limits", i);
            String type = item.path("type").asText("");
            if (!TYPES.contains(type)) {
                out.add(Fields.notSupported(p + ".type", type, TYPES));
            }
            if (type.equals("Pod")) {
                for (String f : new String[] {"default", "defaultRequest"}) {
                    if (item.path(f).size() > 0) {
                        out.add(Fields.forbidden(p + "." + f, "may not be specified when `type` is 'Pod'"));
                    }
                }
            }
            Map<String, TreeMap<String, Quantity>> lists = new TreeMap<>();
            TreeSet<String> keys = new TreeSet<>();
            for (String l : LISTS) {
                lists.put(l, PodResources.list(item.path(l)));
                keys.addAll(lists.get(l).keySet());
                item.path(l).fields().forEachRemaining(e -> {
                    Quantity q = Quantity.tryParse(e.getValue());
                    if (q != null && q.signum() < 0) {
                        out.add(Fields.invalid(Fields.key(p + "." + l, e.getKey()), q.toString(), Fields.NON_NEGATIVE));
                    }
                });
            }
            for (String k : keys) {
                Quantity min = lists.get("min").get(k);
                Quantity max = lists.get("max").get(k);
                Quantity dflt = lists.get("default").get(k);
                Quantity dfltReq = lists.get("defaultRequest").get(k);
                Quantity ratio = lists.get("maxLimitRequestRatio").get(k);
                if (min != null && max != null && min.compareTo(max) > 0) {
                    out.add(Fields.invalid(Fields.key(p + ".min", k), min.toString(), "min value " + min + " is greater than max value " + max));
                }
                if (dfltReq != null && min != null && min.compareTo(dfltReq) > 0) {
                    out.add(Fields.invalid(Fields.key(p + ".defaultRequest", k), dfltReq.toString(),
                            "min value " + min + " is greater than default request value " + dfltReq));
                }
                if (dfltReq != null && max != null && dfltReq.compareTo(max) > 0) {
                    out.add(Fields.invalid(Fields.key(p + ".defaultRequest", k), dfltReq.toString(),
                            "default request value " + dfltReq + " is greater than max value " + max));
                }
                if (dfltReq != null && dflt != null && dfltReq.compareTo(dflt) > 0) {
                    out.add(Fields.invalid(Fields.key(p + ".defaultRequest", k), dfltReq.toString(),
                            "default request value " + dfltReq + " is greater than default limit value " + dflt));
                }
                if (dflt != null && min != null && min.compareTo(dflt) > 0) {
                    out.add(Fields.invalid(Fields.key(p + ".default", k), min.toString(), "min value " + min + " is greater than default value " + dflt));
                }
                if (dflt != null && max != null && dflt.compareTo(max) > 0) {
                    out.add(Fields.invalid(Fields.key(p + ".default", k), max.toString(), "default value " + dflt + " is greater than max value " + max));
                }
                if (ratio != null && ratio.compareTo(Quantity.of(1, Quantity.Format.DECIMAL_SI)) < 0) {
                    out.add(Fields.invalid(Fields.key(p + ".maxLimitRequestRatio", k), ratio.toString(), "ratio " + ratio + " is less than 1"));
                }
            }
        }
        return out;
    }
}
