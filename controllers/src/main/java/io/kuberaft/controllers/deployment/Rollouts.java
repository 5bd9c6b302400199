package io.kuberaft.controllers.deployment;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.PodTemplateSpec;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.DeploymentCondition;
import io.fabric8.kubernetes.api.model.apps.DeploymentStatus;
import io.fabric8.kubernetes.api.model.apps.ReplicaSet;
import io.fabric8.kubernetes.client.utils.Serialization;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;

/** upstream's deployment util: revisions, annotations, hashes, surge/unavailable arithmetic, conditions. */
public final class Rollouts {
    public static final String HASH_LABEL = "pod-template-hash";
    public static final String REVISION = "deployment.kubernetes.io/revision";
    public static final String REVISION_HISTORY = "deployment.kubernetes.io/revision-history";
    public static final String DESIRED_REPLICAS = "deployment.kubernetes.io/desired-replicas";
    public static final String MAX_REPLICAS = "deployment.kubernetes.io/max-replicas";
    static final Set<String> ANNOTATIONS_TO_SKIP = Set.of("kubectl.kubernetes.io/last-applied-configuration", REVISION,
            REVISION_HISTORY, DESIRED_REPLICAS, MAX_REPLICAS, "deprecated.deployment.rollback.to");

    // condition reasons, as upstream's deploymentutil
    public static final String NEW_RS_CREATED = "NewReplicaSetCreated";
    public static final String FOUND_NEW_RS = "FoundNewReplicaSet";
    public static final String RS_UPDATED = "ReplicaSetUpdated";
    public static final String NEW_RS_AVAILABLE = "NewReplicaSetAvailable";
    public static final String TIMED_OUT = "ProgressDeadlineExceeded";
    public static final String FAILED_RS_CREATE = "ReplicaSetCreateError";
    public static final String PAUSED = "DeploymentPaused";
    public static final String RESUMED = "DeploymentResumed";
    public static final String MIN_AVAILABLE = "MinimumReplicasAvailable";
    public static final String MIN_UNAVAILABLE = "MinimumReplicasUnavailable";

    private Rollouts() {
    }

    static int replicas(Deployment d) {
        return d.getSpec().getReplicas() == null ? 1 : d.getSpec().getReplicas();
    }

    static int spec(ReplicaSet rs) {
        return rs == null || rs.getSpec().getReplicas() == null ? 0 : rs.getSpec().getReplicas();
    }

    static int statusReplicas(ReplicaSet rs) {
        return rs == null || rs.getStatus() == null || rs.getStatus().getReplicas() == null ? 0 : rs.getStatus().getReplicas();
    }

    static int available(ReplicaSet rs) {
        return rs == null || rs.getStatus() == null || rs.getStatus().getAvailableReplicas() == null ? 0 : rs.getStatus().getAvailableReplicas();
    }

    static int ready(ReplicaSet rs) {
        return rs == null || rs.getStatus() == null || rs.getStatus().getReadyReplicas() == null ? 0 : rs.getStatus().getReadyReplicas();
    }

    static boolean isRolling(Deployment d) {
        return d.getSpec().getStrategy() == null || !"Recreate".equals(d.getSpec().getStrategy().getType());
    }

    /** upstream's ResolveFenceposts: surge rounds up, unavailable rounds down; both zero → unavailable 1. */
    static int[] fenceposts(Deployment d) {
        var ru = d.getSpec().getStrategy() == null ? null : d.getSpec().getStrategy().getRollingUpdate();
        IntOrString surge = ru == null || ru.getMaxSurge() == null ? new IntOrString("25%") : ru.getMaxSurge();
        IntOrString unavailable = ru == null || ru.getMaxUnavailable() == null ? new IntOrString("25%") : ru.getMaxUnavailable();
        int desired = replicas(d);
        int s = scaled(surge, desired, true);
        int u = scaled(unavailable, desired, false);
        if (s == 0 && u == 0) {
            u = 1;
        }
        return new int[]{s, u};
    }

