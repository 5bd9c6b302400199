package io.kuberaft.controllers.replicaset;

import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.ReplicationControllerBuilder;
import io.fabric8.kubernetes.api.model.ResourceQuotaBuilder;
import io.fabric8.kubernetes.api.model.apps.ReplicaSet;
import io.fabric8.kubernetes.api.model.apps.ReplicaSetBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.Watch;
import io.fabric8.kubernetes.client.Watcher;
import io.fabric8.kubernetes.client.WatcherException;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import io.kuberaft.controllers.ApiFixture;
import io.kuberaft.controllers.ControllerOptions;
import io.kuberaft.controllers.runtime.ControllerRefs;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

import static io.kuberaft.controllers.ApiFixture.await;
import static org.assertj.core.api.Assertions.assertThat;

public class ReplicaSetControllerTest {
    @TempDir
    Path tmp;
    ApiFixture api;
    KubernetesClient k;

    @BeforeEach
    void start() {
        api = new ApiFixture(tmp, ControllerOptions.defaults(), List.of(ReplicaSetController::replicaSets,
                ReplicaSetController::replicationControllers));
        k = api.client();
    }

    @AfterEach
    void stop() {
        api.close();
    }

    static ReplicaSet rs(String name, int replicas, Map<String, String> labels) {
        return new ReplicaSetBuilder().withNewMetadata().withName(name).endMetadata()
                .withNewSpec().withReplicas(replicas).withNewSelector().withMatchLabels(labels).endSelector()
                .withNewTemplate().withNewMetadata().withLabels(labels).endMetadata()
                .withNewSpec().addNewContainer().withName("c").withImage("nginx").endContainer().endSpec()
                .endTemplate().endSpec().build();
    }

    /** The live (not terminating) pods with a label, as a watch sees them, and the most ever seen at once. */
    static final class PodCounter implements Watcher<Pod>, AutoCloseable {
        final Set<String> live = ConcurrentHashMap.newKeySet();
        final AtomicInteger max = new AtomicInteger();
        Watch watch;

        PodCounter(KubernetesClient k, String label, String value) {
            watch = k.pods().inNamespace("default").withLabel(label, value).watch(this);
        }

        @Override
        public void eventReceived(Action action, Pod p) {
            String name = p.getMetadata().getName();
            if (action == Action.DELETED || p.getMetadata().getDeletionTimestamp() != null) {
                live.remove(name);
            } else if (action == Action.ADDED || action == Action.MODIFIED) {
                live.add(name);
            }
            max.accumulateAndGet(live.size(), Math::max);
        }

        @Override
        public void onClose(WatcherException cause) {
        }

        void reset() {
            max.set(live.size());
        }

        @Override
        public void close() {
            watch.close();
        }
    }

    private List<Pod> podsOf(String rsName) {
        ReplicaSet rs = k.apps().replicaSets().inNamespace("default").withName(rsName).get();
        return k.pods().inNamespace("default").list().getItems().stream()
                .filter(p -> ControllerRefs.isControlledBy(p, rs) && p.getMetadata().getDeletionTimestamp() == null).toList();
    }

    private void scale(String name, int replicas) {
        k.apps().replicaSets().inNamespace("default").withName(name)
                .patch(PatchContext.of(PatchType.JSON_MERGE), "{\"spec\":{\"replicas\":" + replicas + "}}");
    }

    private ReplicaSet get(String name) {
        return k.apps().replicaSets().inNamespace("default").withName(name).get();
    }

    @Test
    void scalesUpAndDownAndNeverRunsMoreThanReplicas() throws Exception {
        try (PodCounter counter = new PodCounter(k, "app", "web")) {
            k.apps().replicaSets().inNamespace("default").resource(rs("web", 3, Map.of("app", "web"))).create();
            await(Duration.ofSeconds(20), "3 pods and status.replicas=3", () -> podsOf("web").size() == 3
                    && get("web").getStatus() != null && Integer.valueOf(3).equals(get("web").getStatus().getReplicas()));
            assertThat(counter.max.get()).isEqualTo(3);
            assertThat(get("web").getStatus().getObservedGeneration()).isEqualTo(get("web").getMetadata().getGeneration());

            scale("web", 8);
            // the counter's watch may deliver the last ADDED after a list already shows it
            await(Duration.ofSeconds(20), "8 pods", () -> podsOf("web").size() == 8 && counter.live.size() == 8);
            assertThat(counter.max.get()).isEqualTo(8);

            // quick changes, faster than the controller can follow
            counter.reset();
            for (int r : new int[]{1, 6, 2, 7, 5}) {
                scale("web", r);
                Thread.sleep(15);
            }
            await(Duration.ofSeconds(20), "5 pods", () -> podsOf("web").size() == 5 && counter.live.size() == 5);
            Thread.sleep(1000); // nothing late may appear
            assertThat(podsOf("web")).hasSize(5);
            assertThat(counter.live).hasSize(5);
            assertThat(counter.max.get()).isLessThanOrEqualTo(8);

            scale("web", 0);
            await(Duration.ofSeconds(20), "no pods", () -> podsOf("web").isEmpty()
                    && Integer.valueOf(0).equals(get("web").getStatus().getReplicas()));
        }
        var events = k.v1().events().inNamespace("default").list().getItems();
        assertThat(events).anyMatch(e -> e.getReason().equals("SuccessfulCreate") && e.getMessage().startsWith("Created pod: web-")
                && e.getSource().getComponent().equals("replicaset-controller"));
        assertThat(events).anyMatch(e -> e.getReason().equals("SuccessfulDelete") && e.getMessage().startsWith("Deleted pod: web-"));
    }

