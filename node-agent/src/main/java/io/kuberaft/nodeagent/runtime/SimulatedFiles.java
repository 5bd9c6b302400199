package io.kuberaft.nodeagent.runtime;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.VolumeMount;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * A simulated container's files, as far as the simulation can know them: what the kubelet puts there (the pod's
 * configMap, secret and downwardAPI volumes at their mount paths, emptyDirs, {@code /etc/hosts} and
 * {@code /etc/hostname}) and what commands run in the container have removed or created since it started ({@code kubectl
 * exec POD -- rm /start}, or the container's own {@code touch /tmp/healthy; sleep 30; rm /tmp/healthy}), each at the
 * simulation time it ran: the container's command is played ahead of the clock, so a lookup names its time. The image's
 * own files are unknown: a path outside every volume that was neither created nor removed is {@link Unknown}. A new
 * container (a restart) starts from a fresh set, as from its image.
 */
final class SimulatedFiles {
    /** What a path is. */
    sealed interface Entry permits File, Directory, Missing, Unknown {
    }

    record File(byte[] content) implements Entry {
    }

    /** A directory and the names in it (sorted), as far as known: a volume's entries, or what was created in it. */
    record Directory(List<String> names) implements Entry {
    }

    record Missing() implements Entry {
    }

    /** Part of the image: the simulation does not know whether it exists nor what it holds. */
    record Unknown() implements Entry {
    }

    private final Map<String, byte[]> files = new TreeMap<>();
    /** Directories whose whole content is known (volume mounts): a name not in them is missing. */
    private final Set<String> volumeDirs = new HashSet<>();
    /** Mounts nothing can write to: the kubelet's API-data volumes (configMap, secret, …) and {@code readOnly} mounts. */
    private final Set<String> readOnlyDirs = new HashSet<>();
    private final List<Change> changes = new ArrayList<>();
    private final String workingDir;
    private final String image;

    private SimulatedFiles(String workingDir, String image) {
        this.workingDir = workingDir;
        this.image = image;
    }

    /** Only what the kubelet writes for every container ({@code /etc/hosts}, {@code /etc/hostname}), no volume. */
    static SimulatedFiles kubeletFiles(PodContext ctx, Container c) {
        SimulatedFiles f = new SimulatedFiles(c.getWorkingDir() == null || c.getWorkingDir().isEmpty() ? "/" : normalize("/", c.getWorkingDir()),
                c.getImage() == null ? "" : c.getImage());
        f.files.put("/etc/hosts", (String.join("\n", hostsFile(ctx)) + "\n").getBytes(StandardCharsets.UTF_8));
        f.files.put("/etc/hostname", (hostname(ctx) + "\n").getBytes(StandardCharsets.UTF_8));
        f.identity = identityOf(ctx, c);
        return f;
    }

    /**
     * The files container {@code c} of the pod sees when it starts.
     *
     * @throws CannotStartException when a ConfigMap or Secret a volume needs does not exist (the container cannot start)
     */
    static SimulatedFiles of(PodContext ctx, Container c) throws CannotStartException {
        SimulatedFiles f = kubeletFiles(ctx, c);
        Map<String, Volume> volumes = new HashMap<>();
        if (ctx.pod().getSpec().getVolumes() != null) {
            ctx.pod().getSpec().getVolumes().forEach(v -> volumes.put(v.getName(), v));
        }
        if (c.getVolumeMounts() != null) {
            for (VolumeMount m : c.getVolumeMounts()) {
                Volume v = volumes.get(m.getName());
                if (v == null || m.getMountPath() == null) {
                    continue;
                }
                String at = normalize("/", m.getMountPath());
                Map<String, PodVolumes.VolumeFile> content = PodVolumes.files(ctx, v);
                boolean emptyDir = v.getEmptyDir() != null;
                if (content == null && !emptyDir) {
                    continue; // hostPath, persistentVolumeClaim, …: the node's files, not simulated
                }
                String sub = m.getSubPath() == null || m.getSubPath().isEmpty() ? null : normalize("/", m.getSubPath()).substring(1);
                if (sub != null) {
                    if (content != null && content.containsKey(sub)) {
                        f.files.put(at, content.get(sub).content());
                    }
                    continue;
                }
                f.volumeDirs.add(at);
                if (content != null || Boolean.TRUE.equals(m.getReadOnly())) {
                    f.readOnlyDirs.add(at);
                }
                if (content != null) {
                    content.forEach((path, file) -> f.files.put(at.equals("/") ? "/" + path : at + "/" + path, file.content()));
                }
            }
        }
        return f;
    }

    /**
     * Replaces the content of the API-data volumes (configMap, secret, downwardAPI, projected) mounted without subPath
     * with {@code ctx}'s: the kubelet rewriting them. A volume whose source cannot be read now keeps what it had.
     */
    synchronized void refreshVolumes(PodContext ctx, Container c) {
        if (ctx.pod().getSpec().getVolumes() == null || c.getVolumeMounts() == null) {
            return;
        }
        Map<String, Volume> volumes = new HashMap<>();
        ctx.pod().getSpec().getVolumes().forEach(v -> volumes.put(v.getName(), v));
        for (VolumeMount m : c.getVolumeMounts()) {
            Volume v = volumes.get(m.getName());
            if (v == null || m.getMountPath() == null || m.getSubPath() != null && !m.getSubPath().isEmpty()) {
                continue;
            }
            Map<String, PodVolumes.VolumeFile> content;
            try {
                content = PodVolumes.files(ctx, v);
            } catch (CannotStartException e) {
                continue;
            }
            if (content == null) {
                continue;
            }
            String at = normalize("/", m.getMountPath());
            files.keySet().removeIf(f -> within(f, at));
            content.forEach((path, file) -> files.put(at.equals("/") ? "/" + path : at + "/" + path, file.content()));
        }
    }

    /** The pod's hostname: {@code spec.hostname}, else its name. */
    static String hostname(PodContext pod) {
        String h = pod.pod().getSpec() == null ? null : pod.pod().getSpec().getHostname();
        return h == null || h.isEmpty() ? pod.name() : h;
    }

    /** The kubelet's managed /etc/hosts. */
    static List<String> hostsFile(PodContext pod) {
        List<String> h = new ArrayList<>(List.of("# Kubernetes-managed hosts file.", "127.0.0.1\tlocalhost",
                "::1\tlocalhost ip6-localhost ip6-loopback", "fe00::0\tip6-localnet", "fe00::0\tip6-mcastprefix",
                "fe00::1\tip6-allnodes", "fe00::2\tip6-allrouters"));
        var spec = pod.pod().getSpec();
        String sub = spec == null ? null : spec.getSubdomain();
        String hostname = hostname(pod);
        if (pod.podIP() != null) {
            h.add(sub == null || sub.isEmpty() ? pod.podIP() + "\t" + hostname
                    : pod.podIP() + "\t" + hostname + "." + sub + "." + pod.namespace() + ".svc.cluster.local\t" + hostname);
        }
        if (spec != null && spec.getHostAliases() != null && !spec.getHostAliases().isEmpty()) {
            h.add("");
            h.add("# Entries added by HostAliases.");
            spec.getHostAliases().forEach(a -> h.add(a.getIp() + "\t" + String.join("\t", a.getHostnames() == null ? List.of() : a.getHostnames())));
        }
        return h;
    }

    String workingDir() {
        return workingDir;
    }

    String image() {
        return image;
    }

    /**
     * Who the container runs as, from its and its pod's securityContext (runAsUser, runAsGroup, fsGroup,
     * supplementalGroups; root otherwise): what {@code id} prints. The container engine adds the primary group and the
     * pod's groups to the process' groups; an image's own /etc/group memberships are only known for root (busybox: wheel).
     */
    record Identity(long uid, long gid, java.util.SortedSet<Long> extraGroups) {
        java.util.List<Long> groups(boolean busybox) {
            java.util.TreeSet<Long> all = new java.util.TreeSet<>(extraGroups);
            all.add(gid);
            if (uid == 0 && busybox) {
                all.add(10L); // busybox's /etc/group: root is in wheel
            }
            return java.util.List.copyOf(all);
        }

        String id(boolean busybox) {
            java.util.List<String> gs = groups(busybox).stream().map(g -> g + name(g, busybox)).toList();
            return "uid=" + uid + (uid == 0 ? "(root)" : "") + " gid=" + gid + name(gid, busybox) + " groups=" + String.join(",", gs);
        }

        private static String name(long group, boolean busybox) {
            return group == 0 ? "(root)" : group == 10 && busybox ? "(wheel)" : "";
        }
    }

    private Identity identity = new Identity(0, 0, new java.util.TreeSet<>());

    Identity identity() {
        return identity;
    }

    private static Identity identityOf(PodContext ctx, Container c) {
        var podSc = ctx.pod().getSpec() == null ? null : ctx.pod().getSpec().getSecurityContext();
        var sc = c.getSecurityContext();
        Long uid = sc != null && sc.getRunAsUser() != null ? sc.getRunAsUser() : podSc != null ? podSc.getRunAsUser() : null;
        Long gid = sc != null && sc.getRunAsGroup() != null ? sc.getRunAsGroup() : podSc != null ? podSc.getRunAsGroup() : null;
        java.util.TreeSet<Long> groups = new java.util.TreeSet<>();
        if (podSc != null) {
            if (podSc.getFsGroup() != null) {
                groups.add(podSc.getFsGroup());
            }
            if (podSc.getSupplementalGroups() != null) {
                groups.addAll(podSc.getSupplementalGroups());
            }
        }
        return new Identity(uid == null ? 0 : uid, gid == null ? 0 : gid, groups);
    }

    /** The image's programs are busybox's (busybox, alpine): their messages differ from coreutils'. */
    boolean busybox() {
        String name = image.substring(image.lastIndexOf('/') + 1);
        return name.startsWith("busybox") || name.startsWith("alpine");
    }

    synchronized boolean readOnly(String path) {
        String p = resolve(path);
        return readOnlyDirs.stream().anyMatch(d -> within(p, d));
    }

    /** Whether the absolute {@code path} is {@code dir} or below it. */
    private static boolean within(String path, String dir) {
        return path.equals(dir) || path.startsWith(dir.equals("/") ? "/" : dir + "/");
    }

    /** {@code path} as an absolute path without {@code .}, {@code ..} or repeated slashes (relative to the working directory). */
    String resolve(String path) {
        return normalize(workingDir, path);
    }

    static String normalize(String base, String path) {
        List<String> parts = new ArrayList<>();
        for (String p : ((path.startsWith("/") ? "" : base + "/") + path).split("/")) {
            if (p.isEmpty() || p.equals(".")) {
                continue;
            }
            if (p.equals("..")) {
                if (!parts.isEmpty()) {
                    parts.remove(parts.size() - 1);
                }
            } else {
                parts.add(p);
            }
        }
        return "/" + String.join("/", parts);
    }

    /** A removal, creation or write by a command run in the container, at the simulation time it ran. */
    private record Change(Instant at, String path, byte[] content, boolean replace) {
        boolean removal() {
            return content == null;
        }
    }

    /** The files as they are at a time: the volumes, then every change made by then. */
    private record State(Map<String, byte[]> files, Set<String> volumeDirs, Set<String> removed) {
    }

    private State state(Instant at) {
        State st = new State(new TreeMap<>(files), new HashSet<>(volumeDirs), new HashSet<>());
        changes.stream().filter(c -> !c.at().isAfter(at)).sorted(Comparator.comparing(Change::at)).forEach(c -> {
            if (c.removal()) {
                st.files().keySet().removeIf(f -> within(f, c.path()));
                st.volumeDirs().removeIf(d -> within(d, c.path()));
                st.removed().add(c.path());
            } else {
                st.removed().remove(c.path());
                if (c.replace()) {
                    st.files().put(c.path(), c.content());
                } else {
                    st.files().putIfAbsent(c.path(), c.content());
                }
            }
        });
        return st;
    }

    /** What {@code path} is at simulation time {@code at}. */
    synchronized Entry lookup(String path, Instant at) {
        State st = state(at);
        String p = resolve(path);
        if (st.removed().stream().anyMatch(r -> within(p, r))) {
            return new Missing();
        }
        byte[] content = st.files().get(p);
        if (content != null) {
            return new File(content);
        }
        String prefix = p.equals("/") ? "/" : p + "/";
        Set<String> names = new TreeSet<>();
        for (String f : st.files().keySet()) {
            if (f.startsWith(prefix)) {
                names.add(f.substring(prefix.length()).split("/")[0]);
            }
        }
        for (String d : st.volumeDirs()) {
            if (d.startsWith(prefix)) {
                names.add(d.substring(prefix.length()).split("/")[0]);
            }
        }
        if (st.volumeDirs().contains(p)) {
            return new Directory(List.copyOf(names));
        }
        if (st.volumeDirs().stream().anyMatch(d -> within(p, d))) {
            // inside a volume: its content is known, so a path it lacks is missing (or a directory of it)
            return names.isEmpty() ? new Missing() : new Directory(List.copyOf(names));
        }
        return new Unknown();
    }

    /** The known files at or below {@code path} at {@code at} (absolute paths, sorted): what {@code tar cf} can pack. */
    synchronized java.util.SortedMap<String, byte[]> filesUnder(String path, Instant at) {
        String p = resolve(path);
        java.util.SortedMap<String, byte[]> out = new TreeMap<>();
        state(at).files().forEach((f, content) -> {
            if (within(f, p)) {
                out.put(f, content);
            }
        });
        return out;
    }

    /** {@code rm} at {@code at}: the path (and what is below it) is gone from then on. */
    synchronized void remove(String path, Instant at) {
        changes.add(new Change(at, resolve(path), null, false));
    }

    /** {@code touch} at {@code at}: an empty file from then on, unless the path already is one (its content is kept). */
    synchronized void create(String path, Instant at) {
        changes.add(new Change(at, resolve(path), new byte[0], false));
    }

    /** A shell's {@code >} at {@code at}: the file has {@code content} from then on. */
    synchronized void write(String path, byte[] content, Instant at) {
        changes.add(new Change(at, resolve(path), content, true));
    }
}
