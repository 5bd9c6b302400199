package io.kuberaft.apiserver.strategy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.kuberaft.apiserver.registry.DefaultStrategy;
import io.kuberaft.apiserver.registry.ResourceDefinition;
import io.kuberaft.kubeapi.Quantity;
import io.kuberaft.kubeapi.StatusException.Cause;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * ResourceQuotas: canonical quantities, valid resource names and scopes. {@code status} (hard, used) is kept by
 * the ResourceQuota admission plugin, which charges usage in the same txn as each create.
 */
public final class ResourceQuotaStrategy extends DefaultStrategy {
    /** Quota resources counted in whole objects. */
    static final Set<String> INTEGER_RESOURCES = Set.of("pods", "services", "replicationcontrollers", "resourcequotas", "secrets",
            "configmaps", "persistentvolumeclaims", "services.nodeports", "services.loadbalancers");
    private static final Set<String> STANDARD = Set.of("pods", "services", "replicationcontrollers", "resourcequotas", "secrets",
            "configmaps", "persistentvolumeclaims", "services.nodeports", "services.loadbalancers", "cpu", "memory", "requests.cpu",
            "requests.memory", "requests.storage", "requests.ephemeral-storage", "limits.cpu", "limits.memory", "limits.ephemeral-storage",
            "ephemeral-storage", "storage");
    private static final List<String> SCOPES = List.of("BestEffort", "CrossNamespacePodAffinity", "NotBestEffort", "NotTerminating",
            "PriorityClass", "Terminating", "VolumeAttributesClass");

    @Override
    public void prepareForCreate(ResourceDefinition def, ObjectNode obj) {
        super.prepareForCreate(def, obj);
        Resources.canonicalize(def, obj.path("spec").path("hard"));
    }

    @Override
    public void prepareForUpdate(ResourceDefinition def, ObjectNode obj, ObjectNode old) {
        Resources.canonicalize(def, obj.path("spec").path("hard"));
        Resources.canonicalize(def, obj.path("status").path("hard"));
        Resources.canonicalize(def, obj.path("status").path("used"));
    }

    @Override
    public List<Cause> validate(ResourceDefinition def, ObjectNode obj) {
        List<Cause> out = new ArrayList<>();
        validateList(out, "spec.hard", obj.path("spec").path("hard"));
        validateList(out, "status.hard", obj.path("status").path("hard"));
        validateList(out, "status.used", obj.path("status").path("used"));
        JsonNode scopes = obj.path("spec").path("scopes");
        Set<String> seen = new java.util.HashSet<>();
        for (JsonNode s : scopes) {
            seen.add(s.asText());
            if (!SCOPES.contains(s.asText())) {
                out.add(Fields.invalidRendered("spec.scopes", Fields.goStringSlice(scopes).replace("[]string", "[]core.ResourceQuotaScope"),
                        "unsupported scope"));
            }
        }
        if (seen.containsAll(List.of("BestEffort", "NotBestEffort")) || seen.containsAll(List.of("Terminating", "NotTerminating"))) {
            out.add(Fields.invalidRendered("spec.scopes", Fields.goStringSlice(scopes).replace("[]string", "[]core.ResourceQuotaScope"),
                    "conflicting scopes"));
        }
        return out;
    }

    private static void validateList(List<Cause> out, String path, JsonNode list) {
        list.fields().forEachRemaining(e -> {
            String name = e.getKey();
            String f = Fields.key(path, name);
            if (!STANDARD.contains(name) && !name.contains("/") && !name.startsWith("count/") && !name.startsWith("requests.")
                    && !name.startsWith("hugepages-") && !name.startsWith("limits.")) {
                out.add(Fields.invalid(f, name, "must be a standard resource type or fully qualified"));
            }
            Quantity q = Quantity.tryParse(e.getValue());
            if (q == null) {
                out.add(Fields.invalid(f, e.getValue(), Quantity.FORMAT_ERROR));
            } else if (q.signum() < 0) {
                out.add(Fields.invalid(f, q.toString(), Fields.NON_NEGATIVE));
            } else if ((INTEGER_RESOURCES.contains(name) || name.startsWith("count/")) && q.decimalValue().stripTrailingZeros().scale() > 0) {
                out.add(Fields.invalid(f, q.toString(), "must be an integer"));
            }
        });
    }
}
