package io.kuberaft.controllers.statefulset;

import io.fabric8.kubernetes.api.model.DeletionPropagation;
import io.fabric8.kubernetes.api.model.ListOptionsBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.fabric8.kubernetes.api.model.apps.StatefulSetBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.Watch;
import io.fabric8.kubernetes.client.Watcher;
import io.fabric8.kubernetes.client.WatcherException;
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

import static io.kuberaft.controllers.ApiFixture.await;
import static org.assertj.core.api.Assertions.assertThat;

class StatefulSetControllerTest {
    @TempDir
    Path tmp;
    ApiFixture api;
    KubernetesClient k;

    @BeforeEach
    void start() {
        api = new ApiFixture(tmp, ControllerOptions.defaults(), List.of(StatefulSetController::new));
        k = api.client();
    }

    @AfterEach
    void stop() {
        api.close();
    }

    static StatefulSet sts(int replicas) {
        return new StatefulSetBuilder().withNewMetadata().withName("web").endMetadata().withNewSpec()
                .withReplicas(replicas).withServiceName("nginx")
                .withNewSelector().addToMatchLabels("app", "web").endSelector()
                .withNewTemplate().withNewMetadata().addToLabels("app", "web").endMetadata().withNewSpec()
                .addNewContainer().withName("c").withImage("nginx:1").addNewVolumeMount().withName("www").withMountPath("/data").endVolumeMount()
                .endContainer().endSpec().endTemplate()
                .addNewVolumeClaimTemplate().withNewMetadata().withName("www").endMetadata().withNewSpec()
                .withAccessModes("ReadWriteOnce").withNewResources().addToRequests("storage", new Quantity("1Gi")).endResources()
                .endSpec().endVolumeClaimTemplate()
                .endSpec().build();
    }

    List<String> podNames() {
        return pods().stream().map(p -> p.getMetadata().getName()).sorted().toList();
    }

    List<Pod> pods() {
        return k.pods().inNamespace("default").withLabel("app", "web").list().getItems().stream()
                .filter(p -> p.getMetadata().getDeletionTimestamp() == null).toList();
    }

    Pod pod(String name) {
        return k.pods().inNamespace("default").withName(name).get();
    }

    StatefulSet get() {
        return k.apps().statefulSets().inNamespace("default").withName("web").get();
    }

    /** Waits for exactly {@code names} to exist, checking no other pod ever shows up meanwhile. */
    void expectPods(List<String> names) {
        await(Duration.ofSeconds(20), "pods " + names, () -> {
            List<String> now = podNames();
            assertThat(names).as("no pod beyond the expected ones").containsAll(now);
            return now.equals(names);
        });
    }

    /** No event marks a ready pod becoming available: the set is looked at again when minReadySeconds have passed. */
    @Test
    void availableReplicasFollowMinReadySecondsWithoutAnotherEvent() {
        StatefulSet spec = sts(1);
        spec.getSpec().setMinReadySeconds(3);
        k.apps().statefulSets().inNamespace("default").resource(spec).create();
        expectPods(List.of("web-0"));
        PodPhases.running(k, pod("web-0"), true);
        await(Duration.ofSeconds(10), "1 ready", () -> get().getStatus() != null && Integer.valueOf(1).equals(get().getStatus().getReadyReplicas()));
        await(Duration.ofSeconds(15), "1 available once ready for 3 s", () -> Integer.valueOf(1).equals(get().getStatus().getAvailableReplicas()));
        var ready = pod("web-0").getStatus().getConditions().stream().filter(c -> c.getType().equals("Ready")).findFirst().orElseThrow();
        assertThat(java.time.Instant.now()).isAfterOrEqualTo(java.time.Instant.parse(ready.getLastTransitionTime()).plusSeconds(3));
    }

