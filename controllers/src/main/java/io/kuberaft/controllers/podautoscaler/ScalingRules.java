package io.kuberaft.controllers.podautoscaler;

import io.fabric8.kubernetes.api.model.autoscaling.v2.HPAScalingPolicy;
import io.fabric8.kubernetes.api.model.autoscaling.v2.HPAScalingRules;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * One direction of {@code spec.behavior} (scaleUp or scaleDown) with upstream's defaults in every field left
 * out: scale-up without stabilization, by at most 4 pods or 100 % per 15 s, whichever is more; scale-down
 * stabilized over the controller's downscale window, by at most 100 % per 15 s. (Upstream's API server fills
 * these in when a behavior is given; this API server does not, so the controller does, the same way.)
 *
 * @param selectPolicy               Max, Min or Disabled
 * @param stabilizationWindowSeconds how far back recommendations count
 * @param policies                   the rate limits, each over its own period
 */
record ScalingRules(String selectPolicy, int stabilizationWindowSeconds, List<Policy> policies) {
    static final String MAX = "Max";
    static final String MIN = "Min";
    static final String DISABLED = "Disabled";

    /** @param type Pods or Percent */
    record Policy(String type, int value, int periodSeconds) {
    }

    static ScalingRules scaleUp(HPAScalingRules given) {
        return withDefaults(given, new ScalingRules(MAX, 0, List.of(new Policy("Pods", 4, 15), new Policy("Percent", 100, 15))));
    }

    static ScalingRules scaleDown(HPAScalingRules given, Duration downscaleStabilization) {
        return withDefaults(given, new ScalingRules(MAX, (int) downscaleStabilization.toSeconds(), List.of(new Policy("Percent", 100, 15))));
    }

    /** Each field given wins; the rest are the defaults (upstream's copyHPAScalingRules). */
    private static ScalingRules withDefaults(HPAScalingRules given, ScalingRules defaults) {
        if (given == null) {
            return defaults;
        }
        List<Policy> policies = defaults.policies;
        // an empty list is as good as none (fabric8 reads an absent one as empty; upstream's validation refuses an empty one)
        if (given.getPolicies() != null && !given.getPolicies().isEmpty()) {
            policies = new ArrayList<>();
            for (HPAScalingPolicy p : given.getPolicies()) {
                policies.add(new Policy(p.getType(), p.getValue() == null ? 0 : p.getValue(), p.getPeriodSeconds() == null ? 0 : p.getPeriodSeconds()));
            }
        }
        return new ScalingRules(given.getSelectPolicy() != null ? given.getSelectPolicy() : defaults.selectPolicy,
                given.getStabilizationWindowSeconds() != null ? given.getStabilizationWindowSeconds() : defaults.stabilizationWindowSeconds,
                List.copyOf(policies));
    }

    int longestPeriodSeconds() {
        int longest = 0;
        for (Policy p : policies) {
            longest = Math.max(longest, p.periodSeconds);
        }
        return longest;
    }
}
