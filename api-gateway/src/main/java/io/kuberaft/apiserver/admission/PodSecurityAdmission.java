package io.kuberaft.apiserver.admission;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.kuberaft.apiserver.registry.ResourceDefinition;
import io.kuberaft.apiserver.admission.PodSecurityStandards.Level;
import io.kuberaft.raftstore.ReadConsistency;

import java.util.List;
import java.util.Set;

/**
 * Upstream's PodSecurity admission: a namespace's {@code pod-security.kubernetes.io/enforce} label (and
 * {@code enforce-version}) refuses pods that violate that Pod Security Standard (403, {@code violates PodSecurity
 * "restricted:latest": …}); its {@code warn} label — which defaults to the enforce level when that is stricter — makes
 * {@link #warnings} for pods and for the pod templates of workloads ({@code would violate PodSecurity …}). Pods are
 * checked when created; updates (which may only change images and a few fields) are not. Unlabelled namespaces are
 * privileged, as upstream's default configuration.
 */
public final class PodSecurityAdmission implements AdmissionPlugin {
    static final String PREFIX = "pod-security.kubernetes.io/";
    private static final Set<String> WORKLOADS = Set.of("Deployment", "ReplicaSet", "DaemonSet", "StatefulSet", "Job", "CronJob",
            "ReplicationController", "PodTemplate");
    private final Lookup lookup;

    public PodSecurityAdmission(Lookup lookup) {
        this.lookup = lookup;
    }

    @Override
    public String name() {
        return "PodSecurity";
    }

    @Override
    public Set<Operation> operations() {
        return Set.of(Operation.CREATE);
    }

    @Override
    public boolean mutating() {
        return false;
    }

    @Override
    public void admit(Attributes a) {
        if (!a.is("", "Pod")) {
            return;
        }
        Policy p = policy(a.namespace(), a.reads());
        List<String> v = PodSecurityStandards.violations(p.enforce(), a.object().path("metadata"), a.object().path("spec"));
        if (!v.isEmpty()) {
            throw Lookup.forbidden(a.def(), a.name(), "violates PodSecurity \"" + p.enforce().label() + ":" + p.enforceVersion() + "\": "
                    + String.join(", ", v));
        }
    }

    /** The {@code Warning}s a write of {@code obj} gets: its pod (template) against the namespace's warn level. */
    public List<String> warnings(ResourceDefinition def, String namespace, ObjectNode obj) {
        JsonNode template;
        if (def.group().isEmpty() && def.kind().equals("Pod")) {
            template = obj;
        } else if (WORKLOADS.contains(def.kind())) {
            template = def.kind().equals("CronJob") ? obj.path("spec").path("jobTemplate").path("spec").path("template")
                    : def.kind().equals("PodTemplate") ? obj.path("template") : obj.path("spec").path("template");
        } else {
            return List.of();
        }
        if (namespace == null || namespace.isEmpty()) {
            return List.of();
        }
        Policy p = policy(namespace, ReadConsistency.SERIALIZABLE);
        if (p.warn() == Level.PRIVILEGED || template == obj && p.warn().compareTo(p.enforce()) <= 0) {
            return List.of(); // a pod the enforce level let through already passed this level
        }
        List<String> v = PodSecurityStandards.violations(p.warn(), template.path("metadata"), template.path("spec"));
        return v.isEmpty() ? List.of()
                : List.of("would violate PodSecurity \"" + p.warn().label() + ":" + p.warnVersion() + "\": " + String.join(", ", v));
    }

    /** A namespace's levels and versions; an invalid or missing label is privileged, as upstream's default. */
    record Policy(Level enforce, String enforceVersion, Level warn, String warnVersion) {
    }

    private Policy policy(String namespace, ReadConsistency reads) {
        ObjectNode ns = lookup.get(lookup.kind("", "Namespace"), null, namespace, reads);
        JsonNode labels = ns == null ? null : ns.path("metadata").path("labels");
        Level enforce = level(labels, "enforce");
        // upstream's PolicyToEvaluate: without a warn label, warn at the enforce level
        boolean hasWarn = labels != null && labels.has(PREFIX + "warn");
        return new Policy(enforce, version(labels, "enforce"), hasWarn ? level(labels, "warn") : enforce,
                version(labels, hasWarn ? "warn" : "enforce"));
    }

    private static Level level(JsonNode labels, String mode) {
        Level l = labels == null ? null : Level.parse(labels.path(PREFIX + mode).asText(""));
        return l == null ? Level.PRIVILEGED : l;
    }

    private static String version(JsonNode labels, String mode) {
        String v = labels == null ? "" : labels.path(PREFIX + mode + "-version").asText("");
        return v.isEmpty() ? "latest" : v;
    }
}
