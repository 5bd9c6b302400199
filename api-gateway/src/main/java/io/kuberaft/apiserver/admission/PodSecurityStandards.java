package io.kuberaft.apiserver.admission;

import com.fasterxml.jackson.databind.JsonNode;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * The Pod Security Standards (k8s.io/pod-security-admission, policy "latest"): the baseline and restricted checks of a
 * pod spec, each violation worded as upstream ({@code allowPrivilegeEscalation != false (container "nginx" must set
 * securityContext.allowPrivilegeEscalation=false)}), ordered by check id as upstream's aggregate message.
 */
public final class PodSecurityStandards {
    private PodSecurityStandards() {
    }

    public enum Level {
        PRIVILEGED, BASELINE, RESTRICTED;

        public String label() {
            return name().toLowerCase();
        }

        /** The level a {@code pod-security.kubernetes.io/*} label names, or null when it is not one. */
        public static Level parse(String s) {
            for (Level l : values()) {
                if (l.label().equals(s)) {
                    return l;
                }
            }
            return null;
        }
    }

    /** Capabilities a baseline pod may add (upstream's capabilities_baseline allow list). */
    private static final Set<String> BASELINE_CAPABILITIES = Set.of("AUDIT_WRITE", "CHOWN", "DAC_OVERRIDE", "FOWNER", "FSETID", "KILL",
            "MKNOD", "NET_BIND_SERVICE", "SETFCAP", "SETGID", "SETPCAP", "SETUID", "SYS_CHROOT");
    private static final Set<String> SAFE_SYSCTLS = Set.of("kernel.shm_rmid_forced", "net.ipv4.ip_local_port_range",
            "net.ipv4.ip_unprivileged_port_start", "net.ipv4.tcp_syncookies", "net.ipv4.ping_group_range",
            "net.ipv4.ip_local_reserved_ports", "net.ipv4.tcp_keepalive_time", "net.ipv4.tcp_fin_timeout",
            "net.ipv4.tcp_keepalive_intvl", "net.ipv4.tcp_keepalive_probes");
    private static final Set<String> RESTRICTED_VOLUMES = Set.of("configMap", "csi", "downwardAPI", "emptyDir", "ephemeral",
            "persistentVolumeClaim", "projected", "secret");
    private static final List<String> VOLUME_TYPES = List.of("hostPath", "gcePersistentDisk", "awsElasticBlockStore", "gitRepo", "nfs",
            "iscsi", "glusterfs", "rbd", "flexVolume", "cinder", "cephfs", "flocker", "fc", "azureFile", "vsphereVolume", "quobyte",
            "azureDisk", "portworxVolume", "photonPersistentDisk", "scaleIO", "storageos");

