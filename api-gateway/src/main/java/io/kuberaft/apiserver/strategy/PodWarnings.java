package io.kuberaft.apiserver.strategy;

import com.fasterxml.jackson.databind.JsonNode;
import io.kuberaft.kubeapi.Quantity;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * Upstream's GetWarningsForPod / GetWarningsForPodTemplate: what is accepted but probably a mistake, sent back as
 * {@code Warning} headers ({@code kubectl} prints them as {@code Warning: …}): deprecated volume types, node labels and
 * annotations, a negative grace period, null label selectors, duplicate env vars, ports, host aliases and image pull
 * secrets, fractional byte quantities. Paths are the object's own ({@code spec.template.spec.containers[0].env[1]}).
 */
public final class PodWarnings {
    private PodWarnings() {
    }

    /** Deprecated node label → [since, replacement]. */
    private static final Map<String, String[]> NODE_LABELS = Map.of(
            "beta.kubernetes.io/arch", new String[] {"v1.14", "kubernetes.io/arch"},
            "beta.kubernetes.io/os", new String[] {"v1.14", "kubernetes.io/os"},
            "failure-domain.beta.kubernetes.io/region", new String[] {"v1.17", "topology.kubernetes.io/region"},
            "failure-domain.beta.kubernetes.io/zone", new String[] {"v1.17", "topology.kubernetes.io/zone"},
            "beta.kubernetes.io/instance-type", new String[] {"v1.17", "node.kubernetes.io/instance-type"});

    /** Deprecated volume sources, as upstream words them. */
    private static final Map<String, String> VOLUMES = Map.of(
            "photonPersistentDisk", "deprecated in v1.11, non-functional in v1.16+",
            "gitRepo", "deprecated in v1.11",
            "scaleIO", "deprecated in v1.16, non-functional in v1.22+",
            "flocker", "deprecated in v1.22, non-functional in v1.25+",
            "storageOS", "deprecated in v1.22, non-functional in v1.25+",
            "quobyte", "deprecated in v1.22, non-functional in v1.25+",
            "glusterfs", "deprecated in v1.25, non-functional in v1.26+",
            "cephfs", "deprecated in v1.28, non-functional in v1.31+",
            "rbd", "deprecated in v1.28, non-functional in v1.31+");

