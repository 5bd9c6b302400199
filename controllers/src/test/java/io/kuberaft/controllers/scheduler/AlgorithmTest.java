package io.kuberaft.controllers.scheduler;

import io.fabric8.kubernetes.api.model.ContainerBuilder;
import io.fabric8.kubernetes.api.model.ContainerPortBuilder;
import io.fabric8.kubernetes.api.model.LabelSelectorBuilder;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.NodeBuilder;
import io.fabric8.kubernetes.api.model.NodeSelectorRequirementBuilder;
import io.fabric8.kubernetes.api.model.NodeSelectorTermBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodAffinityTermBuilder;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.TaintBuilder;
import io.fabric8.kubernetes.api.model.TolerationBuilder;
import io.fabric8.kubernetes.api.model.TopologySpreadConstraintBuilder;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;

import static org.assertj.core.api.Assertions.assertThat;

/** The filters and scores on fabric8 objects, without a server. */
class AlgorithmTest {
    static int seq;

    static Node node(String name, String cpu, String mem, Map<String, String> labels) {
        return new NodeBuilder().withNewMetadata().withName(name).withLabels(labels).endMetadata().withNewSpec().endSpec()
                .withNewStatus().addToAllocatable("cpu", new Quantity(cpu)).addToAllocatable("memory", new Quantity(mem))
                .addToAllocatable("pods", new Quantity("110")).endStatus().build();
    }

    static PodBuilder pod(String cpu, String mem) {
        var c = new ContainerBuilder().withName("c").withImage("x");
        if (cpu != null) {
            c.withNewResources().addToRequests("cpu", new Quantity(cpu)).addToRequests("memory", new Quantity(mem)).endResources();
        }
        return new PodBuilder().withNewMetadata().withName("p" + (++seq)).withNamespace("default").endMetadata()
                .withNewSpec().withContainers(c.build()).endSpec();
    }

    static List<NodeInfo> infos(Node... nodes) {
        List<NodeInfo> out = new ArrayList<>();
        for (Node n : nodes) {
            out.add(new NodeInfo(n));
        }
        return out;
    }

    static Algorithm.Result schedule(Pod p, List<NodeInfo> nodes) {
        return Algorithm.schedule(new PodInfo(p), nodes, 0, new Random(1));
    }

    static NodeInfo on(List<NodeInfo> nodes, String name) {
        return nodes.stream().filter(n -> n.name.equals(name)).findFirst().orElseThrow();
    }

    @Test
    void theFitErrorHasUpstreamsExactShape() {
        Node cp = node("cp", "8", "8Gi", Map.of());
        cp.getSpec().setTaints(List.of(new TaintBuilder().withKey("node-role.kubernetes.io/control-plane").withEffect("NoSchedule").build()));
        var nodes = infos(cp, node("w1", "1", "8Gi", Map.of()), node("w2", "1", "8Gi", Map.of()));
        var r = schedule(pod("2", "1Gi").build(), nodes);
        assertThat(r.node()).isNull();
        assertThat(r.message()).isEqualTo("0/3 nodes are available: 1 node(s) had untolerated taint {node-role.kubernetes.io/control-plane: }, "
                + "2 Insufficient cpu. preemption: 0/3 nodes are available: 1 Preemption is not helpful for scheduling, "
                + "2 No preemption victims found for incoming pod..");
        // several reasons on one node are all counted
        r = schedule(pod("2", "16Gi").build(), infos(node("w1", "1", "8Gi", Map.of())));
        assertThat(r.message()).isEqualTo("0/1 nodes are available: 1 Insufficient cpu, 1 Insufficient memory. "
                + "preemption: 0/1 nodes are available: 1 No preemption victims found for incoming pod..");
        assertThat(schedule(pod(null, null).build(), List.of()).message()).isEqualTo("no nodes available to schedule pods");
    }

