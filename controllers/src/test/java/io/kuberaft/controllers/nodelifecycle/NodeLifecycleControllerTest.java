package io.kuberaft.controllers.nodelifecycle;

import io.fabric8.kubernetes.api.model.Endpoints;
import io.fabric8.kubernetes.api.model.EndpointAddress;
import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.ServiceBuilder;
import io.fabric8.kubernetes.api.model.Taint;
import io.fabric8.kubernetes.api.model.TolerationBuilder;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.NodeBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import io.kuberaft.controllers.ApiFixture;
import io.kuberaft.controllers.ControllerOptions;
import io.kuberaft.controllers.TestPods;
import io.kuberaft.controllers.endpoints.EndpointsController;
import io.kuberaft.controllers.runtime.Controller;
import io.kuberaft.controllers.runtime.ControllerContext;
import io.kuberaft.controllers.runtime.WorkQueue;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

import static io.kuberaft.controllers.ApiFixture.await;
import static org.assertj.core.api.Assertions.assertThat;

class NodeLifecycleControllerTest {
    static final Duration PERIOD = Duration.ofMillis(300);
    static final Duration GRACE = Duration.ofSeconds(2);
    @TempDir
    Path tmp;
    ApiFixture api;
    KubernetesClient k;
    Nodes nodes;
    ScheduledExecutorService kubelet = Executors.newSingleThreadScheduledExecutor();

    @BeforeEach
    void start() {
        ControllerOptions o = options();
        api = new ApiFixture(tmp, o, List.of(NodeLifecycleController::new, TaintEvictionController::new));
        k = api.client();
        nodes = new Nodes(k);
    }

    private static ControllerOptions options() {
        return ControllerOptions.defaults().withNodeMonitor(PERIOD, GRACE).withNodeStartupGracePeriod(GRACE)
                .withEvictionRates(100, 100);
    }

    @AfterEach
    void stop() {
        kubelet.shutdownNow();
        api.close();
    }

    private static io.fabric8.kubernetes.api.model.NodeSpec spec(io.fabric8.kubernetes.api.model.Node n) {
        if (n.getSpec() == null) {
            n.setSpec(new io.fabric8.kubernetes.api.model.NodeSpec());
        }
        return n.getSpec();
    }

    /** A node whose kubelet renews its Lease every 300 ms for the whole test. */
    private void healthy(String name) {
        nodes.create(name, Map.of(), Instant.now());
        nodes.renew(name, Instant.now());
        keepRenewing(List.of(name));
    }

    /** The nodes' kubelets: every 300 ms one round renews each Lease with the round's timestamp, until cancelled. */
    private java.util.concurrent.ScheduledFuture<?> keepRenewing(List<String> names) {
        return kubelet.scheduleWithFixedDelay(() -> {
            Instant at = Instant.now();
            for (String n : names) {
                try {
                    nodes.renew(n, at);
                } catch (RuntimeException e) {
                    // a conflict, or the test is ending: the next round renews it
                }
            }
        }, 300, 300, TimeUnit.MILLISECONDS);
    }

    @Test
    void aSilentNodeBecomesUnknownAndUnreachableThenRecovers() {
        healthy("good");
        Instant last = Instant.now();
        nodes.create("quiet", Map.of(), last);
        nodes.renew("quiet", last);
        await(GRACE.plus(PERIOD).plusSeconds(3), "quiet Ready=Unknown with unreachable taints",
                () -> "Unknown".equals(nodes.readyStatus("quiet"))
                        && nodes.taint("quiet", NodeLifecycleController.UNREACHABLE, "NoExecute") != null
                        && nodes.taint("quiet", NodeLifecycleController.UNREACHABLE, "NoSchedule") != null);
        var ready = NodeLifecycleController.condition(k.nodes().withName("quiet").get(), "Ready");
        assertThat(ready.getReason()).isEqualTo("NodeStatusUnknown");
        assertThat(ready.getMessage()).isEqualTo("Kubelet stopped posting node status.");
        Taint t = nodes.taint("quiet", NodeLifecycleController.UNREACHABLE, "NoExecute");
        assertThat(t.getTimeAdded()).isNotNull();
        assertThat("True").isEqualTo(nodes.readyStatus("good"));
        assertThat(k.nodes().withName("good").get().getSpec().getTaints()).isNullOrEmpty();
        await(Duration.ofSeconds(5), "NodeNotReady event", () -> k.v1().events().inNamespace("default").list().getItems().stream()
                .anyMatch(e -> e.getReason().equals("NodeNotReady") && e.getSource().getComponent().equals("node-controller")
                        && e.getMessage().equals("Node quiet status is now: NodeNotReady")));

        nodes.renew("quiet", Instant.now());
        nodes.postReady("quiet", Instant.now());
        await(Duration.ofSeconds(5), "taints removed", () -> {
            var taints = k.nodes().withName("quiet").get().getSpec().getTaints();
            return taints == null || taints.isEmpty();
        });
    }

