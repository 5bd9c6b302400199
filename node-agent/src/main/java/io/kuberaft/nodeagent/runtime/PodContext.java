package io.kuberaft.nodeagent.runtime;

import io.fabric8.kubernetes.api.model.Pod;

import java.util.Map;

/**
 * A pod as the runtime sees it: the object, its IP, the node it runs on, and what the agent resolved for it
 * from the API (ConfigMaps and Secrets it references, by name; the Service env vars; its ServiceAccount tokens, by
 * {@link #tokenKey}; its PersistentVolumeClaims, by claim name), so runtimes never call the API themselves; and the node's
 * allocatable resources (the downward API's {@code limits.*} of a container without that limit).
 */
public record PodContext(Pod pod, String podIP, String hostIP, String nodeName, Map<String, String> nodeAllocatable,
                         Map<String, Map<String, String>> configMaps, Map<String, Map<String, byte[]>> secrets,
                         Map<String, String> serviceEnv, Map<String, String> serviceAccountTokens, Map<String, Claim> claims) {
    /** The key of a projected serviceAccountToken source in {@link #serviceAccountTokens}: its audience and duration. */
    public static String tokenKey(io.fabric8.kubernetes.api.model.ServiceAccountTokenProjection p) {
        return (p.getAudience() == null ? "" : p.getAudience()) + "/" + (p.getExpirationSeconds() == null ? 3600 : p.getExpirationSeconds());
    }

    public String uid() {
        return pod.getMetadata().getUid();
    }

    public String namespace() {
        return pod.getMetadata().getNamespace();
    }

    public String name() {
        return pod.getMetadata().getName();
    }

    public String annotation(String key) {
        Map<String, String> a = pod.getMetadata().getAnnotations();
        return a == null ? null : a.get(key);
    }

    /** The ConfigMaps and Secrets a pod references, read from the API (missing ones absent), and its Service env vars. */
    public record Resolved(Map<String, Map<String, String>> configMaps, Map<String, Map<String, byte[]>> secrets,
                           Map<String, String> serviceEnv, Map<String, String> serviceAccountTokens, Map<String, Claim> claims) {
        public static final Resolved NONE = new Resolved(Map.of(), Map.of(), Map.of(), Map.of(), Map.of());
    }

    /**
     * A PersistentVolumeClaim as the kubelet's volume manager resolves it: the directory of its bound PersistentVolume
     * (hostPath or local), or why it cannot be mounted (upstream's "error processing PVC ns/name: …" cause).
     */
    public record Claim(String path, String error) {
        public static Claim bound(String path) {
            return new Claim(path, null);
        }

        public static Claim failed(String error) {
            return new Claim(null, error);
        }
    }
}