    @Test
    void resourcesCountAssignedPodsInitContainersOverheadAndExtendedResources() {
        var nodes = infos(node("a", "2", "4Gi", Map.of()), node("b", "4", "4Gi", Map.of()));
        on(nodes, "b").addPod(new PodInfo(pod("3", "1Gi").build()));
        // a needs 1.5 cpu: only a has it (b has 1 left)
        assertThat(schedule(pod("1500m", "1Gi").build(), nodes).node()).isEqualTo("a");
        // the init container's 3 cpu dominate the 100m container: nowhere
        Pod init = pod("100m", "1Gi").editSpec().addNewInitContainer().withName("i").withImage("x").withNewResources()
                .addToRequests("cpu", new Quantity("3")).endResources().endInitContainer().endSpec().build();
        assertThat(schedule(init, nodes).message()).startsWith("0/2 nodes are available: 2 Insufficient cpu.");
        // overhead is added
        Pod overhead = pod("1500m", "1Gi").editSpec().addToOverhead("cpu", new Quantity("600m")).endSpec().build();
        assertThat(schedule(overhead, nodes).node()).isNull();
        // extended resources
        Node gpu = node("gpu", "2", "4Gi", Map.of());
        gpu.getStatus().getAllocatable().put("example.com/gpu", new Quantity("1"));
        var withGpu = infos(node("plain", "2", "4Gi", Map.of()), gpu);
        Pod wantsGpu = new PodBuilder(pod("100m", "100Mi").build()).editSpec().editFirstContainer().editResources()
                .addToRequests("example.com/gpu", new Quantity("1")).endResources().endContainer().endSpec().build();
        assertThat(schedule(wantsGpu, withGpu).node()).isEqualTo("gpu");
        on(withGpu, "gpu").addPod(new PodInfo(wantsGpu));
        Pod another = new PodBuilder(wantsGpu).editMetadata().withName("other").endMetadata().build();
        assertThat(schedule(another, withGpu).message()).startsWith("0/2 nodes are available: 2 Insufficient example.com/gpu.");
        // pod count
        Node tiny = node("tiny", "2", "4Gi", Map.of());
        tiny.getStatus().getAllocatable().put("pods", new Quantity("1"));
        var one = infos(tiny);
        one.get(0).addPod(new PodInfo(pod(null, null).build()));
        assertThat(schedule(pod(null, null).build(), one).message()).startsWith("0/1 nodes are available: 1 Too many pods.");
    }

    @Test
    void nodeSelectorAndRequiredNodeAffinityOperators() {
        var nodes = infos(node("a", "4", "4Gi", Map.of("disk", "ssd", "gen", "3")), node("b", "4", "4Gi", Map.of("disk", "hdd", "gen", "5")),
                node("c", "4", "4Gi", Map.of()));
        assertThat(schedule(pod(null, null).editSpec().addToNodeSelector("disk", "ssd").endSpec().build(), nodes).node()).isEqualTo("a");
        record Case(String op, List<String> values, String want) {
        }
        for (Case c : List.of(new Case("In", List.of("hdd"), "b"), new Case("Gt", List.of("4"), "b"), new Case("Lt", List.of("4"), "a"),
                new Case("DoesNotExist", List.of(), "c"))) {
            Pod p = pod(null, null).editSpec().withNewAffinity().withNewNodeAffinity().withNewRequiredDuringSchedulingIgnoredDuringExecution()
                    .withNodeSelectorTerms(new NodeSelectorTermBuilder().withMatchExpressions(new NodeSelectorRequirementBuilder()
                            .withKey(c.op.equals("In") ? "disk" : "gen").withOperator(c.op).withValues(c.values).build()).build())
                    .endRequiredDuringSchedulingIgnoredDuringExecution().endNodeAffinity().endAffinity().endSpec().build();
            assertThat(schedule(p, nodes).node()).as(c.op).isEqualTo(c.want);
        }
        Pod byName = pod(null, null).editSpec().withNewAffinity().withNewNodeAffinity().withNewRequiredDuringSchedulingIgnoredDuringExecution()
                .withNodeSelectorTerms(new NodeSelectorTermBuilder().withMatchFields(new NodeSelectorRequirementBuilder()
                        .withKey("metadata.name").withOperator("In").withValues("c").build()).build())
                .endRequiredDuringSchedulingIgnoredDuringExecution().endNodeAffinity().endAffinity().endSpec().build();
        assertThat(schedule(byName, nodes).node()).isEqualTo("c");
        Pod none = pod(null, null).editSpec().addToNodeSelector("disk", "nvme").endSpec().build();
        assertThat(schedule(none, nodes).message()).startsWith("0/3 nodes are available: 3 node(s) didn't match Pod's node affinity/selector.");
    }

