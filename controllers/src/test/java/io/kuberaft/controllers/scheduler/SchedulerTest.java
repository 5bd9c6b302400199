package io.kuberaft.controllers.scheduler;

import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.NodeBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.TaintBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.kuberaft.controllers.ApiFixture;
import io.kuberaft.controllers.ControllerOptions;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import static io.kuberaft.controllers.ApiFixture.await;
import static org.assertj.core.api.Assertions.assertThat;

/** The scheduler against the real API server: placement, FailedScheduling, retry when a node fits. */
class SchedulerTest {
    @TempDir
    Path tmp;
    ApiFixture api;
    KubernetesClient k;

    @BeforeEach
    void start() {
        api = new ApiFixture(tmp, ControllerOptions.defaults(), List.of(Scheduler::new));
        k = api.client();
    }

    @AfterEach
    void stop() {
        api.close();
    }

    private void node(String name, String cpu, Map<String, String> labels, boolean controlPlane) {
        NodeBuilder b = new NodeBuilder().withNewMetadata().withName(name).withLabels(labels).endMetadata()
                .withNewStatus().addToCapacity("cpu", new Quantity(cpu)).addToCapacity("memory", new Quantity("8Gi"))
                .addToCapacity("pods", new Quantity("110")).endStatus();
        Node n = b.build();
        if (controlPlane) {
            n.setSpec(new io.fabric8.kubernetes.api.model.NodeSpec());
            n.getSpec().setTaints(List.of(new TaintBuilder().withKey("node-role.kubernetes.io/control-plane").withEffect("NoSchedule").build()));
        }
        k.nodes().resource(n).create();
    }

    private Pod pod(String name, String cpu, Map<String, String> nodeSelector) {
        return k.pods().inNamespace("default").resource(new PodBuilder().withNewMetadata().withName(name).endMetadata()
                .withNewSpec().withNodeSelector(nodeSelector).addNewContainer().withName("c").withImage("nginx")
                .withNewResources().addToRequests("cpu", new Quantity(cpu)).endResources().endContainer().endSpec().build()).create();
    }

    private String nodeOf(String pod) {
        Pod p = k.pods().inNamespace("default").withName(pod).get();
        return p == null ? null : p.getSpec().getNodeName();
    }

    @Test
    void podsLandWhereTheyFitAndAnImpossiblePodWaitsForANode() {
        node("cp", "8", Map.of("node-role.kubernetes.io/control-plane", ""), true);
        node("small", "1", Map.of("disk", "hdd"), false);
        node("big", "4", Map.of("disk", "ssd"), false);

        pod("needs-ssd", "100m", Map.of("disk", "ssd"));
        pod("needs-3cpu", "3", Map.of());
        pod("other-scheduler", "100m", Map.of());
        await(Duration.ofSeconds(20), "pods bound", () -> nodeOf("needs-ssd") != null && nodeOf("needs-3cpu") != null);
        assertThat(nodeOf("needs-ssd")).isEqualTo("big");
        assertThat(nodeOf("needs-3cpu")).isEqualTo("big");
        Pod bound = k.pods().inNamespace("default").withName("needs-ssd").get();
        assertThat(bound.getStatus().getConditions()).anyMatch(c -> c.getType().equals("PodScheduled") && c.getStatus().equals("True"));
        await(Duration.ofSeconds(10), "Scheduled event", () -> events().stream().anyMatch(e -> e.getReason().equals("Scheduled")
                && e.getMessage().equals("Successfully assigned default/needs-ssd to big")
                && e.getSource().getComponent().equals("default-scheduler")));

        // 2 cpu: big has 4 - 3.1 left, small has 1, cp is tainted
        pod("impossible", "2", Map.of());
        String expected = "0/3 nodes are available: 1 node(s) had untolerated taint {node-role.kubernetes.io/control-plane: }, "
                + "2 Insufficient cpu. preemption: 0/3 nodes are available: 1 Preemption is not helpful for scheduling, "
                + "2 No preemption victims found for incoming pod..";
        await(Duration.ofSeconds(10), "PodScheduled=False Unschedulable", () -> {
            Pod p = k.pods().inNamespace("default").withName("impossible").get();
            return p.getStatus().getConditions() != null && p.getStatus().getConditions().stream().anyMatch(c -> c.getType().equals("PodScheduled")
                    && c.getStatus().equals("False") && "Unschedulable".equals(c.getReason()) && expected.equals(c.getMessage()));
        });
        await(Duration.ofSeconds(10), "FailedScheduling event", () -> events().stream().anyMatch(e -> e.getReason().equals("FailedScheduling")
                && e.getType().equals("Warning") && e.getMessage().equals(expected)));
        assertThat(nodeOf("impossible")).isNull();

        // a fitting node arrives: the pod is scheduled without waiting for its whole backoff
        node("huge", "16", Map.of(), false);
        await(Duration.ofSeconds(10), "impossible bound to huge", () -> "huge".equals(nodeOf("impossible")));
    }