    @Test
    void adoptsMatchingOrphansAndReleasesPodsThatStopMatching() {
        k.pods().inNamespace("default").resource(new PodBuilder().withNewMetadata().withName("orphan")
                .withLabels(Map.of("app", "db")).endMetadata()
                .withNewSpec().addNewContainer().withName("c").withImage("nginx").endContainer().endSpec().build()).create();
        k.apps().replicaSets().inNamespace("default").resource(rs("db", 2, Map.of("app", "db"))).create();
        await(Duration.ofSeconds(20), "2 pods owned, the orphan among them", () -> podsOf("db").size() == 2
                && podsOf("db").stream().anyMatch(p -> p.getMetadata().getName().equals("orphan")));
        Pod orphan = k.pods().inNamespace("default").withName("orphan").get();
        var ref = ControllerRefs.controllerOf(orphan).orElseThrow();
        assertThat(ref.getKind()).isEqualTo("ReplicaSet");
        assertThat(ref.getApiVersion()).isEqualTo("apps/v1");
        assertThat(ref.getBlockOwnerDeletion()).isTrue();

        // relabel: the pod is released (no owner) and replaced
        k.pods().inNamespace("default").withName("orphan")
                .patch(PatchContext.of(PatchType.JSON_MERGE), "{\"metadata\":{\"labels\":{\"app\":\"other\"}}}");
        await(Duration.ofSeconds(20), "orphan released and replaced", () -> {
            Pod p = k.pods().inNamespace("default").withName("orphan").get();
            return (p.getMetadata().getOwnerReferences() == null || p.getMetadata().getOwnerReferences().isEmpty())
                    && podsOf("db").size() == 2 && podsOf("db").stream().noneMatch(x -> x.getMetadata().getName().equals("orphan"));
        });
        await(Duration.ofSeconds(20), "fullyLabeledReplicas=2", () -> Integer.valueOf(2).equals(get("db").getStatus().getFullyLabeledReplicas()));
    }

    @Test
    void readyAndAvailableReplicasFollowPodReadinessAndMinReadySeconds() {
        ReplicaSet r = rs("api", 2, Map.of("app", "api"));
        r.getSpec().setMinReadySeconds(1);
        k.apps().replicaSets().inNamespace("default").resource(r).create();
        await(Duration.ofSeconds(20), "2 pods", () -> podsOf("api").size() == 2);
        for (Pod p : podsOf("api")) {
            markReady(k, p);
        }
        await(Duration.ofSeconds(20), "readyReplicas=2", () -> Integer.valueOf(2).equals(get("api").getStatus().getReadyReplicas()));
        await(Duration.ofSeconds(20), "availableReplicas=2 after minReadySeconds",
                () -> Integer.valueOf(2).equals(get("api").getStatus().getAvailableReplicas()));
    }

    @Test
    void replicaFailureConditionWhenCreatesFail() {
        k.resourceQuotas().inNamespace("default").resource(new ResourceQuotaBuilder().withNewMetadata().withName("q").endMetadata()
                .withNewSpec().addToHard("pods", new io.fabric8.kubernetes.api.model.Quantity("1")).endSpec().build()).create();
        k.apps().replicaSets().inNamespace("default").resource(rs("big", 3, Map.of("app", "big"))).create();
        await(Duration.ofSeconds(20), "ReplicaFailure FailedCreate", () -> {
            var st = get("big").getStatus();
            return st != null && st.getConditions() != null && st.getConditions().stream().anyMatch(c ->
                    c.getType().equals("ReplicaFailure") && c.getReason().equals("FailedCreate") && c.getMessage().contains("exceeded quota"));
        });
        assertThat(podsOf("big")).hasSize(1);
        k.resourceQuotas().inNamespace("default").withName("q").delete();
        await(Duration.ofSeconds(30), "3 pods, condition gone", () -> podsOf("big").size() == 3
                && (get("big").getStatus().getConditions() == null || get("big").getStatus().getConditions().isEmpty()));
    }

    @Test
    void replicationControllerUsesItsMapSelector() {
        k.replicationControllers().inNamespace("default").resource(new ReplicationControllerBuilder().withNewMetadata().withName("rc")
                .endMetadata().withNewSpec().withReplicas(2).withSelector(Map.of("app", "rc"))
                .withNewTemplate().withNewMetadata().withLabels(Map.of("app", "rc")).endMetadata()
                .withNewSpec().addNewContainer().withName("c").withImage("nginx").endContainer().endSpec().endTemplate()
                .endSpec().build()).create();
        await(Duration.ofSeconds(20), "2 RC pods, status 2", () -> {
            var rc = k.replicationControllers().inNamespace("default").withName("rc").get();
            long n = k.pods().inNamespace("default").withLabel("app", "rc").list().getItems().stream()
                    .filter(p -> ControllerRefs.isControlledBy(p, rc)).count();
            return n == 2 && rc.getStatus() != null && Integer.valueOf(2).equals(rc.getStatus().getReplicas());
        });
        Pod p = k.pods().inNamespace("default").withLabel("app", "rc").list().getItems().get(0);
        assertThat(ControllerRefs.controllerOf(p).orElseThrow().getKind()).isEqualTo("ReplicationController");
        assertThat(p.getMetadata().getName()).startsWith("rc-");
    }

    /** What a kubelet would report: Running and Ready now. */
    public static void markReady(KubernetesClient k, Pod p) {
        String now = Instant.now().truncatedTo(java.time.temporal.ChronoUnit.SECONDS).toString();
        k.pods().inNamespace(p.getMetadata().getNamespace()).withName(p.getMetadata().getName()).subresource("status")
                .patch(PatchContext.of(PatchType.JSON_MERGE), "{\"status\":{\"phase\":\"Running\",\"conditions\":[{\"type\":\"Ready\","
                        + "\"status\":\"True\",\"lastTransitionTime\":\"" + now + "\"}]}}");
    }
}
