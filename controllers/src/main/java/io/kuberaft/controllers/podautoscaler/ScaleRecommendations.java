package io.kuberaft.controllers.podautoscaler;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * What the autoscaler remembers between syncs of each HPA, and how a metric proposal becomes the replica
 * count to apply (upstream's normalizeDesiredReplicas and normalizeDesiredReplicasWithBehaviors): recent
 * recommendations for the stabilization windows, recent scale changes for the rate policies, then the
 * min/max clamp.
 *
 * <p>Kept in memory on the leader, as upstream keeps it in kube-controller-manager: a new leader starts with
 * none, so for one stabilization window after a failover a scale-down may come sooner than it would have
 * (the first sync records the current size as a recommendation, which holds the most abrupt ones back).
 */
final class ScaleRecommendations {
    /** Upstream's scale-up limit without behavior: at most double, and at least 4. */
    private static final double SCALE_UP_LIMIT_FACTOR = 2.0;
    private static final double SCALE_UP_LIMIT_MINIMUM = 4.0;

    private final Duration downscaleStabilization;
    private final Map<String, History> histories = new HashMap<>();

    ScaleRecommendations(Duration downscaleStabilization) {
        this.downscaleStabilization = downscaleStabilization;
    }

    private record Recommendation(int replicas, Instant at) {
    }

    /** A rescale by {@code change} pods (never negative: the list says the direction). */
    private static final class ScaleEvent {
        final int change;
        final Instant at;
        boolean outdated;

        ScaleEvent(int change, Instant at) {
            this.change = change;
            this.at = at;
        }
    }

    private static final class History {
        final List<Recommendation> recommendations = new ArrayList<>();
        final List<ScaleEvent> ups = new ArrayList<>();
        final List<ScaleEvent> downs = new ArrayList<>();
    }

    /**
     * The outcome of normalization, with the conditions it implies.
     *
     * @param ableReason     AbleToScale (True) reason: ReadyForNewScale, ScaleDownStabilized or ScaleUpStabilized
     * @param limited        ScalingLimited's status
     * @param limitedReason  DesiredWithinRange, TooFewReplicas, TooManyReplicas, ScaleUpLimit or ScaleDownLimit
     */
    record Normalized(int replicas, String ableReason, String ableMessage, boolean limited, String limitedReason, String limitedMessage) {
    }

    /** The first sync of an HPA records its current size, so a scale-down waits a window from there. */
    synchronized void recordInitial(String key, int currentReplicas, Instant now) {
        History h = histories.computeIfAbsent(key, k -> new History());
        if (h.recommendations.isEmpty()) {
            h.recommendations.add(new Recommendation(currentReplicas, now));
        }
    }

    /** The HPA is gone. */
    synchronized void forget(String key) {
        histories.remove(key);
    }

    /** Without spec.behavior: the downscale stabilization window, then min/max and a scale-up of at most max(2×, 4). */
    synchronized Normalized normalize(String key, int current, int desired, int min, int max, Instant now) {
        History h = histories.computeIfAbsent(key, k -> new History());
        int stabilized = desired;
        Instant cutoff = now.minus(downscaleStabilization);
        int oldIndex = -1;
        for (int i = 0; i < h.recommendations.size(); i++) {
            Recommendation r = h.recommendations.get(i);
            if (r.at.isBefore(cutoff)) {
                oldIndex = i;
            } else if (r.replicas > stabilized) {
                stabilized = r.replicas;
            }
        }
        remember(h, oldIndex, new Recommendation(desired, now));
        String ableReason = stabilized != desired ? "ScaleDownStabilized" : "ReadyForNewScale";
        String ableMessage = stabilized != desired ? SCALE_DOWN_STABILIZED : "recommended size matches current size";

        int scaleUpLimit = (int) Math.max(SCALE_UP_LIMIT_FACTOR * current, SCALE_UP_LIMIT_MINIMUM);
        int maxAllowed;
        String reason;
        String message;
        if (max > scaleUpLimit) {
            maxAllowed = scaleUpLimit;
            reason = "ScaleUpLimit";
            message = SCALE_UP_LIMIT;
        } else {
            maxAllowed = max;
            reason = "TooManyReplicas";
            message = TOO_MANY;
        }
        int replicas;
        if (stabilized < min) {
            replicas = min;
            reason = "TooFewReplicas";
            message = TOO_FEW;
        } else if (stabilized > maxAllowed) {
            replicas = maxAllowed;
        } else {
            replicas = stabilized;
            reason = "DesiredWithinRange";
            message = WITHIN_RANGE;
        }
        return new Normalized(replicas, ableReason, ableMessage, replicas != stabilized, reason, message);
    }

    static final String SCALE_DOWN_STABILIZED = "recent recommendations were higher than current one, applying the highest recent recommendation";
    static final String SCALE_UP_STABILIZED = "recent recommendations were lower than current one, applying the lowest recent recommendation";
    static final String SCALE_UP_LIMIT = "the desired replica count is increasing faster than the maximum scale rate";
    static final String SCALE_DOWN_LIMIT = "the desired replica count is decreasing faster than the maximum scale rate";
    static final String TOO_MANY = "the desired replica count is more than the maximum replica count";
    static final String TOO_FEW = "the desired replica count is less than the minimum replica count";
    static final String WITHIN_RANGE = "the desired count is within the acceptable range";

    /**
     * With spec.behavior: each direction's stabilization window (a scale-up goes no higher than the lowest
     * recommendation of its window, a scale-down no lower than the highest of its), then the rate policies
     * over the scale changes of their periods, then min/max.
     */
    synchronized Normalized normalize(String key, ScalingRules up, ScalingRules down, int current, int desired, int min, int max,
                                      Instant now) {
        History h = histories.computeIfAbsent(key, k -> new History());
        Instant upCutoff = now.minusSeconds(up.stabilizationWindowSeconds());
        Instant downCutoff = now.minusSeconds(down.stabilizationWindowSeconds());
        int upRecommendation = desired;
        int downRecommendation = desired;
        int oldIndex = -1;
        for (int i = 0; i < h.recommendations.size(); i++) {
            Recommendation r = h.recommendations.get(i);
            if (r.at.isAfter(upCutoff)) {
                upRecommendation = Math.min(upRecommendation, r.replicas);
            }
            if (r.at.isAfter(downCutoff)) {
                downRecommendation = Math.max(downRecommendation, r.replicas);
            }
            if (r.at.isBefore(upCutoff) && r.at.isBefore(downCutoff)) {
                oldIndex = i;
            }
        }
        int stabilized = current;
        if (stabilized < upRecommendation) {
            stabilized = upRecommendation;
        }
        if (stabilized > downRecommendation) {
            stabilized = downRecommendation;
        }
        remember(h, oldIndex, new Recommendation(desired, now));
        String ableReason = "ReadyForNewScale";
        String ableMessage = "recommended size matches current size";
        if (stabilized != desired) {
            boolean upward = desired >= current;
            ableReason = upward ? "ScaleUpStabilized" : "ScaleDownStabilized";
            ableMessage = upward ? SCALE_UP_STABILIZED : SCALE_DOWN_STABILIZED;
        }

        int replicas = stabilized;
        String reason = "DesiredWithinRange";
        String message = WITHIN_RANGE;
        if (stabilized > current) {
            int limit = Math.max(current, scaleUpLimit(current, h, up, now));
            int maxAllowed = max;
            String r = "TooManyReplicas";
            String m = TOO_MANY;
            if (maxAllowed > limit) {
                maxAllowed = limit;
                r = "ScaleUpLimit";
                m = SCALE_UP_LIMIT;
            }
            if (stabilized > maxAllowed) {
                replicas = maxAllowed;
                reason = r;
                message = m;
            }
        } else if (stabilized < current) {
            int limit = Math.min(current, scaleDownLimit(current, h, down, now));
            int minAllowed = min;
            String r = "TooFewReplicas";
            String m = TOO_FEW;
            if (minAllowed < limit) {
                minAllowed = limit;
                r = "ScaleDownLimit";
                m = SCALE_DOWN_LIMIT;
            }
            if (stabilized < minAllowed) {
                replicas = minAllowed;
                reason = r;
                message = m;
            }
        }
        return new Normalized(replicas, ableReason, ableMessage, replicas != stabilized, reason, message);
    }

    /** Replaces the newest recommendation older than every window (the list never grows past what the windows need). */
    private static void remember(History h, int oldIndex, Recommendation r) {
        if (oldIndex >= 0) {
            h.recommendations.set(oldIndex, r);
        } else {
            h.recommendations.add(r);
        }
    }

    /** The highest count the scale-up policies allow now: each from the size at the start of its period. */
    private static int scaleUpLimit(int current, History h, ScalingRules rules, Instant now) {
        if (ScalingRules.DISABLED.equals(rules.selectPolicy())) {
            return current;
        }
        boolean min = ScalingRules.MIN.equals(rules.selectPolicy());
        long result = min ? Integer.MAX_VALUE : Integer.MIN_VALUE;
        for (ScalingRules.Policy p : rules.policies()) {
            int periodStart = current - changeInPeriod(h.ups, p.periodSeconds(), now) + changeInPeriod(h.downs, p.periodSeconds(), now);
            long proposed = 0;
            if (p.type().equals("Pods")) {
                proposed = (long) periodStart + p.value();
            } else if (p.type().equals("Percent")) {
                // rounded up, so a small target can still grow by one
                proposed = (long) Math.ceil(periodStart * (1 + p.value() / 100.0));
            }
            result = min ? Math.min(result, proposed) : Math.max(result, proposed);
        }
        return (int) result;
    }

    /** The lowest count the scale-down policies allow now. */
    private static int scaleDownLimit(int current, History h, ScalingRules rules, Instant now) {
        if (ScalingRules.DISABLED.equals(rules.selectPolicy())) {
            return current;
        }
        boolean min = ScalingRules.MIN.equals(rules.selectPolicy());
        long result = min ? Integer.MIN_VALUE : Integer.MAX_VALUE;
        for (ScalingRules.Policy p : rules.policies()) {
            int periodStart = current - changeInPeriod(h.ups, p.periodSeconds(), now) + changeInPeriod(h.downs, p.periodSeconds(), now);
            long proposed = 0;
            if (p.type().equals("Pods")) {
                proposed = (long) periodStart - p.value();
            } else if (p.type().equals("Percent")) {
                proposed = (long) (periodStart * (1 - p.value() / 100.0));
            }
            // Min selects the smallest change: for a scale-down, the highest count
            result = min ? Math.max(result, proposed) : Math.min(result, proposed);
        }
        return (int) result;
    }

    private static int changeInPeriod(List<ScaleEvent> events, int periodSeconds, Instant now) {
        Instant cutoff = now.minusSeconds(periodSeconds);
        int sum = 0;
        for (ScaleEvent e : events) {
            if (e.at.isAfter(cutoff)) {
                sum += e.change;
            }
        }
        return sum;
    }

    /** A rescale happened (with spec.behavior only, the one user of the events): reuses a slot past every period. */
    synchronized void recordScale(String key, ScalingRules up, ScalingRules down, int previous, int next, Instant now) {
        History h = histories.computeIfAbsent(key, k -> new History());
        boolean upward = next > previous;
        List<ScaleEvent> events = upward ? h.ups : h.downs;
        Instant cutoff = now.minusSeconds((upward ? up : down).longestPeriodSeconds());
        int oldIndex = -1;
        for (int i = 0; i < events.size(); i++) {
            if (events.get(i).at.isBefore(cutoff)) {
                events.get(i).outdated = true;
            }
            if (events.get(i).outdated) {
                oldIndex = i;
            }
        }
        ScaleEvent e = new ScaleEvent(Math.abs(next - previous), now);
        if (oldIndex >= 0) {
            events.set(oldIndex, e);
        } else {
            events.add(e);
        }
    }
}
