package io.kuberaft.controllers.deployment;

import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.DeploymentBuilder;
import io.fabric8.kubernetes.api.model.apps.DeploymentCondition;
import io.fabric8.kubernetes.api.model.apps.ReplicaSet;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.Watch;
import io.fabric8.kubernetes.client.Watcher;
import io.fabric8.kubernetes.client.WatcherException;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import io.fabric8.kubernetes.client.utils.Serialization;
import io.kuberaft.controllers.ApiFixture;
import io.kuberaft.controllers.ControllerOptions;
import io.kuberaft.controllers.replicaset.ReplicaSetController;
import io.kuberaft.controllers.replicaset.ReplicaSetControllerTest;
import io.kuberaft.controllers.runtime.ControllerRefs;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

import static io.kuberaft.controllers.ApiFixture.await;
import static org.assertj.core.api.Assertions.assertThat;

class DeploymentControllerTest {
    @TempDir
    Path tmp;
    ApiFixture api;
    KubernetesClient k;
    volatile boolean kubeletOn = true;
    Thread kubelet;

    @BeforeEach
    void start() {
        api = new ApiFixture(tmp, ControllerOptions.defaults(), List.of(ReplicaSetController::replicaSets, DeploymentController::new));
        k = api.client();
        // plays kubelet: every pending pod becomes Running and Ready a moment after it appears
        kubelet = new Thread(() -> {
            while (!Thread.currentThread().isInterrupted()) {
                try {
                    if (kubeletOn) {
                        for (Pod p : k.pods().inNamespace("default").list().getItems()) {
                            if (p.getMetadata().getDeletionTimestamp() == null && (p.getStatus() == null || !"Running".equals(p.getStatus().getPhase()))) {
                                try {
                                    ReplicaSetControllerTest.markReady(k, p);
                                } catch (RuntimeException ignored) {
                                    // deleted meanwhile
                                }
                            }
                        }
                    }
                    Thread.sleep(100);
                } catch (InterruptedException e) {
                    return;
                } catch (RuntimeException ignored) {
                    // the server is shutting down
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

    static Deployment deployment(String name, int replicas, String image) {
        return new DeploymentBuilder().withNewMetadata().withName(name).endMetadata()
                .withNewSpec().withReplicas(replicas).withNewSelector().withMatchLabels(Map.of("app", name)).endSelector()
                .withNewTemplate().withNewMetadata().withLabels(Map.of("app", name)).endMetadata()
                .withNewSpec().addNewContainer().withName("c").withImage(image).endContainer().endSpec()
                .endTemplate().endSpec().build();
    }

    private Deployment get(String name) {
        return k.apps().deployments().inNamespace("default").withName(name).get();
    }

    private List<ReplicaSet> replicaSets(String name) {
        Deployment d = get(name);
        return k.apps().replicaSets().inNamespace("default").list().getItems().stream()
                .filter(rs -> ControllerRefs.isControlledBy(rs, d)).toList();
    }

    private static DeploymentCondition cond(Deployment d, String type) {
        return d.getStatus() == null || d.getStatus().getConditions() == null ? null
                : d.getStatus().getConditions().stream().filter(c -> c.getType().equals(type)).findFirst().orElse(null);
    }

    /** What kubectl rollout status waits for. */
    private boolean rolledOut(String name) {
        Deployment d = get(name);
        var s = d.getStatus();
        if (s == null || s.getObservedGeneration() == null || s.getObservedGeneration() < d.getMetadata().getGeneration()) {
            return false;
        }
        int r = d.getSpec().getReplicas();
        DeploymentCondition p = cond(d, "Progressing");
        return s.getUpdatedReplicas() != null && s.getUpdatedReplicas() == r && s.getReplicas() == r
                && s.getAvailableReplicas() != null && s.getAvailableReplicas() == r
                && p != null && p.getReason().equals("NewReplicaSetAvailable");
    }

    private void setImage(String name, String image, String cause) {
        k.apps().deployments().inNamespace("default").withName(name).patch(PatchContext.of(PatchType.STRATEGIC_MERGE),
                "{\"metadata\":{\"annotations\":{\"kubernetes.io/change-cause\":\"" + cause + "\"}},"
                        + "\"spec\":{\"template\":{\"spec\":{\"containers\":[{\"name\":\"c\",\"image\":\"" + image + "\"}]}}}}");
    }

    /** Live pods and live Ready pods of a label as a watch sees them, with the max total and min ready. */
    static final class Census implements Watcher<Pod>, AutoCloseable {
        final Map<String, Pod> live = new ConcurrentHashMap<>();
        final AtomicInteger maxLive = new AtomicInteger();
        final AtomicInteger minReady = new AtomicInteger(Integer.MAX_VALUE);
        final Map<String, Boolean> rsSeen = new ConcurrentHashMap<>();
        /** What the census saw, for the failure message: a bound broken says little without the sequence. */
        final List<String> timeline = new java.util.concurrent.CopyOnWriteArrayList<>();
        volatile boolean overlap;
        final Watch watch;

        Census(KubernetesClient k, String app) {
            var list = k.pods().inNamespace("default").withLabel("app", app).list();
            for (Pod p : list.getItems()) {
                if (p.getMetadata().getDeletionTimestamp() == null) {
                    live.put(p.getMetadata().getName(), p);
                }
            }
            timeline.add("listed " + live.keySet() + " at rv " + list.getMetadata().getResourceVersion());
            // from the list's revision: nothing between the list and the watch is missed
            watch = k.pods().inNamespace("default").withLabel("app", app)
                    .watch(new io.fabric8.kubernetes.api.model.ListOptionsBuilder().withResourceVersion(list.getMetadata().getResourceVersion()).build(), this);
        }

        @Override
        public synchronized void eventReceived(Action action, Pod p) {
            if (action == Action.DELETED || p.getMetadata().getDeletionTimestamp() != null) {
                live.remove(p.getMetadata().getName());
            } else {
                live.put(p.getMetadata().getName(), p);
            }
            maxLive.accumulateAndGet(live.size(), Math::max);
            timeline.add(action + " " + p.getMetadata().getName() + " rv=" + p.getMetadata().getResourceVersion()
                    + (p.getMetadata().getDeletionTimestamp() != null ? " terminating" : "") + " ready=" + io.kuberaft.controllers.replicaset.Pods.isReady(p)
                    + " -> live " + live.size());
            int ready = (int) live.values().stream().filter(io.kuberaft.controllers.replicaset.Pods::isReady).count();
            minReady.accumulateAndGet(ready, Math::min);
            long hashes = live.values().stream().map(x -> x.getMetadata().getLabels().get("pod-template-hash")).distinct().count();
            overlap |= hashes > 1;
        }

        @Override
        public void onClose(WatcherException cause) {
        }

        @Override
        public void close() {
            watch.close();
        }
    }

    @Test
    void rollingUpdateRespectsSurgeAndUnavailabilityThenUndoReusesTheOldReplicaSet() {
        Deployment d = deployment("web", 4, "nginx:1");
        d.getMetadata().setAnnotations(Map.of("kubernetes.io/change-cause", "v1"));
        d.getSpec().setStrategy(new io.fabric8.kubernetes.api.model.apps.DeploymentStrategyBuilder().withType("RollingUpdate")
                .withNewRollingUpdate().withMaxSurge(new IntOrString(1)).withMaxUnavailable(new IntOrString(1)).endRollingUpdate().build());
        k.apps().deployments().inNamespace("default").resource(d).create();
        await(Duration.ofSeconds(30), "web rolled out", () -> rolledOut("web"));
        ReplicaSet rs1 = replicaSets("web").get(0);
        String hash1 = rs1.getMetadata().getLabels().get("pod-template-hash");
        assertThat(rs1.getMetadata().getName()).isEqualTo("web-" + hash1);
        assertThat(hash1).matches("[bcdfghjklmnpqrstvwxz2456789]{6,10}");
        assertThat(rs1.getSpec().getSelector().getMatchLabels()).containsEntry("pod-template-hash", hash1);
        assertThat(rs1.getMetadata().getAnnotations()).containsEntry("deployment.kubernetes.io/revision", "1")
                .containsEntry("deployment.kubernetes.io/desired-replicas", "4")
                .containsEntry("deployment.kubernetes.io/max-replicas", "5")
                .containsEntry("kubernetes.io/change-cause", "v1");
        assertThat(get("web").getMetadata().getAnnotations()).containsEntry("deployment.kubernetes.io/revision", "1");
        assertThat(get("web").getMetadata().getGeneration()).as("the revision annotation is written as status: no generation bump").isEqualTo(1L);
        assertThat(cond(get("web"), "Available").getReason()).isEqualTo("MinimumReplicasAvailable");

        try (Census census = new Census(k, "web")) {
            setImage("web", "nginx:2", "v2");
            await(Duration.ofSeconds(40), "v2 rolled out", () -> rolledOut("web") && replicaSets("web").size() == 2);
            await(Duration.ofSeconds(10), "old pods gone", () -> census.live.size() == 4);
            List<String> scalings = k.v1().events().inNamespace("default").list().getItems().stream()
                    .filter(e -> e.getReason().equals("ScalingReplicaSet")).map(e -> e.getMessage()).toList();
            assertThat(census.maxLive.get()).as("never more than replicas + maxSurge; census: %s; scalings: %s", census.timeline, scalings)
                    .isLessThanOrEqualTo(5);
            assertThat(census.minReady.get()).as("never fewer ready than replicas - maxUnavailable; census: %s; scalings: %s", census.timeline, scalings)
                    .isGreaterThanOrEqualTo(3);
        }
        ReplicaSet rs2 = replicaSets("web").stream().filter(rs -> !rs.getMetadata().getUid().equals(rs1.getMetadata().getUid())).findFirst().orElseThrow();
        assertThat(rs2.getMetadata().getAnnotations()).containsEntry("deployment.kubernetes.io/revision", "2")
                .containsEntry("kubernetes.io/change-cause", "v2");
        assertThat(k.apps().replicaSets().inNamespace("default").withName(rs1.getMetadata().getName()).get().getSpec().getReplicas()).isZero();
        var events = k.v1().events().inNamespace("default").list().getItems().stream()
                .filter(e -> e.getReason().equals("ScalingReplicaSet")).map(e -> e.getMessage()).toList();
        assertThat(events).contains("Scaled up replica set " + rs1.getMetadata().getName() + " from 0 to 4");
        assertThat(events).anyMatch(m -> m.matches("Scaled down replica set " + rs1.getMetadata().getName() + " from \\d to \\d"));
        assertThat(events).anyMatch(m -> m.matches("Scaled up replica set " + rs2.getMetadata().getName() + " from \\d to \\d"));

        // kubectl rollout undo: the template of revision 1 patched back (client-side, as kubectl 1.32 does)
        ReplicaSet old = k.apps().replicaSets().inNamespace("default").withName(rs1.getMetadata().getName()).get();
        var template = Serialization.clone(old.getSpec().getTemplate());
        template.getMetadata().getLabels().remove("pod-template-hash");
        Map<String, String> ann = new java.util.HashMap<>();
        ann.put("deployment.kubernetes.io/revision", "2");
        ann.put("kubernetes.io/change-cause", "v1");
        String patch = Serialization.asJson(List.of(Map.of("op", "replace", "path", "/spec/template", "value", template),
                Map.of("op", "replace", "path", "/metadata/annotations", "value", ann)));
        k.apps().deployments().inNamespace("default").withName("web").patch(PatchContext.of(PatchType.JSON), patch);
        await(Duration.ofSeconds(40), "rolled back", () -> rolledOut("web")
                && "3".equals(k.apps().replicaSets().inNamespace("default").withName(rs1.getMetadata().getName()).get()
                .getMetadata().getAnnotations().get("deployment.kubernetes.io/revision"))
                && k.apps().replicaSets().inNamespace("default").withName(rs1.getMetadata().getName()).get().getSpec().getReplicas() == 4);
        assertThat(replicaSets("web")).hasSize(2);
        ReplicaSet reused = k.apps().replicaSets().inNamespace("default").withName(rs1.getMetadata().getName()).get();
        assertThat(reused.getMetadata().getAnnotations()).containsEntry("deployment.kubernetes.io/revision-history", "1");
        assertThat(get("web").getMetadata().getAnnotations()).containsEntry("deployment.kubernetes.io/revision", "3");
    }

    @Test
    void recreateStopsAllOldPodsBeforeStartingNewOnes() {
        Deployment d = deployment("rec", 3, "nginx:1");
        d.getSpec().setStrategy(new io.fabric8.kubernetes.api.model.apps.DeploymentStrategyBuilder().withType("Recreate").build());
        k.apps().deployments().inNamespace("default").resource(d).create();
        await(Duration.ofSeconds(30), "rec rolled out", () -> rolledOut("rec"));
        try (Census census = new Census(k, "rec")) {
            setImage("rec", "nginx:2", "v2");
            await(Duration.ofSeconds(30), "rec v2 rolled out", () -> rolledOut("rec") && replicaSets("rec").size() == 2);
            assertThat(census.overlap).as("old and new pods never together").isFalse();
            assertThat(census.maxLive.get()).isLessThanOrEqualTo(3);
        }
        assertThat(get("rec").getMetadata().getAnnotations()).containsEntry("deployment.kubernetes.io/revision", "2");
    }

    @Test
    void pausedDeploymentDoesNotRollUntilResumedAndScaleWorks() throws Exception {
        k.apps().deployments().inNamespace("default").resource(deployment("p", 2, "nginx:1")).create();
        await(Duration.ofSeconds(30), "p rolled out", () -> rolledOut("p"));
        k.apps().deployments().inNamespace("default").withName("p").patch(PatchContext.of(PatchType.JSON_MERGE), "{\"spec\":{\"paused\":true}}");
        setImage("p", "nginx:2", "v2");
        await(Duration.ofSeconds(10), "Progressing Unknown DeploymentPaused", () -> {
            DeploymentCondition c = cond(get("p"), "Progressing");
            return c != null && c.getReason().equals("DeploymentPaused") && c.getStatus().equals("Unknown")
                    && c.getMessage().equals("Deployment is paused");
        });
        // scaling while paused scales the current RS
        k.apps().deployments().inNamespace("default").withName("p").scale(3);
        await(Duration.ofSeconds(20), "scaled to 3 while paused", () -> replicaSets("p").size() == 1
                && replicaSets("p").get(0).getSpec().getReplicas() == 3);
        Thread.sleep(500);
        assertThat(replicaSets("p")).hasSize(1);
        k.apps().deployments().inNamespace("default").withName("p").patch(PatchContext.of(PatchType.JSON_MERGE), "{\"spec\":{\"paused\":false}}");
        await(Duration.ofSeconds(40), "p v2 rolled out after resume", () -> rolledOut("p") && replicaSets("p").size() == 2
                && Integer.valueOf(3).equals(get("p").getStatus().getAvailableReplicas()));
    }

    @Test
    void progressDeadlineExceededWhenPodsNeverBecomeReady() {
        kubeletOn = false;
        Deployment d = deployment("stuck", 2, "nginx:1");
        d.getSpec().setProgressDeadlineSeconds(2);
        k.apps().deployments().inNamespace("default").resource(d).create();
        await(Duration.ofSeconds(20), "ProgressDeadlineExceeded", () -> {
            DeploymentCondition c = cond(get("stuck"), "Progressing");
            return c != null && c.getStatus().equals("False") && c.getReason().equals("ProgressDeadlineExceeded")
                    && c.getMessage().matches("ReplicaSet \"stuck-[a-z0-9]+\" has timed out progressing.");
        });
        DeploymentCondition a = cond(get("stuck"), "Available");
        assertThat(a.getStatus()).isEqualTo("False");
        assertThat(a.getReason()).isEqualTo("MinimumReplicasUnavailable");
        assertThat(get("stuck").getStatus().getUnavailableReplicas()).isEqualTo(2);
    }

    @Test
    void revisionHistoryLimitPrunesOldReplicaSets() {
        Deployment d = deployment("h", 1, "nginx:1");
        d.getSpec().setRevisionHistoryLimit(1);
        k.apps().deployments().inNamespace("default").resource(d).create();
        await(Duration.ofSeconds(30), "h rolled out", () -> rolledOut("h"));
        for (int v = 2; v <= 4; v++) {
            setImage("h", "nginx:" + v, "v" + v);
            int want = v;
            await(Duration.ofSeconds(30), "h v" + v, () -> rolledOut("h") && "" .equals("") && String.valueOf(want)
                    .equals(get("h").getMetadata().getAnnotations().get("deployment.kubernetes.io/revision")));
        }
        await(Duration.ofSeconds(20), "one old RS kept", () -> replicaSets("h").size() == 2);
        List<String> revisions = new ArrayList<>(replicaSets("h").stream()
                .map(rs -> rs.getMetadata().getAnnotations().get("deployment.kubernetes.io/revision")).sorted().toList());
        assertThat(revisions).containsExactly("3", "4");
    }
}