    /** Hands the test the manager's shared Node informer (the one the node lifecycle controller reads). */
    static final class NodeInformerHandle implements Controller {
        static final AtomicReference<SharedIndexInformer<Node>> INFORMER = new AtomicReference<>();

        @Override
        public String name() {
            return "node-informer-handle";
        }

        @Override
        public void register(ControllerContext ctx, WorkQueue queue) {
            INFORMER.set(ctx.informers().of(Node.class));
        }

        @Override
        public void reconcile(String key) {
        }
    }

    /**
     * A Node watch that stops delivering (a stuck connection) leaves the cache behind the API server: every update from
     * it conflicts. As upstream's monitorNodeHealth, the controller retries from a fresh read, so a silent node still
     * goes Unknown and gets its taints instead of conflicting on every pass.
     */
    @Test
    void aSilentNodeIsMarkedEvenWhenTheNodeCacheIsBehind() {
        api.close();
        api = new ApiFixture(tmp.resolve("stale"), options(), List.of(NodeLifecycleController::new, NodeInformerHandle::new));
        k = api.client();
        nodes = new Nodes(k);
        healthy("good"); // one node Ready: not the "every node NotReady" mode, where no NoExecute taint goes on
        nodes.create("quiet", Map.of(), Instant.now());
        nodes.renew("quiet", Instant.now());
        var renewing = keepRenewing(List.of("quiet"));
        await(Duration.ofSeconds(30), "RegisteredNode quiet", () -> nodeEvent("RegisteredNode", "Node quiet event: Registered Node quiet in Controller"));
        SharedIndexInformer<Node> informer = NodeInformerHandle.INFORMER.get();
        informer.stop(); // the cache keeps what it had: from now on it only falls behind
        k.nodes().withName("quiet").edit(n -> new NodeBuilder(n).editMetadata().addToLabels("moved", "on").endMetadata().build());
        String cached = informer.getStore().getByKey("quiet").getMetadata().getResourceVersion();
        assertThat(k.nodes().withName("quiet").get().getMetadata().getResourceVersion()).as("the cache is behind").isNotEqualTo(cached);
        assertThat(nodes.readyStatus("quiet")).as("healthy while it renewed").isEqualTo("True");
        renewing.cancel(false);
        await(GRACE.plus(PERIOD).plusSeconds(5), "quiet Ready=Unknown with the unreachable taints despite the stale cache",
                () -> "Unknown".equals(nodes.readyStatus("quiet"))
                        && nodes.taint("quiet", NodeLifecycleController.UNREACHABLE, "NoExecute") != null
                        && nodes.taint("quiet", NodeLifecycleController.UNREACHABLE, "NoSchedule") != null);
        assertThat(k.nodes().withName("quiet").get().getMetadata().getLabels()).containsEntry("moved", "on");
    }

    /** Heartbeat ages are measured on the leader's clock from when they change: an agent's clock 5 min behind is fine. */
    private boolean nodeEvent(String reason, String message) {
        return k.v1().events().inNamespace("default").list().getItems().stream().anyMatch(e -> e.getReason().equals(reason)
                && e.getMessage().equals(message) && e.getType().equals("Normal") && e.getSource().getComponent().equals("node-controller")
                && e.getInvolvedObject().getKind().equals("Node"));
    }

    @Test
    void registeredAndRemovingNodeEvents() {
        healthy("n1");
        // the first look covers the controllers' start too
        await(Duration.ofSeconds(30), "RegisteredNode", () -> nodeEvent("RegisteredNode", "Node n1 event: Registered Node n1 in Controller"));
        k.nodes().withName("n1").delete();
        await(Duration.ofSeconds(5), "RemovingNode", () -> nodeEvent("RemovingNode", "Node n1 event: Removing Node n1 from Controller"));
    }