    @Test
    void taintsTolerationsAndCordon() {
        Node tainted = node("t", "4", "4Gi", Map.of());
        tainted.getSpec().setTaints(List.of(new TaintBuilder().withKey("dedicated").withValue("db").withEffect("NoExecute").build()));
        Node cordoned = node("u", "4", "4Gi", Map.of());
        cordoned.getSpec().setUnschedulable(true);
        var nodes = infos(tainted, cordoned);
        assertThat(schedule(pod(null, null).build(), nodes).message()).startsWith(
                "0/2 nodes are available: 1 node(s) had untolerated taint {dedicated: db}, 1 node(s) were unschedulable.");
        Pod tolerant = pod(null, null).editSpec().withTolerations(new TolerationBuilder().withKey("dedicated").withOperator("Equal")
                .withValue("db").withEffect("NoExecute").build()).endSpec().build();
        assertThat(schedule(tolerant, nodes).node()).isEqualTo("t");
        // PreferNoSchedule only lowers the score
        Node soft = node("soft", "4", "4Gi", Map.of());
        soft.getSpec().setTaints(List.of(new TaintBuilder().withKey("meh").withEffect("PreferNoSchedule").build()));
        var two = infos(soft, node("clean", "4", "4Gi", Map.of()));
        for (int i = 0; i < 5; i++) {
            assertThat(schedule(pod(null, null).build(), two).node()).isEqualTo("clean");
        }
    }

    @Test
    void leastAllocatedSpreadsAndPreferredAffinityAttracts() {
        var nodes = infos(node("busy", "4", "8Gi", Map.of("zone", "a")), node("idle", "4", "8Gi", Map.of("zone", "b")));
        on(nodes, "busy").addPod(new PodInfo(pod("2", "4Gi").build()));
        assertThat(schedule(pod("500m", "500Mi").build(), nodes).node()).isEqualTo("idle");
        Pod prefersA = pod("500m", "500Mi").editSpec().withNewAffinity().withNewNodeAffinity()
                .addNewPreferredDuringSchedulingIgnoredDuringExecution().withWeight(100).withNewPreference()
                .withMatchExpressions(new NodeSelectorRequirementBuilder().withKey("zone").withOperator("In").withValues("a").build())
                .endPreference().endPreferredDuringSchedulingIgnoredDuringExecution().endNodeAffinity().endAffinity().endSpec().build();
        assertThat(schedule(prefersA, nodes).node()).isEqualTo("busy");
    }

