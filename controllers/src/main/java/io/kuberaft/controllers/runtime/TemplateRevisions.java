package io.kuberaft.controllers.runtime;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.PodTemplateSpec;
import io.fabric8.kubernetes.api.model.apps.ControllerRevision;
import io.fabric8.kubernetes.api.model.apps.ControllerRevisionBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.base.PatchType;

import java.nio.charset.StandardCharsets;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * ControllerRevisions of a DaemonSet's or StatefulSet's pod template, as upstream's history package keeps
 * them: named {@code <owner>-<hash>}, {@code data} a strategic merge patch that restores the template
 * ({@code {"spec":{"template":{...,"$patch":"replace"}}}}, what {@code kubectl rollout undo} applies),
 * {@code revision} numbered upwards, and a revision that comes back (a rollback) renumbered as the newest.
 */
public final class TemplateRevisions {
    public static final String HASH_LABEL = "controller-revision-hash";
    private static final String SAFE = "bcdfghjklmnpqrstvwxz2456789";

    private TemplateRevisions() {
    }

    /** The patch stored in a revision for {@code template}. */
    public static Map<String, Object> data(KubernetesClient client, PodTemplateSpec template) {
        @SuppressWarnings("unchecked")
        Map<String, Object> t = client.getKubernetesSerialization().convertValue(template, Map.class);
        Map<String, Object> tmpl = new LinkedHashMap<>(t);
        tmpl.put("$patch", "replace");
        return Map.of("spec", Map.of("template", tmpl));
    }

    /**
     * {@code data} as read back from JSON text: a template converted in memory keeps Long numbers
     * (terminationGracePeriodSeconds) that a revision read from the API has as Integer, and the two never compared equal.
     */
    private static Object canonical(KubernetesClient client, Object data) {
        return client.getKubernetesSerialization().unmarshal(client.getKubernetesSerialization().asJson(data), Object.class);
    }

    /** A short hash of the template (fnv-1a 32 over its JSON, in upstream's safe alphabet). */
    public static String hash(KubernetesClient client, PodTemplateSpec template, Integer collisionCount) {
        String json = client.getKubernetesSerialization().asJson(template) + (collisionCount == null ? "" : "#" + collisionCount);
        int h = 0x811c9dc5;
        for (byte b : json.getBytes(StandardCharsets.UTF_8)) {
            h ^= b & 0xff;
            h *= 0x01000193;
        }
        long v = Integer.toUnsignedLong(h);
        StringBuilder s = new StringBuilder();
        do {
            s.append(SAFE.charAt((int) (v % SAFE.length())));
            v /= SAFE.length();
        } while (v > 0);
        return s.toString();
    }

    /**
     * The revision of {@code owner}'s current template among {@code existing}: found by content (renumbered
     * newest if older revisions came after it) or created with the next number.
     */
    public static ControllerRevision current(KubernetesClient client, HasMetadata owner, PodTemplateSpec template,
                                             Map<String, String> labels, List<ControllerRevision> existing) {
        Map<String, Object> data = data(client, template);
        Object dataJson = canonical(client, data);
        long max = existing.stream().mapToLong(r -> r.getRevision() == null ? 0 : r.getRevision()).max().orElse(0);
        ControllerRevision match = existing.stream()
                .filter(r -> r.getData() != null && canonical(client, r.getData()).equals(dataJson))
                .max(Comparator.comparing(ControllerRevision::getRevision)).orElse(null);
        String ns = owner.getMetadata().getNamespace();
        if (match != null) {
            if (match.getRevision() < max) {
                ControllerRevision copy = client.getKubernetesSerialization().clone(match);
                copy.setRevision(max + 1);
                return client.resources(ControllerRevision.class).inNamespace(ns).resource(copy).update();
            }
            return match;
        }
        String name = owner.getMetadata().getName() + "-" + hash(client, template, null);
        Map<String, String> l = new HashMap<>(labels == null ? Map.of() : labels);
        l.put(HASH_LABEL, hash(client, template, null));
        ControllerRevision rev = new ControllerRevisionBuilder().withNewMetadata().withName(name).withNamespace(ns).withLabels(l)
                .addToOwnerReferences(ControllerRefs.controllerRef(owner)).endMetadata()
                .withData(data).withRevision(max + 1).build();
        try {
            return client.resources(ControllerRevision.class).inNamespace(ns).resource(rev).create();
        } catch (KubernetesClientException e) {
            if (e.getCode() == 409) {
                ControllerRevision got = client.resources(ControllerRevision.class).inNamespace(ns).withName(name).get();
                if (got != null && ControllerRefs.isControlledBy(got, owner)) {
                    return got;
                }
                // Left without a controller by a `delete --cascade=orphan` of an earlier owner of this name: the same
                // template, so adopt it (upstream's ClaimControllerRevisions) rather than fail on the name forever.
                if (got != null && ControllerRefs.controllerOf(got).isEmpty() && got.getData() != null
                        && canonical(client, got.getData()).equals(dataJson)) {
                    Map<String, Object> patch = Map.of("metadata", Map.of("ownerReferences", List.of(ControllerRefs.controllerRef(owner)),
                            "uid", got.getMetadata().getUid()));
                    return DirectRequests.patch(client, client.resources(ControllerRevision.class).inNamespace(ns).withName(name),
                            PatchType.JSON_MERGE, io.fabric8.kubernetes.client.utils.Serialization.asJson(patch),
                            ControllerRevision.class);
                }
            }
            throw e;
        }
    }

    /** Deletes the oldest revisions beyond {@code limit}, never one in {@code live}. */
    public static void prune(KubernetesClient client, List<ControllerRevision> existing, java.util.Set<String> live, int limit) {
        List<ControllerRevision> old = existing.stream().filter(r -> !live.contains(r.getMetadata().getName()))
                .sorted(Comparator.comparing(ControllerRevision::getRevision)).toList();
        for (int i = 0; i < old.size() - limit; i++) {
            try {
                client.resources(ControllerRevision.class).inNamespace(old.get(i).getMetadata().getNamespace())
                        .withName(old.get(i).getMetadata().getName()).delete();
            } catch (KubernetesClientException e) {
                if (e.getCode() != 404) {
                    throw e;
                }
            }
        }
    }
}
