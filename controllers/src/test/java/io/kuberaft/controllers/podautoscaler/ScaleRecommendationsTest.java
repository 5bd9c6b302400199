package io.kuberaft.controllers.podautoscaler;

import io.fabric8.kubernetes.api.model.autoscaling.v2.HPAScalingRulesBuilder;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

class ScaleRecommendationsTest {
    static final Instant T0 = Instant.parse("2025-06-01T12:00:00Z");
    static final Duration WINDOW = Duration.ofMinutes(5);
    final ScaleRecommendations recs = new ScaleRecommendations(WINDOW);
    static final ScalingRules DEFAULT_UP = ScalingRules.scaleUp(null);
    static final ScalingRules DEFAULT_DOWN = ScalingRules.scaleDown(null, WINDOW);

    @Test
    void defaultsAreUpstreams() {
        assertThat(DEFAULT_UP).isEqualTo(new ScalingRules("Max", 0,
                List.of(new ScalingRules.Policy("Pods", 4, 15), new ScalingRules.Policy("Percent", 100, 15))));
        assertThat(DEFAULT_DOWN).isEqualTo(new ScalingRules("Max", 300, List.of(new ScalingRules.Policy("Percent", 100, 15))));
        // a field given replaces its default only
        assertThat(ScalingRules.scaleDown(new HPAScalingRulesBuilder().withStabilizationWindowSeconds(60).build(), WINDOW))
                .isEqualTo(new ScalingRules("Max", 60, List.of(new ScalingRules.Policy("Percent", 100, 15))));
        assertThat(ScalingRules.scaleUp(new HPAScalingRulesBuilder().withSelectPolicy("Disabled").build()).policies())
                .isEqualTo(DEFAULT_UP.policies());
    }

    @Test
    void withoutBehaviorAScaleDownWaitsForTheHighestRecommendationOfTheWindow() {
        recs.recordInitial("ns/h", 5, T0);
        var n = recs.normalize("ns/h", 5, 2, 1, 10, T0.plusSeconds(60));
        assertThat(n.replicas()).isEqualTo(5);
        assertThat(n.ableReason()).isEqualTo("ScaleDownStabilized");
        assertThat(n.ableMessage()).isEqualTo("recent recommendations were higher than current one, applying the highest recent recommendation");
        assertThat(n.limited()).isFalse();
        assertThat(n.limitedReason()).isEqualTo("DesiredWithinRange");
        // a higher recommendation inside the window holds a later scale-down at it
        recs.normalize("ns/h", 5, 4, 1, 10, T0.plusSeconds(120));
        assertThat(recs.normalize("ns/h", 5, 2, 1, 10, T0.plus(WINDOW).plusSeconds(30)).replicas()).isEqualTo(4);
        // once every higher one is older than the window: down to 2, the recommendation matches
        n = recs.normalize("ns/h", 5, 2, 1, 10, T0.plus(WINDOW).plusSeconds(121));
        assertThat(n.replicas()).isEqualTo(2);
        assertThat(n.ableReason()).isEqualTo("ReadyForNewScale");
        assertThat(n.ableMessage()).isEqualTo("recommended size matches current size");
    }

    @Test
    void withoutBehaviorAScaleUpIsImmediateButAtMostDoubleOrFour() {
        var n = recs.normalize("ns/h", 2, 10, 1, 20, T0);
        assertThat(n.replicas()).isEqualTo(4);
        assertThat(n.limited()).isTrue();
        assertThat(n.limitedReason()).isEqualTo("ScaleUpLimit");
        assertThat(n.limitedMessage()).isEqualTo("the desired replica count is increasing faster than the maximum scale rate");
        assertThat(recs.normalize("ns/h", 8, 30, 1, 20, T0.plusSeconds(15)).replicas()).isEqualTo(16);
    }

    @Test
    void minAndMaxClamp() {
        var n = recs.normalize("ns/h", 6, 12, 2, 10, T0);
        assertThat(n.replicas()).isEqualTo(10);
        assertThat(n.limited()).isTrue();
        assertThat(n.limitedReason()).isEqualTo("TooManyReplicas");
        assertThat(n.limitedMessage()).isEqualTo("the desired replica count is more than the maximum replica count");
        var r = new ScaleRecommendations(Duration.ZERO);
        n = r.normalize("ns/h", 3, 1, 2, 10, T0);
        assertThat(n.replicas()).isEqualTo(2);
        assertThat(n.limitedReason()).isEqualTo("TooFewReplicas");
        assertThat(n.limitedMessage()).isEqualTo("the desired replica count is less than the minimum replica count");
        n = r.normalize("ns/h", 3, 3, 2, 10, T0.plusSeconds(1));
        assertThat(n.limited()).isFalse();
        assertThat(n.limitedMessage()).isEqualTo("the desired count is within the acceptable range");
        // with behavior the same clamps apply
        n = recs.normalize("ns/b", DEFAULT_UP, DEFAULT_DOWN, 8, 12, 1, 10, T0);
        assertThat(n.replicas()).isEqualTo(10);
        assertThat(n.limitedReason()).isEqualTo("TooManyReplicas");
    }

