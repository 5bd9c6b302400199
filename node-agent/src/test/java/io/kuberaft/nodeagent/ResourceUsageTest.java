package io.kuberaft.nodeagent;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.kuberaft.nodeagent.runtime.ContainerUsage;
import io.kuberaft.nodeagent.runtime.PodContext;
import io.kuberaft.nodeagent.runtime.RuntimeContainer;
import io.kuberaft.nodeagent.runtime.SimulatedRuntime;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/**
 * The simulated runtime's usage (annotations read from the pod as it is at each sample) and the CPU rates made of it,
 * on a clock the test moves: exact numbers.
 */
class ResourceUsageTest {
    private static final Instant T0 = Instant.parse("2026-11-23T10:00:00Z");
    private final ManualClock clock = new ManualClock(T0);
    private final SimulatedRuntime runtime = new SimulatedRuntime(clock, Duration.ofSeconds(30));
    private final CpuRates rates = new CpuRates();

    private static Pod pod(String restartPolicy, Map<String, String> annotations, String... containers) {
        PodBuilder b = new PodBuilder().withNewMetadata().withName("p").withNamespace("default").withUid("uid-1")
                .withAnnotations(annotations).endMetadata().withNewSpec().withRestartPolicy(restartPolicy).endSpec();
        for (String c : containers) {
            b.editSpec().addNewContainer().withName(c).withImage("nginx").endContainer().endSpec();
        }
        return b.build();
    }

    private RuntimeContainer start(Pod pod, String container) throws Exception {
        Container c = pod.getSpec().getContainers().stream().filter(x -> x.getName().equals(container)).findFirst().orElseThrow();
        return runtime.start(new PodContext(pod, "10.0.0.2", "127.0.0.1", "n1", Map.of(), Map.of(), Map.of(), Map.of(), Map.of(), Map.of()), c, 0);
    }

    private static Pod annotated(Pod pod, String key, String value) {
        Map<String, String> a = new HashMap<>(pod.getMetadata().getAnnotations());
        a.put(SimulatedRuntime.PREFIX + key, value);
        return new PodBuilder(pod).editMetadata().withAnnotations(a).endMetadata().build();
    }

    /** usageNanoCores as millicores, sampled now. */
    private double milli(RuntimeContainer c, Pod pod) {
        ContainerUsage u = runtime.usage(c, pod).orElseThrow();
        return rates.record(c.containerId(), c.startedAt(), u).nanoCores() / 1e6;
    }

    @Test
    void anIdleContainerUsesOneMillicoreAndFourMebibytes() throws Exception {
        Pod pod = pod("Always", Map.of(), "app");
        RuntimeContainer c = start(pod, "app");
        clock.advance(Duration.ofSeconds(10));
        ContainerUsage u = runtime.usage(c, pod).orElseThrow();
        assertThat(u.at()).isEqualTo(T0.plusSeconds(10));
        assertThat(u.cpuCoreNanoSeconds()).as("1m for 10 s").isEqualTo(10_000_000L);
        assertThat(u.memoryWorkingSetBytes()).isEqualTo(4L * 1024 * 1024);
        CpuRates.Rate r = rates.record(c.containerId(), c.startedAt(), u);
        assertThat(r.nanoCores()).isEqualTo(1_000_000L);
        assertThat(r.window()).as("no older sample: since the container started").isEqualTo(Duration.ofSeconds(10));
    }

    @Test
    void perContainerAnnotationsWinOverThePodWideOnes() throws Exception {
        Pod pod = pod("Always", Map.of(SimulatedRuntime.PREFIX + "cpu-usage", "250m", SimulatedRuntime.PREFIX + "memory-usage", "64Mi",
                SimulatedRuntime.PREFIX + "cpu-usage.sidecar", "50m", SimulatedRuntime.PREFIX + "memory-usage.sidecar", "1Gi"), "app", "sidecar");
        RuntimeContainer app = start(pod, "app");
        RuntimeContainer sidecar = start(pod, "sidecar");
        clock.advance(Duration.ofSeconds(4));
        assertThat(milli(app, pod)).isEqualTo(250.0);
        assertThat(milli(sidecar, pod)).isEqualTo(50.0);
        assertThat(runtime.usage(app, pod).orElseThrow().memoryWorkingSetBytes()).isEqualTo(64L * 1024 * 1024);
        assertThat(runtime.usage(sidecar, pod).orElseThrow().memoryWorkingSetBytes()).isEqualTo(1024L * 1024 * 1024);
    }

    @Test
    void aMalformedQuantityCountsAsIdle() throws Exception {
        Pod pod = pod("Always", Map.of(SimulatedRuntime.PREFIX + "cpu-usage", "lots", SimulatedRuntime.PREFIX + "memory-usage", "-"), "app");
        RuntimeContainer c = start(pod, "app");
        clock.advance(Duration.ofSeconds(2));
        assertThat(milli(c, pod)).isEqualTo(1.0);
        assertThat(runtime.usage(c, pod).orElseThrow().memoryWorkingSetBytes()).isEqualTo(4L * 1024 * 1024);
    }

