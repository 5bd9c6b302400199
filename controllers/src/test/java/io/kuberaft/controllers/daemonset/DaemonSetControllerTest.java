package io.kuberaft.controllers.daemonset;

import io.fabric8.kubernetes.api.model.DeletionPropagation;
import io.fabric8.kubernetes.api.model.NodeBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.apps.ControllerRevision;
import io.fabric8.kubernetes.api.model.apps.DaemonSet;
import io.fabric8.kubernetes.api.model.apps.DaemonSetBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import io.kuberaft.controllers.ApiFixture;
import io.kuberaft.controllers.ControllerOptions;
import io.kuberaft.controllers.PodPhases;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

import static io.kuberaft.controllers.ApiFixture.await;
import static org.assertj.core.api.Assertions.assertThat;

class DaemonSetControllerTest {
    @TempDir
    Path tmp;
    ApiFixture api;
    KubernetesClient k;

    @BeforeEach
    void start() {
        api = new ApiFixture(tmp, ControllerOptions.defaults(), List.of(DaemonSetController::new));
        k = api.client();
    }

    @AfterEach
    void stop() {
        api.close();
    }

    void node(String name, Map<String, String> labels) {
        k.nodes().resource(new NodeBuilder().withNewMetadata().withName(name).withLabels(labels).endMetadata().build()).create();
    }

    List<Pod> pods() {
        return k.pods().inNamespace("default").withLabel("app", "agent").list().getItems().stream()
                .filter(p -> p.getMetadata().getDeletionTimestamp() == null).toList();
    }

    Set<String> podNodes() {
        return pods().stream().map(DaemonSetController::targetNode).collect(Collectors.toSet());
    }

    DaemonSet get() {
        return k.apps().daemonSets().inNamespace("default").withName("agent").get();
    }

    static DaemonSet ds(String image) {
        return new DaemonSetBuilder().withNewMetadata().withName("agent").endMetadata().withNewSpec()
                .withNewSelector().addToMatchLabels("app", "agent").endSelector()
                .withNewTemplate().withNewMetadata().addToLabels("app", "agent").endMetadata().withNewSpec()
                .addToNodeSelector("os", "centos")
                .addNewContainer().withName("c").withImage(image).endContainer().endSpec().endTemplate().endSpec().build();
    }

    /** `kubectl delete ds agent --cascade=orphan`, then the same DaemonSet again: its daemons are adopted, not doubled. */
    @Test
    void aNewDaemonSetAdoptsTheDaemonsAnOrphaningDeleteLeft() {
        node("n1", Map.of("os", "centos"));
        k.apps().daemonSets().inNamespace("default").resource(ds("agent:1")).create();
        await(Duration.ofSeconds(20), "a daemon for n1", () -> podNodes().equals(Set.of("n1")));
        String uid = pods().get(0).getMetadata().getUid();
        k.apps().daemonSets().inNamespace("default").withName("agent").withPropagationPolicy(DeletionPropagation.BACKGROUND).delete();
        await(Duration.ofSeconds(10), "the set gone", () -> get() == null);
        // what the garbage collector does for propagationPolicy Orphan
        k.pods().inNamespace("default").withName(pods().get(0).getMetadata().getName()).edit(p -> new io.fabric8.kubernetes.api.model.PodBuilder(p)
                .editMetadata().withOwnerReferences(List.of()).endMetadata().build());
        for (var rev : k.apps().controllerRevisions().inNamespace("default").list().getItems()) {
            k.apps().controllerRevisions().inNamespace("default").withName(rev.getMetadata().getName()).edit(r ->
                    new io.fabric8.kubernetes.api.model.apps.ControllerRevisionBuilder(r).editMetadata().withOwnerReferences(List.of())
                            .endMetadata().build());
        }
        DaemonSet again = k.apps().daemonSets().inNamespace("default").resource(ds("agent:1")).create();
        await(Duration.ofSeconds(20), "the daemon adopted", () -> pods().size() == 1
                && io.kuberaft.controllers.runtime.ControllerRefs.isControlledBy(pods().get(0), again));
        await(Duration.ofSeconds(20), "status counts it", () -> get().getStatus() != null && get().getStatus().getCurrentNumberScheduled() == 1);
        assertThat(pods()).singleElement().satisfies(p -> assertThat(p.getMetadata().getUid()).as("kept, not replaced").isEqualTo(uid));
    }