    @Test
    void defaultScaleUpPolicyIsFourPodsOrDoubleEveryFifteenSecondsCountingRecentScaleUps() {
        // from 10: Pods 4 → 14, Percent 100 → 20; Max selects 20
        var n = recs.normalize("ns/h", DEFAULT_UP, DEFAULT_DOWN, 10, 40, 1, 100, T0);
        assertThat(n.replicas()).isEqualTo(20);
        assertThat(n.limitedReason()).isEqualTo("ScaleUpLimit");
        recs.recordScale("ns/h", DEFAULT_UP, DEFAULT_DOWN, 10, 20, T0);
        // 5 s later the period started at 10: no room above 20
        n = recs.normalize("ns/h", DEFAULT_UP, DEFAULT_DOWN, 20, 40, 1, 100, T0.plusSeconds(5));
        assertThat(n.replicas()).isEqualTo(20);
        assertThat(n.limited()).isTrue();
        // after the period: 20 → 40
        assertThat(recs.normalize("ns/h", DEFAULT_UP, DEFAULT_DOWN, 20, 40, 1, 100, T0.plusSeconds(16)).replicas()).isEqualTo(40);
        // from 1: Percent gives 2, Pods gives 5: 5
        assertThat(recs.normalize("ns/small", DEFAULT_UP, DEFAULT_DOWN, 1, 40, 1, 100, T0).replicas()).isEqualTo(5);
    }

    @Test
    void scaleDownPoliciesMinAndDisabled() {
        ScalingRules down = new ScalingRules("Max", 0, List.of(new ScalingRules.Policy("Pods", 2, 60), new ScalingRules.Policy("Percent", 10, 60)));
        // from 10 to 1: Pods allows 8, Percent allows 9; Max (the biggest change) → 8
        var n = recs.normalize("ns/h", DEFAULT_UP, down, 10, 1, 1, 100, T0);
        assertThat(n.replicas()).isEqualTo(8);
        assertThat(n.limitedReason()).isEqualTo("ScaleDownLimit");
        assertThat(n.limitedMessage()).isEqualTo("the desired replica count is decreasing faster than the maximum scale rate");
        recs.recordScale("ns/h", DEFAULT_UP, down, 10, 8, T0);
        // 30 s later the 60 s period began at 10: no room below 8
        assertThat(recs.normalize("ns/h", DEFAULT_UP, down, 8, 1, 1, 100, T0.plusSeconds(30)).replicas()).isEqualTo(8);
        assertThat(recs.normalize("ns/h", DEFAULT_UP, down, 8, 1, 1, 100, T0.plusSeconds(61)).replicas()).isEqualTo(6);
        // Min selects the smallest change: 10 − 10 % = 9
        ScalingRules min = new ScalingRules("Min", 0, down.policies());
        assertThat(recs.normalize("ns/m", DEFAULT_UP, min, 10, 1, 1, 100, T0).replicas()).isEqualTo(9);
        ScalingRules disabled = new ScalingRules("Disabled", 0, down.policies());
        n = recs.normalize("ns/d", DEFAULT_UP, disabled, 10, 1, 1, 100, T0);
        assertThat(n.replicas()).isEqualTo(10);
        assertThat(n.limited()).isTrue();
    }

    @Test
    void stabilizationWindowsOfEachDirection() {
        ScalingRules up = new ScalingRules("Max", 60, DEFAULT_UP.policies());
        ScalingRules down = new ScalingRules("Max", 120, List.of(new ScalingRules.Policy("Percent", 100, 15)));
        recs.recordInitial("ns/h", 4, T0);
        // a scale-up goes no higher than the lowest recommendation of the last 60 s (4, the current size)
        var n = recs.normalize("ns/h", up, down, 4, 8, 1, 100, T0.plusSeconds(10));
        assertThat(n.replicas()).isEqualTo(4);
        assertThat(n.ableReason()).isEqualTo("ScaleUpStabilized");
        assertThat(n.ableMessage()).isEqualTo("recent recommendations were lower than current one, applying the lowest recent recommendation");
        // 61 s after the initial 4, every recommendation of the window is 8
        n = recs.normalize("ns/h", up, down, 4, 8, 1, 100, T0.plusSeconds(61));
        assertThat(n.replicas()).isEqualTo(8);
        assertThat(n.ableReason()).isEqualTo("ReadyForNewScale");
        // a scale-down goes no lower than the highest recommendation of the last 120 s (8)
        n = recs.normalize("ns/h", up, down, 8, 3, 1, 100, T0.plusSeconds(100));
        assertThat(n.replicas()).isEqualTo(8);
        assertThat(n.ableReason()).isEqualTo("ScaleDownStabilized");
        assertThat(recs.normalize("ns/h", up, down, 8, 3, 1, 100, T0.plusSeconds(182)).replicas()).isEqualTo(3);
    }

    @Test
    void forgettingAnHpaDropsItsHistory() {
        recs.recordInitial("ns/h", 9, T0);
        recs.forget("ns/h");
        assertThat(recs.normalize("ns/h", 9, 3, 1, 10, T0.plusSeconds(1)).replicas()).isEqualTo(3);
    }
}