    @Test
    void podsOfAnotherSchedulerAreLeftAloneAndAPodDeletionFreesRoom() {
        node("only", "2", Map.of(), false);
        k.pods().inNamespace("default").resource(new PodBuilder().withNewMetadata().withName("custom").endMetadata()
                .withNewSpec().withSchedulerName("my-scheduler").addNewContainer().withName("c").withImage("nginx").endContainer().endSpec().build())
                .create();
        pod("first", "1500m", Map.of());
        await(Duration.ofSeconds(10), "first bound", () -> "only".equals(nodeOf("first")));
        pod("second", "1500m", Map.of());
        await(Duration.ofSeconds(10), "second unschedulable", () -> events().stream()
                .anyMatch(e -> e.getReason().equals("FailedScheduling") && e.getInvolvedObject().getName().equals("second")));
        k.pods().inNamespace("default").withName("first").withGracePeriod(0).delete();
        await(Duration.ofSeconds(10), "second bound after first deleted", () -> "only".equals(nodeOf("second")));
        assertThat(nodeOf("custom")).isNull();
    }

    @Test
    void manyPodsSpreadOverNodes() {
        for (int i = 0; i < 10; i++) {
            node("n" + i, "2", Map.of(), false);
        }
        for (int i = 0; i < 40; i++) {
            pod("p" + i, "400m", Map.of());
        }
        await(Duration.ofSeconds(30), "40 pods bound", () -> k.pods().inNamespace("default").list().getItems().stream()
                .filter(p -> p.getSpec().getNodeName() != null).count() == 40);
        Map<String, Long> perNode = new java.util.HashMap<>();
        k.pods().inNamespace("default").list().getItems().forEach(p -> perNode.merge(p.getSpec().getNodeName(), 1L, Long::sum));
        // 2 cpu per node, 400m per pod: at most 5 per node, and least-allocated spreads them
        assertThat(perNode.values()).allMatch(n -> n <= 5);
        assertThat(perNode).hasSize(10);
    }

    /** spec.schedulingGates: SchedulingGated until the last gate is removed; gates can only be removed. */
    @Test
    void aGatedPodWaitsUntilItsLastGateIsRemoved() {
        node("only", "2", Map.of(), false);
        k.pods().inNamespace("default").resource(new PodBuilder().withNewMetadata().withName("gated").endMetadata()
                .withNewSpec().addNewSchedulingGate("example.com/quota").addNewSchedulingGate("example.com/review")
                .addNewContainer().withName("c").withImage("nginx").endContainer().endSpec().build()).create();
        Pod created = k.pods().inNamespace("default").withName("gated").get();
        assertThat(created.getStatus().getConditions()).singleElement().satisfies(c -> {
            assertThat(c.getType()).isEqualTo("PodScheduled");
            assertThat(c.getStatus()).isEqualTo("False");
            assertThat(c.getReason()).isEqualTo("SchedulingGated");
            assertThat(c.getMessage()).isEqualTo("Scheduling is blocked due to non-empty scheduling gates");
        });
        // a gate may not be added
        var added = org.assertj.core.api.Assertions.catchThrowableOfType(io.fabric8.kubernetes.client.KubernetesClientException.class,
                () -> k.pods().inNamespace("default").withName("gated").edit(p -> new PodBuilder(p).editSpec()
                        .addNewSchedulingGate("example.com/late").endSpec().build()));
        assertThat(added.getCode()).isEqualTo(422);
        assertThat(added.getStatus().getMessage()).contains("spec.schedulingGates: Forbidden: only deletion is allowed, but found new scheduling gate 'example.com/late'");

        pod("ungated", "100m", Map.of());
        await(Duration.ofSeconds(10), "the ungated pod bound", () -> "only".equals(nodeOf("ungated")));
        assertThat(nodeOf("gated")).as("still gated").isNull();
        k.pods().inNamespace("default").withName("gated").edit(p -> new PodBuilder(p).editSpec()
                .withSchedulingGates(p.getSpec().getSchedulingGates().subList(1, 2)).endSpec().build());
        pod("ungated-2", "100m", Map.of());
        await(Duration.ofSeconds(10), "the second ungated pod bound", () -> "only".equals(nodeOf("ungated-2")));
        assertThat(nodeOf("gated")).as("one gate left").isNull();
        k.pods().inNamespace("default").withName("gated").edit(p -> new PodBuilder(p).editSpec().withSchedulingGates(List.of()).endSpec().build());
        await(Duration.ofSeconds(10), "gated bound once its gates are gone", () -> "only".equals(nodeOf("gated")));
        assertThat(events()).noneMatch(e -> e.getReason().equals("FailedScheduling") && e.getInvolvedObject().getName().equals("gated"));
    }

