package io.kuberaft.controllers.podautoscaler;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodCondition;
import io.kuberaft.kubeapi.Quantity;

import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Upstream's replica calculation for pod metrics, as a pure function of the pods, their samples and the
 * clock: the usage ratio against the target, no change within the tolerance, pods being deleted and Failed
 * pods left out, Pending pods and (for cpu) pods still initializing set aside, and then, when pods lack a
 * sample or unready pods were set aside on a scale-up, the ratio recomputed with the conservative guess
 * for them (a missing pod at 100 % of its request on a scale-down, 0 on a scale-up; an unready one at 0)
 * and no change if that guess flips the direction.
 */
final class ReplicaCalculator {
    private final double tolerance;
    private final Duration cpuInitializationPeriod;
    private final Duration initialReadinessDelay;

    ReplicaCalculator(double tolerance, Duration cpuInitializationPeriod, Duration initialReadinessDelay) {
        this.tolerance = tolerance;
        this.cpuInitializationPeriod = cpuInitializationPeriod;
        this.initialReadinessDelay = initialReadinessDelay;
    }

    /** A proposal: the replica count, the average usage per pod (thousandths) and, for utilization targets, the percentage. */
    record Proposal(int replicas, long averageValue, int utilization) {
    }

    /**
     * A Utilization target: {@code targetUtilization} percent of the pods' requests of {@code resource}
     * (only container {@code container}'s, when not null).
     */
    Proposal utilizationReplicas(int currentReplicas, int targetUtilization, String resource, String container, List<Pod> pods,
                                 Map<String, PodMetric> samples, Instant now) throws MetricException {
        if (pods.isEmpty()) {
            throw new MetricException("no pods returned by selector while calculating replica count");
        }
        Map<String, PodMetric> metrics = new HashMap<>(samples);
        Groups g = group(pods, metrics, resource, now);
        metrics.keySet().removeAll(g.ignored);
        metrics.keySet().removeAll(g.unready);
        Map<String, Long> requests = requests(pods, container, resource);
        if (metrics.isEmpty()) {
            throw new MetricException("did not receive metrics for any ready pods");
        }
        Utilization u = utilization(metrics, requests, targetUtilization);
        double ratio = u.ratio;

        boolean scaleUpWithUnready = !g.unready.isEmpty() && ratio > 1.0;
        if (!scaleUpWithUnready && g.missing.isEmpty()) {
            if (Math.abs(1.0 - ratio) <= tolerance) {
                return new Proposal(currentReplicas, u.average, u.percent);
            }
            return new Proposal((int) Math.ceil(ratio * g.ready), u.average, u.percent);
        }
        if (!g.missing.isEmpty()) {
            if (ratio < 1.0) {
                // a pod without a sample is taken at its full request (or the target, when above 100 %) on a scale-down
                long fallback = Math.max(100, targetUtilization);
                for (String pod : g.missing) {
                    metrics.put(pod, PodMetric.of(requests.get(pod) * fallback / 100));
                }
            } else if (ratio > 1.0) {
                for (String pod : g.missing) {
                    metrics.put(pod, PodMetric.of(0));
                }
            }
        }
        if (scaleUpWithUnready) {
            for (String pod : g.unready) {
                metrics.put(pod, PodMetric.of(0));
            }
        }
        double newRatio = utilization(metrics, requests, targetUtilization).ratio;
        if (Math.abs(1.0 - newRatio) <= tolerance || (ratio < 1.0 && newRatio > 1.0) || (ratio > 1.0 && newRatio < 1.0)) {
            return new Proposal(currentReplicas, u.average, u.percent);
        }
        int replicas = (int) Math.ceil(newRatio * metrics.size());
        if ((newRatio < 1.0 && replicas > currentReplicas) || (newRatio > 1.0 && replicas < currentReplicas)) {
            return new Proposal(currentReplicas, u.average, u.percent);
        }
        return new Proposal(replicas, u.average, u.percent);
    }

    /** An AverageValue target: {@code targetMilli} thousandths of {@code resource} per pod (upstream's plain metric replicas). */
    Proposal averageValueReplicas(int currentReplicas, long targetMilli, String resource, List<Pod> pods, Map<String, PodMetric> samples,
                                  Instant now) throws MetricException {
        if (pods.isEmpty()) {
            throw new MetricException("no pods returned by selector while calculating replica count");
        }
        Map<String, PodMetric> metrics = new HashMap<>(samples);
        Groups g = group(pods, metrics, resource, now);
        metrics.keySet().removeAll(g.ignored);
        metrics.keySet().removeAll(g.unready);
        if (metrics.isEmpty()) {
            throw new MetricException("did not receive metrics for any ready pods");
        }
        long usage = average(metrics);
        double ratio = (double) usage / targetMilli;

        boolean scaleUpWithUnready = !g.unready.isEmpty() && ratio > 1.0;
        if (!scaleUpWithUnready && g.missing.isEmpty()) {
            if (Math.abs(1.0 - ratio) <= tolerance) {
                return new Proposal(currentReplicas, usage, 0);
            }
            return new Proposal((int) Math.ceil(ratio * g.ready), usage, 0);
        }
        if (!g.missing.isEmpty()) {
            if (ratio < 1.0) {
                for (String pod : g.missing) {
                    metrics.put(pod, PodMetric.of(targetMilli));
                }
            } else if (ratio > 1.0) {
                for (String pod : g.missing) {
                    metrics.put(pod, PodMetric.of(0));
                }
            }
        }
        if (scaleUpWithUnready) {
            for (String pod : g.unready) {
                metrics.put(pod, PodMetric.of(0));
            }
        }
        double newRatio = (double) average(metrics) / targetMilli;
        if (Math.abs(1.0 - newRatio) <= tolerance || (ratio < 1.0 && newRatio > 1.0) || (ratio > 1.0 && newRatio < 1.0)) {
            return new Proposal(currentReplicas, usage, 0);
        }
        int replicas = (int) Math.ceil(newRatio * metrics.size());
        if ((newRatio < 1.0 && replicas > currentReplicas) || (newRatio > 1.0 && replicas < currentReplicas)) {
            return new Proposal(currentReplicas, usage, 0);
        }
        return new Proposal(replicas, usage, 0);
    }

