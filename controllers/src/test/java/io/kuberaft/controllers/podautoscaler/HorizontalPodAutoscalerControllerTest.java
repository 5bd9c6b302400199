package io.kuberaft.controllers.podautoscaler;

import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.DeploymentBuilder;
import io.fabric8.kubernetes.api.model.autoscaling.v2.HorizontalPodAutoscaler;
import io.fabric8.kubernetes.api.model.autoscaling.v2.HorizontalPodAutoscalerBuilder;
import io.fabric8.kubernetes.api.model.autoscaling.v2.HorizontalPodAutoscalerCondition;
import io.fabric8.kubernetes.api.model.autoscaling.v2.HorizontalPodAutoscalerStatus;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.Watch;
import io.fabric8.kubernetes.client.Watcher;
import io.fabric8.kubernetes.client.WatcherException;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import io.kuberaft.controllers.ApiFixture;
import io.kuberaft.controllers.ControllerOptions;
import io.kuberaft.controllers.OffsetClock;
import io.kuberaft.controllers.deployment.DeploymentController;
import io.kuberaft.controllers.replicaset.ReplicaSetController;
import io.kuberaft.controllers.runtime.Controller;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Supplier;

import static io.kuberaft.controllers.ApiFixture.await;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The autoscaler against the real API server and the real Deployment and ReplicaSet controllers, with the
 * test playing the kubelet (pods become Running and Ready, started long enough ago to be past the cpu
 * initialization period) and, where said, {@link SharedCpuLoad} playing the metrics API.
 */
class HorizontalPodAutoscalerControllerTest {
    static final Duration WAIT = Duration.ofSeconds(30);
    @TempDir
    Path tmp;
    ApiFixture api;
    KubernetesClient k;
    Thread kubelet;

    private void start(ControllerOptions options, OffsetClock clock, Supplier<Controller> hpa) {
        api = new ApiFixture(tmp, options, clock, List.of(ReplicaSetController::replicaSets, DeploymentController::new, hpa));
        k = api.client();
        kubelet = new Thread(() -> {
            String started = Instant.now().minus(Duration.ofMinutes(10)).truncatedTo(ChronoUnit.SECONDS).toString();
            while (!Thread.currentThread().isInterrupted()) {
                try {
                    for (Pod p : k.pods().inNamespace("default").list().getItems()) {
                        if (p.getMetadata().getDeletionTimestamp() == null && (p.getStatus() == null || !"Running".equals(p.getStatus().getPhase()))) {
                            k.pods().inNamespace("default").withName(p.getMetadata().getName()).subresource("status")
                                    .patch(PatchContext.of(PatchType.JSON_MERGE), "{\"status\":{\"phase\":\"Running\",\"startTime\":\"" + started
                                            + "\",\"conditions\":[{\"type\":\"Ready\",\"status\":\"True\",\"lastTransitionTime\":\"" + started + "\"}]}}");
                        }
                    }
                    Thread.sleep(100);
                } catch (InterruptedException e) {
                    return;
                } catch (RuntimeException ignored) {
                    // a pod deleted meanwhile, or the server shutting down
                }
            }
        }, "test-kubelet");
        kubelet.setDaemon(true);
        kubelet.start();
    }

    @AfterEach
    void stop() throws InterruptedException {
        kubelet.interrupt();
        kubelet.join(2000);
        api.close();
    }

    private void deployment(String name, int replicas) {
        Deployment d = new DeploymentBuilder().withNewMetadata().withName(name).endMetadata()
                .withNewSpec().withReplicas(replicas).withNewSelector().withMatchLabels(Map.of("app", name)).endSelector()
                .withNewTemplate().withNewMetadata().withLabels(Map.of("app", name)).endMetadata()
                .withNewSpec().addNewContainer().withName("c").withImage("nginx").withNewResources()
                .addToRequests("cpu", new Quantity("100m")).endResources().endContainer().endSpec()
                .endTemplate().endSpec().build();
        k.apps().deployments().inNamespace("default").resource(d).create();
    }

    private void hpa(String name, String kind, String target, int min, int max) {
        HorizontalPodAutoscaler h = new HorizontalPodAutoscalerBuilder().withNewMetadata().withName(name).endMetadata().withNewSpec()
                .withNewScaleTargetRef().withApiVersion("apps/v1").withKind(kind).withName(target).endScaleTargetRef()
                .withMinReplicas(min).withMaxReplicas(max)
                .addNewMetric().withType("Resource").withNewResource().withName("cpu").withNewTarget().withType("Utilization")
                .withAverageUtilization(50).endTarget().endResource().endMetric()
                .endSpec().build();
        k.autoscaling().v2().horizontalPodAutoscalers().inNamespace("default").resource(h).create();
    }