    @Test
    void daemonsFollowNodeLabelsAndTaints() {
        node("n1", Map.of());
        node("n2", Map.of("os", "centos"));
        k.apps().daemonSets().inNamespace("default").resource(ds("agent:1")).create();
        await(Duration.ofSeconds(20), "a daemon for n2", () -> podNodes().equals(Set.of("n2")));
        Pod p = pods().get(0);
        assertThat(p.getMetadata().getName()).matches("agent-[a-z0-9]{5}");
        assertThat(p.getMetadata().getLabels()).containsKey("controller-revision-hash");
        var term = p.getSpec().getAffinity().getNodeAffinity().getRequiredDuringSchedulingIgnoredDuringExecution().getNodeSelectorTerms();
        assertThat(term).hasSize(1);
        assertThat(term.get(0).getMatchFields().get(0).getKey()).isEqualTo("metadata.name");
        assertThat(term.get(0).getMatchFields().get(0).getValues()).containsExactly("n2");
        assertThat(p.getSpec().getTolerations()).extracting(t -> t.getKey() + ":" + t.getEffect()).contains(
                "node.kubernetes.io/not-ready:NoExecute", "node.kubernetes.io/unreachable:NoExecute",
                "node.kubernetes.io/disk-pressure:NoSchedule", "node.kubernetes.io/memory-pressure:NoSchedule",
                "node.kubernetes.io/pid-pressure:NoSchedule", "node.kubernetes.io/unschedulable:NoSchedule");
        assertThat(p.getSpec().getTolerations()).allMatch(t -> t.getTolerationSeconds() == null);

        // a node gets the label: it gets a daemon
        k.nodes().withName("n1").patch(PatchContext.of(PatchType.JSON_MERGE), "{\"metadata\":{\"labels\":{\"os\":\"centos\"}}}");
        await(Duration.ofSeconds(20), "daemons on n1 and n2", () -> podNodes().equals(Set.of("n1", "n2")));
        pods().forEach(x -> PodPhases.running(k, x, true));
        await(Duration.ofSeconds(20), "status 2/2 ready", () -> {
            var s = get().getStatus();
            return s != null && s.getDesiredNumberScheduled() == 2 && s.getCurrentNumberScheduled() == 2 && s.getNumberReady() == 2
                    && Integer.valueOf(2).equals(s.getNumberAvailable()) && Integer.valueOf(2).equals(s.getUpdatedNumberScheduled())
                    && s.getNumberMisscheduled() == 0 && Long.valueOf(1).equals(s.getObservedGeneration());
        });

        // "os=" (an empty value) no longer matches: n2's daemon goes
        k.nodes().withName("n2").patch(PatchContext.of(PatchType.JSON_MERGE), "{\"metadata\":{\"labels\":{\"os\":\"\"}}}");
        await(Duration.ofSeconds(20), "only n1", () -> podNodes().equals(Set.of("n1")));

        // a NoSchedule taint keeps the running daemon, a NoExecute one evicts it
        k.nodes().withName("n1").patch(PatchContext.of(PatchType.JSON_MERGE),
                "{\"spec\":{\"taints\":[{\"key\":\"dedicated\",\"value\":\"db\",\"effect\":\"NoSchedule\"}]}}");
        await(Duration.ofSeconds(5), "status seen the taint", () -> get().getStatus().getDesiredNumberScheduled() == 0);
        assertThat(podNodes()).containsExactly("n1");
        k.nodes().withName("n1").patch(PatchContext.of(PatchType.JSON_MERGE),
                "{\"spec\":{\"taints\":[{\"key\":\"dedicated\",\"value\":\"db\",\"effect\":\"NoExecute\"}]}}");
        await(Duration.ofSeconds(20), "no daemon", () -> pods().isEmpty());
    }