    /**
     * The StatefulSet tutorial's non-cascading delete: `kubectl delete statefulset web --cascade=orphan` leaves web-0 and
     * web-1 without a controller (the garbage collector strips the reference); applying web.yaml again adopts them
     * (upstream's getPodsForStatefulSet) instead of failing to create pods whose names are taken.
     */
    @Test
    void aNewSetAdoptsThePodsAnOrphaningDeleteLeft() {
        k.apps().statefulSets().inNamespace("default").resource(sts(2)).create();
        expectPods(List.of("web-0"));
        PodPhases.running(k, pod("web-0"), true);
        expectPods(List.of("web-0", "web-1"));
        PodPhases.running(k, pod("web-1"), true);
        Map<String, String> uids = Map.of("web-0", pod("web-0").getMetadata().getUid(), "web-1", pod("web-1").getMetadata().getUid());
        String oldSet = get().getMetadata().getUid();
        k.apps().statefulSets().inNamespace("default").withName("web").withPropagationPolicy(DeletionPropagation.BACKGROUND).delete();
        await(Duration.ofSeconds(10), "the set gone", () -> get() == null);
        // what the garbage collector does for propagationPolicy Orphan: the set's pods and revisions lose their reference
        for (String name : uids.keySet()) {
            k.pods().inNamespace("default").withName(name).edit(p -> new io.fabric8.kubernetes.api.model.PodBuilder(p)
                    .editMetadata().withOwnerReferences(List.of()).endMetadata().build());
        }
        for (var rev : k.apps().controllerRevisions().inNamespace("default").list().getItems()) {
            k.apps().controllerRevisions().inNamespace("default").withName(rev.getMetadata().getName()).edit(r ->
                    new io.fabric8.kubernetes.api.model.apps.ControllerRevisionBuilder(r).editMetadata().withOwnerReferences(List.of())
                            .endMetadata().build());
        }
        // a pod whose name is no ordinal of the set is not its pod, even with matching labels
        k.pods().inNamespace("default").resource(new io.fabric8.kubernetes.api.model.PodBuilder().withNewMetadata().withName("web-x")
                .addToLabels("app", "web").endMetadata().withNewSpec().addNewContainer().withName("c").withImage("nginx:1")
                .endContainer().endSpec().build()).create();

        StatefulSet again = k.apps().statefulSets().inNamespace("default").resource(sts(2)).create();
        assertThat(again.getMetadata().getUid()).isNotEqualTo(oldSet);
        await(Duration.ofSeconds(20), "web-0 and web-1 adopted", () -> uids.keySet().stream().allMatch(n ->
                io.kuberaft.controllers.runtime.ControllerRefs.isControlledBy(pod(n), again)));
        await(Duration.ofSeconds(20), "status of the adopted pods", () -> get().getStatus() != null
                && Integer.valueOf(2).equals(get().getStatus().getReadyReplicas()));
        uids.forEach((name, uid) -> assertThat(pod(name).getMetadata().getUid()).as(name + " kept, not replaced").isEqualTo(uid));
        // the revision the pods were made from is the new set's, adopted rather than taken as a name collision
        assertThat(k.apps().controllerRevisions().inNamespace("default").list().getItems())
                .allSatisfy(r -> assertThat(io.kuberaft.controllers.runtime.ControllerRefs.isControlledBy(r, again)).isTrue());
        assertThat(pod("web-x").getMetadata().getOwnerReferences()).isNullOrEmpty();
        assertThat(podNames()).containsExactly("web-0", "web-1", "web-x");
    }