    private static List<String> ips(List<EndpointAddress> addresses) {
        return addresses == null ? List.of() : addresses.stream().map(EndpointAddress::getIp).toList();
    }

    /** upstream's MarkPodsNotReady: the pod leaves the Service's ready addresses within the grace period, not at eviction. */
    @Test
    void podsOfANodeThatStopsHeartbeatingAreMarkedNotReady() {
        // with the Endpoints controller too, in a fixture of its own: the other tests keep the lighter one
        api.close();
        api = new ApiFixture(tmp.resolve("endpoints"), options(),
                List.of(NodeLifecycleController::new, TaintEvictionController::new, EndpointsController::new));
        k = api.client();
        nodes = new Nodes(k);
        healthy("good");
        // the controllers run (a loaded machine may take a while to start them) before the countdown that matters
        await(Duration.ofSeconds(30), "RegisteredNode good", () -> nodeEvent("RegisteredNode", "Node good event: Registered Node good in Controller"));
        Instant last = Instant.now();
        nodes.create("quiet", Map.of(), last);
        nodes.renew("quiet", last);
        k.services().inNamespace("default").resource(new ServiceBuilder().withNewMetadata().withName("web").endMetadata()
                .withNewSpec().addToSelector("app", "web").addNewPort().withPort(80).withTargetPort(new IntOrString(8080)).endPort()
                .endSpec().build()).create();
        // tolerates the unreachable taint: stays bound, so only the Ready condition can move it out of the endpoints
        k.pods().inNamespace("default").resource(new PodBuilder().withNewMetadata().withName("web-1").addToLabels("app", "web").endMetadata()
                .withNewSpec().withNodeName("quiet").addNewContainer().withName("c").withImage("nginx").endContainer()
                .addNewToleration().withKey(NodeLifecycleController.UNREACHABLE).withOperator("Exists").withEffect("NoExecute").endToleration()
                .endSpec().build()).create();
        TestPods.setStatus(k, "web-1", "10.0.0.1", true);
        await(Duration.ofSeconds(15), "web-1 a ready address", () -> {
            Endpoints ep = k.endpoints().inNamespace("default").withName("web").get();
            return ep != null && ep.getSubsets() != null && !ep.getSubsets().isEmpty()
                    && ips(ep.getSubsets().get(0).getAddresses()).equals(List.of("10.0.0.1"));
        });

        await(GRACE.plus(PERIOD).plusSeconds(3), "web-1 Ready=False", () -> {
            Pod p = k.pods().inNamespace("default").withName("web-1").get();
            return p.getStatus().getConditions().stream().anyMatch(c -> c.getType().equals("Ready") && c.getStatus().equals("False"));
        });
        assertThat(nodes.readyStatus("quiet")).isEqualTo("Unknown");
        await(Duration.ofSeconds(5), "NodeNotReady on the pod", () -> k.v1().events().inNamespace("default").list().getItems().stream()
                .anyMatch(e -> e.getReason().equals("NodeNotReady") && e.getType().equals("Warning")
                        && e.getMessage().equals("Node is not ready") && e.getInvolvedObject().getKind().equals("Pod")
                        && e.getInvolvedObject().getName().equals("web-1") && e.getSource().getComponent().equals("node-controller")));
        await(Duration.ofSeconds(5), "web-1 a not-ready address", () -> {
            Endpoints ep = k.endpoints().inNamespace("default").withName("web").get();
            return ep.getSubsets() != null && ep.getSubsets().size() == 1 && ips(ep.getSubsets().get(0).getAddresses()).isEmpty()
                    && ips(ep.getSubsets().get(0).getNotReadyAddresses()).equals(List.of("10.0.0.1"));
        });
        assertThat(nodes.deleting("web-1")).isFalse();
    }

    @Test
    void aNodeWhoseClockIsBehindStaysHealthyWhileASilentOneGoesUnknown() {
        Duration behind = Duration.ofMinutes(5);
        nodes.create("skewed", Map.of(), Instant.now().minus(behind));
        nodes.renew("skewed", Instant.now().minus(behind));
        kubelet.scheduleWithFixedDelay(() -> {
            try {
                nodes.renew("skewed", Instant.now().minus(behind));
            } catch (RuntimeException e) {
                // the test is ending
            }
        }, 300, 300, TimeUnit.MILLISECONDS);
        Instant last = Instant.now();
        nodes.create("quiet", Map.of(), last);
        nodes.renew("quiet", last);
        await(GRACE.plus(PERIOD).plusSeconds(5), "quiet Ready=Unknown", () -> "Unknown".equals(nodes.readyStatus("quiet")));
        assertThat(nodes.readyStatus("skewed")).isEqualTo("True");
        assertThat(k.nodes().withName("skewed").get().getSpec().getTaints()).isNullOrEmpty();
    }