    /** The violations of {@code level} by a pod's spec and metadata, in upstream's order; empty when it complies. */
    public static List<String> violations(Level level, JsonNode podMeta, JsonNode spec) {
        if (level == Level.PRIVILEGED) {
            return List.of();
        }
        boolean restricted = level == Level.RESTRICTED;
        // upstream's check ids, sorted: the order of the aggregated message
        Map<String, String> found = new TreeMap<>();
        List<JsonNode> containers = new ArrayList<>();
        spec.path("initContainers").forEach(containers::add);
        spec.path("containers").forEach(containers::add);
        JsonNode podSc = spec.path("securityContext");

        if (restricted) {
            List<String> escalating = names(containers, c -> !c.path("securityContext").path("allowPrivilegeEscalation").isBoolean()
                    || c.path("securityContext").path("allowPrivilegeEscalation").asBoolean());
            if (!escalating.isEmpty()) {
                found.put("allowPrivilegeEscalation", "allowPrivilegeEscalation != false (" + containerWord(escalating)
                        + " must set securityContext.allowPrivilegeEscalation=false)");
            }
        }
        List<String> addedCaps = new ArrayList<>();
        Map<String, List<String>> forbiddenAdds = new LinkedHashMap<>();
        for (JsonNode c : containers) {
            for (JsonNode cap : c.path("securityContext").path("capabilities").path("add")) {
                if (!BASELINE_CAPABILITIES.contains(cap.asText())) {
                    forbiddenAdds.computeIfAbsent(c.path("name").asText(), k -> new ArrayList<>()).add(cap.asText());
                }
            }
        }
        if (!forbiddenAdds.isEmpty()) {
            found.put("capabilities_baseline", "non-default capabilities (" + containerWord(new ArrayList<>(forbiddenAdds.keySet()))
                    + " must not include " + quoted(forbiddenAdds.values().stream().flatMap(List::stream).distinct().toList())
                    + " in securityContext.capabilities.add)");
        }
        if (restricted) {
            List<String> noDrop = names(containers, c -> {
                for (JsonNode d : c.path("securityContext").path("capabilities").path("drop")) {
                    if (d.asText().equals("ALL")) {
                        return false;
                    }
                }
                return true;
            });
            Map<String, List<String>> adds = new LinkedHashMap<>();
            for (JsonNode c : containers) {
                for (JsonNode cap : c.path("securityContext").path("capabilities").path("add")) {
                    if (!cap.asText().equals("NET_BIND_SERVICE")) {
                        adds.computeIfAbsent(c.path("name").asText(), k -> new ArrayList<>()).add(cap.asText());
                        addedCaps.add(cap.asText());
                    }
                }
            }
            List<String> parts = new ArrayList<>();
            if (!noDrop.isEmpty()) {
                parts.add(containerWord(noDrop) + " must set securityContext.capabilities.drop=[\"ALL\"]");
            }
            if (!adds.isEmpty()) {
                parts.add(containerWord(new ArrayList<>(adds.keySet())) + " must not include "
                        + quoted(addedCaps.stream().distinct().toList()) + " in securityContext.capabilities.add");
            }
            if (!parts.isEmpty()) {
                found.put("capabilities_restricted", "unrestricted capabilities (" + String.join("; ", parts) + ")");
            }
        }
        List<String> hostNs = new ArrayList<>();
        for (String f : List.of("hostNetwork", "hostPID", "hostIPC")) {
            if (spec.path(f).asBoolean(false)) {
                hostNs.add(f + "=true");
            }
        }
        if (!hostNs.isEmpty()) {
            found.put("hostNamespaces", "host namespaces (" + String.join(", ", hostNs) + ")");
        }
        List<String> hostPathVolumes = new ArrayList<>();
        Map<String, String> restrictedVolumes = new LinkedHashMap<>();
        for (JsonNode v : spec.path("volumes")) {
            String name = v.path("name").asText();
            if (v.has("hostPath")) {
                hostPathVolumes.add(name);
            }
            if (restricted) {
                for (String type : VOLUME_TYPES) {
                    if (v.has(type) && !RESTRICTED_VOLUMES.contains(type)) {
                        restrictedVolumes.put(name, type);
                    }
                }
            }
        }
        if (!hostPathVolumes.isEmpty()) {
            found.put("hostPathVolumes", "hostPath volumes (" + word("volume", hostPathVolumes) + ")");
        }
        List<String> hostPorts = new ArrayList<>();
        List<String> hostPortContainers = new ArrayList<>();
        for (JsonNode c : containers) {
            for (JsonNode p : c.path("ports")) {
                if (p.path("hostPort").asInt(0) != 0) {
                    hostPorts.add(p.path("hostPort").asText());
                    if (!hostPortContainers.contains(c.path("name").asText())) {
                        hostPortContainers.add(c.path("name").asText());
                    }
                }
            }
        }
        if (!hostPorts.isEmpty()) {
            found.put("hostPorts", "hostPort (" + containerWord(hostPortContainers) + " " + (hostPorts.size() == 1 ? "uses hostPort " : "use hostPorts ")
                    + String.join(", ", hostPorts) + ")");
        }
        List<String> privileged = names(containers, c -> c.path("securityContext").path("privileged").asBoolean(false));
        if (!privileged.isEmpty()) {
            found.put("privileged", "privileged (" + containerWord(privileged) + " must not set securityContext.privileged=true)");
        }
        List<String> procMount = names(containers, c -> c.path("securityContext").has("procMount")
                && !"Default".equals(c.path("securityContext").path("procMount").asText()));
        if (!procMount.isEmpty()) {
            found.put("procMount", "procMount (" + containerWord(procMount) + " must not set securityContext.procMount to \"Unmasked\")");
        }
        if (!restrictedVolumes.isEmpty()) {
            List<String> details = new ArrayList<>();
            restrictedVolumes.forEach((n, t) -> details.add(n));
            String types = quoted(restrictedVolumes.values().stream().distinct().toList());
            found.put("restrictedVolumes", "restricted volume types (" + word("volume", details) + " "
                    + (details.size() == 1 ? "uses restricted volume type " : "use restricted volume types ") + types + ")");
        }
        if (restricted) {
            boolean podNonRoot = podSc.path("runAsNonRoot").asBoolean(false);
            boolean podExplicitFalse = podSc.path("runAsNonRoot").isBoolean() && !podSc.path("runAsNonRoot").asBoolean();
            List<String> explicitFalse = names(containers, c -> c.path("securityContext").path("runAsNonRoot").isBoolean()
                    && !c.path("securityContext").path("runAsNonRoot").asBoolean());
            List<String> unset = names(containers, c -> !c.path("securityContext").path("runAsNonRoot").isBoolean());
            if (podExplicitFalse || !explicitFalse.isEmpty()) {
                List<String> who = new ArrayList<>();
                if (podExplicitFalse) {
                    who.add("pod");
                }
                if (!explicitFalse.isEmpty()) {
                    who.add(containerWord(explicitFalse));
                }
                found.put("runAsNonRoot", "runAsNonRoot != true (" + String.join(" and ", who) + " must not set securityContext.runAsNonRoot=false)");
            } else if (!podNonRoot && !unset.isEmpty()) {
                found.put("runAsNonRoot", "runAsNonRoot != true (pod or " + containerWord(unset) + " must set securityContext.runAsNonRoot=true)");
            }
            boolean podRoot = podSc.path("runAsUser").isNumber() && podSc.path("runAsUser").asLong() == 0;
            List<String> rootContainers = names(containers, c -> c.path("securityContext").path("runAsUser").isNumber()
                    && c.path("securityContext").path("runAsUser").asLong() == 0);
            if (podRoot || !rootContainers.isEmpty()) {
                List<String> who = new ArrayList<>();
                if (podRoot) {
                    who.add("pod");
                }
                if (!rootContainers.isEmpty()) {
                    who.add(containerWord(rootContainers));
                }
                found.put("runAsUser", "runAsUser=0 (" + String.join(" and ", who) + " must not set runAsUser=0)");
            }
        }
        String podSeccomp = podSc.path("seccompProfile").path("type").asText("");
        List<String> unconfined = names(containers, c -> "Unconfined".equals(c.path("securityContext").path("seccompProfile").path("type").asText()));
        if ("Unconfined".equals(podSeccomp) || !unconfined.isEmpty()) {
            List<String> who = new ArrayList<>();
            if ("Unconfined".equals(podSeccomp)) {
                who.add("pod");
            }
            if (!unconfined.isEmpty()) {
                who.add(containerWord(unconfined));
            }
            found.put(restricted ? "seccompProfile_restricted" : "seccompProfile_baseline", "seccompProfile (" + String.join(" and ", who)
                    + " must not set securityContext.seccompProfile.type to \"Unconfined\")");
        } else if (restricted) {
            boolean podOk = podSeccomp.equals("RuntimeDefault") || podSeccomp.equals("Localhost");
            List<String> missing = names(containers, c -> c.path("securityContext").path("seccompProfile").path("type").asText("").isEmpty());
            if (!podOk && !missing.isEmpty()) {
                found.put("seccompProfile_restricted", "seccompProfile (pod or " + containerWord(missing)
                        + " must set securityContext.seccompProfile.type to \"RuntimeDefault\" or \"Localhost\")");
            }
        }
        List<String> sysctls = new ArrayList<>();
        for (JsonNode s : podSc.path("sysctls")) {
            if (!SAFE_SYSCTLS.contains(s.path("name").asText())) {
                sysctls.add(s.path("name").asText());
            }
        }
        if (!sysctls.isEmpty()) {
            found.put("sysctls", "forbidden sysctls (" + String.join(", ", sysctls) + ")");
        }
        if (restricted) {
            // restricted checks that replace baseline ones (upstream's OverrideCheckIDs)
            found.remove("capabilities_baseline");
            found.remove("hostPathVolumes");
        }
        return new ArrayList<>(found.values());
    }

    private static List<String> names(List<JsonNode> containers, java.util.function.Predicate<JsonNode> p) {
        List<String> out = new ArrayList<>();
        for (JsonNode c : containers) {
            if (p.test(c)) {
                out.add(c.path("name").asText());
            }
        }
        return out;
    }

    /** {@code container "a"} or {@code containers "a", "b"}, as upstream's pluralize. */
    private static String containerWord(List<String> names) {
        return word("container", names);
    }

    private static String word(String noun, List<String> names) {
        return (names.size() == 1 ? noun : noun + "s") + " " + quoted(names);
    }

    private static String quoted(List<String> items) {
        List<String> q = new ArrayList<>();
        items.forEach(i -> q.add("\"" + i + "\""));
        return String.join(", ", q);
    }
}