    @Test
    void orderedCreationReverseScaleDownAndClaims() {
        StatefulSet spec = sts(3);
        // bound: a deleted pod stays Terminating until the test finishes it, as kubelet would
        spec.getSpec().getTemplate().getSpec().setNodeName("node-1");
        k.apps().statefulSets().inNamespace("default").resource(spec).create();
        expectPods(List.of("web-0"));
        Pod p0 = pod("web-0");
        assertThat(p0.getMetadata().getLabels()).containsEntry(StatefulSetController.POD_NAME_LABEL, "web-0")
                .containsEntry(StatefulSetController.POD_INDEX_LABEL, "0").containsKey("controller-revision-hash");
        assertThat(p0.getSpec().getHostname()).isEqualTo("web-0");
        assertThat(p0.getSpec().getSubdomain()).isEqualTo("nginx");
        assertThat(p0.getSpec().getVolumes()).anyMatch(v -> v.getName().equals("www")
                && v.getPersistentVolumeClaim().getClaimName().equals("www-web-0"));
        assertThat(k.persistentVolumeClaims().inNamespace("default").withName("www-web-0").get()).isNotNull();
        // Running but not Ready: still no web-1
        PodPhases.running(k, p0, false);
        sleep(700);
        assertThat(podNames()).containsExactly("web-0");
        PodPhases.running(k, p0, true);
        expectPods(List.of("web-0", "web-1"));
        PodPhases.running(k, pod("web-1"), true);
        expectPods(List.of("web-0", "web-1", "web-2"));
        PodPhases.running(k, pod("web-2"), true);
        await(Duration.ofSeconds(20), "status 3 ready", () -> {
            var s = get().getStatus();
            return s != null && s.getReplicas() == 3 && Integer.valueOf(3).equals(s.getReadyReplicas())
                    && Integer.valueOf(3).equals(s.getCurrentReplicas()) && Integer.valueOf(3).equals(s.getUpdatedReplicas())
                    && s.getCurrentRevision() != null && s.getCurrentRevision().equals(s.getUpdateRevision());
        });
        assertThat(k.persistentVolumeClaims().inNamespace("default").list().getItems())
                .extracting(c -> c.getMetadata().getName()).containsExactlyInAnyOrder("www-web-0", "www-web-1", "www-web-2");
        await(Duration.ofSeconds(10), "upstream's event wording", () -> k.v1().events().inNamespace("default").list().getItems().stream()
                .anyMatch(e -> e.getReason().equals("SuccessfulCreate") && e.getMessage().equals("create Pod web-0 in StatefulSet web successful")));

        // scale down to 1: web-2 goes first, and web-1 only once web-2 is gone. The pods are bound, so each stays
        // Terminating until the test, as kubelet, finishes it; the order is observed through a watch.
        List<String> deletions = new java.util.concurrent.CopyOnWriteArrayList<>();
        var list = k.pods().inNamespace("default").list();
        try (Watch w = k.pods().inNamespace("default").watch(new ListOptionsBuilder()
                .withResourceVersion(list.getMetadata().getResourceVersion()).build(), new Watcher<>() {
            @Override
            public void eventReceived(Action action, Pod p) {
                String name = p.getMetadata().getName();
                if (action == Action.DELETED) {
                    deletions.add("gone " + name);
                } else if (p.getMetadata().getDeletionTimestamp() != null && !deletions.contains("terminating " + name)) {
                    deletions.add("terminating " + name);
                }
            }

            @Override
            public void onClose(WatcherException cause) {
            }
        })) {
            k.apps().statefulSets().inNamespace("default").withName("web").patch(PatchContext.of(PatchType.JSON_MERGE), "{\"spec\":{\"replicas\":1}}");
            for (String name : List.of("web-2", "web-1")) {
                // the status counts no terminating pod: once it shows this one gone, the reconcile that deleted it is over
                int left = Integer.parseInt(name.substring(4));
                await(Duration.ofSeconds(20), name + " terminating, alone (status.replicas " + left + ")", () -> deletions.contains("terminating " + name)
                        && get().getStatus().getReplicas() == left);
                k.pods().inNamespace("default").withName(name).withGracePeriod(0).delete();
                await(Duration.ofSeconds(10), name + " gone", () -> deletions.contains("gone " + name));
            }
        }
        assertThat(deletions).as("web-2 finished before web-1 was deleted")
                .containsExactly("terminating web-2", "gone web-2", "terminating web-1", "gone web-1");
        assertThat(podNames()).containsExactly("web-0");
        // the claims are retained (the default policy Retain/Retain: no owner references for the garbage collector)
        assertThat(k.persistentVolumeClaims().inNamespace("default").list().getItems()).hasSize(3)
                .allMatch(c -> c.getMetadata().getOwnerReferences() == null || c.getMetadata().getOwnerReferences().isEmpty());
    }

