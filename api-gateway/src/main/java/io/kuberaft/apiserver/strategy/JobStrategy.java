package io.kuberaft.apiserver.strategy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.kuberaft.apiserver.registry.DefaultStrategy;
import io.kuberaft.apiserver.registry.Objects;
import io.kuberaft.apiserver.registry.ResourceDefinition;
import io.kuberaft.kubeapi.StatusException.Cause;

import java.util.ArrayList;
import java.util.List;

/**
 * batch/v1 Job: defaults (completions/parallelism 1, backoffLimit 6, …), the generated selector on the
 * job's uid (unless {@code manualSelector}), validation, an immutable template and selector.
 */
public final class JobStrategy extends DefaultStrategy {
    @Override
    public PodTemplateAt podTemplate(ObjectNode obj) {
        return new PodTemplateAt(obj.path("spec").path("template"), "spec.template");
    }

    @Override
    public Generation generation() {
        return Generation.SPEC;
    }

    static final String CONTROLLER_UID = "batch.kubernetes.io/controller-uid";
    static final String JOB_NAME = "batch.kubernetes.io/job-name";

    @Override
    public void prepareForCreate(ResourceDefinition def, ObjectNode obj) {
        ObjectNode spec = Json.obj(obj, "spec");
        defaults(def, obj);
        if (!spec.path("manualSelector").asBoolean(false)) {
            generateSelector(obj);
        }
        ObjectNode meta = Objects.meta(obj);
        JsonNode templateLabels = spec.path("template").path("metadata").path("labels");
        if (meta.path("labels").size() == 0 && templateLabels.size() > 0) {
            meta.set("labels", templateLabels.deepCopy());
        }
        obj.putObject("status");
    }

    @Override
    public void prepareForUpdate(ResourceDefinition def, ObjectNode obj, ObjectNode old) {
        defaults(def, obj);
    }

    static void defaults(ResourceDefinition def, ObjectNode obj) {
        ObjectNode spec = Json.obj(obj, "spec");
        if (Json.blank(spec, "completions") && Json.blank(spec, "parallelism")) {
            spec.put("completions", 1);
        }
        Json.defaultInt(spec, "parallelism", 1);
        if (Json.blank(spec, "backoffLimit")) {
            spec.put("backoffLimit", spec.hasNonNull("backoffLimitPerIndex") ? Integer.MAX_VALUE : 6);
        }
        Json.defaultText(spec, "completionMode", "NonIndexed");
        Json.defaultBool(spec, "suspend", false);
        Json.defaultText(spec, "podReplacementPolicy", spec.hasNonNull("podFailurePolicy") ? "Failed" : "TerminatingOrFailed");
        Templates.defaults(def, Json.obj(spec, "template"));
    }

    /** Upstream's generateSelector: job-name and controller-uid labels on the template, selector on the uid. */
    private static void generateSelector(ObjectNode obj) {
        String name = Objects.name(obj);
        String uid = Objects.meta(obj).path("uid").asText();
        ObjectNode spec = Json.obj(obj, "spec");
        ObjectNode labels = Json.obj(Json.obj(Json.obj(spec, "template"), "metadata"), "labels");
        for (String k : new String[] {"job-name", JOB_NAME}) {
            if (!labels.has(k)) {
                labels.put(k, name);
            }
        }
        for (String k : new String[] {"controller-uid", CONTROLLER_UID}) {
            if (!labels.has(k)) {
                labels.put(k, uid);
            }
        }
        ObjectNode matchLabels = Json.obj(Json.obj(spec, "selector"), "matchLabels");
        if (!matchLabels.has(CONTROLLER_UID)) {
            matchLabels.put(CONTROLLER_UID, uid);
        }
    }

    @Override
    public List<Cause> validate(ResourceDefinition def, ObjectNode obj) {
        List<Cause> out = new ArrayList<>();
        if (Objects.name(obj).length() > 63) {
            out.add(Fields.invalid("metadata.name", Objects.name(obj), "must be no more than 63 characters"));
        }
        validateSpec(out, obj.path("spec"), "spec", true, Objects.meta(obj).path("uid").asText(""));
        return out;
    }