    /** DefaultPreemption: the fewest, least important lower-priority pods make room for a higher-priority one. */
    @Test
    void aHigherPriorityPodPreemptsTheLeastImportantVictim() {
        node("only", "2", Map.of(), false);
        for (var e : Map.of("mid", 100, "high", 1000).entrySet()) {
            k.resource(new io.fabric8.kubernetes.api.model.scheduling.v1.PriorityClassBuilder().withNewMetadata().withName(e.getKey())
                    .endMetadata().withValue(e.getValue()).build()).create();
        }
        pod("low-a", "500m", Map.of());
        await(Duration.ofSeconds(10), "low-a bound", () -> "only".equals(nodeOf("low-a")));
        pod("low-b", "500m", Map.of());
        await(Duration.ofSeconds(10), "low-b bound", () -> "only".equals(nodeOf("low-b")));
        k.pods().inNamespace("default").resource(new PodBuilder().withNewMetadata().withName("mid").endMetadata()
                .withNewSpec().withPriorityClassName("mid").addNewContainer().withName("c").withImage("nginx")
                .withNewResources().addToRequests("cpu", new Quantity("500m")).endResources().endContainer().endSpec().build()).create();
        await(Duration.ofSeconds(10), "mid bound", () -> "only".equals(nodeOf("mid")));

        Pod high = k.pods().inNamespace("default").resource(new PodBuilder().withNewMetadata().withName("high").endMetadata()
                .withNewSpec().withPriorityClassName("high").addNewContainer().withName("c").withImage("nginx")
                .withNewResources().addToRequests("cpu", new Quantity("1")).endResources().endContainer().endSpec().build()).create();
        assertThat(high.getSpec().getPriority()).isEqualTo(1000);
        // no kubelet here: a terminating pod is finished off as the agent would
        await(Duration.ofSeconds(20), "high bound after a preemption", () -> {
            k.pods().inNamespace("default").list().getItems().stream().filter(p -> p.getMetadata().getDeletionTimestamp() != null)
                    .forEach(p -> k.pods().inNamespace("default").withName(p.getMetadata().getName()).withGracePeriod(0).delete());
            return "only".equals(nodeOf("high"));
        });
        List<Event> preempted = events().stream().filter(e -> e.getReason().equals("Preempted")).toList();
        assertThat(preempted).singleElement().satisfies(e -> {
            assertThat(e.getInvolvedObject().getName()).isIn("low-a", "low-b");
            assertThat(e.getMessage()).isEqualTo("Preempted by pod " + high.getMetadata().getUid() + " on node only");
        });
        String victim = preempted.get(0).getInvolvedObject().getName();
        String survivor = victim.equals("low-a") ? "low-b" : "low-a";
        assertThat(nodeOf(victim)).as("the victim is gone").isNull();
        assertThat(nodeOf(survivor)).isEqualTo("only");
        assertThat(nodeOf("mid")).as("the more important pod is reprieved").isEqualTo("only");
        assertThat(events()).anyMatch(e -> e.getReason().equals("FailedScheduling") && e.getInvolvedObject().getName().equals("high")
                && e.getMessage().equals("0/1 nodes are available: 1 Insufficient cpu."));
    }

    @Test
    void preemptionMarksTheVictimAndNominatesTheNode() {
        node("only", "1", Map.of(), false);
        k.resource(new io.fabric8.kubernetes.api.model.scheduling.v1.PriorityClassBuilder().withNewMetadata().withName("urgent")
                .endMetadata().withValue(500).build()).create();
        pod("filler", "800m", Map.of());
        await(Duration.ofSeconds(10), "filler bound", () -> "only".equals(nodeOf("filler")));
        k.pods().inNamespace("default").resource(new PodBuilder().withNewMetadata().withName("urgent").endMetadata()
                .withNewSpec().withPriorityClassName("urgent").addNewContainer().withName("c").withImage("nginx")
                .withNewResources().addToRequests("cpu", new Quantity("500m")).endResources().endContainer().endSpec().build()).create();
        await(Duration.ofSeconds(10), "the victim terminating with DisruptionTarget", () -> {
            Pod f = k.pods().inNamespace("default").withName("filler").get();
            return f.getMetadata().getDeletionTimestamp() != null && f.getStatus().getConditions().stream().anyMatch(c ->
                    c.getType().equals("DisruptionTarget") && c.getStatus().equals("True") && "PreemptionByScheduler".equals(c.getReason())
                            && "default-scheduler: preempting to accommodate a higher priority pod".equals(c.getMessage()));
        });
        Pod urgent = k.pods().inNamespace("default").withName("urgent").get();
        assertThat(urgent.getStatus().getNominatedNodeName()).isEqualTo("only");
        assertThat(urgent.getSpec().getNodeName()).as("waits while its victim terminates").isNull();
        // it waits among the unschedulable pods; a node change (here a label) has it tried again meanwhile
        k.nodes().withName("only").edit(n -> new NodeBuilder(n).editMetadata().addToLabels("touched", "yes").endMetadata().build());
        await(Duration.ofSeconds(10), "no second preemption while the victim terminates", () -> events().stream().anyMatch(e ->
                e.getReason().equals("FailedScheduling") && e.getInvolvedObject().getName().equals("urgent") && e.getMessage().equals(
                        "0/1 nodes are available: 1 Insufficient cpu. preemption: not eligible due to a terminating pod on the nominated node..")));
        k.pods().inNamespace("default").withName("filler").withGracePeriod(0).delete();
        await(Duration.ofSeconds(10), "urgent bound once the victim is gone", () -> "only".equals(nodeOf("urgent")));
    }