    /** A pod ({@code prefix} ""), or a pod template at {@code prefix} ({@code spec.template}). */
    public static List<String> of(JsonNode podOrTemplate, String prefix) {
        String p = prefix.isEmpty() ? "" : prefix + ".";
        JsonNode meta = podOrTemplate.path("metadata");
        JsonNode spec = podOrTemplate.path("spec");
        List<String> out = new ArrayList<>();
        annotations(out, p + "metadata.annotations", meta.path("annotations"), spec);
        String s = p + "spec";
        for (int i = 0; i < spec.path("volumes").size(); i++) {
            JsonNode v = spec.path("volumes").get(i);
            for (Map.Entry<String, String> d : new TreeMap<>(VOLUMES).entrySet()) {
                if (v.has(d.getKey())) {
                    out.add(s + ".volumes[" + i + "]." + d.getKey() + ": " + d.getValue());
                }
            }
        }
        new TreeMap<String, JsonNode>(fields(spec.path("nodeSelector"))).keySet().forEach(k -> {
            String[] d = NODE_LABELS.get(k);
            if (d != null) {
                out.add(s + ".nodeSelector[" + k + "]: deprecated since " + d[0] + "; use \"" + d[1] + "\" instead");
            }
        });
        JsonNode nodeAffinity = spec.path("affinity").path("nodeAffinity");
        JsonNode terms = nodeAffinity.path("requiredDuringSchedulingIgnoredDuringExecution").path("nodeSelectorTerms");
        for (int t = 0; t < terms.size(); t++) {
            nodeLabelKeys(out, s + ".affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[" + t + "]",
                    terms.get(t));
        }
        JsonNode preferred = nodeAffinity.path("preferredDuringSchedulingIgnoredDuringExecution");
        for (int t = 0; t < preferred.size(); t++) {
            nodeLabelKeys(out, s + ".affinity.nodeAffinity.preferredDuringSchedulingIgnoredDuringExecution[" + t + "].preference",
                    preferred.get(t).path("preference"));
        }
        JsonNode spread = spec.path("topologySpreadConstraints");
        for (int i = 0; i < spread.size(); i++) {
            String key = spread.get(i).path("topologyKey").asText();
            String[] d = NODE_LABELS.get(key);
            if (d != null) {
                out.add(s + ".topologySpreadConstraints[" + i + "].topologyKey: " + key + " is deprecated since " + d[0] + "; use \""
                        + d[1] + "\" instead");
            }
        }
        if (spec.path("terminationGracePeriodSeconds").isNumber() && spec.path("terminationGracePeriodSeconds").asLong() < 0) {
            out.add(s + ".terminationGracePeriodSeconds: must be >= 0; negative values are invalid and will be treated as 1");
        }
        for (int i = 0; i < spread.size(); i++) {
            if (spread.get(i).path("labelSelector").isMissingNode() || spread.get(i).path("labelSelector").isNull()) {
                out.add(s + ".topologySpreadConstraints[" + i + "].labelSelector: a null labelSelector results in matching no pod");
            }
        }
        for (String kind : List.of("podAffinity", "podAntiAffinity")) {
            JsonNode a = spec.path("affinity").path(kind);
            String ap = s + ".affinity." + kind;
            nullSelectors(out, ap + ".requiredDuringSchedulingIgnoredDuringExecution", a.path("requiredDuringSchedulingIgnoredDuringExecution"), "");
            nullSelectors(out, ap + ".preferredDuringSchedulingIgnoredDuringExecution", a.path("preferredDuringSchedulingIgnoredDuringExecution"),
                    ".podAffinityTerm");
        }
        duplicates(out, s + ".hostAliases", spec.path("hostAliases"), "ip", "duplicate ip");
        JsonNode pullSecrets = spec.path("imagePullSecrets");
        for (int i = 0; i < pullSecrets.size(); i++) {
            if (pullSecrets.get(i).path("name").asText().isEmpty()) {
                out.add(s + ".imagePullSecrets[" + i + "].name: invalid empty name \"\"");
            }
        }
        duplicates(out, s + ".imagePullSecrets", pullSecrets, "name", "duplicate name");
        for (String list : List.of("initContainers", "containers")) {
            JsonNode containers = spec.path(list);
            for (int c = 0; c < containers.size(); c++) {
                String cp = s + "." + list + "[" + c + "]";
                env(out, cp, containers.get(c).path("env"));
                fractional(out, cp + ".resources.requests", containers.get(c).path("resources").path("requests"));
                fractional(out, cp + ".resources.limits", containers.get(c).path("resources").path("limits"));
            }
        }
        fractional(out, s + ".overhead", spec.path("overhead"));
        ports(out, s, spec.path("containers"));
        return out;
    }

    private static void annotations(List<String> out, String path, JsonNode annotations, JsonNode spec) {
        boolean podSeccomp = !spec.path("securityContext").path("seccompProfile").isMissingNode();
        for (Map.Entry<String, JsonNode> a : new TreeMap<>(fields(annotations)).entrySet()) {
            String k = a.getKey();
            String at = path + "[" + k + "]: ";
            if (k.equals("scheduler.alpha.kubernetes.io/critical-pod")) {
                out.add(at + "non-functional in v1.16+; use the \"priorityClassName\" field instead");
            } else if (k.equals("seccomp.security.alpha.kubernetes.io/pod") && !podSeccomp) {
                out.add(at + "non-functional in v1.27+; use the \"seccompProfile\" field instead");
            } else if (k.startsWith("container.seccomp.security.alpha.kubernetes.io/")
                    && !containerHasSeccomp(spec, k.substring("container.seccomp.security.alpha.kubernetes.io/".length()))) {
                out.add(at + "non-functional in v1.27+; use the \"seccompProfile\" field instead");
            } else if (k.equals("security.alpha.kubernetes.io/sysctls") || k.equals("security.alpha.kubernetes.io/unsafe-sysctls")) {
                out.add(at + "non-functional in v1.11+; use the \"sysctls\" field instead");
            } else if (k.startsWith("container.apparmor.security.beta.kubernetes.io/")) {
                out.add(at + "deprecated since v1.30; use the \"appArmorProfile\" field instead");
            }
        }
    }