    /** ValidateJobSpec, shared with CronJob's jobTemplate ({@code generated} false there). */
    static void validateSpec(List<Cause> out, JsonNode spec, String path, boolean generated, String uid) {
        Templates.nonNegative(out, spec, path, "parallelism", "completions", "activeDeadlineSeconds", "backoffLimit",
                "ttlSecondsAfterFinished");
        if (spec.path("activeDeadlineSeconds").isNumber() && spec.path("activeDeadlineSeconds").asLong() == 0) {
            out.add(Fields.invalid(path + ".activeDeadlineSeconds", spec.get("activeDeadlineSeconds"), "must be greater than 0"));
        }
        String mode = spec.path("completionMode").asText("NonIndexed");
        if (!mode.equals("NonIndexed") && !mode.equals("Indexed")) {
            out.add(Fields.notSupported(path + ".completionMode", mode, List.of("NonIndexed", "Indexed")));
        }
        if (mode.equals("Indexed") && !spec.path("completions").isNumber()) {
            out.add(Fields.required(path + ".completions", "when completion mode is Indexed"));
        }
        JsonNode sel = spec.path("selector");
        if (generated) {
            if (!sel.isObject()) {
                out.add(Fields.required(path + ".selector"));
            } else {
                Fields.labelSelector(out, path + ".selector", sel);
                Templates.matches(out, sel, spec.path("template"), path + ".template");
                if (!spec.path("manualSelector").asBoolean(false) && !uid.isEmpty()
                        && !uid.equals(sel.path("matchLabels").path(CONTROLLER_UID).asText(uid))) {
                    out.add(Fields.invalidRendered(path + ".selector", Fields.goLabelSelector(sel), "`selector` not auto-generated"));
                }
            }
        } else if (sel.isObject()) {
            Fields.labelSelector(out, path + ".selector", sel);
        }
        out.addAll(PodSpecs.validateTemplate(spec.path("template"), path + ".template"));
        Templates.restartPolicy(out, spec.path("template"), path + ".template", List.of("OnFailure", "Never"));
        podFailurePolicy(out, spec, path);
        indexedOnly(out, spec, path, mode);
        String prp = spec.path("podReplacementPolicy").asText("");
        if (!prp.isEmpty() && !prp.equals("TerminatingOrFailed") && !prp.equals("Failed")) {
            out.add(Fields.notSupported(path + ".podReplacementPolicy", prp, List.of("Failed", "TerminatingOrFailed")));
        }
    }

    /** upstream's validateJobSpec for backoffLimitPerIndex, maxFailedIndexes and successPolicy (Indexed Jobs only). */
    private static void indexedOnly(List<Cause> out, JsonNode spec, String path, String mode) {
        Templates.nonNegative(out, spec, path, "backoffLimitPerIndex", "maxFailedIndexes");
        boolean indexed = mode.equals("Indexed");
        if (spec.hasNonNull("backoffLimitPerIndex") && !indexed) {
            out.add(Fields.invalid(path + ".backoffLimitPerIndex", spec.get("backoffLimitPerIndex"), "requires indexed completion mode"));
        }
        if (spec.hasNonNull("maxFailedIndexes")) {
            if (!spec.hasNonNull("backoffLimitPerIndex")) {
                out.add(Fields.required(path + ".backoffLimitPerIndex", "when maxFailedIndexes is specified"));
            }
            if (spec.path("completions").isNumber() && spec.path("maxFailedIndexes").asLong() > spec.path("completions").asLong()) {
                out.add(Fields.invalid(path + ".maxFailedIndexes", spec.get("maxFailedIndexes"), "must be less than or equal to completions"));
            }
        }
        JsonNode rules = spec.path("podFailurePolicy").path("rules");
        for (int i = 0; i < rules.size(); i++) {
            if ("FailIndex".equals(rules.get(i).path("action").asText()) && !spec.hasNonNull("backoffLimitPerIndex")) {
                out.add(Fields.invalid(Fields.index(path + ".podFailurePolicy.rules", i) + ".action", "FailIndex",
                        "requires the backoffLimitPerIndex to be set"));
            }
        }
        JsonNode policy = spec.path("successPolicy");
        if (!policy.isObject()) {
            return;
        }
        if (!indexed) {
            out.add(Fields.invalidRendered(path + ".successPolicy", "batch.SuccessPolicy{...}", "requires indexed completion mode"));
            return;
        }
        JsonNode sr = policy.path("rules");
        if (sr.size() == 0) {
            out.add(Fields.required(path + ".successPolicy.rules", "at least one rules must be specified when the successPolicy is specified"));
        }
        long completions = spec.path("completions").asLong(Long.MAX_VALUE);
        for (int i = 0; i < sr.size(); i++) {
            String p = Fields.index(path + ".successPolicy.rules", i);
            JsonNode rule = sr.get(i);
            if (!rule.hasNonNull("succeededIndexes") && !rule.hasNonNull("succeededCount")) {
                out.add(Fields.required(p, "at least one of succeededCount or succeededIndexes must be specified"));
                continue;
            }
            if (rule.hasNonNull("succeededIndexes") && !rule.path("succeededIndexes").asText().matches("\\d+(-\\d+)?(,\\d+(-\\d+)?)*")) {
                out.add(Fields.invalid(p + ".succeededIndexes", rule.get("succeededIndexes"), "error parsing succeededIndexes"));
            }
            if (rule.hasNonNull("succeededCount")) {
                long n = rule.path("succeededCount").asLong();
                if (n < 0) {
                    out.add(Fields.invalid(p + ".succeededCount", rule.get("succeededCount"), "must be greater than or equal to 0"));
                } else if (n > completions) {
                    out.add(Fields.invalid(p + ".succeededCount", rule.get("succeededCount"),
                            "must be less than or equal to " + completions + " (the number of specified completions)"));
                }
            }
        }
    }

