package io.kuberaft.apiserver.strategy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.kuberaft.apiserver.registry.ResourceDefinition;
import io.kuberaft.kubeapi.LabelSelector;
import io.kuberaft.kubeapi.StatusException.Cause;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/** What the kinds that carry a pod template share: defaults, selector checks, int-or-percent fields. */
final class Templates {
    private Templates() {
    }

    static final String SELECTOR_MISMATCH = "`selector` does not match template `labels`";
    private static final Pattern PERCENT = Pattern.compile("[0-9]+%");

    /** Canonical quantities and pod spec defaults of the template at {@code template}. */
    static void defaults(ResourceDefinition def, ObjectNode template) {
        Resources.canonicalizeContainers(def, Json.obj(template, "spec"));
        PodSpecs.defaultTemplate(template);
    }

    static Map<String, String> labels(JsonNode labels) {
        Map<String, String> out = new LinkedHashMap<>();
        labels.fields().forEachRemaining(e -> out.put(e.getKey(), e.getValue().asText()));
        return out;
    }

    /**
     * apps/v1 selector checks (Deployment, ReplicaSet, StatefulSet): required, valid, not empty, matching the
     * template's labels.
     */
    static void selector(List<Cause> out, JsonNode spec, String what) {
        JsonNode sel = spec.path("selector");
        if (!sel.isObject()) {
            out.add(Fields.required("spec.selector"));
            return;
        }
        Fields.labelSelector(out, "spec.selector", sel);
        if (Fields.emptySelector(sel)) {
            out.add(Fields.invalidRendered("spec.selector", Fields.goLabelSelector(sel), "empty selector is invalid for " + what));
            return;
        }
        matches(out, sel, spec.path("template"), "spec.template");
    }

    /** The selector matches the template's labels ({@code spec.template.metadata.labels: Invalid value: …}). */
    static void matches(List<Cause> out, JsonNode sel, JsonNode template, String templatePath) {
        JsonNode labels = template.path("metadata").path("labels");
        boolean match;
        try {
            match = sel.isObject() && LabelSelector.fromSpec(sel).matches(labels(labels));
        } catch (IllegalArgumentException e) {
            return; // reported by the selector's own validation
        }
        if (!match) {
            out.add(Fields.invalidRendered(templatePath + ".metadata.labels", Fields.goStringMap(labels), SELECTOR_MISMATCH));
        }
    }

    /** The template's restartPolicy must be one of {@code allowed}. */
    static void restartPolicy(List<Cause> out, JsonNode template, String templatePath, List<String> allowed) {
        String rp = template.path("spec").path("restartPolicy").asText("");
        if (!allowed.contains(rp)) {
            out.add(Fields.notSupported(templatePath + ".spec.restartPolicy", rp, allowed));
        }
    }

    static void nonNegative(List<Cause> out, JsonNode spec, String specPath, String... fields) {
        for (String f : fields) {
            Fields.nonNegative(out, specPath + "." + f, spec.path(f));
        }
    }

    /** Go's %#v of an intstr.IntOrString. */
    static String goIntOrString(JsonNode v) {
        if (v.isTextual()) {
            return "intstr.IntOrString{Type:1, IntVal:0, StrVal:" + Fields.quote(v.asText()) + "}";
        }
        return "intstr.IntOrString{Type:0, IntVal:" + v.asInt(0) + ", StrVal:\"\"}";
    }

    /** ValidatePositiveIntOrPercent and IsNotMoreThan100Percent. */
    static void intOrPercent(List<Cause> out, String path, JsonNode v, boolean max100) {
        if (v.isMissingNode() || v.isNull()) {
            return;
        }
        if (v.isTextual()) {
            if (!PERCENT.matcher(v.asText()).matches()) {
                out.add(Fields.invalid(path, v, "a valid percent string must be a numeric string followed by an ending '%' (e.g. '1%',  "
                        + "or '93%', regex used for validation is '[0-9]+%')"));
            } else if (max100 && Integer.parseInt(v.asText().substring(0, v.asText().length() - 1)) > 100) {
                out.add(Fields.invalid(path, v, "must not be greater than 100%"));
            }
        } else if (v.asInt() < 0) {
            out.add(Fields.invalid(path, v, Fields.NON_NEGATIVE));
        }
    }

    /** The int-or-percent value as a number (0 for "0%"), as upstream's getIntOrPercentValue. */
    static int intOrPercentValue(JsonNode v) {
        if (v.isTextual()) {
            String s = v.asText();
            try {
                return Integer.parseInt(s.endsWith("%") ? s.substring(0, s.length() - 1) : s);
            } catch (NumberFormatException e) {
                return -1;
            }
        }
        return v.asInt(0);
    }

    /** {@code spec.selector: Invalid value: v1.LabelSelector{…}: field is immutable} (apps/v1 kinds). */
    static void immutableSelector(List<Cause> out, JsonNode obj, JsonNode old) {
        JsonNode now = obj.path("spec").path("selector");
        if (!Json.same(now, old.path("spec").path("selector"))) {
            out.add(Fields.invalidRendered("spec.selector", now.isObject() ? Fields.goLabelSelector(now) : "null", Fields.IMMUTABLE));
        }
    }
}