    /** whenScaled/whenDeleted Delete: the claims are the dependents of the condemned pod, then of the set (garbage collector). */
    @Test
    void claimRetentionPolicyDeleteLetsTheGarbageCollectorTakeTheClaims() {
        api.close();
        api = new ApiFixture(tmp.resolve("gc"), ControllerOptions.defaults(),
                List.of(StatefulSetController::new, io.kuberaft.controllers.gc.GarbageCollector::new,
                        io.kuberaft.controllers.volume.PvcProtectionController::new));
        k = api.client();
        StatefulSet spec = sts(2);
        spec.getSpec().setPersistentVolumeClaimRetentionPolicy(new io.fabric8.kubernetes.api.model.apps
                .StatefulSetPersistentVolumeClaimRetentionPolicy("Delete", "Delete"));
        StatefulSet created = k.apps().statefulSets().inNamespace("default").resource(spec).create();
        expectPods(List.of("web-0"));
        PodPhases.running(k, pod("web-0"), true);
        expectPods(List.of("web-0", "web-1"));
        PodPhases.running(k, pod("web-1"), true);
        for (String c : List.of("www-web-0", "www-web-1")) {
            await(Duration.ofSeconds(10), c + " owned by the set", () -> {
                var refs = k.persistentVolumeClaims().inNamespace("default").withName(c).get().getMetadata().getOwnerReferences();
                return refs != null && refs.size() == 1 && refs.get(0).getKind().equals("StatefulSet")
                        && refs.get(0).getUid().equals(created.getMetadata().getUid());
            });
        }
        // scaled down: web-1's claim goes with web-1, web-0's stays
        k.apps().statefulSets().inNamespace("default").withName("web").patch(PatchContext.of(PatchType.JSON_MERGE), "{\"spec\":{\"replicas\":1}}");
        await(Duration.ofSeconds(30), "web-1 and its claim gone", () -> podNames().equals(List.of("web-0"))
                && k.persistentVolumeClaims().inNamespace("default").withName("www-web-1").get() == null);
        assertThat(k.persistentVolumeClaims().inNamespace("default").withName("www-web-0").get()).isNotNull();
        // the set deleted: its pod and the last claim go too
        k.apps().statefulSets().inNamespace("default").withName("web").delete();
        await(Duration.ofSeconds(30), "pods and claims gone with the set", () -> podNames().isEmpty()
                && k.persistentVolumeClaims().inNamespace("default").list().getItems().isEmpty());
    }

    @Test
    void partitionedRollingUpdateGoesFromTheHighestOrdinalDown() {
        StatefulSet s = sts(3);
        s.getSpec().setPodManagementPolicy("Parallel");
        k.apps().statefulSets().inNamespace("default").resource(s).create();
        expectPods(List.of("web-0", "web-1", "web-2"));
        pods().forEach(p -> PodPhases.running(k, p, true));
        await(Duration.ofSeconds(20), "3 ready", () -> get().getStatus() != null && Integer.valueOf(3).equals(get().getStatus().getReadyReplicas()));
        String before = get().getStatus().getCurrentRevision();
        k.apps().statefulSets().inNamespace("default").withName("web").patch(PatchContext.of(PatchType.JSON_MERGE),
                "{\"spec\":{\"updateStrategy\":{\"type\":\"RollingUpdate\",\"rollingUpdate\":{\"partition\":1}}}}");
        k.apps().statefulSets().inNamespace("default").withName("web").patch(PatchContext.of(PatchType.JSON),
                "[{\"op\":\"replace\",\"path\":\"/spec/template/spec/containers/0/image\",\"value\":\"nginx:2\"}]");
        // web-2 first, then web-1; web-0 stays below the partition
        for (String name : List.of("web-2", "web-1")) {
            await(Duration.ofSeconds(20), name + " updated", () -> {
                Pod p = pod(name);
                return p != null && p.getMetadata().getDeletionTimestamp() == null
                        && p.getSpec().getContainers().get(0).getImage().equals("nginx:2");
            });
            if (name.equals("web-2")) {
                assertThat(pod("web-1").getSpec().getContainers().get(0).getImage()).isEqualTo("nginx:1");
            }
            PodPhases.running(k, pod(name), true);
        }
        await(Duration.ofSeconds(20), "status 2 updated", () -> {
            var st = get().getStatus();
            return Integer.valueOf(2).equals(st.getUpdatedReplicas()) && Integer.valueOf(1).equals(st.getCurrentReplicas())
                    && before.equals(st.getCurrentRevision()) && !before.equals(st.getUpdateRevision());
        });
        sleep(500);
        assertThat(pod("web-0").getSpec().getContainers().get(0).getImage()).isEqualTo("nginx:1");
        assertThat(k.apps().controllerRevisions().inNamespace("default").list().getItems()).hasSize(2);
    }

    static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    static Map<String, String> labels(Pod p) {
        return p.getMetadata().getLabels();
    }
}