    /**
     * A new annotation applies from the sample before it on; the rate is over the last 15 s (the newest sample at least
     * that old), so it reaches the new value once the window holds only samples taken since.
     */
    @Test
    void changingTheAnnotationMovesTheRateOverTheWindow() throws Exception {
        Pod pod = pod("Always", Map.of(SimulatedRuntime.PREFIX + "cpu-usage", "100m"), "app");
        RuntimeContainer c = start(pod, "app");
        clock.advance(Duration.ofSeconds(5));
        assertThat(milli(c, pod)).isEqualTo(100.0);
        clock.advance(Duration.ofSeconds(5));
        assertThat(milli(c, pod)).isEqualTo(100.0);
        pod = annotated(pod, "cpu-usage", "500m");
        clock.advance(Duration.ofSeconds(10));
        // samples at 5 s (0.5 core-s) and 10 s (1.0); now 20 s: 1.0 + 10 × 0.5 = 6.0 core-s, over the 15 s since the 5 s sample
        ContainerUsage u = runtime.usage(c, pod).orElseThrow();
        assertThat(u.cpuCoreNanoSeconds()).isEqualTo(6_000_000_000L);
        CpuRates.Rate r = rates.record(c.containerId(), c.startedAt(), u);
        assertThat(r.window()).isEqualTo(Duration.ofSeconds(15));
        assertThat(r.nanoCores() / 1e6).isCloseTo(5.5 / 15 * 1000, within(0.001));
        for (int i = 0; i < 3; i++) {
            clock.advance(Duration.ofSeconds(5));
            milli(c, pod);
        }
        clock.advance(Duration.ofSeconds(5));
        CpuRates.Rate settled = rates.record(c.containerId(), c.startedAt(), runtime.usage(c, pod).orElseThrow());
        assertThat(settled.nanoCores()).isEqualTo(500_000_000L);
        assertThat(settled.window()).isEqualTo(Duration.ofSeconds(15));
        // and back down
        pod = annotated(pod, "cpu-usage", "0");
        for (int i = 0; i < 4; i++) {
            clock.advance(Duration.ofSeconds(5));
            milli(c, pod);
        }
        assertThat(milli(c, pod)).isZero();
    }

    @Test
    void samplesCloserThanASecondAreNotKeptAndOldOnesAreForgotten() throws Exception {
        Pod pod = pod("Always", Map.of(SimulatedRuntime.PREFIX + "cpu-usage", "200m"), "app");
        RuntimeContainer c = start(pod, "app");
        // many requests in a burst (three API servers asking at once) do not shrink the window to nothing
        clock.advance(Duration.ofSeconds(20));
        milli(c, pod);
        for (int i = 0; i < 5; i++) {
            clock.advance(Duration.ofMillis(100));
            CpuRates.Rate r = rates.record(c.containerId(), c.startedAt(), runtime.usage(c, pod).orElseThrow());
            assertThat(r.window()).as("still since the start: no sample 15 s old").isEqualTo(Duration.ofMillis(20_000 + 100 * (i + 1)));
            assertThat(r.nanoCores()).isEqualTo(200_000_000L);
        }
        // after a long quiet time the rate is over the time since the last sample older than the window
        clock.advance(Duration.ofMinutes(5));
        CpuRates.Rate r = rates.record(c.containerId(), c.startedAt(), runtime.usage(c, pod).orElseThrow());
        assertThat(r.window()).as("from the sample at 20 s: the ones within a second of it were not kept").isEqualTo(Duration.ofMinutes(5).plusMillis(500));
        assertThat(r.nanoCores()).isEqualTo(200_000_000L);
        rates.retain(Set.of());
        clock.advance(Duration.ofSeconds(5));
        assertThat(rates.record(c.containerId(), c.startedAt(), runtime.usage(c, pod).orElseThrow()).window())
                .as("forgotten: since the start again").isEqualTo(Duration.ofMinutes(5).plusSeconds(25).plusMillis(500));
    }

    /** kubectl top rounds CPU up to the millicore: one nanocore too many would show 401m for 400m. */
    @Test
    void aConstantRateComesOutExactHoweverTheSamplesFall() throws Exception {
        for (String cpu : new String[]{"400m", "333m", "1", "7n"}) {
            Pod pod = pod("Always", Map.of(SimulatedRuntime.PREFIX + "cpu-usage", cpu), "app");
            RuntimeContainer c = start(pod, "app");
            long expected = new java.math.BigDecimal(io.fabric8.kubernetes.api.model.Quantity.getAmountInBytes(
                    new io.fabric8.kubernetes.api.model.Quantity(cpu)).toString()).movePointRight(9).longValueExact();
            for (int i = 0; i < 40; i++) {
                clock.advance(Duration.ofNanos(1_234_567_891L));
                CpuRates.Rate r = rates.record(c.containerId(), c.startedAt(), runtime.usage(c, pod).orElseThrow());
                if (r.window().compareTo(Duration.ofSeconds(2)) > 0) {
                    assertThat(r.nanoCores()).as(cpu + " at sample " + i + " over " + r.window()).isEqualTo(expected);
                }
            }
        }
    }

    @Test
    void anExitedContainerHasNoUsage() throws Exception {
        Pod pod = pod("Never", Map.of(SimulatedRuntime.PREFIX + "run-seconds", "3"), "app");
        RuntimeContainer c = start(pod, "app");
        clock.advance(Duration.ofSeconds(2));
        assertThat(runtime.usage(c, pod)).isPresent();
        clock.advance(Duration.ofSeconds(2));
        assertThat(runtime.usage(c, pod)).isEmpty();
        Pod stopping = pod("Always", Map.of(), "app");
        RuntimeContainer s = start(stopping, "app");
        runtime.stop(s, Duration.ofSeconds(30));
        assertThat(runtime.usage(s, stopping)).as("stopped at once (no stop-seconds)").isEmpty();
    }
}
