package io.kuberaft.controllers.podautoscaler;

import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.autoscaling.v2.HorizontalPodAutoscaler;
import io.fabric8.kubernetes.api.model.autoscaling.v2.HorizontalPodAutoscalerBehavior;
import io.fabric8.kubernetes.api.model.autoscaling.v2.HorizontalPodAutoscalerBuilder;
import io.fabric8.kubernetes.api.model.autoscaling.v2.HorizontalPodAutoscalerSpec;
import io.fabric8.kubernetes.api.model.autoscaling.v2.MetricStatus;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import io.kuberaft.controllers.runtime.Controller;
import io.kuberaft.controllers.runtime.ControllerContext;
import io.kuberaft.controllers.runtime.Informers;
import io.kuberaft.controllers.runtime.Keys;
import io.kuberaft.controllers.runtime.WorkQueue;
import io.kuberaft.kubeapi.LabelSelector;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;

/**
 * The horizontal pod autoscaler (autoscaling/v2), as kube-controller-manager's: every sync period each HPA
 * reads its target's scale subresource, the pods of the scale's selector (from the informer) and their usage
 * (the resource metrics API), proposes a replica count per metric and takes the highest, stabilizes and
 * rate-limits it ({@link ScaleRecommendations}), clamps it to min/max, writes it through the scale
 * subresource when it changed, and reports it all in the HPA's status and events with upstream's reasons.
 *
 * <p>Upstream's timing: an HPA is synced one sync period after any change to it and then every period (a
 * change never makes it sync sooner), and a failed sync is retried at the next period, not with backoff.
 */
public final class HorizontalPodAutoscalerController implements Controller {
    private static final Logger LOG = LoggerFactory.getLogger(HorizontalPodAutoscalerController.class);
    private final Function<KubernetesClient, PodMetricsSource> metricsSource;
    private ControllerContext ctx;
    private WorkQueue queue;
    private SharedIndexInformer<HorizontalPodAutoscaler> hpas;
    private SharedIndexInformer<Pod> pods;
    private ScaleTargets scales;
    private ScaleRecommendations recommendations;
    private MetricReplicas metricReplicas;
    private final HpaSelectors selectors = new HpaSelectors();
    /** Keys with a sync already scheduled: a change then adds nothing (upstream's queue keeps the earliest add). */
    private final Set<String> scheduled = ConcurrentHashMap.newKeySet();

    /** Reads metrics from metrics.k8s.io through the controllers' client. */
    public HorizontalPodAutoscalerController() {
        this(ResourceMetricsApi::new);
    }

    /** Reads metrics from the source made from the term's client. */
    public HorizontalPodAutoscalerController(Function<KubernetesClient, PodMetricsSource> metricsSource) {
        this.metricsSource = metricsSource;
    }

    @Override
    public String name() {
        return "horizontal-pod-autoscaler";
    }

    /** Upstream's --concurrent-horizontal-pod-autoscaler-syncs default. */
    @Override
    public int workers() {
        return 5;
    }

    @Override
    public void register(ControllerContext ctx, WorkQueue queue) {
        this.ctx = ctx;
        this.queue = queue;
        var o = ctx.options();
        scales = new ScaleTargets(ctx.client());
        recommendations = new ScaleRecommendations(o.hpaDownscaleStabilization());
        ReplicaCalculator calculator = new ReplicaCalculator(o.hpaTolerance(), o.hpaCpuInitializationPeriod(), o.hpaInitialReadinessDelay());
        hpas = ctx.informers().of(HorizontalPodAutoscaler.class);
        pods = ctx.informers().of(Pod.class);
        metricReplicas = new MetricReplicas(metricsSource.apply(ctx.client()), calculator, this::podsOf, selectors, ctx.events());
        hpas.addEventHandler(new ResourceEventHandler<>() {
            @Override
            public void onAdd(HorizontalPodAutoscaler h) {
                selectors.known(Keys.of(h));
                schedule(Keys.of(h));
            }

            @Override
            public void onUpdate(HorizontalPodAutoscaler old, HorizontalPodAutoscaler h) {
                selectors.known(Keys.of(h));
                schedule(Keys.of(h));
            }

            @Override
            public void onDelete(HorizontalPodAutoscaler h, boolean unknown) {
                if (h != null) {
                    selectors.forget(Keys.of(h));
                    queue.add(Keys.of(h)); // the sync finds it gone and drops what was remembered for it
                }
            }
        });
    }

    private void schedule(String key) {
        if (scheduled.add(key)) {
            queue.addAfter(key, ctx.options().hpaSyncPeriod().toMillis());
        }
    }

    private List<Pod> podsOf(String namespace, LabelSelector selector) {
        List<Pod> out = new ArrayList<>();
        for (Pod p : pods.getIndexer().byIndex(Informers.namespaceIndex(), namespace)) {
            Map<String, String> labels = p.getMetadata().getLabels() == null ? Map.of() : p.getMetadata().getLabels();
            if (selector.matches(labels)) {
                out.add(p);
            }
        }
        return out;
    }

    @Override
    public void reconcile(String key) {
        scheduled.remove(key);
        HorizontalPodAutoscaler hpa = hpas.getStore().getByKey(key);
        if (hpa == null) {
            recommendations.forget(key);
            selectors.forget(key);
            return;
        }
        try {
            sync(key, hpa);
        } catch (KubernetesClientException e) {
            // retried at the next period, as upstream (a conflict means the cache was behind our own last write)
            LOG.info("horizontal pod autoscaler {}: {} {}", key, e.getCode(), e.getStatus() == null ? e.getMessage() : e.getStatus().getMessage());
        } catch (RuntimeException e) {
            LOG.warn("horizontal pod autoscaler {}: {}", key, e.toString(), e);
        } finally {
            schedule(key);
        }
    }