    /** Upstream's system default spreading: replicas of one ReplicaSet go to different nodes although resources tie. */
    @Test
    void replicasOfOneOwnerSpreadOverNodesByDefault() {
        var nodes = infos(node("n1", "4", "8Gi", Map.of("kubernetes.io/hostname", "n1")),
                node("n2", "4", "8Gi", Map.of("kubernetes.io/hostname", "n2")),
                node("n3", "4", "8Gi", Map.of("kubernetes.io/hostname", "n3")));
        // n3 is half full of another owner's pod: LeastAllocated alone would put all six on n1 and n2 (3 + 3)
        on(nodes, "n3").addPod(new PodInfo(owned(pod("2", "100Mi"), "other-rs").build()));
        Map<String, Integer> perNode = new TreeMap<>();
        for (int i = 0; i < 6; i++) {
            Pod p = owned(pod("100m", "100Mi"), "web-rs").build();
            String n = Algorithm.schedule(new PodInfo(p), nodes, 0, new Random(i)).node();
            on(nodes, n).addPod(new PodInfo(p));
            perNode.merge(n, 1, Integer::sum);
        }
        assertThat(perNode).containsExactlyInAnyOrderEntriesOf(Map.of("n1", 2, "n2", 2, "n3", 2));
        // a pod of its own constraints, or without a spreading owner, gets no default constraints
        Pod bare = pod("100m", "100Mi").build();
        assertThat(Algorithm.CycleState.of(new PodInfo(bare), nodes).hasSoftSpread()).isFalse();
        Pod job = pod("100m", "100Mi").editMetadata().addNewOwnerReference().withKind("Job").withName("j").withUid("job-uid")
                .withApiVersion("batch/v1").withController(true).endOwnerReference().endMetadata().build();
        assertThat(Algorithm.CycleState.of(new PodInfo(job), nodes).hasSoftSpread()).isFalse();
    }

    /** The room a preemption makes is the nominated pod's: others fit there only next to it, unless more important. */
    @Test
    void nominatedPodsReserveTheirNode() {
        var nodes = infos(node("n1", "1", "8Gi", Map.of()));
        PodInfo urgent = new PodInfo(pod("500m", "100Mi").editSpec().withPriority(500).endSpec().build());
        Map<String, List<PodInfo>> nominated = Map.of("n1", List.of(urgent));
        Pod replacement = pod("600m", "100Mi").build();
        Algorithm.Result r = Algorithm.schedule(new PodInfo(replacement), nodes, 0, new Random(1), nominated);
        assertThat(r.node()).isNull();
        assertThat(r.message()).startsWith("0/1 nodes are available: 1 Insufficient cpu.");
        assertThat(Algorithm.schedule(new PodInfo(replacement), nodes, 0, new Random(1), Map.of()).node()).isEqualTo("n1");
        Pod moreImportant = pod("600m", "100Mi").editSpec().withPriority(1000).endSpec().build();
        assertThat(Algorithm.schedule(new PodInfo(moreImportant), nodes, 0, new Random(1), nominated).node()).isEqualTo("n1");
        assertThat(Algorithm.schedule(urgent, nodes, 0, new Random(1), nominated).node()).as("not in its own way").isEqualTo("n1");
    }

    /** Preemption prefers victims whose eviction no PodDisruptionBudget forbids: on a node, and between nodes. */
    @Test
    void preemptionSparesPodsProtectedByADisruptionBudget() {
        var budget = new io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudgetBuilder().withNewMetadata().withName("db")
                .withNamespace("default").endMetadata().withNewSpec().withNewSelector().addToMatchLabels("app", "db").endSelector()
                .endSpec().withNewStatus().withDisruptionsAllowed(0).endStatus().build();
        PodInfo preemptor = new PodInfo(pod("500m", "100Mi").editSpec().withPriority(100).endSpec().build());
        // one node: web would be kept first by insertion order, db is protected
        var one = infos(node("n1", "1", "8Gi", Map.of()));
        PodInfo web = new PodInfo(pod("500m", "100Mi").editMetadata().addToLabels("app", "web").endMetadata().build());
        PodInfo db = new PodInfo(pod("500m", "100Mi").editMetadata().addToLabels("app", "db").endMetadata().build());
        on(one, "n1").addPod(web);
        on(one, "n1").addPod(db);
        assertThat(Preemption.find(preemptor, one).victims()).containsExactly(db);
        Preemption.Candidate spared = Preemption.find(preemptor, one, List.of(budget));
        assertThat(spared.victims()).containsExactly(web);
        assertThat(spared.violations()).isZero();
        // two nodes: n1's only victim is protected (priority 0), n2's is not (priority 50): n2 wins despite the priority
        var two = infos(node("n1", "1", "8Gi", Map.of()), node("n2", "1", "8Gi", Map.of()));
        on(two, "n1").addPod(new PodInfo(pod("800m", "100Mi").editMetadata().addToLabels("app", "db").endMetadata().build()));
        on(two, "n2").addPod(new PodInfo(pod("800m", "100Mi").editSpec().withPriority(50).endSpec().build()));
        assertThat(Preemption.find(preemptor, two).node()).isEqualTo("n1");
        assertThat(Preemption.find(preemptor, two, List.of(budget)).node()).isEqualTo("n2");
    }

