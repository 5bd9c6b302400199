package io.kuberaft.controllers.replicaset;

import io.fabric8.kubernetes.api.model.ContainerStatus;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodCondition;

import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/** upstream's podutil helpers (IsPodActive, IsPodReady, IsPodAvailable) and the scale-down order (ActivePodsWithRanks). */
public final class Pods {
    public static final String DELETION_COST = "controller.kubernetes.io/pod-deletion-cost";

    private Pods() {
    }

    /** Not finished and not terminating: the pods that count toward replicas. */
    public static boolean isActive(Pod p) {
        String phase = p.getStatus() == null ? null : p.getStatus().getPhase();
        return !"Succeeded".equals(phase) && !"Failed".equals(phase) && p.getMetadata().getDeletionTimestamp() == null;
    }

    public static boolean isReady(Pod p) {
        PodCondition c = readyCondition(p);
        return c != null && "True".equals(c.getStatus());
    }

    /** Since when the pod has been Ready, null if not ready or unknown. */
    public static Instant readySince(Pod p) {
        PodCondition c = readyCondition(p);
        if (c == null || !"True".equals(c.getStatus()) || c.getLastTransitionTime() == null) {
            return null;
        }
        return parse(c.getLastTransitionTime());
    }

    /** Ready for at least {@code minReadySeconds} at {@code now}. */
    public static boolean isAvailable(Pod p, int minReadySeconds, Instant now) {
        if (!isReady(p)) {
            return false;
        }
        if (minReadySeconds <= 0) {
            return true;
        }
        Instant since = readySince(p);
        return since != null && !since.plusSeconds(minReadySeconds).isAfter(now);
    }

    /** How long until a ready pod becomes available, 0 if it is (or cannot be, not being ready). */
    public static long millisUntilAvailable(Pod p, int minReadySeconds, Instant now) {
        Instant since = readySince(p);
        if (since == null || minReadySeconds <= 0) {
            return 0;
        }
        return Math.max(0, since.plusSeconds(minReadySeconds).toEpochMilli() - now.toEpochMilli());
    }

    private static PodCondition readyCondition(Pod p) {
        if (p.getStatus() == null || p.getStatus().getConditions() == null) {
            return null;
        }
        return p.getStatus().getConditions().stream().filter(c -> "Ready".equals(c.getType())).findFirst().orElse(null);
    }

    static Instant parse(String t) {
        try {
            return t == null || t.isEmpty() ? null : Instant.parse(t);
        } catch (RuntimeException e) {
            return null;
        }
    }

    /**
     * The first {@code n} pods to delete when scaling down, in upstream's order (ActivePodsWithRanks):
     * unscheduled before scheduled; Pending before Unknown before Running; not ready before ready;
     * lower pod-deletion-cost first; pods doubled up on a node (with related pods) first; ready for
     * less time first (logarithmic buckets); more restarts first; newer first.
     */
    public static List<Pod> toDelete(List<Pod> pods, List<Pod> related, int n, Instant now) {
        List<Pod> sorted = new ArrayList<>(pods);
        if (n < pods.size()) {
            Map<String, Long> perNode = new java.util.HashMap<>();
            for (Pod r : related) {
                if (isActive(r) && nodeName(r) != null) {
                    perNode.merge(nodeName(r), 1L, Long::sum);
                }
            }
            sorted.sort(order(now, p -> nodeName(p) == null ? 0 : perNode.getOrDefault(nodeName(p), 0L)));
        }
        return sorted.subList(0, Math.min(n, sorted.size()));
    }

    private static String nodeName(Pod p) {
        String n = p.getSpec() == null ? null : p.getSpec().getNodeName();
        return n == null || n.isEmpty() ? null : n;
    }

    static Comparator<Pod> order(Instant now, java.util.function.ToLongFunction<Pod> rank) {
        return (a, b) -> {
            if (less(a, b, now, rank)) {
                return -1;
            }
            return less(b, a, now, rank) ? 1 : 0;
        };
    }

    private static boolean less(Pod a, Pod b, Instant now, java.util.function.ToLongFunction<Pod> rank) {
        String na = nodeName(a);
        String nb = nodeName(b);
        if (!Objects.equals(na, nb) && (na == null || nb == null)) {
            return na == null;
        }
        int pa = phaseOrdinal(a);
        int pb = phaseOrdinal(b);
        if (pa != pb) {
            return pa < pb;
        }
        if (isReady(a) != isReady(b)) {
            return !isReady(a);
        }
        long ca = deletionCost(a);
        long cb = deletionCost(b);
        if (ca != cb) {
            return ca < cb;
        }
        long ra = rank.applyAsLong(a);
        long rb = rank.applyAsLong(b);
        if (ra != rb) {
            return ra > rb;
        }
        if (isReady(a) && isReady(b)) {
            Instant ta = readySince(a);
            Instant tb = readySince(b);
            if (!Objects.equals(ta, tb)) {
                if (ta == null || tb == null) {
                    return ta == null;
                }
                long d = logRankDiff(ta, tb, now);
                return d == 0 ? uid(a).compareTo(uid(b)) < 0 : d < 0;
            }
        }
        int rsa = restarts(a);
        int rsb = restarts(b);
        if (rsa != rsb) {
            return rsa > rsb;
        }
        Instant xa = parse(a.getMetadata().getCreationTimestamp());
        Instant xb = parse(b.getMetadata().getCreationTimestamp());
        if (!Objects.equals(xa, xb)) {
            if (xa == null || xb == null) {
                return xa == null;
            }
            long d = logRankDiff(xa, xb, now);
            return d == 0 ? uid(a).compareTo(uid(b)) < 0 : d < 0;
        }
        return false;
    }

    private static String uid(Pod p) {
        return p.getMetadata().getUid() == null ? "" : p.getMetadata().getUid();
    }

    /** upstream's logarithmicRankDiff: ages compared by their power-of-two bucket (in nanoseconds). */
    private static long logRankDiff(Instant t1, Instant t2, Instant now) {
        return bucket(java.time.Duration.between(t1, now).toNanos()) - bucket(java.time.Duration.between(t2, now).toNanos());
    }

    private static long bucket(long nanos) {
        return nanos <= 0 ? -1 : 63 - Long.numberOfLeadingZeros(nanos);
    }

    private static int phaseOrdinal(Pod p) {
        String phase = p.getStatus() == null ? null : p.getStatus().getPhase();
        if (phase == null || phase.equals("Pending") || phase.isEmpty()) {
            return 0;
        }
        return switch (phase) {
            case "Unknown" -> 1;
            case "Running" -> 2;
            default -> 0;
        };
    }

    private static long deletionCost(Pod p) {
        Map<String, String> a = p.getMetadata().getAnnotations();
        if (a == null || !a.containsKey(DELETION_COST)) {
            return 0;
        }
        try {
            return Integer.parseInt(a.get(DELETION_COST).trim());
        } catch (NumberFormatException e) {
            return 0;
        }
    }

    private static int restarts(Pod p) {
        if (p.getStatus() == null || p.getStatus().getContainerStatuses() == null) {
            return 0;
        }
        int max = 0;
        for (ContainerStatus s : p.getStatus().getContainerStatuses()) {
            max = Math.max(max, s.getRestartCount() == null ? 0 : s.getRestartCount());
        }
        return max;
    }
}
