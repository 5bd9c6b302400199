package io.kuberaft.nodeagent.runtime;

import io.fabric8.kubernetes.api.model.Pod;

import java.util.Map;

/**
 * A pod as the runtime sees it: the object, its IP, the node it runs on, and what the agent resolved for it
 * from the API (ConfigMaps and Secrets it references, by name; the Service env vars; its ServiceAccount tokens, by
 * {@link #tokenKey}), so runtimes never call the API themselves.
 */
public record PodContext(Pod pod, String podIP, String hostIP, String nodeName,
                         Map<String, Map<String, String>> configMaps, Map<String, Map<String, byte[]>> secrets,
                         Map<String, String> serviceEnv, Map<String, String> serviceAccountTokens) {
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
                           Map<String, String> serviceEnv, Map<String, String> serviceAccountTokens) {
        public static final Resolved NONE = new Resolved(Map.of(), Map.of(), Map.of(), Map.of());
    }
}