    static PodBuilder owned(PodBuilder p, String rsUid) {
        return p.editMetadata().addNewOwnerReference().withKind("ReplicaSet").withName(rsUid).withUid(rsUid).withApiVersion("apps/v1")
                .withController(true).endOwnerReference().endMetadata();
    }

    @Test
    void hostPortsConflict() {
        var nodes = infos(node("a", "4", "4Gi", Map.of()), node("b", "4", "4Gi", Map.of()));
        Pod web = pod(null, null).editSpec().editFirstContainer().withPorts(new ContainerPortBuilder().withContainerPort(80).withHostPort(8080)
                .build()).endContainer().endSpec().build();
        on(nodes, "a").addPod(new PodInfo(web));
        Pod web2 = new PodBuilder(web).editMetadata().withName("web2").endMetadata().build();
        assertThat(schedule(web2, nodes).node()).isEqualTo("b");
        on(nodes, "b").addPod(new PodInfo(web2));
        Pod web3 = new PodBuilder(web).editMetadata().withName("web3").endMetadata().build();
        assertThat(schedule(web3, nodes).message()).startsWith("0/2 nodes are available: 2 node(s) didn't have free ports for the requested pod ports.");
    }

    @Test
    void podAffinityAntiAffinityAndSpread() {
        var nodes = infos(node("a1", "4", "8Gi", Map.of("kubernetes.io/hostname", "a1", "topology.kubernetes.io/zone", "a")),
                node("a2", "4", "8Gi", Map.of("kubernetes.io/hostname", "a2", "topology.kubernetes.io/zone", "a")),
                node("b1", "4", "8Gi", Map.of("kubernetes.io/hostname", "b1", "topology.kubernetes.io/zone", "b")));
        var app = new LabelSelectorBuilder().addToMatchLabels("app", "db").build();
        var anti = new PodAffinityTermBuilder().withLabelSelector(app).withTopologyKey("kubernetes.io/hostname").build();
        Pod db1 = pod(null, null).editMetadata().addToLabels("app", "db").endMetadata().editSpec().withNewAffinity().withNewPodAntiAffinity()
                .withRequiredDuringSchedulingIgnoredDuringExecution(anti).endPodAntiAffinity().endAffinity().endSpec().build();
        List<String> placed = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            Pod p = new PodBuilder(db1).editMetadata().withName("db" + i).endMetadata().build();
            var r = schedule(p, nodes);
            placed.add(r.node());
            on(nodes, r.node()).addPod(new PodInfo(p));
        }
        assertThat(placed).containsExactlyInAnyOrder("a1", "a2", "b1");
        Pod db4 = new PodBuilder(db1).editMetadata().withName("db4").endMetadata().build();
        assertThat(schedule(db4, nodes).message()).startsWith("0/3 nodes are available: 3 node(s) didn't match pod anti-affinity rules.");
        // a pod without anti-affinity of its own is kept away by the existing pods' rule
        Pod plainDb = pod(null, null).editMetadata().addToLabels("app", "db").endMetadata().build();
        assertThat(schedule(plainDb, nodes).message()).startsWith("0/3 nodes are available: 3 node(s) didn't satisfy existing pods anti-affinity rules.");