    @Test
    void notReadyAndCordonTaints() {
        healthy("n1");
        nodes.create("sick", Map.of(), Instant.now());
        var n = k.nodes().withName("sick").get();
        n.getStatus().setConditions(List.of(Nodes.ready("False", Instant.now().plusSeconds(3600))));
        k.nodes().resource(n).updateStatus();
        await(Duration.ofSeconds(5), "not-ready taints", () -> nodes.taint("sick", NodeLifecycleController.NOT_READY, "NoExecute") != null
                && nodes.taint("sick", NodeLifecycleController.NOT_READY, "NoSchedule") != null);
        k.nodes().withName("n1").edit(x -> {
            spec(x).setUnschedulable(true);
            return x;
        });
        await(Duration.ofSeconds(5), "unschedulable taint", () -> nodes.taint("n1", NodeLifecycleController.UNSCHEDULABLE, "NoSchedule") != null);
        k.nodes().withName("n1").edit(x -> {
            spec(x).setUnschedulable(false);
            return x;
        });
        await(Duration.ofSeconds(5), "unschedulable taint gone", () -> nodes.taint("n1", NodeLifecycleController.UNSCHEDULABLE, "NoSchedule") == null);
    }

    @Test
    void anUntoleratedNoExecuteTaintEvictsAtOnce() {
        healthy("n1");
        nodes.pod("victim", "n1");
        nodes.pod("stays", "n1", new TolerationBuilder().withKey("dedicated").withOperator("Equal").withValue("db")
                .withEffect("NoExecute").build());
        k.nodes().withName("n1").edit(x -> {
            spec(x).setTaints(List.of(new io.fabric8.kubernetes.api.model.TaintBuilder().withKey("dedicated").withValue("db")
                    .withEffect("NoExecute").withTimeAdded(Instant.now().toString()).build()));
            return x;
        });
        await(Duration.ofSeconds(5), "victim evicted", () -> nodes.deleting("victim"));
        Pod p = k.pods().inNamespace("default").withName("victim").get();
        if (p != null) {
            assertThat(p.getStatus().getConditions()).anyMatch(c -> c.getType().equals("DisruptionTarget")
                    && c.getReason().equals("DeletionByTaintManager") && c.getStatus().equals("True"));
        }
        await(Duration.ofSeconds(5), "TaintManagerEviction event", () -> k.v1().events().inNamespace("default").list().getItems().stream()
                .anyMatch(e -> e.getReason().equals("TaintManagerEviction") && e.getMessage().equals("Marking for deletion Pod default/victim")));
        assertThat(nodes.deleting("stays")).isFalse();
    }

    @Test
    void aCountdownEndedByTheTaintGoingAwayRecordsTheCancellation() {
        healthy("n1");
        nodes.pod("canary", "n1");
        nodes.pod("patient", "n1", new TolerationBuilder().withKey("dedicated").withOperator("Exists")
                .withEffect("NoExecute").withTolerationSeconds(60L).build());
        k.nodes().withName("n1").edit(x -> {
            spec(x).setTaints(List.of(new io.fabric8.kubernetes.api.model.TaintBuilder().withKey("dedicated").withValue("db")
                    .withEffect("NoExecute").withTimeAdded(Instant.now().toString()).build()));
            return x;
        });
        // the canary's eviction shows the taint was seen (both pods were queued by the same node change)
        await(Duration.ofSeconds(30), "canary evicted", () -> nodes.deleting("canary"));
        k.nodes().withName("n1").edit(x -> {
            spec(x).setTaints(List.of());
            return x;
        });
        await(Duration.ofSeconds(5), "cancelling event", () -> k.v1().events().inNamespace("default").list().getItems().stream()
                .anyMatch(e -> e.getReason().equals("TaintManagerEviction") && e.getType().equals("Normal")
                        && e.getMessage().equals("Cancelling deletion of Pod default/patient")
                        && e.getInvolvedObject().getName().equals("patient")));
        assertThat(nodes.deleting("patient")).isFalse();
    }

