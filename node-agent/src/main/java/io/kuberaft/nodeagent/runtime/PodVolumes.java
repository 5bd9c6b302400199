package io.kuberaft.nodeagent.runtime;

import io.fabric8.kubernetes.api.model.DownwardAPIVolumeFile;
import io.fabric8.kubernetes.api.model.KeyToPath;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.VolumeMount;
import io.fabric8.kubernetes.api.model.VolumeProjection;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A pod's volumes as files in its directory: configMap, secret (items, defaultMode), downwardAPI, projected,
 * emptyDir (an empty directory), hostPath (a symlink to the host path), persistentVolumeClaim (a symlink to its bound
 * PersistentVolume's hostPath or local path, as {@link PodContext.Claim} has it). Mounted into the container's rootfs
 * as symlinks (subPath: to the one entry).
 */
public final class PodVolumes {
    private PodVolumes() {
    }

    static void write(PodContext ctx, Path volumes) throws IOException, CannotStartException {
        if (ctx.pod().getSpec().getVolumes() == null) {
            return;
        }
        List<String> failed = new java.util.ArrayList<>();
        List<String> errors = new java.util.ArrayList<>();
        CannotStartException setUpFailure = null;
        for (Volume v : ctx.pod().getSpec().getVolumes()) {
            Path dir = volumes.resolve(v.getName());
            if (v.getPersistentVolumeClaim() != null) {
                String claimName = v.getPersistentVolumeClaim().getClaimName();
                PodContext.Claim claim = ctx.claims().get(claimName);
                if (claim == null || claim.error() != null) {
                    failed.add(v.getName());
                    errors.add("error processing PVC " + ctx.namespace() + "/" + claimName + ": "
                            + (claim == null ? "PVC is not resolved" : claim.error()));
                } else if (!Files.exists(dir, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
                    Files.createDirectories(volumes);
                    Path host = Path.of(claim.path());
                    Files.createDirectories(host); // as a container engine creates a missing bind-mount source
                    Files.createSymbolicLink(dir, host);
                }
                continue;
            }
            if (v.getHostPath() != null) {
                if (!Files.exists(dir, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
                    Files.createDirectories(volumes);
                    Path host = Path.of(v.getHostPath().getPath());
                    if ("DirectoryOrCreate".equals(v.getHostPath().getType())) {
                        Files.createDirectories(host);
                    }
                    Files.createSymbolicLink(dir, host);
                }
                continue;
            }
            Files.createDirectories(dir);
            Map<String, VolumeFile> content;
            try {
                content = files(ctx, v);
            } catch (CannotStartException e) {
                setUpFailure = setUpFailure == null ? e : setUpFailure;
                continue;
            }
            if (content != null) {
                for (Map.Entry<String, VolumeFile> e : content.entrySet()) {
                    writeFile(dir.resolve(e.getKey()), e.getValue().content(), e.getValue().mode());
                }
            }
            // emptyDir and anything else: the empty directory.
        }
        if (setUpFailure != null) {
            throw setUpFailure;
        }
        if (!failed.isEmpty()) {
            // The kubelet's WaitForAttachAndMount error: the pod stays ContainerCreating until its volumes can be set up.
            throw new CannotStartException(VOLUMES_NOT_READY, "Unable to attach or mount volumes: unmounted volumes=" + brackets(failed) + ", unattached volumes=[], "
                    + "failed to process volumes=" + brackets(failed) + ": " + String.join("; ", errors));
        }
    }

    /**
     * The reason of a {@link CannotStartException} for volumes that cannot be mounted yet: the container waits in
     * ContainerCreating and the message is a FailedMount event.
     */
    public static final String VOLUMES_NOT_READY = "ContainerCreating";

    private static String brackets(List<String> names) {
        return "[" + String.join(" ", names) + "]";
    }

    private static Map<String, byte[]> strings(Map<String, String> data) {
        if (data == null) {
            return null;
        }
        Map<String, byte[]> out = new HashMap<>();
        data.forEach((k, v) -> out.put(k, v.getBytes(StandardCharsets.UTF_8)));
        return out;
    }

    /** A file of a volume the kubelet fills: its content and mode (null: the default 0644). */
    record VolumeFile(byte[] content, Integer mode) {
    }

    /**
     * The files of a configMap, secret, downwardAPI or projected volume by path in the volume; null for a volume of
     * another type (emptyDir, hostPath, persistentVolumeClaim, …), whose content is not the kubelet's to make.
     *
     * @throws CannotStartException ({@link #VOLUMES_NOT_READY}) when a ConfigMap or Secret the volume needs, or a key
     *                               its items name, does not exist and is not optional: the kubelet's MountVolume.SetUp
     *                               error, after which the pod waits in ContainerCreating
     */
    static Map<String, VolumeFile> files(PodContext ctx, Volume v) throws CannotStartException {
        Map<String, VolumeFile> out = new java.util.LinkedHashMap<>();
        List<String> errors = new java.util.ArrayList<>();
        if (v.getConfigMap() != null) {
            configMap(out, errors, ctx, v.getConfigMap().getName(), v.getConfigMap().getItems(), v.getConfigMap().getOptional(),
                    v.getConfigMap().getDefaultMode());
        } else if (v.getSecret() != null) {
            secret(out, errors, ctx, v.getSecret().getSecretName(), v.getSecret().getItems(), v.getSecret().getOptional(),
                    v.getSecret().getDefaultMode());
        } else if (v.getDownwardAPI() != null) {
            downward(out, ctx, v.getDownwardAPI().getItems(), v.getDownwardAPI().getDefaultMode());
        } else if (v.getProjected() != null) {
            Integer mode = v.getProjected().getDefaultMode();
            for (VolumeProjection p : v.getProjected().getSources() == null ? List.<VolumeProjection>of() : v.getProjected().getSources()) {
                if (p.getConfigMap() != null) {
                    configMap(out, errors, ctx, p.getConfigMap().getName(), p.getConfigMap().getItems(), p.getConfigMap().getOptional(), mode);
                } else if (p.getSecret() != null) {
                    secret(out, errors, ctx, p.getSecret().getName(), p.getSecret().getItems(), p.getSecret().getOptional(), mode);
                } else if (p.getDownwardAPI() != null) {
                    downward(out, ctx, p.getDownwardAPI().getItems(), mode);
                } else if (p.getServiceAccountToken() != null) {
                    // requested by the agent (TokenRequest bound to the pod); empty when the API server issues none
                    String token = ctx.serviceAccountTokens().getOrDefault(PodContext.tokenKey(p.getServiceAccountToken()), "");
                    out.put(p.getServiceAccountToken().getPath(), new VolumeFile(token.getBytes(StandardCharsets.UTF_8), mode));
                }
            }
        } else {
            return null;
        }
        if (!errors.isEmpty()) {
            // A projected volume reports all of its sources' errors at once, as an aggregate ("[a, b]") when several.
            throw new CannotStartException(VOLUMES_NOT_READY, "MountVolume.SetUp failed for volume \"" + v.getName() + "\" : "
                    + (errors.size() == 1 ? errors.get(0) : "[" + String.join(", ", errors) + "]"));
        }
        return out;
    }

    private static void configMap(Map<String, VolumeFile> out, List<String> errors, PodContext ctx, String name, List<KeyToPath> items,
                                  Boolean optional, Integer mode) {
        Map<String, String> data = ctx.configMaps().get(name);
        if (data == null) {
            if (!Boolean.TRUE.equals(optional)) {
                errors.add("configmap \"" + name + "\" not found");
            }
            return;
        }
        items(out, errors, strings(data), items, Boolean.TRUE.equals(optional), mode, "configmap references non-existent config key: ");
    }

    private static void secret(Map<String, VolumeFile> out, List<String> errors, PodContext ctx, String name, List<KeyToPath> items,
                               Boolean optional, Integer mode) {
        Map<String, byte[]> data = ctx.secrets().get(name);
        if (data == null) {
            if (!Boolean.TRUE.equals(optional)) {
                errors.add("secret \"" + name + "\" not found");
            }
            return;
        }
        items(out, errors, data, items, Boolean.TRUE.equals(optional), mode, "secret references non-existent secret key: ");
    }

    /** The keys as files: all of them, or those {@code items} name (a missing one an error unless the source is optional). */
    private static void items(Map<String, VolumeFile> out, List<String> errors, Map<String, byte[]> data, List<KeyToPath> items,
                              boolean optional, Integer mode, String missingKey) {
        if (items == null || items.isEmpty()) {
            new java.util.TreeMap<>(data).forEach((k, v) -> out.put(k, new VolumeFile(v, mode)));
            return;
        }
        for (KeyToPath k : items) {
            byte[] b = data.get(k.getKey());
            if (b != null) {
                out.put(k.getPath(), new VolumeFile(b, k.getMode() != null ? k.getMode() : mode));
            } else if (!optional) {
                errors.add(missingKey + k.getKey());
                return;
            }
        }
    }

    private static void downward(Map<String, VolumeFile> out, PodContext ctx, List<DownwardAPIVolumeFile> items, Integer mode)
            throws CannotStartException {
        if (items == null) {
            return;
        }
        for (DownwardAPIVolumeFile f : items) {
            String value = f.getFieldRef() != null ? PodEnvironment.field(ctx, f.getFieldRef().getFieldPath())
                    : f.getResourceFieldRef() != null ? PodEnvironment.resource(ctx, f.getResourceFieldRef()) : "";
            out.put(f.getPath(), new VolumeFile(value.getBytes(StandardCharsets.UTF_8), f.getMode() != null ? f.getMode() : mode));
        }
    }

    private static void writeFile(Path p, byte[] content, Integer mode) throws IOException {
        Files.createDirectories(p.getParent());
        Files.write(p, content);
        int m = mode == null ? 0644 : mode;
        Set<PosixFilePermission> perms = EnumSet.noneOf(PosixFilePermission.class);
        PosixFilePermission[] all = {PosixFilePermission.OTHERS_EXECUTE, PosixFilePermission.OTHERS_WRITE, PosixFilePermission.OTHERS_READ,
                PosixFilePermission.GROUP_EXECUTE, PosixFilePermission.GROUP_WRITE, PosixFilePermission.GROUP_READ,
                PosixFilePermission.OWNER_EXECUTE, PosixFilePermission.OWNER_WRITE, PosixFilePermission.OWNER_READ};
        for (int i = 0; i < all.length; i++) {
            if ((m & (1 << i)) != 0) {
                perms.add(all[i]);
            }
        }
        Files.setPosixFilePermissions(p, perms);
    }

    /**
     * Rewrites the API-data volumes (configMap, secret, downwardAPI, projected) of a running pod with {@code ctx}'s
     * content: changed files replaced atomically, files of removed keys deleted. One whose source cannot be read keeps
     * what it had, as with the kubelet.
     */
    static void refresh(PodContext ctx, Path volumes) throws IOException {
        if (ctx.pod().getSpec().getVolumes() == null) {
            return;
        }
        for (Volume v : ctx.pod().getSpec().getVolumes()) {
            Path dir = volumes.resolve(v.getName());
            Map<String, VolumeFile> content;
            try {
                content = files(ctx, v);
            } catch (CannotStartException e) {
                continue;
            }
            if (content == null || !Files.isDirectory(dir, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
                continue;
            }
            for (Map.Entry<String, VolumeFile> e : content.entrySet()) {
                Path file = dir.resolve(e.getKey());
                if (Files.isRegularFile(file) && java.util.Arrays.equals(Files.readAllBytes(file), e.getValue().content())) {
                    continue;
                }
                Path tmp = dir.resolve(".." + e.getKey().replace('/', '_') + ".tmp");
                writeFile(tmp, e.getValue().content(), e.getValue().mode());
                Files.createDirectories(file.getParent());
                Files.move(tmp, file, java.nio.file.StandardCopyOption.REPLACE_EXISTING, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
            }
            try (var walk = Files.walk(dir)) {
                for (Path f : walk.filter(Files::isRegularFile).toList()) {
                    if (!content.containsKey(dir.relativize(f).toString())) {
                        Files.delete(f);
                    }
                }
            }
        }
    }

    /**
     * Makes {@code rootfs/<mountPath>} point at the volume (or, with subPath, at one entry of it). A subPath file is a hard
     * link, as a bind mount holds the file itself: when {@link #refresh} replaces the volume's file, the mount keeps the
     * content it started with, as upstream's subPath mounts do.
     */
    static void link(Path volumes, VolumeMount m, Path rootfs) throws IOException {
        Path target = volumes.resolve(m.getName());
        boolean subPath = m.getSubPath() != null && !m.getSubPath().isEmpty();
        if (subPath) {
            target = target.resolve(m.getSubPath());
        }
        Path at = rootfs.resolve(m.getMountPath().replaceFirst("^/+", ""));
        if (Files.exists(at, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        Files.createDirectories(at.getParent());
        if (subPath && Files.isRegularFile(target, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
            try {
                Files.createLink(at, target);
                return;
            } catch (IOException | UnsupportedOperationException e) {
                // another file system: a symlink follows later changes, the closest we can do
            }
        }
        Files.createSymbolicLink(at, target);
    }
}