        // affinity to zone b's cache pod
        var zones = infos(node("a1", "4", "8Gi", Map.of("topology.kubernetes.io/zone", "a")),
                node("b1", "4", "8Gi", Map.of("topology.kubernetes.io/zone", "b")),
                node("b2", "4", "8Gi", Map.of("topology.kubernetes.io/zone", "b")));
        on(zones, "b1").addPod(new PodInfo(pod(null, null).editMetadata().addToLabels("app", "cache").endMetadata().build()));
        Pod web = pod(null, null).editSpec().withNewAffinity().withNewPodAffinity().withRequiredDuringSchedulingIgnoredDuringExecution(
                new PodAffinityTermBuilder().withLabelSelector(new LabelSelectorBuilder().addToMatchLabels("app", "cache").build())
                        .withTopologyKey("topology.kubernetes.io/zone").build()).endPodAffinity().endAffinity().endSpec().build();
        for (int i = 0; i < 5; i++) {
            assertThat(schedule(web, zones).node()).isIn("b1", "b2");
        }
        Pod lonely = pod(null, null).editSpec().withNewAffinity().withNewPodAffinity().withRequiredDuringSchedulingIgnoredDuringExecution(
                new PodAffinityTermBuilder().withLabelSelector(new LabelSelectorBuilder().addToMatchLabels("app", "none").build())
                        .withTopologyKey("topology.kubernetes.io/zone").build()).endPodAffinity().endAffinity().endSpec().build();
        assertThat(schedule(lonely, zones).message()).startsWith("0/3 nodes are available: 3 node(s) didn't match pod affinity rules. "
                + "preemption: 0/3 nodes are available: 3 Preemption is not helpful for scheduling..");

        // topology spread, DoNotSchedule, maxSkew 1 over zones: a, b, then a or b, never 2 ahead
        var spreadNodes = infos(node("a1", "4", "8Gi", Map.of("topology.kubernetes.io/zone", "a")),
                node("b1", "4", "8Gi", Map.of("topology.kubernetes.io/zone", "b")), node("x", "4", "8Gi", Map.of()));
        Map<String, Integer> perZone = new HashMap<>();
        for (int i = 0; i < 6; i++) {
            Pod p = pod(null, null).editMetadata().addToLabels("app", "web").endMetadata().editSpec().withTopologySpreadConstraints(
                    new TopologySpreadConstraintBuilder().withMaxSkew(1).withTopologyKey("topology.kubernetes.io/zone")
                            .withWhenUnsatisfiable("DoNotSchedule").withLabelSelector(new LabelSelectorBuilder().addToMatchLabels("app", "web").build())
                            .build()).endSpec().build();
            var r = schedule(p, spreadNodes);
            assertThat(r.node()).isIn("a1", "b1");
            on(spreadNodes, r.node()).addPod(new PodInfo(p));
            perZone.merge(r.node(), 1, Integer::sum);
            assertThat(Math.abs(perZone.getOrDefault("a1", 0) - perZone.getOrDefault("b1", 0))).isLessThanOrEqualTo(1);
        }
    }

    @Test
    void bigClustersLookAtASampleInParallel() {
        List<Node> many = new ArrayList<>();
        for (int i = 0; i < 2000; i++) {
            many.add(node(String.format("n%04d", i), "4", "8Gi", Map.of()));
        }
        var nodes = infos(many.toArray(Node[]::new));
        var r = schedule(pod("100m", "100Mi").build(), nodes);
        assertThat(r.node()).isNotNull();
        assertThat(r.processed()).isEqualTo(Algorithm.feasibleNodesToFind(2000)).isEqualTo(680);
        assertThat(Algorithm.feasibleNodesToFind(50)).isEqualTo(50);
        assertThat(Algorithm.feasibleNodesToFind(5000)).isEqualTo(500);
    }
}
