package io.kuberaft.controllers.podautoscaler;

import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.autoscaling.v2.ContainerResourceMetricStatusBuilder;
import io.fabric8.kubernetes.api.model.autoscaling.v2.HorizontalPodAutoscaler;
import io.fabric8.kubernetes.api.model.autoscaling.v2.MetricSpec;
import io.fabric8.kubernetes.api.model.autoscaling.v2.MetricStatus;
import io.fabric8.kubernetes.api.model.autoscaling.v2.MetricStatusBuilder;
import io.fabric8.kubernetes.api.model.autoscaling.v2.MetricTarget;
import io.fabric8.kubernetes.api.model.autoscaling.v2.MetricValueStatus;
import io.fabric8.kubernetes.api.model.autoscaling.v2.MetricValueStatusBuilder;
import io.fabric8.kubernetes.api.model.autoscaling.v2.ResourceMetricStatusBuilder;
import io.fabric8.kubernetes.client.utils.Serialization;
import io.kuberaft.controllers.runtime.EventRecorder;
import io.kuberaft.controllers.runtime.Keys;
import io.kuberaft.kubeapi.LabelSelector;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.function.BiFunction;

/**
 * The replica count an HPA's metrics ask for (upstream's computeReplicasForMetrics): the target's selector
 * checked, each metric turned into a proposal, the highest proposal taken. A metric that fails sets
 * ScalingActive False with its reason and records a Warning event; when every metric fails (or a failing one
 * might have asked for more than a scale-down) nothing is proposed.
 *
 * <p>Resource and ContainerResource metrics are read from the resource metrics API. Pods and Object metrics
 * need the custom metrics API and External ones the external metrics API, which kuberaft does not serve: they
 * fail as upstream's do in a cluster without those APIs.
 */
final class MetricReplicas {
    private final PodMetricsSource metrics;
    private final ReplicaCalculator calculator;
    private final BiFunction<String, LabelSelector, List<Pod>> pods;
    private final HpaSelectors selectors;
    private final EventRecorder.Source events;

    MetricReplicas(PodMetricsSource metrics, ReplicaCalculator calculator, BiFunction<String, LabelSelector, List<Pod>> pods,
                   HpaSelectors selectors, EventRecorder.Source events) {
        this.metrics = metrics;
        this.calculator = calculator;
        this.pods = pods;
        this.selectors = selectors;
        this.events = events;
    }

    /**
     * The outcome: {@code replicas} −1 when nothing can be proposed ({@code error} says why); otherwise the
     * highest proposal, the metric that made it, and {@code error} set if some other metric failed.
     */
    record Outcome(int replicas, String metric, List<MetricStatus> statuses, String error) {
    }

    /** A metric that could not be turned into a proposal: the ScalingActive condition it sets and the error to report. */
    private static final class Failure extends Exception {
        final String reason;
        final String conditionMessage;

        Failure(String reason, String conditionMessage, String error) {
            super(error, null, false, false);
            this.reason = reason;
            this.conditionMessage = conditionMessage;
        }
    }

    private record Proposal(int replicas, String metric, MetricStatus status) {
    }

