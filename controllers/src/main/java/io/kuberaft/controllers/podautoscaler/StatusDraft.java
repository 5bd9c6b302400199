package io.kuberaft.controllers.podautoscaler;

import io.fabric8.kubernetes.api.model.autoscaling.v2.HorizontalPodAutoscalerCondition;
import io.fabric8.kubernetes.api.model.autoscaling.v2.HorizontalPodAutoscalerConditionBuilder;
import io.fabric8.kubernetes.api.model.autoscaling.v2.HorizontalPodAutoscalerStatus;
import io.fabric8.kubernetes.api.model.autoscaling.v2.HorizontalPodAutoscalerStatusBuilder;
import io.fabric8.kubernetes.api.model.autoscaling.v2.MetricStatus;

import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * The status one sync builds, starting from the one observed: conditions are set as the sync goes (a
 * condition keeps its place in the list, and its lastTransitionTime unless its status flips), and the
 * counts and metrics are replaced at the end, as upstream's setCondition and setStatus do.
 */
final class StatusDraft {
    static final String ABLE_TO_SCALE = "AbleToScale";
    static final String SCALING_ACTIVE = "ScalingActive";
    static final String SCALING_LIMITED = "ScalingLimited";

    private final HorizontalPodAutoscalerStatus observed;
    private final Instant now;
    private final List<HorizontalPodAutoscalerCondition> conditions = new ArrayList<>();
    private Integer currentReplicas;
    private Integer desiredReplicas;
    private String lastScaleTime;
    private List<MetricStatus> currentMetrics;

    StatusDraft(HorizontalPodAutoscalerStatus observed, Instant now) {
        this.observed = observed;
        this.now = now;
        if (observed != null) {
            if (observed.getConditions() != null) {
                observed.getConditions().forEach(c -> conditions.add(new HorizontalPodAutoscalerConditionBuilder(c).build()));
            }
            currentReplicas = observed.getCurrentReplicas();
            desiredReplicas = observed.getDesiredReplicas();
            lastScaleTime = observed.getLastScaleTime();
            currentMetrics = observed.getCurrentMetrics();
        }
    }

    void condition(String type, boolean status, String reason, String message) {
        String s = status ? "True" : "False";
        HorizontalPodAutoscalerCondition c = conditions.stream().filter(x -> type.equals(x.getType())).findFirst().orElse(null);
        if (c == null) {
            c = new HorizontalPodAutoscalerCondition();
            c.setType(type);
            conditions.add(c);
        }
        if (!s.equals(c.getStatus())) {
            c.setLastTransitionTime(now.truncatedTo(ChronoUnit.SECONDS).toString());
        }
        c.setStatus(s);
        c.setReason(reason);
        c.setMessage(message);
    }

    /** The counts and metrics of this sync; {@code rescaled} stamps lastScaleTime. */
    void counts(int current, Integer desired, List<MetricStatus> metrics, boolean rescaled) {
        currentReplicas = current;
        desiredReplicas = desired;
        currentMetrics = metrics;
        if (rescaled) {
            lastScaleTime = now.truncatedTo(ChronoUnit.SECONDS).toString();
        }
    }

    /** After a failure: the current count and whatever metrics were read, the last desired count kept. */
    void countsAfterFailure(int current, List<MetricStatus> metrics) {
        counts(current, desiredReplicas, metrics, false);
    }

    /**
     * The status to write. Like upstream's, it carries no observedGeneration: kube-controller-manager 1.32
     * never sets that field (and drops it when it rewrites the status).
     */
    HorizontalPodAutoscalerStatus build() {
        return new HorizontalPodAutoscalerStatusBuilder().withCurrentReplicas(currentReplicas == null ? 0 : currentReplicas)
                .withDesiredReplicas(desiredReplicas == null ? 0 : desiredReplicas).withLastScaleTime(lastScaleTime)
                .withCurrentMetrics(currentMetrics == null || currentMetrics.isEmpty() ? null : new ArrayList<>(currentMetrics))
                .withConditions(conditions.isEmpty() ? null : conditions).build();
    }

    /** Whether {@link #build()} differs from what was observed (upstream writes nothing otherwise). */
    boolean changed() {
        HorizontalPodAutoscalerStatus next = build();
        if (observed == null) {
            return true;
        }
        return !Objects.equals(observed.getCurrentReplicas() == null ? 0 : observed.getCurrentReplicas(), next.getCurrentReplicas())
                || !Objects.equals(observed.getDesiredReplicas() == null ? 0 : observed.getDesiredReplicas(), next.getDesiredReplicas())
                || !Objects.equals(observed.getLastScaleTime(), next.getLastScaleTime())
                || !Objects.equals(emptyAsNull(observed.getCurrentMetrics()), next.getCurrentMetrics())
                || !Objects.equals(emptyAsNull(observed.getConditions()), next.getConditions())
                || observed.getObservedGeneration() != null;
    }

    private static <T> List<T> emptyAsNull(List<T> l) {
        return l == null || l.isEmpty() ? null : l;
    }
}