    /** ValidatePodFailurePolicy: restartPolicy Never, known actions, one requirement per rule, In/NotIn values. */
    private static void podFailurePolicy(List<Cause> out, JsonNode spec, String path) {
        JsonNode policy = spec.path("podFailurePolicy");
        if (!policy.isObject()) {
            return;
        }
        String restart = spec.path("template").path("spec").path("restartPolicy").asText("");
        if (!restart.isEmpty() && !restart.equals("Never")) {
            out.add(Fields.invalid(path + ".template.spec.restartPolicy", restart,
                    "only \"Never\" is supported when podFailurePolicy is specified"));
        }
        JsonNode rules = policy.path("rules");
        for (int i = 0; i < rules.size(); i++) {
            String p = Fields.index(path + ".podFailurePolicy.rules", i);
            JsonNode rule = rules.get(i);
            String action = rule.path("action").asText("");
            List<String> actions = List.of("Count", "FailIndex", "FailJob", "Ignore");
            if (action.isEmpty()) {
                out.add(Fields.required(p + ".action"));
            } else if (!actions.contains(action)) {
                out.add(Fields.notSupported(p + ".action", action, actions));
            }
            boolean codes = rule.hasNonNull("onExitCodes");
            boolean conditions = rule.hasNonNull("onPodConditions");
            if (codes == conditions) {
                out.add(Fields.invalid(p, "", "specifying one of onExitCodes and onPodConditions is required"));
            }
            if (codes) {
                String op = rule.path("onExitCodes").path("operator").asText("");
                if (!List.of("In", "NotIn").contains(op)) {
                    out.add(Fields.notSupported(p + ".onExitCodes.operator", op, List.of("In", "NotIn")));
                }
                if (rule.path("onExitCodes").path("values").size() == 0) {
                    out.add(Fields.required(p + ".onExitCodes.values"));
                }
            }
        }
    }

    @Override
    public List<Cause> validateUpdate(ResourceDefinition def, ObjectNode obj, ObjectNode old) {
        List<Cause> out = validate(def, obj);
        JsonNode spec = obj.path("spec");
        JsonNode before = old.path("spec");
        if (!Json.same(spec.path("template"), before.path("template"))) {
            out.add(Fields.invalidRendered("spec.template", "core.PodTemplateSpec{...}", Fields.IMMUTABLE));
        }
        if (!Json.same(spec.path("selector"), before.path("selector"))) {
            out.add(Fields.invalidRendered("spec.selector", Fields.goLabelSelector(spec.path("selector")), Fields.IMMUTABLE));
        }
        for (String f : new String[] {"completionMode", "podFailurePolicy", "backoffLimitPerIndex", "manualSelector"}) {
            if (!Json.same(spec.path(f), before.path(f))) {
                out.add(Fields.invalid("spec." + f, spec.path(f), Fields.IMMUTABLE));
            }
        }
        if (!Json.same(spec.path("completions"), before.path("completions"))
                && !("Indexed".equals(spec.path("completionMode").asText()) && Json.same(spec.path("completions"), spec.path("parallelism")))) {
            out.add(Fields.invalid("spec.completions", spec.path("completions"), Fields.IMMUTABLE));
        }
        return out;
    }

    @Override
    public String fieldValue(ObjectNode obj, String field) {
        return field.equals("status.successful") ? obj.path("status").path("succeeded").asText("0") : super.fieldValue(obj, field);
    }
}