    Outcome compute(HorizontalPodAutoscaler hpa, ScaleTargets.Target target, StatusDraft status, Instant now) {
        String ns = hpa.getMetadata().getNamespace();
        String selectorText = target.selector();
        if (selectorText.isEmpty()) {
            events.warning(hpa, "SelectorRequired", "selector is required");
            status.condition(StatusDraft.SCALING_ACTIVE, false, "InvalidSelector", "the HPA target's scale is missing a selector");
            return new Outcome(-1, "", null, "selector is required");
        }
        LabelSelector selector;
        try {
            selector = LabelSelector.parse(selectorText);
        } catch (IllegalArgumentException e) {
            String msg = "couldn't convert selector into a corresponding internal selector object: " + e.getMessage();
            events.warning(hpa, "InvalidSelector", msg);
            status.condition(StatusDraft.SCALING_ACTIVE, false, "InvalidSelector", msg);
            return new Outcome(-1, "", null, msg);
        }
        String key = Keys.of(hpa);
        selectors.selects(key, selector);
        List<Pod> selected = pods.apply(ns, selector);
        TreeSet<String> controllers = selectors.controlling(ns, selected);
        if (controllers.size() > 1) {
            String msg = "pods by selector " + selectorText + " are controlled by multiple HPAs: [" + String.join(" ", controllers) + "]";
            events.warning(hpa, "AmbiguousSelector", msg);
            status.condition(StatusDraft.SCALING_ACTIVE, false, "AmbiguousSelector", msg);
            return new Outcome(-1, "", null, msg);
        }

        int specReplicas = target.replicas();
        List<MetricSpec> specs = hpa.getSpec().getMetrics() == null ? List.of() : hpa.getSpec().getMetrics();
        List<MetricStatus> statuses = new ArrayList<>();
        int replicas = 0;
        String metric = "";
        int invalid = 0;
        Failure first = null;
        for (MetricSpec spec : specs) {
            try {
                Proposal p = proposal(hpa, spec, specReplicas, selectorText, selected, now);
                statuses.add(p.status);
                if (replicas == 0 || p.replicas > replicas) {
                    replicas = p.replicas;
                    metric = p.metric;
                }
            } catch (Failure f) {
                statuses.add(new MetricStatusBuilder().withType("").build()); // upstream leaves the failed metric's entry empty
                if (first == null) {
                    first = f;
                }
                invalid++;
            }
        }
        String error = first == null ? null
                : "invalid metrics (" + invalid + " invalid out of " + specs.size() + "), first error is: " + first.getMessage();
        // Nothing to go on, or a failed metric might have asked for more than what would be a scale-down.
        if (first != null && (invalid >= specs.size() || replicas < specReplicas)) {
            status.condition(StatusDraft.SCALING_ACTIVE, false, first.reason, first.conditionMessage);
            return new Outcome(-1, "", statuses, error);
        }
        if (specs.isEmpty()) {
            return new Outcome(-1, "", null, "invalid metrics (0 invalid out of 0)");
        }
        status.condition(StatusDraft.SCALING_ACTIVE, true, "ValidMetricFound",
                "the HPA was able to successfully calculate a replica count from " + metric);
        return new Outcome(replicas, metric, statuses, error);
    }

    private Proposal proposal(HorizontalPodAutoscaler hpa, MetricSpec spec, int specReplicas, String selector, List<Pod> selected,
                              Instant now) throws Failure {
        String type = spec.getType() == null ? "" : spec.getType();
        String ns = hpa.getMetadata().getNamespace();
        switch (type) {
            case "Resource" -> {
                String name = spec.getResource().getName();
                try {
                    Resolved r = resource(specReplicas, spec.getResource().getTarget(), name, ns, null, selector, selected, now);
                    MetricStatus s = new MetricStatusBuilder().withType("Resource")
                            .withResource(new ResourceMetricStatusBuilder().withName(name).withCurrent(r.current).build()).build();
                    return new Proposal(r.replicas, r.metric, s);
                } catch (MetricException e) {
                    throw failure(hpa, "FailedGetResourceMetric", e.getMessage(), "failed to get " + name + " resource metric value: " + e.getMessage());
                }
            }
            case "ContainerResource" -> {
                var cr = spec.getContainerResource();
                try {
                    Resolved r = resource(specReplicas, cr.getTarget(), cr.getName(), ns, cr.getContainer(), selector, selected, now);
                    MetricStatus s = new MetricStatusBuilder().withType("ContainerResource").withContainerResource(
                            new ContainerResourceMetricStatusBuilder().withName(cr.getName()).withContainer(cr.getContainer())
                                    .withCurrent(r.current).build()).build();
                    return new Proposal(r.replicas, r.metric, s);
                } catch (MetricException e) {
                    throw failure(hpa, "FailedGetContainerResourceMetric", e.getMessage(),
                            "failed to get " + cr.getContainer() + " container metric value: " + e.getMessage());
                }
            }
            case "Pods" -> {
                String name = spec.getPods().getMetric().getName();
                String err = "unable to get metric " + name + ": unable to fetch metrics from custom metrics API: " + NO_CUSTOM_METRICS;
                throw failure(hpa, "FailedGetPodsMetric", err, "failed to get pods metric value: " + err);
            }
            case "Object" -> {
                var o = spec.getObject();
                MetricTarget t = o.getTarget();
                String name = o.getMetric().getName();
                String fetch = "unable to get metric " + name + ": unable to fetch metrics from custom metrics API: " + NO_CUSTOM_METRICS
                        + " on " + o.getDescribedObject().getKind() + " " + ns + "/" + o.getDescribedObject().getName();
                if (t != null && "Value".equals(t.getType()) && t.getValue() != null) {
                    throw failure(hpa, "FailedGetObjectMetric", fetch, "failed to get object metric value: " + fetch);
                }
                if (t != null && "AverageValue".equals(t.getType()) && t.getAverageValue() != null) {
                    throw failure(hpa, "FailedGetObjectMetric", fetch,
                            "failed to get object metric value: failed to get " + name + " object metric: " + fetch);
                }
                String err = "invalid object metric source: neither a value target nor an average value target was set";
                throw failure(hpa, "FailedGetObjectMetric", err, "failed to get object metric value: " + err);
            }
            case "External" -> {
                var e = spec.getExternal();
                String name = e.getMetric().getName();
                String sel = e.getMetric().getSelector() == null ? "nil" : "&" + Serialization.asJson(e.getMetric().getSelector());
                String fetch = "unable to get external metric " + ns + "/" + name + "/" + sel + ": unable to fetch metrics from external metrics API: "
                        + "the server could not find the requested resource (get " + name + ".external.metrics.k8s.io)";
                String outer = "failed to get " + name + " external metric value: ";
                if (e.getTarget() != null && e.getTarget().getAverageValue() != null) {
                    throw failure(hpa, "FailedGetExternalMetric", fetch, outer + "failed to get " + name + " external metric: " + fetch);
                }
                if (e.getTarget() != null && e.getTarget().getValue() != null) {
                    throw failure(hpa, "FailedGetExternalMetric", fetch, outer + "failed to get external metric " + name + ": " + fetch);
                }
                String err = "invalid external metric source: neither a value target nor an average value target was set";
                throw failure(hpa, "FailedGetExternalMetric", err, outer + err);
            }
            default -> {
                String err = "unknown metric source type \"" + type + "\"";
                throw failure(hpa, "InvalidMetricSourceType", err, err);
            }
        }
    }