    @Test
    void rollingUpdateReplacesDaemonsOneAtATimeWithNewRevision() {
        for (String n : List.of("a", "b", "c")) {
            node(n, Map.of("os", "centos"));
        }
        k.apps().daemonSets().inNamespace("default").resource(ds("agent:1")).create();
        await(Duration.ofSeconds(20), "3 daemons", () -> pods().size() == 3);
        pods().forEach(x -> PodPhases.running(k, x, true));
        String oldHash = pods().get(0).getMetadata().getLabels().get("controller-revision-hash");
        rollToAgent2(ps -> {
            long newReady = ps.stream().filter(x -> !oldHash.equals(x.getMetadata().getLabels().get("controller-revision-hash")) && running(x)).count();
            long unavailable = 3 - ps.stream().filter(DaemonSetControllerTest::running).count();
            assertThat(unavailable).as("maxUnavailable 1").isLessThanOrEqualTo(1);
            return newReady == 3;
        });
        List<ControllerRevision> revs = k.apps().controllerRevisions().inNamespace("default").list().getItems();
        assertThat(revs).extracting(ControllerRevision::getRevision).containsExactlyInAnyOrder(1L, 2L);
        assertThat(revs).allMatch(r -> r.getMetadata().getName().startsWith("agent-"));
        await(Duration.ofSeconds(10), "updatedNumberScheduled 3",
                () -> Integer.valueOf(3).equals(get().getStatus().getUpdatedNumberScheduled()));
    }

    /** maxSurge 1, maxUnavailable 0: the new daemon starts next to the old one, which goes once the new one is available. */
    @Test
    void surgeRollingUpdateNeverLeavesANodeWithoutAReadyDaemon() {
        for (String n : List.of("a", "b", "c")) {
            node(n, Map.of("os", "centos"));
        }
        DaemonSet d = ds("agent:1");
        d.getSpec().setUpdateStrategy(new io.fabric8.kubernetes.api.model.apps.DaemonSetUpdateStrategyBuilder().withType("RollingUpdate")
                .withNewRollingUpdate().withMaxSurge(new io.fabric8.kubernetes.api.model.IntOrString(1))
                .withMaxUnavailable(new io.fabric8.kubernetes.api.model.IntOrString(0)).endRollingUpdate().build());
        k.apps().daemonSets().inNamespace("default").resource(d).create();
        await(Duration.ofSeconds(20), "3 daemons", () -> pods().size() == 3);
        pods().forEach(x -> PodPhases.running(k, x, true));
        String oldHash = pods().get(0).getMetadata().getLabels().get("controller-revision-hash");
        int[] maxDoubled = {0};
        rollToAgent2(ps -> {
            Map<String, Long> perNode = ps.stream().collect(Collectors.groupingBy(DaemonSetController::targetNode, Collectors.counting()));
            long doubled = perNode.values().stream().filter(c -> c == 2).count();
            maxDoubled[0] = Math.max(maxDoubled[0], (int) doubled);
            assertThat(perNode.values()).as("at most an old and a new daemon per node").allMatch(c -> c <= 2);
            assertThat(doubled).as("maxSurge 1").isLessThanOrEqualTo(1);
            for (String n : List.of("a", "b", "c")) {
                assertThat(ps.stream().anyMatch(x -> n.equals(DaemonSetController.targetNode(x)) && running(x)))
                        .as("a running daemon on %s (maxUnavailable 0)", n).isTrue();
            }
            long newRunning = ps.stream().filter(x -> !oldHash.equals(x.getMetadata().getLabels().get("controller-revision-hash")) && running(x)).count();
            return newRunning == 3 && ps.size() == 3;
        });
        assertThat(maxDoubled[0]).as("the new daemons surged next to the old ones").isEqualTo(1);
    }

    private static boolean running(Pod p) {
        return p.getStatus() != null && "Running".equals(p.getStatus().getPhase());
    }

    /**
     * Rolls the DaemonSet's image to agent:2, acting as the kubelet (every pod not yet Running is made Running, and
     * must be of the new image), and hands each observed set of pods to {@code checkAndDone} until it answers true.
     */
    private void rollToAgent2(java.util.function.Predicate<List<Pod>> checkAndDone) {
        k.apps().daemonSets().inNamespace("default").withName("agent").patch(PatchContext.of(PatchType.JSON),
                "[{\"op\":\"replace\",\"path\":\"/spec/template/spec/containers/0/image\",\"value\":\"agent:2\"}]");
        long deadline = System.nanoTime() + Duration.ofSeconds(40).toNanos();
        while (true) {
            List<Pod> ps = pods();
            if (checkAndDone.test(ps)) {
                return;
            }
            assertThat(System.nanoTime()).as("rolled in time").isLessThan(deadline);
            for (Pod x : ps) {
                if (!running(x)) {
                    assertThat(x.getSpec().getContainers().get(0).getImage()).isEqualTo("agent:2");
                    PodPhases.running(k, x, true);
                }
            }
            try {
                Thread.sleep(100);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }
}
