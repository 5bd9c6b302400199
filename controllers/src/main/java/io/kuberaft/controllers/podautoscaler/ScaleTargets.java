package io.kuberaft.controllers.podautoscaler;

import io.fabric8.kubernetes.api.model.APIGroup;
import io.fabric8.kubernetes.api.model.APIResource;
import io.fabric8.kubernetes.api.model.APIResourceList;
import io.fabric8.kubernetes.api.model.GroupVersionForDiscovery;
import io.fabric8.kubernetes.api.model.autoscaling.v1.Scale;
import io.fabric8.kubernetes.api.model.autoscaling.v2.CrossVersionObjectReference;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The scale subresource of whatever an HPA targets, found as upstream finds it (a REST mapping of the
 * reference's group and kind from discovery, then {@code <resource>/scale}), so deployments, replica sets,
 * stateful sets, replication controllers and custom resources with a scale subresource all work.
 */
final class ScaleTargets {
    private final KubernetesClient client;
    /** group/version → its resources, from discovery; refreshed when a kind is not found in it. */
    private final Map<String, List<APIResource>> discovered = new ConcurrentHashMap<>();

    ScaleTargets(KubernetesClient client) {
        this.client = client;
    }

    /** A target's scale and the path it was read from (and is written to). */
    record Target(String path, Scale scale) {
        int replicas() {
            Integer r = scale.getSpec() == null ? null : scale.getSpec().getReplicas();
            return r == null ? 0 : r;
        }

        String selector() {
            return scale.getStatus() == null || scale.getStatus().getSelector() == null ? "" : scale.getStatus().getSelector();
        }
    }

    /** A failure with client-go's (or the API server's) message, as the HPA's events and conditions show it. */
    static final class ScaleException extends Exception {
        ScaleException(String message) {
            super(message, null, false, false);
        }
    }

    /** Checks the reference's apiVersion as upstream's schema.ParseGroupVersion. */
    static String[] groupVersion(String apiVersion) throws ScaleException {
        String gv = apiVersion == null ? "" : apiVersion;
        int slashes = gv.length() - gv.replace("/", "").length();
        if (gv.isEmpty() || gv.equals("/")) {
            return new String[] {"", ""};
        }
        if (slashes == 0) {
            return new String[] {"", gv};
        }
        if (slashes == 1) {
            return gv.split("/", -1);
        }
        throw new ScaleException("unexpected GroupVersion string: " + gv);
    }

    Target get(String namespace, CrossVersionObjectReference ref) throws ScaleException {
        String[] gv = groupVersion(ref.getApiVersion());
        String base = null;
        String plural = null;
        for (String version : versions(gv[0], gv[1])) {
            APIResource r = find(gv[0], version, ref.getKind());
            if (r != null) {
                base = (gv[0].isEmpty() ? "/api/" : "/apis/" + gv[0] + "/") + version;
                plural = r.getName();
                break;
            }
        }
        if (plural == null) {
            throw new ScaleException("no matches for kind \"" + ref.getKind() + "\" in group \"" + gv[0] + "\"");
        }
        String path = base + "/namespaces/" + namespace + "/" + plural + "/" + ref.getName() + "/scale";
        String resource = gv[0].isEmpty() ? plural : plural + "." + gv[0];
        try {
            String body = client.raw(path);
            if (body == null) {
                throw new ScaleException(resource + " \"" + ref.getName() + "\" not found");
            }
            return new Target(path, client.getKubernetesSerialization().unmarshal(body, Scale.class));
        } catch (KubernetesClientException e) {
            throw new ScaleException(message(e, resource, ref.getName()));
        }
    }

    /** Writes {@code replicas} into the scale read (its resourceVersion makes a concurrent change a conflict, as upstream). */
    void update(Target t, int replicas) throws ScaleException {
        Scale s = new io.fabric8.kubernetes.api.model.autoscaling.v1.ScaleBuilder(t.scale()).editOrNewSpec().withReplicas(replicas).endSpec()
                .withApiVersion("autoscaling/v1").withKind("Scale").build();
        try {
            client.raw(t.path(), "PUT", s);
        } catch (KubernetesClientException e) {
            throw new ScaleException(message(e, "scale", s.getMetadata() == null ? "" : s.getMetadata().getName()));
        }
    }

    private static String message(KubernetesClientException e, String resource, String name) {
        if (e.getStatus() != null && e.getStatus().getMessage() != null && !e.getStatus().getMessage().isEmpty()) {
            return e.getStatus().getMessage();
        }
        if (e.getCode() == 404) {
            return resource + " \"" + name + "\" not found";
        }
        return e.getMessage();
    }

    /** The version asked for first, then the group's other served versions (upstream maps group and kind, any version). */
    private List<String> versions(String group, String version) {
        List<String> out = new ArrayList<>();
        if (!version.isEmpty()) {
            out.add(version);
        }
        if (group.isEmpty()) {
            if (!out.contains("v1")) {
                out.add("v1");
            }
            return out;
        }
        try {
            APIGroup g = client.getApiGroup(group);
            if (g != null && g.getVersions() != null) {
                for (GroupVersionForDiscovery v : g.getVersions()) {
                    if (!out.contains(v.getVersion())) {
                        out.add(v.getVersion());
                    }
                }
            }
        } catch (KubernetesClientException e) {
            // discovery failed: only the version given
        }
        return out;
    }

    private APIResource find(String group, String version, String kind) {
        String gv = group.isEmpty() ? version : group + "/" + version;
        APIResource r = lookup(discovered.get(gv), kind);
        if (r == null) {
            List<APIResource> fresh = resources(group, version);
            discovered.put(gv, fresh);
            r = lookup(fresh, kind);
        }
        return r;
    }

    private static APIResource lookup(List<APIResource> resources, String kind) {
        if (resources == null) {
            return null;
        }
        for (APIResource r : resources) {
            if (kind.equals(r.getKind()) && !r.getName().contains("/")) {
                return r;
            }
        }
        return null;
    }

    private List<APIResource> resources(String group, String version) {
        String path = group.isEmpty() ? "/api/" + version : "/apis/" + group + "/" + version;
        try {
            String body = client.raw(path);
            if (body == null) {
                return List.of();
            }
            APIResourceList list = client.getKubernetesSerialization().unmarshal(body, APIResourceList.class);
            return list.getResources() == null ? List.of() : list.getResources();
        } catch (KubernetesClientException e) {
            return List.of();
        }
    }
}