    /** Scheduling attempts that failed for {@code pod}: its FailedScheduling events' counts (identical ones are aggregated). */
    private int failedAttempts(String pod) {
        return events().stream().filter(e -> e.getReason().equals("FailedScheduling") && e.getInvolvedObject().getName().equals(pod))
                .mapToInt(e -> e.getCount() == null ? 1 : e.getCount()).sum();
    }

    private boolean insufficientCpu(String pod) {
        return events().stream().anyMatch(e -> e.getReason().equals("FailedScheduling") && e.getInvolvedObject().getName().equals(pod)
                && e.getMessage().equals("0/1 nodes are available: 1 Insufficient cpu. preemption: 0/1 nodes are available: "
                + "1 No preemption victims found for incoming pod.."));
    }

    /** upstream's unschedulablePods: while nothing in the cluster changes the pod is not tried again; a node that fits is used at once. */
    @Test
    void anUnschedulablePodWaitsForAClusterChangeInsteadOfATimer() throws InterruptedException {
        node("small", "1", Map.of(), false);
        pod("big", "2", Map.of());
        await(Duration.ofSeconds(10), "FailedScheduling", () -> insufficientCpu("big"));
        int attempts = failedAttempts("big");
        // retried on a timer (1, 2, 4, 8, 10 s backoffs) it would have failed 4 more times in 25 s
        long end = System.nanoTime() + Duration.ofSeconds(25).toNanos();
        while (System.nanoTime() < end) {
            assertThat(failedAttempts("big")).as("attempts while nothing changed").isEqualTo(attempts);
            Thread.sleep(500);
        }
        node("huge", "16", Map.of(), false);
        long added = System.nanoTime();
        await(Duration.ofSeconds(5), "big bound to huge", () -> "huge".equals(nodeOf("big")));
        assertThat(Duration.ofNanos(System.nanoTime() - added)).isLessThan(Duration.ofSeconds(3));
    }

    /**
     * upstream moves the unschedulable pods on an assigned pod's deletion only (AssignedPodDelete): deleting a pending pod
     * frees nothing, and deleting a namespace of pending pods must not retry every remaining one per deletion.
     */
    @Test
    void deletingAPendingPodDoesNotRetryTheOtherUnschedulablePods() throws InterruptedException {
        node("small", "1", Map.of(), false);
        pod("big", "2", Map.of());
        pod("bigger", "3", Map.of());
        await(Duration.ofSeconds(10), "both unschedulable", () -> insufficientCpu("big") && insufficientCpu("bigger"));
        int attempts = failedAttempts("big");
        k.pods().inNamespace("default").withName("bigger").withGracePeriod(0).delete();
        await(Duration.ofSeconds(10), "bigger gone", () -> k.pods().inNamespace("default").withName("bigger").get() == null);
        // a move would have retried it after its 1 s backoff at the latest
        long end = System.nanoTime() + Duration.ofSeconds(4).toNanos();
        while (System.nanoTime() < end) {
            assertThat(failedAttempts("big")).as("attempts after a pending pod's deletion").isEqualTo(attempts);
            Thread.sleep(250);
        }
    }

    /** upstream's podMaxInUnschedulablePodsDuration (5 min; 2 s here): an unschedulable pod is tried again at the latest after it. */
    @Test
    void anUnschedulablePodIsTriedAgainAfterTheLongestWait() {
        api.close();
        api = new ApiFixture(tmp.resolve("flush"), ControllerOptions.defaults(), List.of(() -> new Scheduler(2_000)));
        k = api.client();
        node("small", "1", Map.of(), false);
        pod("big", "2", Map.of());
        await(Duration.ofSeconds(10), "FailedScheduling", () -> insufficientCpu("big"));
        int attempts = failedAttempts("big");
        await(Duration.ofSeconds(15), "another attempt without any change", () -> failedAttempts("big") > attempts);
    }

    private List<Event> events() {
        return k.v1().events().inNamespace("default").list().getItems();
    }
}
