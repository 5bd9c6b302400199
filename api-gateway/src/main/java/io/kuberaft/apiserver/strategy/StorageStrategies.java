package io.kuberaft.apiserver.strategy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.kuberaft.apiserver.registry.DefaultStrategy;
import io.kuberaft.apiserver.registry.Objects;
import io.kuberaft.apiserver.registry.ResourceDefinition;
import io.kuberaft.kubeapi.StatusException.Cause;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/** storage.k8s.io StorageClass and scheduling.k8s.io PriorityClass: cluster-wide classes with immutable essentials. */
public final class StorageStrategies {
    private StorageStrategies() {
    }

    public static final class StorageClassStrategy extends DefaultStrategy {
        @Override
        public void prepareForCreate(ResourceDefinition def, ObjectNode obj) {
            defaults(obj);
        }

        @Override
        public void prepareForUpdate(ResourceDefinition def, ObjectNode obj, ObjectNode old) {
            defaults(obj);
        }

        private static void defaults(ObjectNode obj) {
            Json.defaultText(obj, "reclaimPolicy", "Delete");
            Json.defaultText(obj, "volumeBindingMode", "Immediate");
        }

        @Override
        public List<Cause> validate(ResourceDefinition def, ObjectNode obj) {
            List<Cause> out = new ArrayList<>();
            String provisioner = obj.path("provisioner").asText("");
            if (provisioner.isEmpty()) {
                out.add(Fields.required("provisioner"));
            } else {
                out.addAll(Fields.qualifiedName("provisioner", provisioner));
            }
            String reclaim = obj.path("reclaimPolicy").asText("");
            if (!reclaim.equals("Delete") && !reclaim.equals("Retain")) {
                out.add(Fields.notSupported("reclaimPolicy", reclaim, List.of("Delete", "Retain")));
            }
            String mode = obj.path("volumeBindingMode").asText("");
            if (!mode.equals("Immediate") && !mode.equals("WaitForFirstConsumer")) {
                out.add(Fields.notSupported("volumeBindingMode", mode, List.of("Immediate", "WaitForFirstConsumer")));
            }
            return out;
        }

        @Override
        public List<Cause> validateUpdate(ResourceDefinition def, ObjectNode obj, ObjectNode old) {
            List<Cause> out = validate(def, obj);
            for (String f : new String[] {"parameters", "provisioner", "reclaimPolicy"}) {
                if (!Json.same(obj.path(f), old.path(f))) {
                    out.add(Fields.forbidden(f, "updates to " + f + " are forbidden."));
                }
            }
            if (!Json.same(obj.path("volumeBindingMode"), old.path("volumeBindingMode"))) {
                out.add(Fields.invalid("volumeBindingMode", obj.path("volumeBindingMode"), Fields.IMMUTABLE));
            }
            return out;
        }
    }

    public static final class PriorityClassStrategy extends DefaultStrategy {
        static final Set<String> SYSTEM = Set.of("system-node-critical", "system-cluster-critical");
        static final long HIGHEST_USER = 1_000_000_000L;

        @Override
        public void prepareForCreate(ResourceDefinition def, ObjectNode obj) {
            Json.defaultText(obj, "preemptionPolicy", "PreemptLowerPriority");
        }

        @Override
        public void prepareForUpdate(ResourceDefinition def, ObjectNode obj, ObjectNode old) {
            Json.defaultText(obj, "preemptionPolicy", "PreemptLowerPriority");
        }

        @Override
        public List<Cause> validate(ResourceDefinition def, ObjectNode obj) {
            List<Cause> out = new ArrayList<>();
            String name = Objects.name(obj);
            if (name.startsWith("system-") && !SYSTEM.contains(name)) {
                out.add(Fields.invalid("metadata.name", name, "priority class names with 'system-' prefix are reserved"));
            }
            JsonNode value = obj.path("value");
            if (!SYSTEM.contains(name) && value.asLong(0) > HIGHEST_USER) {
                out.add(Fields.forbidden("value", "maximum allowed value of a user defined priority is " + HIGHEST_USER));
            }
            String policy = obj.path("preemptionPolicy").asText("");
            if (!policy.equals("PreemptLowerPriority") && !policy.equals("Never")) {
                out.add(Fields.notSupported("preemptionPolicy", policy, List.of("Never", "PreemptLowerPriority")));
            }
            return out;
        }

        @Override
        public List<Cause> validateUpdate(ResourceDefinition def, ObjectNode obj, ObjectNode old) {
            List<Cause> out = validate(def, obj);
            if (!Json.same(obj.path("value"), old.path("value"))) {
                out.add(Fields.forbidden("value", "may not be changed in an update."));
            }
            if (!Json.same(obj.path("preemptionPolicy"), old.path("preemptionPolicy"))) {
                out.add(Fields.invalid("preemptionPolicy", obj.path("preemptionPolicy"), Fields.IMMUTABLE));
            }
            return out;
        }
    }
}
