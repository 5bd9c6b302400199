package io.kuberaft.controllers.podautoscaler;

import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.autoscaling.v2.HorizontalPodAutoscalerStatus;
import io.fabric8.kubernetes.api.model.autoscaling.v2.MetricStatus;
import io.fabric8.kubernetes.api.model.autoscaling.v2.MetricStatusBuilder;
import io.fabric8.kubernetes.client.utils.Serialization;
import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

class StatusDraftTest {
    static final Instant T0 = Instant.parse("2025-06-01T12:00:00.700Z");

    static List<MetricStatus> cpu(int percent, String average) {
        return List.of(new MetricStatusBuilder().withType("Resource").withNewResource().withName("cpu").withNewCurrent()
                .withAverageUtilization(percent).withAverageValue(new Quantity(average)).endCurrent().endResource().build());
    }

    /** One sync's outcome on top of {@code observed}, as the controller builds it. */
    static StatusDraft sync(HorizontalPodAutoscalerStatus observed, Instant now, boolean active, int percent) {
        StatusDraft d = new StatusDraft(observed, now);
        d.condition("AbleToScale", true, "SucceededGetScale", "the HPA controller was able to get the target's current scale");
        d.condition("ScalingActive", active, active ? "ValidMetricFound" : "FailedGetResourceMetric", "m");
        d.condition("AbleToScale", true, "ReadyForNewScale", "recommended size matches current size");
        d.counts(3, 3, cpu(percent, "300m"), false);
        return d;
    }

    /** What the API server hands back: the status as JSON and read again. */
    static HorizontalPodAutoscalerStatus stored(StatusDraft d) {
        return Serialization.unmarshal(Serialization.asJson(d.build()), HorizontalPodAutoscalerStatus.class);
    }

    @Test
    void aConditionKeepsItsTransitionTimeUntilItsStatusFlips() {
        HorizontalPodAutoscalerStatus first = stored(sync(null, T0, true, 30));
        assertThat(first.getConditions()).extracting(c -> c.getType() + "=" + c.getStatus() + "/" + c.getReason() + "@" + c.getLastTransitionTime())
                .containsExactly("AbleToScale=True/ReadyForNewScale@2025-06-01T12:00:00Z", "ScalingActive=True/ValidMetricFound@2025-06-01T12:00:00Z");
        assertThat(first.getObservedGeneration()).isNull();

        StatusDraft same = sync(first, T0.plusSeconds(15), true, 30);
        assertThat(same.changed()).as("nothing new: no write").isFalse();

        StatusDraft moved = sync(first, T0.plusSeconds(30), true, 45);
        assertThat(moved.changed()).as("the metric moved").isTrue();
        assertThat(stored(moved).getConditions()).extracting(c -> c.getLastTransitionTime()).containsOnly("2025-06-01T12:00:00Z");

        HorizontalPodAutoscalerStatus flipped = stored(sync(first, T0.plusSeconds(45), false, 30));
        assertThat(flipped.getConditions()).extracting(c -> c.getType() + "@" + c.getLastTransitionTime())
                .containsExactly("AbleToScale@2025-06-01T12:00:00Z", "ScalingActive@2025-06-01T12:00:45Z");
    }

    @Test
    void lastScaleTimeIsStampedOnlyByARescaleAndAFailureKeepsTheLastDesiredCount() {
        StatusDraft d = new StatusDraft(null, T0);
        d.counts(2, 4, cpu(100, "100m"), true);
        HorizontalPodAutoscalerStatus rescaled = stored(d);
        assertThat(rescaled.getLastScaleTime()).isEqualTo("2025-06-01T12:00:00Z");

        StatusDraft failed = new StatusDraft(rescaled, T0.plusSeconds(15));
        failed.countsAfterFailure(4, List.of(new MetricStatusBuilder().withType("").build()));
        HorizontalPodAutoscalerStatus s = stored(failed);
        assertThat(s.getCurrentReplicas()).isEqualTo(4);
        assertThat(s.getDesiredReplicas()).isEqualTo(4);
        assertThat(s.getLastScaleTime()).isEqualTo("2025-06-01T12:00:00Z");
        assertThat(Serialization.asJson(s.getCurrentMetrics())).isEqualTo("[{\"type\":\"\"}]");
    }
}