    private HorizontalPodAutoscalerStatus status(String name) {
        HorizontalPodAutoscalerStatus s = k.autoscaling().v2().horizontalPodAutoscalers().inNamespace("default").withName(name).get().getStatus();
        return s == null ? new HorizontalPodAutoscalerStatus() : s;
    }

    private static HorizontalPodAutoscalerCondition condition(HorizontalPodAutoscalerStatus s, String type) {
        return s.getConditions() == null ? null : s.getConditions().stream().filter(c -> type.equals(c.getType())).findFirst().orElse(null);
    }

    private boolean hasCondition(String hpa, String type, String status, String reason) {
        HorizontalPodAutoscalerCondition c = condition(status(hpa), type);
        return c != null && status.equals(c.getStatus()) && reason.equals(c.getReason());
    }

    private int replicas(String deployment) {
        return k.apps().deployments().inNamespace("default").withName(deployment).get().getSpec().getReplicas();
    }

    private List<Event> events(String hpa, String reason) {
        return k.v1().events().inNamespace("default").list().getItems().stream()
                .filter(e -> hpa.equals(e.getInvolvedObject().getName()) && "HorizontalPodAutoscaler".equals(e.getInvolvedObject().getKind())
                        && reason.equals(e.getReason()))
                .toList();
    }

    private static Integer utilization(HorizontalPodAutoscalerStatus s) {
        return s.getCurrentMetrics() == null || s.getCurrentMetrics().isEmpty() || s.getCurrentMetrics().get(0).getResource() == null ? null
                : s.getCurrentMetrics().get(0).getResource().getCurrent().getAverageUtilization();
    }