    /** Upstream's reconcileAutoscaler; {@code hpa} is the informer's copy and is never modified. */
    private void sync(String key, HorizontalPodAutoscaler hpa) {
        Instant now = ctx.clock().instant();
        HorizontalPodAutoscalerSpec spec = hpa.getSpec();
        StatusDraft status = new StatusDraft(hpa.getStatus(), now);

        ScaleTargets.Target target;
        try {
            target = scales.get(hpa.getMetadata().getNamespace(), spec.getScaleTargetRef());
        } catch (ScaleTargets.ScaleException e) {
            ctx.events().warning(hpa, "FailedGetScale", e.getMessage());
            status.condition(StatusDraft.ABLE_TO_SCALE, false, "FailedGetScale",
                    "the HPA controller was unable to get the target's current scale: " + e.getMessage());
            writeStatus(hpa, status);
            return;
        }
        status.condition(StatusDraft.ABLE_TO_SCALE, true, "SucceededGetScale", "the HPA controller was able to get the target's current scale");
        int current = target.replicas();
        recommendations.recordInitial(key, current, now);

        int min = spec.getMinReplicas() == null ? 1 : spec.getMinReplicas();
        int max = spec.getMaxReplicas() == null ? 0 : spec.getMaxReplicas();
        int desired = 0;
        String reason = "";
        boolean rescale = true;
        List<MetricStatus> metrics = null;
        HorizontalPodAutoscalerBehavior behavior = spec.getBehavior();
        ScalingRules up = behavior == null ? null : ScalingRules.scaleUp(behavior.getScaleUp());
        ScalingRules down = behavior == null ? null : ScalingRules.scaleDown(behavior.getScaleDown(), ctx.options().hpaDownscaleStabilization());

        if (current == 0 && min != 0) {
            // a target scaled to zero by hand is left alone until scaled up by hand
            rescale = false;
            status.condition(StatusDraft.SCALING_ACTIVE, false, "ScalingDisabled", "scaling is disabled since the replica count of the target is zero");
        } else if (current > max) {
            reason = "Current number of replicas above Spec.MaxReplicas";
            desired = max;
        } else if (current < min) {
            reason = "Current number of replicas below Spec.MinReplicas";
            desired = min;
        } else {
            MetricReplicas.Outcome outcome = metricReplicas.compute(hpa, target, status, now);
            if (outcome.replicas() == -1) {
                status.countsAfterFailure(current, outcome.statuses());
                writeStatus(hpa, status);
                ctx.events().warning(hpa, "FailedComputeMetricsReplicas", outcome.error());
                return;
            }
            if (outcome.error() != null) {
                LOG.info("horizontal pod autoscaler {}: scaling on the metrics that worked: {}", key, outcome.error());
            }
            metrics = outcome.statuses();
            desired = outcome.replicas();
            if (desired > current) {
                reason = outcome.metric() + " above target";
            } else if (desired < current) {
                reason = "All metrics below target";
            }
            ScaleRecommendations.Normalized n = behavior == null
                    ? recommendations.normalize(key, current, desired, min, max, now)
                    : recommendations.normalize(key, up, down, current, desired, min, max, now);
            status.condition(StatusDraft.ABLE_TO_SCALE, true, n.ableReason(), n.ableMessage());
            status.condition(StatusDraft.SCALING_LIMITED, n.limited(), n.limitedReason(), n.limitedMessage());
            desired = n.replicas();
            rescale = desired != current;
        }

        if (rescale) {
            try {
                scales.update(target, desired);
            } catch (ScaleTargets.ScaleException e) {
                ctx.events().warning(hpa, "FailedRescale", "New size: " + desired + "; reason: " + reason + "; error: " + e.getMessage());
                status.condition(StatusDraft.ABLE_TO_SCALE, false, "FailedUpdateScale",
                        "the HPA controller was unable to update the target scale: " + e.getMessage());
                status.countsAfterFailure(current, metrics);
                writeStatus(hpa, status);
                return;
            }
            status.condition(StatusDraft.ABLE_TO_SCALE, true, "SucceededRescale", "the HPA controller was able to update the target scale to " + desired);
            ctx.events().normal(hpa, "SuccessfulRescale", "New size: " + desired + "; reason: " + reason);
            if (behavior != null) {
                recommendations.recordScale(key, up, down, current, desired, now);
            }
            LOG.info("horizontal pod autoscaler {}: rescaled {} from {} to {} ({})", key, spec.getScaleTargetRef().getName(), current, desired, reason);
        } else {
            desired = current;
        }
        status.counts(current, desired, metrics, rescale);
        writeStatus(hpa, status);
    }

    /** Writes the status through the status subresource, only when it changed (so a steady HPA costs no write per period). */
    private void writeStatus(HorizontalPodAutoscaler hpa, StatusDraft status) {
        if (!status.changed()) {
            return;
        }
        HorizontalPodAutoscaler next = new HorizontalPodAutoscalerBuilder(hpa).withStatus(status.build()).build();
        try {
            ctx.client().resources(HorizontalPodAutoscaler.class).inNamespace(hpa.getMetadata().getNamespace()).resource(next).updateStatus();
        } catch (KubernetesClientException e) {
            ctx.events().warning(hpa, "FailedUpdateStatus", e.getStatus() != null && e.getStatus().getMessage() != null
                    ? e.getStatus().getMessage() : e.getMessage());
            throw e;
        }
    }
}
