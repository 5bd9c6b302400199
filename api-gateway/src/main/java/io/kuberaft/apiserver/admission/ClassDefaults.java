package io.kuberaft.apiserver.admission;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.kuberaft.apiserver.registry.Objects;
import io.kuberaft.apiserver.registry.ResourceDefinition;
import io.kuberaft.apiserver.strategy.Json;
import io.kuberaft.kubeapi.StatusException;
import io.kuberaft.raftstore.ReadConsistency;

import java.util.Set;

/**
 * The plugins that fill in a class from the cluster's classes: Priority (pods' priority and preemptionPolicy
 * from their PriorityClass or the global default), DefaultStorageClass (PVCs without a class) and
 * DefaultIngressClass (Ingresses without a class).
 */
public final class ClassDefaults {
    private ClassDefaults() {
    }

    static final String DEFAULT_SC = "storageclass.kubernetes.io/is-default-class";
    static final String DEFAULT_SC_BETA = "storageclass.beta.kubernetes.io/is-default-class";
    static final String DEFAULT_INGRESS_CLASS = "ingressclass.kubernetes.io/is-default-class";

    /** The newest object of a cluster-scoped kind marked default (annotation "true"), or null. */
    static ObjectNode newestDefault(Lookup lookup, ResourceDefinition def, ReadConsistency c, String... annotations) {
        ObjectNode best = null;
        for (ObjectNode o : lookup.list(def, null, c).items()) {
            JsonNode ann = o.path("metadata").path("annotations");
            boolean marked = false;
            for (String a : annotations) {
                marked |= "true".equals(ann.path(a).asText());
            }
            if (marked && (best == null || Objects.meta(o).path("creationTimestamp").asText("")
                    .compareTo(Objects.meta(best).path("creationTimestamp").asText("")) > 0)) {
                best = o;
            }
        }
        return best;
    }

    public static final class Priority implements AdmissionPlugin {
        private final Lookup lookup;

        public Priority(Lookup lookup) {
            this.lookup = lookup;
        }

        @Override
        public String name() {
            return "Priority";
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
            if (a.is("scheduling.k8s.io", "PriorityClass")) {
                onlyOneDefault(a);
                return;
            }
            if (!a.is("", "Pod") || a.operation() != Operation.CREATE) {
                return;
            }
            ObjectNode spec = Json.obj(a.object(), "spec");
            ResourceDefinition pcDef = lookup.kind("scheduling.k8s.io", "PriorityClass");
            String className = spec.path("priorityClassName").asText("");
            long priority = 0;
            String preemption = "PreemptLowerPriority";
            ObjectNode pc;
            if (className.isEmpty()) {
                pc = newestGlobalDefault(pcDef, a.reads());
                if (pc != null) {
                    spec.put("priorityClassName", Objects.name(pc));
                }
            } else {
                pc = lookup.getFresh(pcDef, null, className, a.reads());
                if (pc == null) {
                    switch (className) {
                        case "system-node-critical" -> priority = 2000001000;
                        case "system-cluster-critical" -> priority = 2000000000;
                        default -> throw Lookup.forbidden(a.def(), a.name(), "no PriorityClass with name " + className + " was found");
                    }
                }
            }
            if (pc != null) {
                priority = pc.path("value").asLong(0);
                preemption = pc.path("preemptionPolicy").asText("PreemptLowerPriority");
            }
            if (spec.hasNonNull("priority") && spec.get("priority").asLong() != priority) {
                throw Lookup.forbidden(a.def(), a.name(), "the integer value of priority (" + spec.get("priority").asLong()
                        + ") must not be provided in pod spec; priority admission controller computed " + priority
                        + " from the given PriorityClass name");
            }
            if (spec.hasNonNull("preemptionPolicy") && !spec.get("preemptionPolicy").asText().equals(preemption)) {
                throw Lookup.forbidden(a.def(), a.name(), "the string value of PreemptionPolicy (" + spec.get("preemptionPolicy").asText()
                        + ") must not be provided in pod spec; priority admission controller computed " + preemption
                        + " from the given PriorityClass name");
            }
            spec.put("priority", priority);
            spec.put("preemptionPolicy", preemption);
        }

        /** Upstream's validatePriorityClass: a second class marked globalDefault is refused. */
        private void onlyOneDefault(Attributes a) {
            if (!a.object().path("globalDefault").asBoolean(false)) {
                return;
            }
            ObjectNode other = newestGlobalDefault(a.def(), a.reads());
            if (other != null && !Objects.name(other).equals(a.name())) {
                throw Lookup.forbidden(a.def(), a.name(), "PriorityClass " + Objects.name(other)
                        + " is already marked as default. Only one default can exist");
            }
        }

        private ObjectNode newestGlobalDefault(ResourceDefinition pcDef, ReadConsistency c) {
            ObjectNode best = null;
            for (ObjectNode o : lookup.list(pcDef, null, c).items()) {
                if (o.path("globalDefault").asBoolean(false) && (best == null || Objects.meta(o).path("creationTimestamp").asText("")
                        .compareTo(Objects.meta(best).path("creationTimestamp").asText("")) > 0)) {
                    best = o;
                }
            }
            return best;
        }
    }

    public static final class DefaultStorageClass implements AdmissionPlugin {
        private final Lookup lookup;

        public DefaultStorageClass(Lookup lookup) {
            this.lookup = lookup;
        }

        @Override
        public String name() {
            return "DefaultStorageClass";
        }

        @Override
        public Set<Operation> operations() {
            return Set.of(Operation.CREATE);
        }

        @Override
        public boolean mutating() {
            return true;
        }

        @Override
        public void admit(Attributes a) {
            if (!a.is("", "PersistentVolumeClaim")) {
                return;
            }
            ObjectNode spec = Json.obj(a.object(), "spec");
            if (spec.has("storageClassName") && !spec.get("storageClassName").isNull()) {
                return;
            }
            if (Objects.meta(a.object()).path("annotations").has("volume.beta.kubernetes.io/storage-class")) {
                return;
            }
            ObjectNode sc = newestDefault(lookup, lookup.kind("storage.k8s.io", "StorageClass"), a.reads(), DEFAULT_SC, DEFAULT_SC_BETA);
            if (sc != null) {
                spec.put("storageClassName", Objects.name(sc));
            }
        }
    }

    public static final class DefaultIngressClass implements AdmissionPlugin {
        private final Lookup lookup;

        public DefaultIngressClass(Lookup lookup) {
            this.lookup = lookup;
        }

        @Override
        public String name() {
            return "DefaultIngressClass";
        }

        @Override
        public Set<Operation> operations() {
            return Set.of(Operation.CREATE);
        }

        @Override
        public boolean mutating() {
            return true;
        }

        @Override
        public void admit(Attributes a) {
            if (!a.is("networking.k8s.io", "Ingress")) {
                return;
            }
            ObjectNode spec = Json.obj(a.object(), "spec");
            if (!Json.blank(spec, "ingressClassName")
                    || Objects.meta(a.object()).path("annotations").has("kubernetes.io/ingress.class")) {
                return;
            }
            ObjectNode cls;
            try {
                cls = newestDefault(lookup, lookup.kind("networking.k8s.io", "IngressClass"), a.reads(), DEFAULT_INGRESS_CLASS);
            } catch (StatusException e) {
                return;
            }
            if (cls != null) {
                spec.put("ingressClassName", Objects.name(cls));
            }
        }
    }
}