    @Test
    void scalesUpHoldsWithinToleranceStabilizesTheScaleDownAndClampsToMax() throws Exception {
        OffsetClock clock = new OffsetClock();
        SharedCpuLoad load = new SharedCpuLoad();
        start(ControllerOptions.defaults().toBuilder().hpaSyncPeriod(Duration.ofMillis(500)).build(), clock,
                () -> new HorizontalPodAutoscalerController(load::through));
        List<HorizontalPodAutoscalerStatus> seen = new CopyOnWriteArrayList<>();
        Watch watch = k.autoscaling().v2().horizontalPodAutoscalers().inNamespace("default").withName("web").watch(new Watcher<>() {
            @Override
            public void eventReceived(Action action, HorizontalPodAutoscaler h) {
                if (h.getStatus() != null) {
                    seen.add(h.getStatus());
                }
            }

            @Override
            public void onClose(WatcherException cause) {
            }
        });
        try {
            // 200m shared by 2 pods requesting 100m: 100 % against a 50 % target, ratio 2 → 4 pods
            load.set(200);
            deployment("web", 2);
            // both pods Running before the HPA looks: with one, its metric alone reads 200 % (the other counts as 0 % for the
            // scale-up, so the size is the same, but the status would report 200)
            await(WAIT, "2 pods running", () -> k.pods().inNamespace("default").withLabel("app", "web").list().getItems().stream()
                    .filter(p -> p.getStatus() != null && "Running".equals(p.getStatus().getPhase())).count() == 2);
            hpa("web", "Deployment", "web", 2, 5);
            await(WAIT, "scaled to 4", () -> replicas("web") == 4);
            await(WAIT, "the rescale's event", () -> !events("web", "SuccessfulRescale").isEmpty());
            assertThat(events("web", "SuccessfulRescale")).singleElement().extracting(Event::getMessage)
                    .isEqualTo("New size: 4; reason: cpu resource utilization (percentage of request) above target");
            await(WAIT, "the status of the rescale", () -> seen.stream().anyMatch(s -> Integer.valueOf(4).equals(s.getDesiredReplicas())));
            HorizontalPodAutoscalerStatus rescaled = seen.stream().filter(s -> Integer.valueOf(4).equals(s.getDesiredReplicas())).findFirst().orElseThrow();
            assertThat(rescaled.getCurrentReplicas()).isEqualTo(2);
            assertThat(rescaled.getLastScaleTime()).isNotNull();
            assertThat(rescaled.getObservedGeneration()).as("kube-controller-manager 1.32 does not set it").isNull();
            assertThat(utilization(rescaled)).isEqualTo(100);
            assertThat(rescaled.getCurrentMetrics().get(0).getResource().getCurrent().getAverageValue()).isEqualTo(new Quantity("100m"));
            assertThat(rescaled.getConditions()).extracting(HorizontalPodAutoscalerCondition::getType, HorizontalPodAutoscalerCondition::getStatus,
                    HorizontalPodAutoscalerCondition::getReason, HorizontalPodAutoscalerCondition::getMessage).containsExactly(
                    org.assertj.core.groups.Tuple.tuple("AbleToScale", "True", "SucceededRescale", "the HPA controller was able to update the target scale to 4"),
                    org.assertj.core.groups.Tuple.tuple("ScalingActive", "True", "ValidMetricFound",
                            "the HPA was able to successfully calculate a replica count from cpu resource utilization (percentage of request)"),
                    org.assertj.core.groups.Tuple.tuple("ScalingLimited", "False", "DesiredWithinRange", "the desired count is within the acceptable range"));

            // the load spread over 4 pods is 50 %: settled, nothing more to do
            await(WAIT, "settled at 4 and 50 %", () -> Integer.valueOf(4).equals(status("web").getCurrentReplicas())
                    && Integer.valueOf(50).equals(utilization(status("web"))) && hasCondition("web", "AbleToScale", "True", "ReadyForNewScale"));
            assertThat(condition(status("web"), "AbleToScale").getMessage()).isEqualTo("recommended size matches current size");
            assertThat(replicas("web")).isEqualTo(4);

            // 54 % is within the 10 % tolerance of 50 %: the status shows it, the size stays
            load.set(216);
            await(WAIT, "54 % observed", () -> Integer.valueOf(54).equals(utilization(status("web"))));
            int calls = load.calls();
            await(WAIT, "three more syncs", () -> load.calls() >= calls + 3);
            assertThat(replicas("web")).isEqualTo(4);
            assertThat(events("web", "SuccessfulRescale")).hasSize(1);
            String steadyVersion = k.autoscaling().v2().horizontalPodAutoscalers().inNamespace("default").withName("web").get()
                    .getMetadata().getResourceVersion();
            int calls2 = load.calls();
            await(WAIT, "three more syncs", () -> load.calls() >= calls2 + 3);
            assertThat(k.autoscaling().v2().horizontalPodAutoscalers().inNamespace("default").withName("web").get().getMetadata()
                    .getResourceVersion()).as("an unchanged status is not rewritten").isEqualTo(steadyVersion);

            // 10 % asks for 1 pod; the recommendations of the last 5 minutes (4) hold the scale-down
            load.set(40);
            await(WAIT, "scale-down stabilized", () -> hasCondition("web", "AbleToScale", "True", "ScaleDownStabilized"));
            assertThat(condition(status("web"), "AbleToScale").getMessage())
                    .isEqualTo("recent recommendations were higher than current one, applying the highest recent recommendation");
            int calls3 = load.calls();
            await(WAIT, "three more syncs", () -> load.calls() >= calls3 + 3);
            assertThat(replicas("web")).isEqualTo(4);

            // once the window has passed: down, but not below minReplicas 2
            clock.advance(Duration.ofMinutes(5).plusSeconds(1));
            await(WAIT, "scaled down to 2", () -> replicas("web") == 2);
            await(WAIT, "limited by minReplicas", () -> hasCondition("web", "ScalingLimited", "True", "TooFewReplicas"));
            assertThat(condition(status("web"), "ScalingLimited").getMessage()).isEqualTo("the desired replica count is less than the minimum replica count");
            await(WAIT, "the scale-down's event", () -> events("web", "SuccessfulRescale").stream()
                    .anyMatch(e -> e.getMessage().equals("New size: 2; reason: All metrics below target")));

            // a load of 500 % asks for 20 pods: at most double per sync without behavior, and never above maxReplicas 5
            load.set(1000);
            await(WAIT, "scaled to max 5", () -> replicas("web") == 5);
            await(WAIT, "limited by maxReplicas", () -> hasCondition("web", "ScalingLimited", "True", "TooManyReplicas")
                    && Integer.valueOf(5).equals(status("web").getDesiredReplicas()));
            assertThat(condition(status("web"), "ScalingLimited").getMessage()).isEqualTo("the desired replica count is more than the maximum replica count");
            await(WAIT, "the scale-up events", () -> events("web", "SuccessfulRescale").stream()
                    .anyMatch(e -> e.getMessage().equals("New size: 5; reason: cpu resource utilization (percentage of request) above target")));
            // 2 → 4 (the limit of a sync without behavior) → 5, counted by the recorder's aggregation of the identical 4
            assertThat(events("web", "SuccessfulRescale")).filteredOn(e -> e.getMessage().startsWith("New size: 4;"))
                    .singleElement().extracting(Event::getCount).isEqualTo(2);
            int calls4 = load.calls();
            await(WAIT, "three more syncs", () -> load.calls() >= calls4 + 3);
            assertThat(replicas("web")).isEqualTo(5);
        } finally {
            watch.close();
        }
    }