    @Test
    void theTolerationCountdownSurvivesALeaderChange() {
        healthy("good");
        Instant last = Instant.now();
        nodes.create("dying", Map.of(), last);
        nodes.renew("dying", last);
        nodes.pod("patient", "dying", new TolerationBuilder().withKey(NodeLifecycleController.UNREACHABLE).withOperator("Exists")
                .withEffect("NoExecute").withTolerationSeconds(6L).build());
        await(GRACE.plus(PERIOD).plusSeconds(3), "unreachable NoExecute taint",
                () -> nodes.taint("dying", NodeLifecycleController.UNREACHABLE, "NoExecute") != null);
        Instant added = Instant.parse(nodes.taint("dying", NodeLifecycleController.UNREACHABLE, "NoExecute").getTimeAdded());
        Instant deadline = added.plusSeconds(6);
        // a new term 2 s into the countdown: the new leader must keep the deadline, not restart it
        await(Duration.ofSeconds(5), "2 s into the countdown", () -> Instant.now().isAfter(added.plusSeconds(2)));
        api.manager().onNotLeader();
        api.store().setTerm(2);
        api.manager().onLeaderReady(2);
        await(Duration.ofSeconds(12), "patient evicted", () -> nodes.deleting("patient"));
        Instant seen = Instant.now();
        assertThat(Duration.between(deadline, seen).abs()).isLessThan(Duration.ofSeconds(2));
        assertThat(api.manager().activeTerm()).isEqualTo(2);
    }

    @Test
    void noEvictionsWhenEveryNodeIsNotReady() {
        Instant last = Instant.now();
        for (String n : List.of("a", "b")) {
            nodes.create(n, Map.of(), last);
            nodes.renew(n, last);
        }
        // The controller may first see a and b a pass apart, so a can be alone Unknown for one pass (a healthy
        // zone: upstream taints it NoExecute too); 2 s of toleration outlast that pass, and the next one, with
        // both Unknown, lifts the taint before anything is evicted.
        var quick = new TolerationBuilder().withKey(NodeLifecycleController.UNREACHABLE).withOperator("Exists")
                .withEffect("NoExecute").withTolerationSeconds(2L).build();
        nodes.pod("pa", "a", quick);
        nodes.pod("pb", "b", quick);
        await(GRACE.plus(PERIOD).plusSeconds(3), "both Unknown with NoSchedule taints",
                () -> "Unknown".equals(nodes.readyStatus("a")) && "Unknown".equals(nodes.readyStatus("b"))
                        && nodes.taint("a", NodeLifecycleController.UNREACHABLE, "NoSchedule") != null
                        && nodes.taint("b", NodeLifecycleController.UNREACHABLE, "NoSchedule") != null);
        // master disruption mode: several periods pass and nothing is tainted NoExecute nor evicted
        Instant until = Instant.now().plus(PERIOD.multipliedBy(5));
        await(Duration.ofSeconds(5), "a few periods", () -> Instant.now().isAfter(until));
        assertThat(nodes.taint("a", NodeLifecycleController.UNREACHABLE, "NoExecute")).isNull();
        assertThat(nodes.taint("b", NodeLifecycleController.UNREACHABLE, "NoExecute")).isNull();
        assertThat(nodes.deleting("pa") || nodes.deleting("pb")).isFalse();

        // b comes back: the cluster is no longer fully disrupted, a is tainted and its pod evicted
        nodes.renew("b", Instant.now());
        nodes.postReady("b", Instant.now());
        await(Duration.ofSeconds(10), "pa evicted", () -> nodes.deleting("pa"));
        assertThat(nodes.deleting("pb")).isFalse();
        List<Event> events = k.v1().events().inNamespace("default").list().getItems();
        assertThat(events).anyMatch(e -> e.getReason().equals("TaintManagerEviction"));
    }

    /** Nodes that renew together, each round with one timestamp, until {@link #silence}: then they go stale in one pass. */
    private java.util.concurrent.ScheduledFuture<?> renewTogether(List<String> names) {
        Instant now = Instant.now();
        for (String n : names) {
            nodes.create(n, Map.of(), now);
            nodes.renew(n, now);
        }
        return keepRenewing(names);
    }

