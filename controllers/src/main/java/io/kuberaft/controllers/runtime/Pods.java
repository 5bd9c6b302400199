package io.kuberaft.controllers.runtime;

import io.fabric8.kubernetes.api.model.Pod;

import java.time.Instant;

/** upstream's podutil predicates, as the workload controllers read pods. */
public final class Pods {
    private Pods() {
    }

    public static String phase(Pod p) {
        return p.getStatus() == null || p.getStatus().getPhase() == null ? "Pending" : p.getStatus().getPhase();
    }

    public static boolean succeeded(Pod p) {
        return "Succeeded".equals(phase(p));
    }

    public static boolean failed(Pod p) {
        return "Failed".equals(phase(p));
    }

    public static boolean terminal(Pod p) {
        return succeeded(p) || failed(p);
    }

    public static boolean terminating(Pod p) {
        return p.getMetadata().getDeletionTimestamp() != null;
    }

    /** Not terminal and not being deleted: upstream's IsPodActive. */
    public static boolean active(Pod p) {
        return !terminal(p) && !terminating(p);
    }

    public static boolean ready(Pod p) {
        return p.getStatus() != null && p.getStatus().getConditions() != null && p.getStatus().getConditions().stream()
                .anyMatch(c -> "Ready".equals(c.getType()) && "True".equals(c.getStatus()));
    }

    public static boolean running(Pod p) {
        return "Running".equals(phase(p));
    }

    /** Ready for at least {@code minReadySeconds} at {@code now} (upstream's IsPodAvailable). */
    public static boolean available(Pod p, int minReadySeconds, Instant now) {
        if (!ready(p)) {
            return false;
        }
        if (minReadySeconds <= 0) {
            return true;
        }
        return p.getStatus().getConditions().stream()
                .filter(c -> "Ready".equals(c.getType()) && c.getLastTransitionTime() != null)
                .map(c -> Instant.parse(c.getLastTransitionTime()))
                .anyMatch(t -> !t.plusSeconds(minReadySeconds).isAfter(now));
    }

    public static boolean hasFinalizer(Pod p, String f) {
        return p.getMetadata().getFinalizers() != null && p.getMetadata().getFinalizers().contains(f);
    }
}
