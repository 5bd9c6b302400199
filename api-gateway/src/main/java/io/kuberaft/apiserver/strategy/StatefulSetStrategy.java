package io.kuberaft.apiserver.strategy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.kuberaft.apiserver.registry.DefaultStrategy;
import io.kuberaft.apiserver.registry.ResourceDefinition;
import io.kuberaft.kubeapi.StatusException.Cause;

import java.util.ArrayList;
import java.util.List;

/** apps/v1 StatefulSet: defaults, validation and the fields an update may change. */
public final class StatefulSetStrategy extends DefaultStrategy {
    @Override
    public PodTemplateAt podTemplate(ObjectNode obj) {
        return new PodTemplateAt(obj.path("spec").path("template"), "spec.template");
    }

    @Override
    public Generation generation() {
        return Generation.SPEC;
    }

    @Override
    public void prepareForCreate(ResourceDefinition def, ObjectNode obj) {
        defaults(def, obj);
        obj.putObject("status").put("replicas", 0).put("availableReplicas", 0);
    }

    @Override
    public void prepareForUpdate(ResourceDefinition def, ObjectNode obj, ObjectNode old) {
        defaults(def, obj);
    }

    private static void defaults(ResourceDefinition def, ObjectNode obj) {
        ObjectNode spec = Json.obj(obj, "spec");
        Json.defaultText(spec, "podManagementPolicy", "OrderedReady");
        ObjectNode strategy = Json.obj(spec, "updateStrategy");
        if (Json.blank(strategy, "type")) {
            strategy.put("type", "RollingUpdate");
            Json.obj(strategy, "rollingUpdate");
        }
        if (strategy.path("type").asText().equals("RollingUpdate") && strategy.get("rollingUpdate") instanceof ObjectNode ru) {
            Json.defaultInt(ru, "partition", 0);
        }
        ObjectNode retention = Json.obj(spec, "persistentVolumeClaimRetentionPolicy");
        Json.defaultText(retention, "whenDeleted", "Retain");
        Json.defaultText(retention, "whenScaled", "Retain");
        Json.defaultInt(spec, "replicas", 1);
        Json.defaultInt(spec, "revisionHistoryLimit", 10);
        Templates.defaults(def, Json.obj(spec, "template"));
        for (ObjectNode claim : Json.objects(spec, "volumeClaimTemplates")) {
            PersistentVolumeClaimStrategy.specDefaults(def, Json.obj(claim, "spec"));
            if (!claim.has("status")) {
                claim.putObject("status").put("phase", "Pending");
            }
            Json.obj(claim, "metadata");
        }
    }

    @Override
    public List<Cause> validate(ResourceDefinition def, ObjectNode obj) {
        List<Cause> out = new ArrayList<>();
        JsonNode spec = obj.path("spec");
        String pmp = spec.path("podManagementPolicy").asText("");
        if (pmp.isEmpty()) {
            out.add(Fields.required("spec.podManagementPolicy"));
        } else if (!pmp.equals("OrderedReady") && !pmp.equals("Parallel")) {
            out.add(Fields.invalid("spec.podManagementPolicy", pmp, "must be 'OrderedReady' or 'Parallel'"));
        }
        JsonNode strategy = spec.path("updateStrategy");
        switch (strategy.path("type").asText("")) {
            case "" -> out.add(Fields.required("spec.updateStrategy"));
            case "OnDelete" -> {
                if (strategy.hasNonNull("rollingUpdate")) {
                    out.add(Fields.invalid("spec.updateStrategy.rollingUpdate", strategy.get("rollingUpdate"), "only allowed for updateStrategy 'RollingUpdate'"));
                }
            }
            case "RollingUpdate" -> Fields.nonNegative(out, "spec.updateStrategy.rollingUpdate.partition",
                    strategy.path("rollingUpdate").path("partition"));
            default -> out.add(Fields.invalid("spec.updateStrategy", strategy, "must be 'RollingUpdate' or 'OnDelete'"));
        }
        for (String f : new String[] {"whenDeleted", "whenScaled"}) {
            String v = spec.path("persistentVolumeClaimRetentionPolicy").path(f).asText("Retain");
            if (!v.equals("Retain") && !v.equals("Delete")) {
                out.add(Fields.notSupported("spec.persistentVolumeClaimRetentionPolicy." + f, v, List.of("Retain", "Delete")));
            }
        }
        Templates.nonNegative(out, spec, "spec", "replicas", "minReadySeconds");
        Templates.selector(out, spec, "statefulset");
        out.addAll(PodSpecs.validateTemplate(withClaimVolumes(spec), "spec.template"));
        Templates.restartPolicy(out, spec.path("template"), "spec.template", List.of("Always"));
        if (spec.path("template").path("spec").has("activeDeadlineSeconds")) {
            out.add(Fields.forbidden("spec.template.spec.activeDeadlineSeconds", "activeDeadlineSeconds in StatefulSet is not Supported"));
        }
        return out;
    }

    @Override
    public List<Cause> validateUpdate(ResourceDefinition def, ObjectNode obj, ObjectNode old) {
        List<Cause> out = validate(def, obj);
        ObjectNode now = obj.path("spec").deepCopy();
        JsonNode before = old.path("spec");
        for (String f : new String[] {"replicas", "template", "updateStrategy", "minReadySeconds", "ordinals", "revisionHistoryLimit",
                "persistentVolumeClaimRetentionPolicy"}) {
            if (before.has(f)) {
                now.set(f, before.get(f));
            } else {
                now.remove(f);
            }
        }
        if (!Json.same(now, before)) {
            out.add(Fields.forbidden("spec", "updates to statefulset spec for fields other than 'replicas', 'ordinals', 'template', "
                    + "'updateStrategy', 'revisionHistoryLimit', 'persistentVolumeClaimRetentionPolicy' and 'minReadySeconds' are forbidden"));
        }
        return out;
    }

    /**
     * The template with a stand-in volume per volumeClaimTemplate: containers mount claims by the
     * template's name (upstream does not check those mounts against {@code volumes}).
     */
    private static JsonNode withClaimVolumes(JsonNode spec) {
        JsonNode template = spec.path("template");
        if (!template.isObject() || !spec.path("volumeClaimTemplates").isArray()) {
            return template;
        }
        ObjectNode copy = template.deepCopy();
        ObjectNode podSpec = Json.obj(copy, "spec");
        com.fasterxml.jackson.databind.node.ArrayNode volumes = podSpec.path("volumes").isArray()
                ? (com.fasterxml.jackson.databind.node.ArrayNode) podSpec.get("volumes") : podSpec.putArray("volumes");
        java.util.Set<String> have = new java.util.HashSet<>();
        volumes.forEach(v -> have.add(v.path("name").asText()));
        for (JsonNode claim : spec.path("volumeClaimTemplates")) {
            String name = claim.path("metadata").path("name").asText("");
            if (!name.isEmpty() && have.add(name)) {
                volumes.addObject().put("name", name).putObject("persistentVolumeClaim").put("claimName", name);
            }
        }
        return copy;
    }
}
