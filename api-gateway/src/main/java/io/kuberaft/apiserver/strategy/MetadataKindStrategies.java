package io.kuberaft.apiserver.strategy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.kuberaft.apiserver.registry.DefaultStrategy;
import io.kuberaft.apiserver.registry.ResourceDefinition;
import io.kuberaft.kubeapi.StatusException.Cause;

import java.util.ArrayList;
import java.util.List;

/**
 * Kinds with little more than metadata: coordination.k8s.io Lease, apps ControllerRevision and core ServiceAccount, with
 * upstream's rules (ValidateLeaseSpec, ValidateControllerRevision, the ServiceAccount strategy's cleanSecretReferences).
 */
public final class MetadataKindStrategies {
    private MetadataKindStrategies() {
    }

    public static final class LeaseStrategy extends DefaultStrategy {
        /** spec.strategy and spec.preferredHolder belong to the CoordinatedLeaderElection feature, off in 1.32: dropped unless already in use. */
        private static void dropDisabledFields(ObjectNode obj, ObjectNode old) {
            JsonNode spec = obj.path("spec");
            boolean inUse = old != null && (old.path("spec").has("strategy") || old.path("spec").has("preferredHolder"));
            if (spec instanceof ObjectNode s && !inUse) {
                s.remove("strategy");
                s.remove("preferredHolder");
            }
        }

        @Override
        public void prepareForCreate(ResourceDefinition def, ObjectNode obj) {
            dropDisabledFields(obj, null);
        }

        @Override
        public void prepareForUpdate(ResourceDefinition def, ObjectNode obj, ObjectNode old) {
            dropDisabledFields(obj, old);
        }

        @Override
        public List<Cause> validate(ResourceDefinition def, ObjectNode obj) {
            List<Cause> out = new ArrayList<>();
            JsonNode duration = obj.path("spec").path("leaseDurationSeconds");
            if (duration.isNumber() && duration.asLong() <= 0) {
                out.add(Fields.invalid("spec.leaseDurationSeconds", duration, "must be greater than 0"));
            }
            JsonNode transitions = obj.path("spec").path("leaseTransitions");
            if (transitions.isNumber() && transitions.asLong() < 0) {
                out.add(Fields.invalid("spec.leaseTransitions", transitions, "must be greater than or equal to 0"));
            }
            String preferred = obj.path("spec").path("preferredHolder").asText("");
            if (!preferred.isEmpty() && obj.path("spec").path("strategy").asText("").isEmpty()) {
                out.add(Fields.forbidden("spec.preferredHolder", "may only be specified if `strategy` is defined"));
            }
            return out;
        }
    }

    public static final class ControllerRevisionStrategy extends DefaultStrategy {
        @Override
        public List<Cause> validate(ResourceDefinition def, ObjectNode obj) {
            List<Cause> out = new ArrayList<>();
            if (obj.path("data").isMissingNode() || obj.path("data").isNull()) {
                out.add(Fields.required("data", "data is mandatory"));
            }
            Fields.nonNegative(out, "revision", obj.path("revision"));
            return out;
        }

        @Override
        public List<Cause> validateUpdate(ResourceDefinition def, ObjectNode obj, ObjectNode old) {
            List<Cause> out = validate(def, obj);
            if (!Json.same(obj.path("data"), old.path("data"))) {
                out.add(Fields.invalid("data", obj.path("data"), Fields.IMMUTABLE));
            }
            return out;
        }
    }

    /** Only metadata is validated; a secret reference keeps only its name, as upstream's cleanSecretReferences. */
    public static final class ServiceAccountStrategy extends DefaultStrategy {
        private static void cleanSecretReferences(ObjectNode obj) {
            JsonNode secrets = obj.path("secrets");
            for (int i = 0; i < secrets.size(); i++) {
                if (secrets.get(i) instanceof ObjectNode ref) {
                    JsonNode name = ref.get("name");
                    ref.removeAll();
                    if (name != null) {
                        ref.set("name", name);
                    }
                }
            }
        }

        @Override
        public void prepareForCreate(ResourceDefinition def, ObjectNode obj) {
            cleanSecretReferences(obj);
        }

        @Override
        public void prepareForUpdate(ResourceDefinition def, ObjectNode obj, ObjectNode old) {
            cleanSecretReferences(obj);
        }
    }
}
