package io.kuberaft.apiserver.table;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.MissingNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.util.ArrayList;
import java.util.List;

import static io.kuberaft.apiserver.table.Cells.text;

/** policy, autoscaling, coordination and scheduling kinds: disruption budgets, HPAs, leases, priority classes. */
final class MiscTables {
    private MiscTables() {
    }

    static final TableConvertor POD_DISRUPTION_BUDGET = new RowTable(List.of(
            Columns.NAME,
            Columns.col("Min Available", "string", "The minimum number of pods that must be available."),
            Columns.col("Max Unavailable", "string", "The maximum number of pods that may be unavailable."),
            Columns.col("Allowed Disruptions", "integer", "Calculated number of pods that may be disrupted at this time."),
            Columns.AGE),
            (o, now) -> {
                JsonNode spec = o.path("spec");
                JsonNode min = spec.path("minAvailable");
                JsonNode max = spec.path("maxUnavailable");
                return List.of(Cells.name(o), present(min) ? Cells.intOrString(min) : "N/A",
                        present(max) ? Cells.intOrString(max) : "N/A",
                        Cells.integer(o.path("status").path("disruptionsAllowed"), 0), Cells.age(o, now));
            });

    static final TableConvertor HORIZONTAL_POD_AUTOSCALER = new RowTable(List.of(
            Columns.NAME,
            Columns.col("Reference", "string", SwaggerDocs.HORIZONTAL_POD_AUTOSCALER_SPEC_SCALE_TARGET_REF),
            Columns.col("Targets", "string", SwaggerDocs.HORIZONTAL_POD_AUTOSCALER_SPEC_METRICS),
            Columns.col("MinPods", "string", SwaggerDocs.HORIZONTAL_POD_AUTOSCALER_SPEC_MIN_REPLICAS),
            Columns.col("MaxPods", "string", SwaggerDocs.HORIZONTAL_POD_AUTOSCALER_SPEC_MAX_REPLICAS),
            Columns.col("Replicas", "string", SwaggerDocs.HORIZONTAL_POD_AUTOSCALER_STATUS_CURRENT_REPLICAS),
            Columns.AGE),
            MiscTables::hpaCells);

    static final TableConvertor LEASE = new RowTable(List.of(
            Columns.NAME,
            Columns.col("Holder", "string", SwaggerDocs.LEASE_SPEC_HOLDER_IDENTITY),
            Columns.AGE),
            (o, now) -> List.of(Cells.name(o), text(o.path("spec").path("holderIdentity")), Cells.age(o, now)));

    static final TableConvertor PRIORITY_CLASS = new RowTable(List.of(
            Columns.NAME,
            Columns.col("Value", "integer", SwaggerDocs.PRIORITY_CLASS_VALUE),
            Columns.col("Global-Default", "boolean", SwaggerDocs.PRIORITY_CLASS_GLOBAL_DEFAULT),
            Columns.AGE,
            Columns.col("PreemptionPolicy", "string", SwaggerDocs.PRIORITY_CLASS_PREEMPTION_POLICY)),
            (o, now) -> List.of(Cells.name(o), Cells.integer(o.path("value"), 0),
                    Cells.bool(o.path("globalDefault"), false), Cells.age(o, now),
                    // defaulted on create
                    text(o.path("preemptionPolicy"), "PreemptLowerPriority")));

    /** Upstream's printRuntimeClass. */
    static final TableConvertor RUNTIME_CLASS = new RowTable(List.of(
            Columns.NAME,
            Columns.col("Handler", "string", "handler specifies the underlying runtime and configuration that the CRI implementation will use to handle pods of this class."),
            Columns.AGE),
            (o, now) -> List.of(Cells.name(o), text(o.path("handler"), ""), Cells.age(o, now)));

    /** Upstream's printCertificateSigningRequest: CONDITION is Denied, Approved or Pending, then ",Failed" and ",Issued". */
    static final TableConvertor CERTIFICATE_SIGNING_REQUEST = new RowTable(List.of(
            Columns.NAME,
            Columns.AGE,
            Columns.col("SignerName", "string", "signerName indicates the requested signer, and is a qualified name."),
            Columns.col("Requestor", "string", "Name of the user who created the CertificateSigningRequest."),
            Columns.col("RequestedDuration", "string", "The requested duration of the issued certificate."),
            Columns.col("Condition", "string", "The approval, failure and issuance of the CertificateSigningRequest.")),
            (o, now) -> {
                JsonNode spec = o.path("spec");
                String signer = text(spec.path("signerName"));
                JsonNode exp = spec.path("expirationSeconds");
                return List.of(Cells.name(o), Cells.age(o, now), signer.isEmpty() ? Cells.NONE : signer, text(spec.path("username")),
                        exp.isNumber() ? Ages.human(exp.asLong()) : Cells.NONE, csrCondition(o.path("status")));
            });