    private static long average(Map<String, PodMetric> metrics) {
        long total = 0;
        for (PodMetric m : metrics.values()) {
            total += m.milliValue();
        }
        return total / metrics.size();
    }

    private record Utilization(double ratio, int percent, long average) {
    }

    /**
     * Usage over requests of the pods that have both, as a whole percentage (integer division, as
     * upstream, so the ratio is that percentage over the target).
     */
    private static Utilization utilization(Map<String, PodMetric> metrics, Map<String, Long> requests, int target) throws MetricException {
        long usage = 0;
        long requested = 0;
        int entries = 0;
        for (Map.Entry<String, PodMetric> e : metrics.entrySet()) {
            Long request = requests.get(e.getKey());
            if (request == null) {
                continue; // a sample of a pod not listed: extraneous
            }
            usage += e.getValue().milliValue();
            requested += request;
            entries++;
        }
        if (requested == 0) {
            throw new MetricException("no metrics returned matched known pods");
        }
        int percent = (int) (usage * 100 / requested);
        return new Utilization((double) percent / target, percent, usage / entries);
    }

    /** Each pod's request of {@code resource} (thousandths), summed over its containers (or the one named). */
    static Map<String, Long> requests(List<Pod> pods, String container, String resource) throws MetricException {
        Map<String, Long> out = new HashMap<>();
        for (Pod pod : pods) {
            long sum = 0;
            for (Container c : pod.getSpec().getContainers()) {
                if (container != null && !container.equals(c.getName())) {
                    continue;
                }
                var requests = c.getResources() == null ? null : c.getResources().getRequests();
                var q = requests == null ? null : requests.get(resource);
                if (q == null) {
                    throw new MetricException("missing request for " + resource + " in container " + c.getName() + " of Pod "
                            + pod.getMetadata().getName());
                }
                sum += Quantity.parse(q.toString()).milliValue();
            }
            out.put(pod.getMetadata().getName(), sum);
        }
        return out;
    }

    private static final class Groups {
        int ready;
        final Set<String> unready = new HashSet<>();
        final Set<String> missing = new HashSet<>();
        final Set<String> ignored = new HashSet<>();
    }

    /**
     * Upstream's groupPods. A cpu sample counts only from a pod that is ready: within the cpu initialization
     * period after its start, a pod must be Ready and sampled over a full window after it turned ready (its
     * start-up burst is not load); after that period, only a pod that turned unready within the initial
     * readiness delay of its start (so never was ready) is set aside.
     */
    private Groups group(List<Pod> pods, Map<String, PodMetric> metrics, String resource, Instant now) {
        Groups g = new Groups();
        for (Pod pod : pods) {
            String name = pod.getMetadata().getName();
            String phase = pod.getStatus() == null || pod.getStatus().getPhase() == null ? "" : pod.getStatus().getPhase();
            if (pod.getMetadata().getDeletionTimestamp() != null || phase.equals("Failed")) {
                g.ignored.add(name);
                continue;
            }
            if (phase.equals("Pending")) {
                g.unready.add(name);
                continue;
            }
            PodMetric metric = metrics.get(name);
            if (metric == null) {
                g.missing.add(name);
                continue;
            }
            if (resource.equals("cpu") && unreadyForCpu(pod, metric, now)) {
                g.unready.add(name);
                continue;
            }
            g.ready++;
        }
        return g;
    }

    private boolean unreadyForCpu(Pod pod, PodMetric metric, Instant now) {
        PodCondition ready = pod.getStatus().getConditions() == null ? null
                : pod.getStatus().getConditions().stream().filter(c -> "Ready".equals(c.getType())).findFirst().orElse(null);
        Instant start = instant(pod.getStatus().getStartTime());
        if (ready == null || start == null) {
            return true;
        }
        Instant transition = instant(ready.getLastTransitionTime());
        if (transition == null) {
            transition = Instant.EPOCH; // upstream's zero time
        }
        boolean notReady = "False".equals(ready.getStatus());
        if (start.plus(cpuInitializationPeriod).isAfter(now)) {
            return notReady || metric.timestamp().isBefore(transition.plus(metric.window()));
        }
        return notReady && start.plus(initialReadinessDelay).isAfter(transition);
    }

    private static Instant instant(String t) {
        try {
            return t == null || t.isEmpty() ? null : Instant.parse(t);
        } catch (RuntimeException e) {
            return null;
        }
    }
}