    private static boolean containerHasSeccomp(JsonNode spec, String container) {
        for (JsonNode c : spec.path("containers")) {
            if (c.path("name").asText().equals(container)) {
                return !c.path("securityContext").path("seccompProfile").isMissingNode();
            }
        }
        return false;
    }

    private static void nodeLabelKeys(List<String> out, String path, JsonNode term) {
        JsonNode exprs = term.path("matchExpressions");
        for (int e = 0; e < exprs.size(); e++) {
            String key = exprs.get(e).path("key").asText();
            String[] d = NODE_LABELS.get(key);
            if (d != null) {
                out.add(path + ".matchExpressions[" + e + "].key: " + key + " is deprecated since " + d[0] + "; use \"" + d[1] + "\" instead");
            }
        }
    }

    private static void nullSelectors(List<String> out, String path, JsonNode terms, String inner) {
        for (int i = 0; i < terms.size(); i++) {
            JsonNode term = inner.isEmpty() ? terms.get(i) : terms.get(i).path(inner.substring(1));
            if (term.path("labelSelector").isMissingNode() || term.path("labelSelector").isNull()) {
                out.add(path + "[" + i + "]" + inner + ".labelSelector: a null labelSelector results in matching no pod");
            }
        }
    }

    private static void duplicates(List<String> out, String path, JsonNode items, String field, String what) {
        Set<String> seen = new HashSet<>();
        for (int i = 0; i < items.size(); i++) {
            String v = items.get(i).path(field).asText();
            if (!v.isEmpty() && !seen.add(v)) {
                out.add(path + "[" + i + "]." + field + ": " + what + " \"" + v + "\"");
            }
        }
    }

    /**
     * A later env var of the same name wins at runtime but may be dropped by apply's merge (keyed by name), unless it
     * refers to the earlier one: {@code X=$(X)...} keeps it, {@code X=$(X)} alone or a valueFrom does not.
     */
    private static void env(List<String> out, String path, JsonNode env) {
        Set<String> seen = new HashSet<>();
        for (int i = 0; i < env.size(); i++) {
            JsonNode e = env.get(i);
            String name = e.path("name").asText();
            if (seen.add(name)) {
                continue;
            }
            String value = e.path("value").asText("");
            String ref = "$(" + name + ")";
            if (e.has("valueFrom") || value.equals(ref) || !value.contains(ref)) {
                out.add(path + ".env[" + i + "]: hides previous definition of \"" + name + "\", which may be dropped when using apply");
            }
        }
    }

    private static void fractional(List<String> out, String path, JsonNode resources) {
        for (String r : List.of("ephemeral-storage", "memory")) {
            JsonNode q = resources.path(r);
            Quantity parsed = q.isMissingNode() ? null : Quantity.tryParse(q);
            if (parsed != null && parsed.decimalValue().stripTrailingZeros().scale() > 0) {
                out.add(path + "[" + r + "]: fractional byte value \"" + q.asText() + "\" is invalid, must be an integer");
            }
        }
    }

    /** The same containerPort and protocol (and host port and IP) twice, in one container or two. */
    private static void ports(List<String> out, String spec, JsonNode containers) {
        Map<String, String> first = new HashMap<>();
        for (int c = 0; c < containers.size(); c++) {
            JsonNode ports = containers.get(c).path("ports");
            for (int i = 0; i < ports.size(); i++) {
                JsonNode port = ports.get(i);
                String key = port.path("containerPort").asText() + "/" + port.path("protocol").asText("TCP") + "/"
                        + port.path("hostPort").asText("0") + "/" + port.path("hostIP").asText("");
                String at = spec + ".containers[" + c + "].ports[" + i + "]";
                String earlier = first.putIfAbsent(key, at);
                if (earlier != null) {
                    out.add(at + ": duplicate port definition with " + earlier);
                }
            }
        }
    }

    private static Map<String, JsonNode> fields(JsonNode obj) {
        Map<String, JsonNode> m = new HashMap<>();
        obj.fields().forEachRemaining(e -> m.put(e.getKey(), e.getValue()));
        return m;
    }
}
