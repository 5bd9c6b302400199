package io.kuberaft.controllers.podautoscaler;

import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.Quantity;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ReplicaCalculatorTest {
    static final Instant NOW = Instant.parse("2025-06-01T12:00:00Z");
    /** The upstream defaults: tolerance 0.1, cpu initialization 5 min, initial readiness delay 30 s. */
    final ReplicaCalculator calc = new ReplicaCalculator(0.1, Duration.ofMinutes(5), Duration.ofSeconds(30));

    /** A running pod started 10 min ago, Ready since 9 min ago, requesting {@code cpuMilli} in one container. */
    static PodBuilder pod(String name, long cpuMilli) {
        return new PodBuilder().withNewMetadata().withName(name).withNamespace("default").endMetadata()
                .withNewSpec().addNewContainer().withName("app").withNewResources()
                .addToRequests("cpu", new Quantity(cpuMilli + "m")).addToRequests("memory", new Quantity("100Mi")).endResources()
                .endContainer().endSpec()
                .withNewStatus().withPhase("Running").withStartTime(NOW.minus(Duration.ofMinutes(10)).toString())
                .addNewCondition().withType("Ready").withStatus("True").withLastTransitionTime(NOW.minus(Duration.ofMinutes(9)).toString())
                .endCondition().endStatus();
    }

    static List<Pod> pods(long request, int n) {
        List<Pod> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            out.add(pod("p" + i, request).build());
        }
        return out;
    }

    /** Samples taken now over a 30 s window, in the order of the pods p0, p1, ...; null: no sample for that pod. */
    static Map<String, PodMetric> usage(Long... milli) {
        Map<String, PodMetric> m = new HashMap<>();
        for (int i = 0; i < milli.length; i++) {
            if (milli[i] != null) {
                m.put("p" + i, new PodMetric(milli[i], NOW, Duration.ofSeconds(30)));
            }
        }
        return m;
    }

    ReplicaCalculator.Proposal cpu(int current, int target, List<Pod> pods, Map<String, PodMetric> usage) throws MetricException {
        return calc.utilizationReplicas(current, target, "cpu", null, pods, usage, NOW);
    }

    @Test
    void scaleUpIsTheUtilizationRatioTimesTheReadyPodsRoundedUp() throws Exception {
        // 1500m used of 3000m requested = 50 % against a 30 % target: ratio 1.67, ceil(1.67 × 3) = 5
        var p = cpu(3, 30, pods(1000, 3), usage(300L, 500L, 700L));
        assertThat(p.replicas()).isEqualTo(5);
        assertThat(p.utilization()).isEqualTo(50);
        assertThat(p.averageValue()).isEqualTo(500);
    }

    @Test
    void scaleDownUsesTheWholePercentage() throws Exception {
        // 1400m of 5000m = 28 % (integer percent) against 50 %: ratio 0.56, ceil(0.56 × 5) = 3
        var p = cpu(5, 50, pods(1000, 5), usage(100L, 300L, 500L, 250L, 250L));
        assertThat(p.replicas()).isEqualTo(3);
        assertThat(p.utilization()).isEqualTo(28);
    }

    @Test
    void withinTheToleranceNothingChanges() throws Exception {
        // 109 % and 91 % of the target are within 10 %: the current count, whatever the arithmetic would say
        assertThat(cpu(3, 100, pods(1000, 3), usage(1090L, 1090L, 1090L)).replicas()).isEqualTo(3);
        assertThat(cpu(3, 100, pods(1000, 3), usage(910L, 910L, 910L)).replicas()).isEqualTo(3);
        // just outside: 112 % → ceil(1.12 × 3) = 4; 88 % → ceil(0.88 × 3) = 3 (rounding up keeps it)
        assertThat(cpu(3, 100, pods(1000, 3), usage(1120L, 1120L, 1120L)).replicas()).isEqualTo(4);
        assertThat(cpu(10, 100, pods(1000, 10), usage(880L, 880L, 880L, 880L, 880L, 880L, 880L, 880L, 880L, 880L)).replicas())
                .isEqualTo(9);
        var tight = new ReplicaCalculator(0.0, Duration.ofMinutes(5), Duration.ofSeconds(30));
        assertThat(tight.utilizationReplicas(3, 100, "cpu", null, pods(1000, 3), usage(1090L, 1090L, 1090L), NOW).replicas()).isEqualTo(4);
    }

    @Test
    void aPodWithoutASampleCountsAsItsFullRequestOnAScaleDown() throws Exception {
        // ready pods at 10 %: alone they would give ceil(0.2 × 3) = 1; the missing pod at 100 % of its
        // request makes it 1300m of 4000m = 32 %, ratio 0.64, ceil(0.64 × 4) = 3
        var p = cpu(4, 50, pods(1000, 4), usage(100L, 100L, 100L, null));
        assertThat(p.replicas()).isEqualTo(3);
        assertThat(p.utilization()).as("the status reports the measured pods").isEqualTo(10);
    }

    @Test
    void aPodWithoutASampleCountsAsZeroOnAScaleUp() throws Exception {
        // 90 % on the measured pods; the missing one at 0: 2700m of 4000m = 67 %, ratio 1.34, ceil(1.34 × 4) = 6
        assertThat(cpu(4, 50, pods(1000, 4), usage(900L, 900L, 900L, null)).replicas()).isEqualTo(6);
    }

    @Test
    void noChangeWhenTheGuessForMissingPodsFlipsTheDirection() throws Exception {
        // 60 % of a 50 % target asks for more, but with the missing pod at 0 it is 30 %: a scale-down. Keep 2.
        assertThat(cpu(2, 50, pods(1000, 2), usage(600L, null)).replicas()).isEqualTo(2);
        // and the other way: 40 % asks for less, the missing pod at 100 % makes it 70 %: keep 2
        assertThat(cpu(2, 50, pods(1000, 2), usage(400L, null)).replicas()).isEqualTo(2);
    }

    @Test
    void unreadyPodsAreLeftOutOfACpuScaleUpAndCountAsZero() throws Exception {
        List<Pod> pods = pods(1000, 2);
        // a third pod started a minute ago and not ready yet, burning cpu while it starts
        pods.add(pod("p2", 1000).editStatus().withStartTime(NOW.minusSeconds(60).toString()).editFirstCondition().withStatus("False")
                .withLastTransitionTime(NOW.minusSeconds(60).toString()).endCondition().endStatus().build());
        // counted, 3800m of 3000m would ask for ceil(2.52 × 3) = 8; set aside it is 90 % on the ready ones,
        // then 1800m of 3000m with the unready one at 0: ratio 1.2, ceil(1.2 × 3) = 4
        assertThat(cpu(3, 50, pods, usage(900L, 900L, 2000L)).replicas()).isEqualTo(4);
        // on a scale-down it is simply left out: 10 % on the two ready pods, ceil(0.2 × 2) = 1
        assertThat(cpu(3, 50, pods, usage(100L, 100L, 2000L)).replicas()).isEqualTo(1);
    }

    @Test
    void cpuInitializationPeriodAndInitialReadinessDelay() throws Exception {
        // within its first 5 min a Ready pod counts only if sampled a full window after it turned ready
        Pod young = pod("p1", 1000).editStatus().withStartTime(NOW.minusSeconds(60).toString()).editFirstCondition()
                .withLastTransitionTime(NOW.minusSeconds(10).toString()).endCondition().endStatus().build();
        List<Pod> pods = List.of(pod("p0", 1000).build(), young);
        // p1's sample (30 s window ending now) began before it turned ready 10 s ago: set aside, 90 % → ceil(1.8 × 1) = 2,
        // then the unready pod at 0 gives 45 %, which flips the direction: no change
        assertThat(cpu(2, 50, pods, usage(900L, 900L)).replicas()).isEqualTo(2);
        Pod settled = pod("p1", 1000).editStatus().withStartTime(NOW.minusSeconds(60).toString()).editFirstCondition()
                .withLastTransitionTime(NOW.minusSeconds(40).toString()).endCondition().endStatus().build();
        assertThat(cpu(2, 50, List.of(pod("p0", 1000).build(), settled), usage(900L, 900L)).replicas()).isEqualTo(4);

        // after 5 min an unready pod counts, unless it turned unready within 30 s of its start (it never was ready)
        Pod neverReady = pod("p1", 1000).editStatus().editFirstCondition().withStatus("False")
                .withLastTransitionTime(NOW.minus(Duration.ofMinutes(10)).plusSeconds(5).toString()).endCondition().endStatus().build();
        assertThat(cpu(2, 50, List.of(pod("p0", 1000).build(), neverReady), usage(900L, 900L)).replicas()).isEqualTo(2);
        Pod wasReady = pod("p1", 1000).editStatus().editFirstCondition().withStatus("False")
                .withLastTransitionTime(NOW.minusSeconds(60).toString()).endCondition().endStatus().build();
        assertThat(cpu(2, 50, List.of(pod("p0", 1000).build(), wasReady), usage(900L, 900L)).replicas()).isEqualTo(4);

        // memory has no such rule: the same never-ready pod counts
        assertThat(calc.utilizationReplicas(2, 50, "memory", null, List.of(pod("p0", 1000).build(), neverReady),
                usage(100L * 1024 * 1024 * 1000 * 9 / 10, 100L * 1024 * 1024 * 1000 * 9 / 10), NOW).replicas()).isEqualTo(4);
    }

    @Test
    void deletedAndFailedPodsAreIgnoredPendingOnesAreUnready() throws Exception {
        List<Pod> pods = new ArrayList<>(pods(1000, 2));
        pods.add(pod("p2", 1000).editMetadata().withDeletionTimestamp(NOW.toString()).endMetadata().build());
        pods.add(pod("p3", 1000).editStatus().withPhase("Failed").endStatus().build());
        pods.add(pod("p4", 1000).editStatus().withPhase("Pending").endStatus().build());
        // only p0 and p1 count: 60 % against 50 % = 1.2 → ceil(1.2 × 2) = 3 ... with the pending pod at 0 on the
        // scale-up: 1200m of 3000m = 40 %, the direction flips: no change from 5
        assertThat(cpu(5, 50, pods, usage(600L, 600L, 5000L, 5000L, 5000L)).replicas()).isEqualTo(5);
        // without the pending one: ceil(1.2 × 2) = 3, the deleted and failed pods' samples play no part
        assertThat(cpu(5, 50, pods.subList(0, 4), usage(600L, 600L, 5000L, 5000L)).replicas()).isEqualTo(3);
    }

    @Test
    void errorsAsUpstreamWordsThem() {
        Pod noRequest = new PodBuilder(pod("web-1", 100).build()).editSpec().editFirstContainer().withName("sidecar")
                .editResources().withRequests(Map.of("memory", new Quantity("1Mi"))).endResources().endContainer().endSpec().build();
        assertThatThrownBy(() -> cpu(1, 50, List.of(noRequest), Map.of("web-1", PodMetric.of(10))))
                .hasMessage("missing request for cpu in container sidecar of Pod web-1");
        assertThatThrownBy(() -> cpu(1, 50, List.of(), usage(1L))).hasMessage("no pods returned by selector while calculating replica count");
        assertThatThrownBy(() -> cpu(1, 50, pods(100, 1), usage((Long) null)))
                .hasMessage("did not receive metrics for any ready pods");
        assertThatThrownBy(() -> cpu(1, 50, pods(0, 1), usage(5L))).hasMessage("no metrics returned matched known pods");
    }

    @Test
    void containerResourceCountsOnlyThatContainer() throws Exception {
        Pod twoContainers = pod("p0", 200).editSpec().addNewContainer().withName("sidecar").endContainer().endSpec().build();
        // the sidecar has no request, but only container "app" is measured: 300m of 200m = 150 % → ceil(3 × 1) = 3
        assertThat(calc.utilizationReplicas(1, 50, "cpu", "app", List.of(twoContainers), usage(300L), NOW).replicas()).isEqualTo(3);
        assertThatThrownBy(() -> calc.utilizationReplicas(1, 50, "cpu", null, List.of(twoContainers), usage(300L), NOW))
                .hasMessage("missing request for cpu in container sidecar of Pod p0");
    }

    @Test
    void averageValueTargets() throws Exception {
        // 500m per pod against 250m: ratio 2 → 6
        var p = calc.averageValueReplicas(3, 250, "cpu", pods(1000, 3), usage(300L, 500L, 700L), NOW);
        assertThat(p.replicas()).isEqualTo(6);
        assertThat(p.averageValue()).isEqualTo(500);
        // within the tolerance
        assertThat(calc.averageValueReplicas(3, 480, "cpu", pods(1000, 3), usage(300L, 500L, 700L), NOW).replicas()).isEqualTo(3);
        // a missing pod on a scale-down counts as the target: (100 + 100 + 250) / 3 = 150 → ratio 0.6, ceil(0.6 × 3) = 2
        assertThat(calc.averageValueReplicas(3, 250, "cpu", pods(1000, 3), usage(100L, 100L, null), NOW).replicas()).isEqualTo(2);
    }
}