    @Test
    void withoutMetricsForItsPodsScalingIsInactiveAndNothingScales() {
        // the API server serves metrics.k8s.io, but no node agent runs these pods: the list is empty, as upstream's
        // metrics-server answers for pods it has no samples of
        start(ControllerOptions.defaults().toBuilder().hpaSyncPeriod(Duration.ofMillis(300)).build(), new OffsetClock(),
                HorizontalPodAutoscalerController::new);
        deployment("api", 3);
        hpa("api", "Deployment", "api", 1, 10);
        await(WAIT, "ScalingActive False", () -> hasCondition("api", "ScalingActive", "False", "FailedGetResourceMetric"));
        HorizontalPodAutoscalerStatus s = status("api");
        String cause = "failed to get cpu utilization: unable to get metrics for resource cpu: no metrics returned from resource metrics API";
        assertThat(condition(s, "ScalingActive").getMessage()).startsWith("the HPA was unable to compute the replica count: " + cause);
        assertThat(condition(s, "AbleToScale").getReason()).isEqualTo("SucceededGetScale");
        assertThat(condition(s, "ScalingLimited")).isNull();
        assertThat(s.getCurrentReplicas()).isEqualTo(3);
        assertThat(s.getDesiredReplicas()).isEqualTo(0);
        assertThat(s.getLastScaleTime()).isNull();
        // as upstream: the failed metric's entry is left empty (kubectl shows <unknown>)
        assertThat(s.getCurrentMetrics()).singleElement().satisfies(m -> {
            assertThat(m.getType()).isEmpty();
            assertThat(m.getResource()).isNull();
        });
        await(WAIT, "the events", () -> !events("api", "FailedGetResourceMetric").isEmpty() && !events("api", "FailedComputeMetricsReplicas").isEmpty());
        assertThat(events("api", "FailedGetResourceMetric").get(0).getMessage()).startsWith(cause);
        assertThat(events("api", "FailedGetResourceMetric").get(0).getType()).isEqualTo("Warning");
        assertThat(events("api", "FailedComputeMetricsReplicas").get(0).getMessage())
                .startsWith("invalid metrics (1 invalid out of 1), first error is: failed to get cpu resource metric value: " + cause);
        assertThat(replicas("api")).isEqualTo(3);
        assertThat(events("api", "SuccessfulRescale")).isEmpty();

        // a second HPA over the same pods: neither acts
        hpa("api-twin", "Deployment", "api", 1, 10);
        String ambiguous = "pods by selector app=api are controlled by multiple HPAs: [default/api default/api-twin]";
        await(WAIT, "AmbiguousSelector", () -> hasCondition("api-twin", "ScalingActive", "False", "AmbiguousSelector")
                && hasCondition("api", "ScalingActive", "False", "AmbiguousSelector"));
        assertThat(condition(status("api-twin"), "ScalingActive").getMessage()).isEqualTo(ambiguous);
        await(WAIT, "its event", () -> events("api-twin", "AmbiguousSelector").stream().anyMatch(e -> e.getMessage().equals(ambiguous)));
        k.autoscaling().v2().horizontalPodAutoscalers().inNamespace("default").withName("api-twin").delete();
        await(WAIT, "unambiguous again", () -> hasCondition("api", "ScalingActive", "False", "FailedGetResourceMetric"));

        // a target scaled to zero by hand: scaling disabled
        deployment("idle", 0);
        hpa("idle", "Deployment", "idle", 1, 10);
        await(WAIT, "ScalingDisabled", () -> hasCondition("idle", "ScalingActive", "False", "ScalingDisabled"));
        assertThat(condition(status("idle"), "ScalingActive").getMessage()).isEqualTo("scaling is disabled since the replica count of the target is zero");
        assertThat(replicas("idle")).isZero();

        // a target that does not exist
        hpa("ghost", "Deployment", "nope", 1, 10);
        await(WAIT, "FailedGetScale", () -> hasCondition("ghost", "AbleToScale", "False", "FailedGetScale"));
        assertThat(condition(status("ghost"), "AbleToScale").getMessage())
                .isEqualTo("the HPA controller was unable to get the target's current scale: deployments.apps \"nope\" not found");
        hpa("alien", "Gizmo", "g", 1, 10);
        await(WAIT, "no mapping", () -> hasCondition("alien", "AbleToScale", "False", "FailedGetScale"));
        assertThat(condition(status("alien"), "AbleToScale").getMessage())
                .isEqualTo("the HPA controller was unable to get the target's current scale: no matches for kind \"Gizmo\" in group \"apps\"");
    }
}