    private void silence(java.util.concurrent.ScheduledFuture<?> renewing, List<String> names) throws Exception {
        renewing.cancel(false);
        // get() on a cancelled task returns at once, even while a round runs: the kubelet executor has one thread, so a
        // no-op queued behind that round finishes only after it — no renewal lands after the last one below
        kubelet.submit(() -> { }).get();
        Instant last = Instant.now();
        for (String n : names) {
            nodes.renew(n, last);
        }
    }

    /**
     * upstream's zone states: 3 of 4 nodes NotReady (more than 2, and at least --unhealthy-zone-threshold 0.55) is a
     * partial disruption, and a zone of at most --large-cluster-size-threshold nodes then stops tainting for eviction
     * (the secondary rate applies only to larger zones): NoSchedule taints yes, NoExecute no, until the zone is normal.
     */
    @Test
    void aPartiallyDisruptedSmallZoneTaintsNoNodeForEviction() throws Exception {
        healthy("good");
        List<String> quiet = List.of("q1", "q2", "q3");
        var renewing = renewTogether(quiet);
        await(Duration.ofSeconds(30), "the controller sees q3", () -> nodeEvent("RegisteredNode", "Node q3 event: Registered Node q3 in Controller"));
        silence(renewing, quiet);
        await(GRACE.plus(PERIOD).plusSeconds(5), "q1..q3 Unknown with the unreachable NoSchedule taint",
                () -> quiet.stream().allMatch(n -> "Unknown".equals(nodes.readyStatus(n))
                        && nodes.taint(n, NodeLifecycleController.UNREACHABLE, "NoSchedule") != null));
        // several passes of a partially disrupted small zone: nothing tainted NoExecute
        Instant until = Instant.now().plus(PERIOD.multipliedBy(5));
        await(Duration.ofSeconds(5), "five monitor periods", () -> {
            for (String n : quiet) {
                assertThat(nodes.taint(n, NodeLifecycleController.UNREACHABLE, "NoExecute")).as("%s while the zone is partially disrupted", n).isNull();
            }
            return Instant.now().isAfter(until);
        });
        // q1 and q2 come back: 1 of 4 NotReady is a normal zone, and q3 gets its NoExecute taint
        for (String n : List.of("q1", "q2")) {
            nodes.renew(n, Instant.now());
            nodes.postReady(n, Instant.now());
        }
        keepRenewing(List.of("q1", "q2"));
        await(Duration.ofSeconds(10), "q3 tainted NoExecute once the zone is normal",
                () -> nodes.taint("q3", NodeLifecycleController.UNREACHABLE, "NoExecute") != null);
        assertThat(nodes.taint("q1", NodeLifecycleController.UNREACHABLE, "NoExecute")).isNull();
    }

    /** --node-eviction-rate: NoExecute taints go on one at a time, 1/rate seconds apart (upstream's zone token bucket). */
    @Test
    void evictionTaintsFollowTheNodeEvictionRate() throws Exception {
        api.close();
        api = new ApiFixture(tmp.resolve("rate"), options().withEvictionRates(0.25, 0.25),
                List.of(NodeLifecycleController::new, TaintEvictionController::new));
        k = api.client();
        nodes = new Nodes(k);
        for (String n : List.of("g1", "g2", "g3")) {
            healthy(n);
        }
        List<String> quiet = List.of("q1", "q2");
        var renewing = renewTogether(quiet);
        await(Duration.ofSeconds(30), "the controller sees q2", () -> nodeEvent("RegisteredNode", "Node q2 event: Registered Node q2 in Controller"));
        silence(renewing, quiet);
        await(GRACE.plus(PERIOD).plusSeconds(12), "q1 and q2 tainted NoExecute",
                () -> quiet.stream().allMatch(n -> nodes.taint(n, NodeLifecycleController.UNREACHABLE, "NoExecute") != null));
        List<Instant> added = quiet.stream().map(n -> Instant.parse(nodes.taint(n, NodeLifecycleController.UNREACHABLE, "NoExecute").getTimeAdded()))
                .sorted().toList();
        // 0.25 per second: the second token 4 s after the first (timeAdded has whole seconds)
        assertThat(Duration.between(added.get(0), added.get(1))).as("between the two NoExecute taints: %s", added)
                .isGreaterThanOrEqualTo(Duration.ofSeconds(3));
    }
}
