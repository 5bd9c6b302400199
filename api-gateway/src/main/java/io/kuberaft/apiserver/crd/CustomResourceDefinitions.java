package io.kuberaft.apiserver.crd;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.kuberaft.apiserver.registry.CustomResource;
import io.kuberaft.apiserver.registry.ResourceDefinition;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** The resources a stored CustomResourceDefinition serves: one {@link ResourceDefinition} per served version. */
public final class CustomResourceDefinitions {
    public static final String GROUP = "apiextensions.k8s.io";
    public static final String PLURAL = "customresourcedefinitions";
    private static final Pattern KUBE_VERSION = Pattern.compile("v(\\d+)(?:(alpha|beta)(\\d+))?");

    private CustomResourceDefinitions() {
    }

    /** The storage name its custom resources live under ({@code <plural>.<group>}), or null for a malformed CRD. */
    public static String storageName(JsonNode crd) {
        String group = crd.path("spec").path("group").asText("");
        String plural = crd.path("spec").path("names").path("plural").asText("");
        return group.isEmpty() || plural.isEmpty() ? null : plural + "." + group;
    }

    /**
     * The served versions, in upstream's version priority (GA before beta before alpha, higher numbers first, then
     * other names alphabetically), so the first is the group's preferred version in discovery.
     */
    public static List<ResourceDefinition> served(JsonNode crd) {
        JsonNode spec = crd.path("spec");
        JsonNode names = spec.path("names");
        String group = spec.path("group").asText("");
        String plural = names.path("plural").asText("");
        String kind = names.path("kind").asText("");
        if (group.isEmpty() || plural.isEmpty() || kind.isEmpty() || crd.path("metadata").has("deletionTimestamp")) {
            return List.of();
        }
        String singular = names.path("singular").asText(kind.toLowerCase(java.util.Locale.ROOT));
        boolean namespaced = !"Cluster".equals(spec.path("scope").asText());
        List<String> shortNames = strings(names.path("shortNames"));
        List<String> categories = strings(names.path("categories"));
        List<JsonNode> versions = new ArrayList<>();
        spec.path("versions").forEach(versions::add);
        versions.sort(Comparator.comparing((JsonNode v) -> v.path("name").asText(), CustomResourceDefinitions::compareVersions));
        List<ResourceDefinition> out = new ArrayList<>();
        for (JsonNode v : versions) {
            if (!v.path("served").asBoolean(false)) {
                continue;
            }
            ObjectNode schema = v.path("schema").path("openAPIV3Schema") instanceof ObjectNode s ? s.deepCopy()
                    : (ObjectNode) io.kuberaft.apiserver.registry.Objects.JSON.createObjectNode().put("type", "object")
                    .put("x-kubernetes-preserve-unknown-fields", true);
            List<String> subresources = new ArrayList<>();
            JsonNode subs = v.path("subresources");
            if (subs.has("status")) {
                subresources.add("status");
            }
            CustomResource.ScalePaths scale = null;
            if (subs.path("scale").isObject()) {
                subresources.add("scale");
                JsonNode sc = subs.get("scale");
                scale = new CustomResource.ScalePaths(sc.path("specReplicasPath").asText(), sc.path("statusReplicasPath").asText(),
                        sc.hasNonNull("labelSelectorPath") ? sc.get("labelSelectorPath").asText() : null);
            }
            out.add(new ResourceDefinition(group, v.path("name").asText(), plural, singular, kind, namespaced, shortNames, categories,
                    ResourceDefinition.ALL_VERBS, List.copyOf(subresources), new CustomResourceStrategy(schema),
                    new PrinterColumns(v.get("additionalPrinterColumns")), new CustomResource(schema, scale)));
        }
        return out;
    }

    private static List<String> strings(JsonNode arr) {
        List<String> out = new ArrayList<>();
        arr.forEach(n -> out.add(n.asText()));
        return List.copyOf(out);
    }

    /** Kubernetes version priority: v2 &lt; v1 &lt; v1beta2 &lt; v1beta1 &lt; v1alpha1 &lt; other names (in this order). */
    static int compareVersions(String a, String b) {
        Matcher ma = KUBE_VERSION.matcher(a);
        Matcher mb = KUBE_VERSION.matcher(b);
        boolean ka = ma.matches();
        boolean kb = mb.matches();
        if (ka != kb) {
            return ka ? -1 : 1;
        }
        if (!ka) {
            return a.compareTo(b);
        }
        int stage = Integer.compare(stage(ma.group(2)), stage(mb.group(2)));
        if (stage != 0) {
            return stage;
        }
        int major = Integer.compare(Integer.parseInt(mb.group(1)), Integer.parseInt(ma.group(1)));
        if (major != 0) {
            return major;
        }
        int minorA = ma.group(3) == null ? 0 : Integer.parseInt(ma.group(3));
        int minorB = mb.group(3) == null ? 0 : Integer.parseInt(mb.group(3));
        return Integer.compare(minorB, minorA);
    }

    private static int stage(String s) {
        return s == null ? 0 : s.equals("beta") ? 1 : 2;
    }
}