    static int scaled(IntOrString v, int total, boolean roundUp) {
        if (v.getIntVal() != null) {
            return v.getIntVal();
        }
        String s = v.getStrVal();
        if (s != null && s.endsWith("%")) {
            double pct = Double.parseDouble(s.substring(0, s.length() - 1));
            double x = pct * total / 100.0;
            return (int) (roundUp ? Math.ceil(x) : Math.floor(x));
        }
        return s == null ? 0 : Integer.parseInt(s);
    }

    static int maxSurge(Deployment d) {
        return isRolling(d) ? fenceposts(d)[0] : 0;
    }

    static int maxUnavailable(Deployment d) {
        if (!isRolling(d) || replicas(d) == 0) {
            return 0;
        }
        return Math.min(fenceposts(d)[1], replicas(d));
    }

    /** The template hash: FNV-1a over the canonical JSON of the template and the collision count, spelled as upstream's SafeEncodeString. */
    public static String hash(PodTemplateSpec template, Integer collisionCount) {
        JsonNode tree = Serialization.jsonMapper().valueToTree(template);
        StringBuilder sb = new StringBuilder();
        canonical(tree, sb);
        byte[] bytes = sb.toString().getBytes(StandardCharsets.UTF_8);
        int h = 0x811c9dc5;
        for (byte b : bytes) {
            h ^= (b & 0xff);
            h *= 0x01000193;
        }
        if (collisionCount != null) {
            int c = collisionCount;
            for (int i = 0; i < 4; i++) {
                h ^= (c >>> (8 * i)) & 0xff;
                h *= 0x01000193;
            }
        }
        String decimal = Long.toString(Integer.toUnsignedLong(h));
        String alphanums = "bcdfghjklmnpqrstvwxz2456789";
        StringBuilder out = new StringBuilder();
        for (char ch : decimal.toCharArray()) {
            out.append(alphanums.charAt(ch % alphanums.length()));
        }
        return out.toString();
    }

    private static void canonical(JsonNode n, StringBuilder sb) {
        if (n.isObject()) {
            TreeMap<String, JsonNode> sorted = new TreeMap<>();
            n.fields().forEachRemaining(e -> sorted.put(e.getKey(), e.getValue()));
            sb.append('{');
            boolean first = true;
            for (var e : sorted.entrySet()) {
                if (e.getValue().isNull()) {
                    continue;
                }
                if (!first) {
                    sb.append(',');
                }
                first = false;
                sb.append('"').append(e.getKey()).append("\":");
                canonical(e.getValue(), sb);
            }
            sb.append('}');
        } else if (n.isArray()) {
            sb.append('[');
            for (int i = 0; i < n.size(); i++) {
                if (i > 0) {
                    sb.append(',');
                }
                canonical(n.get(i), sb);
            }
            sb.append(']');
        } else {
            sb.append(n.toString());
        }
    }

    /** Templates equal but for the pod-template-hash label (upstream's EqualIgnoreHash). */
    static boolean equalIgnoreHash(PodTemplateSpec a, PodTemplateSpec b) {
        return Objects.equals(withoutHash(a), withoutHash(b));
    }

    private static JsonNode withoutHash(PodTemplateSpec t) {
        ObjectNode n = Serialization.jsonMapper().valueToTree(t);
        JsonNode labels = n.path("metadata").path("labels");
        if (labels.isObject()) {
            ((ObjectNode) labels).remove(HASH_LABEL);
            if (labels.isEmpty()) {
                ((ObjectNode) n.get("metadata")).remove("labels");
            }
        }
        stripNulls(n);
        return n;
    }

    private static void stripNulls(JsonNode n) {
        if (n.isObject()) {
            List<String> drop = new ArrayList<>();
            n.fields().forEachRemaining(e -> {
                if (e.getValue().isNull() || (e.getValue().isContainerNode() && e.getValue().isEmpty())) {
                    drop.add(e.getKey());
                } else {
                    stripNulls(e.getValue());
                }
            });
            ((ObjectNode) n).remove(drop);
        } else if (n.isArray()) {
            n.forEach(Rollouts::stripNulls);
        }
    }

    static long revision(ReplicaSet rs) {
        return parseLong(annotation(rs, REVISION));
    }

    static long parseLong(String s) {
        try {
            return s == null || s.isEmpty() ? 0 : Long.parseLong(s);
        } catch (NumberFormatException e) {
            return 0;
        }
    }