    static String csrCondition(JsonNode status) {
        boolean approved = false;
        boolean denied = false;
        boolean failed = false;
        for (JsonNode c : status.path("conditions")) {
            if (c.path("status").asText("True").equals("False")) {
                continue;
            }
            switch (c.path("type").asText()) {
                case "Approved" -> approved = true;
                case "Denied" -> denied = true;
                case "Failed" -> failed = true;
                default -> {
                }
            }
        }
        String s = denied ? "Denied" : approved ? "Approved" : "Pending";
        if (failed) {
            s += ",Failed";
        }
        if (!status.path("certificate").asText("").isEmpty()) {
            s += ",Issued";
        }
        return s;
    }

    private static final JsonNode DEFAULT_V2_METRICS = defaultMetrics();

    private static JsonNode defaultMetrics() {
        try {
            return io.kuberaft.apiserver.registry.Objects.JSON.readTree(
                    "[{\"type\":\"Resource\",\"resource\":{\"name\":\"cpu\","
                            + "\"target\":{\"type\":\"Utilization\",\"averageUtilization\":80}}}]");
        } catch (java.io.IOException e) {
            throw new IllegalStateException(e);
        }
    }

    private static boolean present(JsonNode n) {
        return !n.isMissingNode() && !n.isNull();
    }

    // ---- HorizontalPodAutoscaler --------------------------------------------------------------------

    static List<Object> hpaCells(ObjectNode o, long now) {
        JsonNode spec = o.path("spec");
        JsonNode ref = spec.path("scaleTargetRef");
        return List.of(Cells.name(o), text(ref.path("kind")) + "/" + text(ref.path("name")), hpaTargets(o),
                // minReplicas defaults to 1
                Long.toString(Cells.integer(spec.path("minReplicas"), 1)),
                Cells.integer(spec.path("maxReplicas"), 0), Cells.integer(o.path("status").path("currentReplicas"), 0),
                Cells.age(o, now));
    }

    /**
     * formatHPAMetrics over autoscaling/v2 metrics (status matched by index, as upstream does); at most two then
     * " + N more...". Tables see the storage form, autoscaling/v2, whichever version was asked for.
     */
    static String hpaTargets(JsonNode hpa) {
        JsonNode spec = hpa.path("spec");
        JsonNode status = hpa.path("status");
        JsonNode specs = spec.has("metrics") ? spec.path("metrics") : DEFAULT_V2_METRICS; // v2 defaults no metrics to 80% cpu
        JsonNode statuses = status.path("currentMetrics");
        if (specs.size() == 0) {
            return Cells.NONE;
        }
        List<String> list = new ArrayList<>();
        int max = 2;
        int count = 0;
        for (int i = 0; i < specs.size(); i++) {
            JsonNode m = specs.get(i);
            JsonNode st = i < statuses.size() ? statuses.get(i) : MissingNode.getInstance();
            switch (text(m.path("type"))) {
                case "External" -> list.add(valueMetric(m.path("external").path("target"), st.path("external")));
                case "Object" -> list.add(valueMetric(m.path("object").path("target"), st.path("object")));
                case "Pods" -> {
                    String current = st.path("pods").isObject()
                            ? Cells.quantity(st.path("pods").path("current").path("averageValue")) : Cells.UNKNOWN;
                    list.add(current + "/" + Cells.quantity(m.path("pods").path("target").path("averageValue")));
                }
                case "Resource" -> list.add(resourceMetric(m.path("resource"), st.path("resource")));
                case "ContainerResource" -> list.add(resourceMetric(m.path("containerResource"), st.path("containerResource")));
                default -> list.add("<unknown type>");
            }
            count++;
        }
        if (count > max) {
            return String.join(", ", list.subList(0, max)) + " + " + (count - max) + " more...";
        }
        return String.join(", ", list);
    }

    private static String valueMetric(JsonNode target, JsonNode status) {
        if (present(target.path("averageValue"))) {
            String current = status.isObject() && present(status.path("current").path("averageValue"))
                    ? Cells.quantity(status.path("current").path("averageValue")) : Cells.UNKNOWN;
            return current + "/" + Cells.quantity(target.path("averageValue")) + " (avg)";
        }
        String current = status.isObject() ? Cells.quantity(status.path("current").path("value")) : Cells.UNKNOWN;
        return current + "/" + Cells.quantity(target.path("value"));
    }

    private static String resourceMetric(JsonNode source, JsonNode status) {
        String name = text(source.path("name"));
        JsonNode target = source.path("target");
        if (present(target.path("averageValue"))) {
            String current = status.isObject() ? Cells.quantity(status.path("current").path("averageValue")) : Cells.UNKNOWN;
            return name + ": " + current + "/" + Cells.quantity(target.path("averageValue"));
        }
        String current = status.isObject() && status.path("current").path("averageUtilization").isNumber()
                ? status.path("current").path("averageUtilization").asLong() + "%" : Cells.UNKNOWN;
        String tgt = target.path("averageUtilization").isNumber() ? target.path("averageUtilization").asLong() + "%" : "<auto>";
        return name + ": " + current + "/" + tgt;
    }
}
