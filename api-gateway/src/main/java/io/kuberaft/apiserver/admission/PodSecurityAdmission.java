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
        var at = def.strategy().podTemplate(obj);
        if (at == null) {
            return List.of();
        }
        JsonNode template = at.template();
        if (namespace == null || namespace.isEmpty()) {
            return List.of();
        }
        Policy p = policy(namespace, ReadConsistency.SERIALIZABLE);
        if (p.warn() == Level.PRIVILEGED || at.path().isEmpty() && p.warn().compareTo(p.enforce()) <= 0) {
            return List.of(); // a pod the enforce level let through already passed this level
        }
        List<String> v = PodSecurityStandards.violations(p.warn(), template.path("metadata"), template.path("spec"));
        return v.isEmpty() ? List.of()
                : List.of("would violate PodSecurity \"" + p.warn().label() + ":" + p.warnVersion() + "\": " + String.join(", ", v));
    }

    /**
     * Upstream's namespace check: a namespace write that sets a new enforce level (or version) warns about the pods it
     * already has that violate it — {@code existing pods in namespace "x" violate the new PodSecurity enforce level
     * "restricted:latest"}, then one line per set of violations ({@code web-1 (and 2 other pods): host namespaces, …}).
     * The pods keep running: enforcement applies to new pods only.
     */
    public List<String> namespaceWarnings(ObjectNode namespace, ObjectNode old) {
        JsonNode labels = namespace.path("metadata").path("labels");
        JsonNode oldLabels = old == null ? null : old.path("metadata").path("labels");
        Level enforce = level(labels, "enforce");
        String version = version(labels, "enforce");
        if (enforce == Level.PRIVILEGED || enforce == level(oldLabels, "enforce") && version.equals(version(oldLabels, "enforce"))) {
            return List.of();
        }
        String name = namespace.path("metadata").path("name").asText();
        List<ObjectNode> pods = new java.util.ArrayList<>(lookup.list(lookup.kind("", "Pod"), name, ReadConsistency.SERIALIZABLE).items());
        pods.sort(java.util.Comparator.comparing(p -> p.path("metadata").path("name").asText()));
        java.util.Map<String, List<String>> byViolations = new java.util.LinkedHashMap<>();
        for (ObjectNode pod : pods) {
            List<String> v = PodSecurityStandards.violations(enforce, pod.path("metadata"), pod.path("spec"));
            if (!v.isEmpty()) {
                String reasons = String.join(", ", v.stream().map(x -> x.contains(" (") ? x.substring(0, x.indexOf(" (")) : x).toList());
                byViolations.computeIfAbsent(reasons, r -> new java.util.ArrayList<>()).add(pod.path("metadata").path("name").asText());
            }
        }
        if (byViolations.isEmpty()) {
            return List.of();
        }
        List<String> out = new java.util.ArrayList<>();
        out.add("existing pods in namespace \"" + name + "\" violate the new PodSecurity enforce level \"" + enforce.label() + ":" + version + "\"");
        byViolations.forEach((reasons, names) -> out.add(names.get(0) + (names.size() == 1 ? "" : " (and " + (names.size() - 1)
                + (names.size() == 2 ? " other pod)" : " other pods)")) + ": " + reasons));
        return out;
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
