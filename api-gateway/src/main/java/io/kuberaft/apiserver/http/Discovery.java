package io.kuberaft.apiserver.http;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.kuberaft.apiserver.registry.Objects;
import io.kuberaft.apiserver.registry.ResourceDefinition;
import io.kuberaft.apiserver.registry.ResourceRegistry;

import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * API discovery, legacy (APIVersions, APIGroupList, APIResourceList) and aggregated
 * (apidiscovery.k8s.io/v2 APIGroupDiscoveryList), built from the registry.
 */
public final class Discovery {
    public static final String AGGREGATED_CONTENT_TYPE = "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList";
    private final ResourceRegistry registry;

    public Discovery(ResourceRegistry registry) {
        this.registry = registry;
    }

    public ObjectNode apiVersions(String serverAddress) {
        ObjectNode n = Objects.JSON.createObjectNode();
        n.put("kind", "APIVersions");
        n.putArray("versions").add("v1");
        n.putArray("serverAddressByClientCIDRs").addObject().put("clientCIDR", "0.0.0.0/0").put("serverAddress", serverAddress);
        return n;
    }

    public ObjectNode apiGroupList() {
        ObjectNode n = Objects.JSON.createObjectNode();
        n.put("kind", "APIGroupList").put("apiVersion", "v1");
        ArrayNode groups = n.putArray("groups");
        for (Map.Entry<String, List<String>> e : registry.groupVersions().entrySet()) {
            if (e.getKey().isEmpty()) {
                continue;
            }
            groups.add(apiGroup(e.getKey(), e.getValue()));
        }
        return n;
    }

    public ObjectNode apiGroup(String group, List<String> versions) {
        ObjectNode g = Objects.JSON.createObjectNode();
        g.put("kind", "APIGroup").put("apiVersion", "v1").put("name", group);
        ArrayNode vs = g.putArray("versions");
        for (String v : versions) {
            vs.addObject().put("groupVersion", group + "/" + v).put("version", v);
        }
        g.putObject("preferredVersion").put("groupVersion", group + "/" + versions.get(0)).put("version", versions.get(0));
        return g;
    }

    /** Null when the group/version is not served. */
    public ObjectNode apiResourceList(String group, String version) {
        List<ResourceDefinition> defs = registry.inGroupVersion(group, version);
        if (defs.isEmpty()) {
            return null;
        }
        ObjectNode n = Objects.JSON.createObjectNode();
        n.put("kind", "APIResourceList").put("apiVersion", "v1").put("groupVersion", group.isEmpty() ? version : group + "/" + version);
        ArrayNode rs = n.putArray("resources");
        for (ResourceDefinition d : defs) {
            ObjectNode r = rs.addObject();
            r.put("name", d.plural()).put("singularName", d.singular()).put("namespaced", d.namespaced()).put("kind", d.kind());
            verbs(r.putArray("verbs"), d.verbs());
            if (!d.shortNames().isEmpty()) {
                d.shortNames().forEach(r.putArray("shortNames")::add);
            }
            if (!d.categories().isEmpty()) {
                d.categories().forEach(r.putArray("categories")::add);
            }
            for (String sub : d.subresources()) {
                ObjectNode s = rs.addObject();
                s.put("name", d.plural() + "/" + sub).put("singularName", "").put("namespaced", d.namespaced());
                SubresourceInfo info = subresource(d, sub);
                // Upstream names both group and version when the subresource's kind is from another group/version
                // (kubectl drain uses evictions only when pods/eviction has a non-empty group and version).
                if (!info.group().equals(d.group()) || !info.version().equals(d.version())) {
                    s.put("group", info.group());
                    s.put("version", info.version());
                }
                s.put("kind", info.kind());
                verbs(s.putArray("verbs"), info.verbs());
            }
        }
        return n;
    }

    private static void verbs(ArrayNode arr, Set<String> verbs) {
        new TreeSet<>(verbs).forEach(arr::add);
    }

    /** What a subresource takes and returns (drain needs pods/eviction as policy/v1 Eviction). */
    public record SubresourceInfo(String group, String version, String kind, Set<String> verbs) {
    }