    static String annotation(ReplicaSet rs, String key) {
        Map<String, String> a = rs.getMetadata().getAnnotations();
        return a == null ? null : a.get(key);
    }

    static long maxRevision(List<ReplicaSet> rss) {
        return rss.stream().mapToLong(Rollouts::revision).max().orElse(0);
    }

    static final Comparator<ReplicaSet> BY_CREATION = Comparator
            .comparing((ReplicaSet r) -> r.getMetadata().getCreationTimestamp() == null ? "" : r.getMetadata().getCreationTimestamp())
            .thenComparing(r -> r.getMetadata().getName());

    /** upstream's SetNewReplicaSetAnnotations; true if anything changed. */
    static boolean setNewReplicaSetAnnotations(Deployment d, ReplicaSet rs, String newRevision, boolean exists) {
        Map<String, String> a = rs.getMetadata().getAnnotations() == null ? new HashMap<>() : new HashMap<>(rs.getMetadata().getAnnotations());
        boolean changed = false;
        if (d.getMetadata().getAnnotations() != null) {
            for (var e : d.getMetadata().getAnnotations().entrySet()) {
                if (ANNOTATIONS_TO_SKIP.contains(e.getKey()) || e.getValue().equals(a.get(e.getKey()))) {
                    continue;
                }
                a.put(e.getKey(), e.getValue());
                changed = true;
            }
        }
        String oldRevision = a.get(REVISION);
        long oldInt = parseLong(oldRevision);
        long newInt = parseLong(newRevision);
        if (oldInt < newInt) {
            a.put(REVISION, newRevision);
            changed = true;
            if (oldRevision != null && !oldRevision.isEmpty()) {
                // reused (a rollback): keep the numbers it had, as upstream
                String history = a.get(REVISION_HISTORY);
                a.put(REVISION_HISTORY, history == null || history.isEmpty() ? oldRevision : history + "," + oldRevision);
            }
        }
        if (!exists) {
            changed |= setReplicasAnnotations(a, replicas(d), replicas(d) + maxSurge(d));
        }
        rs.getMetadata().setAnnotations(a);
        return changed;
    }

    static boolean setReplicasAnnotations(Map<String, String> a, int desired, int max) {
        boolean changed = false;
        if (!String.valueOf(desired).equals(a.get(DESIRED_REPLICAS))) {
            a.put(DESIRED_REPLICAS, String.valueOf(desired));
            changed = true;
        }
        if (!String.valueOf(max).equals(a.get(MAX_REPLICAS))) {
            a.put(MAX_REPLICAS, String.valueOf(max));
            changed = true;
        }
        return changed;
    }

    static DeploymentCondition condition(DeploymentStatus s, String type) {
        if (s.getConditions() == null) {
            return null;
        }
        return s.getConditions().stream().filter(c -> type.equals(c.getType())).findFirst().orElse(null);
    }

    static DeploymentCondition newCondition(String type, String status, String reason, String message, Instant now) {
        String t = now.truncatedTo(java.time.temporal.ChronoUnit.SECONDS).toString();
        DeploymentCondition c = new DeploymentCondition();
        c.setType(type);
        c.setStatus(status);
        c.setReason(reason);
        c.setMessage(message);
        c.setLastUpdateTime(t);
        c.setLastTransitionTime(t);
        return c;
    }

    /** upstream's SetDeploymentCondition: same status and reason → unchanged; else replaced (moved last), keeping the transition time if the status holds. */
    static void setCondition(DeploymentStatus s, DeploymentCondition c) {
        DeploymentCondition cur = condition(s, c.getType());
        if (cur != null && cur.getStatus().equals(c.getStatus()) && Objects.equals(cur.getReason(), c.getReason())) {
            return;
        }
        if (cur != null && cur.getStatus().equals(c.getStatus())) {
            c.setLastTransitionTime(cur.getLastTransitionTime());
        }
        removeCondition(s, c.getType());
        s.getConditions().add(c);
    }

    static void removeCondition(DeploymentStatus s, String type) {
        List<DeploymentCondition> rest = new ArrayList<>();
        if (s.getConditions() != null) {
            s.getConditions().stream().filter(x -> !type.equals(x.getType())).forEach(rest::add);
        }
        s.setConditions(rest);
    }
}