    /** What upstream's custom metrics client says when no adapter serves custom.metrics.k8s.io. */
    static final String NO_CUSTOM_METRICS = "no custom metrics API (custom.metrics.k8s.io) registered";

    /** Records the metric's Warning event (reason, error) and returns the failure with the condition upstream sets. */
    private Failure failure(HorizontalPodAutoscaler hpa, String reason, String cause, String error) {
        events.warning(hpa, reason, cause);
        return new Failure(reason, "the HPA was unable to compute the replica count: " + cause, error);
    }

    private record Resolved(int replicas, String metric, MetricValueStatus current) {
    }

    /** A Resource or ContainerResource metric (upstream's computeStatusForResourceMetricGeneric). */
    private Resolved resource(int currentReplicas, MetricTarget target, String resource, String ns, String container, String selector,
                              List<Pod> selected, Instant now) throws MetricException {
        if (target != null && target.getAverageValue() != null) {
            long targetMilli = io.kuberaft.kubeapi.Quantity.parse(target.getAverageValue().toString()).milliValue();
            ReplicaCalculator.Proposal p;
            try {
                Map<String, PodMetric> samples = samples(ns, selector, resource, container);
                p = calculator.averageValueReplicas(currentReplicas, targetMilli, resource, selected, samples, now);
            } catch (MetricException e) {
                throw e.wrap("failed to get " + resource + " usage");
            }
            return new Resolved(p.replicas(), resource + " resource",
                    new MetricValueStatusBuilder().withAverageValue(milliQuantity(p.averageValue())).build());
        }
        if (target == null || target.getAverageUtilization() == null) {
            throw new MetricException("invalid resource metric source: neither an average utilization target nor an average value (usage) target was set");
        }
        ReplicaCalculator.Proposal p;
        try {
            Map<String, PodMetric> samples = samples(ns, selector, resource, container);
            p = calculator.utilizationReplicas(currentReplicas, target.getAverageUtilization(), resource, container, selected, samples, now);
        } catch (MetricException e) {
            throw e.wrap("failed to get " + resource + " utilization");
        }
        String metric = resource + (container == null ? " resource" : " container resource") + " utilization (percentage of request)";
        return new Resolved(p.replicas(), metric, new MetricValueStatusBuilder().withAverageUtilization(p.utilization())
                .withAverageValue(milliQuantity(p.averageValue())).build());
    }

    private Map<String, PodMetric> samples(String ns, String selector, String resource, String container) throws MetricException {
        try {
            return ResourceUsage.perPod(metrics.list(ns, selector), resource, container);
        } catch (PodMetricsSource.MetricsUnavailableException e) {
            throw new MetricException("unable to get metrics for resource " + resource + ": unable to fetch metrics from resource metrics API: "
                    + e.getMessage());
        } catch (MetricException e) {
            throw e.wrap("unable to get metrics for resource " + resource);
        }
    }

    /** Thousandths as a quantity in upstream's canonical form (250m, 1, 1500m, 2k). */
    static Quantity milliQuantity(long milli) {
        return new Quantity(io.kuberaft.kubeapi.Quantity.ofMilli(milli, io.kuberaft.kubeapi.Quantity.Format.DECIMAL_SI).toString());
    }
}