    public static SubresourceInfo subresource(ResourceDefinition d, String sub) {
        return switch (sub) {
            case "status" -> new SubresourceInfo(d.group(), d.version(), d.kind(), Set.of("get", "patch", "update"));
            case "scale" -> new SubresourceInfo("autoscaling", "v1", "Scale", Set.of("get", "patch", "update"));
            case "eviction" -> new SubresourceInfo("policy", "v1", "Eviction", Set.of("create"));
            case "binding" -> new SubresourceInfo(d.group(), d.version(), "Binding", Set.of("create"));
            case "token" -> new SubresourceInfo("authentication.k8s.io", "v1", "TokenRequest", Set.of("create"));
            case "log" -> new SubresourceInfo(d.group(), d.version(), d.kind(), Set.of("get"));
            case "exec", "attach", "portforward" -> new SubresourceInfo(d.group(), d.version(), sub.equals("portforward")
                    ? "PodPortForwardOptions" : sub.equals("exec") ? "PodExecOptions" : "PodAttachOptions", Set.of("create", "get"));
            case "proxy" -> new SubresourceInfo(d.group(), d.version(), d.kind().equals("Pod") ? "PodProxyOptions"
                    : d.kind().equals("Node") ? "NodeProxyOptions" : "ServiceProxyOptions",
                    Set.of("create", "delete", "get", "patch", "update"));
            case "finalize" -> new SubresourceInfo(d.group(), d.version(), d.kind(), Set.of("update"));
            case "ephemeralcontainers", "approval" -> new SubresourceInfo(d.group(), d.version(), d.kind(), Set.of("get", "patch", "update"));
            default -> new SubresourceInfo(d.group(), d.version(), d.kind(), Set.of("get"));
        };
    }

    /** Aggregated discovery of /api (core) or /apis (every other group). */
    public ObjectNode aggregated(boolean core) {
        ObjectNode n = Objects.JSON.createObjectNode();
        n.put("kind", "APIGroupDiscoveryList").put("apiVersion", "apidiscovery.k8s.io/v2");
        n.putObject("metadata");
        ArrayNode items = n.putArray("items");
        for (Map.Entry<String, List<String>> e : registry.groupVersions().entrySet()) {
            if (e.getKey().isEmpty() != core) {
                continue;
            }
            ObjectNode g = items.addObject();
            ObjectNode gm = g.putObject("metadata");
            if (!core) {
                gm.put("name", e.getKey());
            } else {
                gm.put("creationTimestamp", (String) null);
            }
            ArrayNode versions = g.putArray("versions");
            for (String v : e.getValue()) {
                ObjectNode ver = versions.addObject();
                ver.put("version", v);
                ArrayNode resources = ver.putArray("resources");
                for (ResourceDefinition d : registry.inGroupVersion(e.getKey(), v)) {
                    ObjectNode r = resources.addObject();
                    r.put("resource", d.plural());
                    r.putObject("responseKind").put("group", d.group()).put("version", d.version()).put("kind", d.kind());
                    r.put("scope", d.namespaced() ? "Namespaced" : "Cluster");
                    r.put("singularResource", d.singular());
                    verbs(r.putArray("verbs"), d.verbs());
                    if (!d.shortNames().isEmpty()) {
                        d.shortNames().forEach(r.putArray("shortNames")::add);
                    }
                    if (!d.categories().isEmpty()) {
                        d.categories().forEach(r.putArray("categories")::add);
                    }
                    if (!d.subresources().isEmpty()) {
                        ArrayNode subs = r.putArray("subresources");
                        for (String sub : d.subresources()) {
                            SubresourceInfo info = subresource(d, sub);
                            ObjectNode s = subs.addObject();
                            s.put("subresource", sub);
                            s.putObject("responseKind").put("group", info.group()).put("version", info.version()).put("kind", info.kind());
                            verbs(s.putArray("verbs"), info.verbs());
                        }
                    }
                }
                ver.put("freshness", "Current");
            }
        }
        return n;
    }
}
