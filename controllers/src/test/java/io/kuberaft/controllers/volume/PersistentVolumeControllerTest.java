package io.kuberaft.controllers.volume;

import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.api.model.PersistentVolume;
import io.fabric8.kubernetes.api.model.PersistentVolumeBuilder;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaim;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaimBuilder;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.storage.StorageClassBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.kuberaft.controllers.ApiFixture;
import io.kuberaft.controllers.ControllerOptions;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import static io.kuberaft.controllers.ApiFixture.await;
import static org.assertj.core.api.Assertions.assertThat;

class PersistentVolumeControllerTest {
    @TempDir
    Path tmp;
    ApiFixture api;
    KubernetesClient k;
    Path hostPathDir;

    @BeforeEach
    void start() {
        hostPathDir = tmp.resolve("hostpath");
        api = new ApiFixture(tmp, ControllerOptions.defaults().withStorage(hostPathDir.toString(), true),
                List.of(PersistentVolumeController::new, PvcProtectionController::new, PvProtectionController::new));
        k = api.client();
    }

    @AfterEach
    void stop() {
        api.close();
    }

    private void pv(String name, String size, String cls, String reclaim, Map<String, String> labels) {
        k.persistentVolumes().resource(new PersistentVolumeBuilder().withNewMetadata().withName(name).withLabels(labels).endMetadata()
                .withNewSpec().withCapacity(Map.of("storage", new Quantity(size))).withAccessModes("ReadWriteOnce")
                .withStorageClassName(cls).withPersistentVolumeReclaimPolicy(reclaim)
                .withNewHostPath().withPath("/data/" + name).endHostPath().endSpec().build()).create();
    }

    private PersistentVolumeClaim claim(String name, String size, String cls) {
        PersistentVolumeClaimBuilder b = new PersistentVolumeClaimBuilder().withNewMetadata().withName(name).endMetadata()
                .withNewSpec().withAccessModes("ReadWriteOnce").withNewResources().addToRequests("storage", new Quantity(size)).endResources()
                .endSpec();
        if (cls != null) {
            b.editSpec().withStorageClassName(cls).endSpec();
        }
        return k.persistentVolumeClaims().inNamespace("default").resource(b.build()).create();
    }

    private PersistentVolumeClaim getClaim(String name) {
        return k.persistentVolumeClaims().inNamespace("default").withName(name).get();
    }

    private PersistentVolume getPv(String name) {
        return k.persistentVolumes().withName(name).get();
    }

    private static String phase(PersistentVolume pv) {
        return pv == null || pv.getStatus() == null ? null : pv.getStatus().getPhase();
    }

    private boolean hasEvent(String object, String reason, String message) {
        return k.v1().events().inNamespace("default").list().getItems().stream().anyMatch((Event e) -> object.equals(e.getInvolvedObject().getName())
                && reason.equals(e.getReason()) && message.equals(e.getMessage())
                && "persistentvolume-controller".equals(e.getSource().getComponent()));
    }

    @Test
    void claimBindsToTheSmallestFittingVolumeAndRetainKeepsItReleased() {
        pv("pv-small", "1Gi", "manual", "Retain", Map.of("type", "local"));
        pv("pv-large", "10Gi", "manual", "Retain", Map.of("type", "local"));
        pv("pv-medium", "5Gi", "manual", "Retain", Map.of("type", "local"));
        pv("pv-medium-other", "4Gi", "manual", "Retain", Map.of("type", "other"));
        await(Duration.ofSeconds(20), "volumes Available", () -> "Available".equals(phase(getPv("pv-small"))));

        var c = k.persistentVolumeClaims().inNamespace("default").resource(new PersistentVolumeClaimBuilder().withNewMetadata()
                .withName("data").endMetadata().withNewSpec().withStorageClassName("manual").withAccessModes("ReadWriteOnce")
                .withNewSelector().addToMatchLabels("type", "local").endSelector()
                .withNewResources().addToRequests("storage", new Quantity("3Gi")).endResources().endSpec().build()).create();
        await(Duration.ofSeconds(20), "claim Bound", () -> "Bound".equals(getClaim("data").getStatus().getPhase()));
        PersistentVolumeClaim bound = getClaim("data");
        assertThat(bound.getSpec().getVolumeName()).isEqualTo("pv-medium");
        assertThat(bound.getMetadata().getAnnotations()).containsEntry("pv.kubernetes.io/bind-completed", "yes")
                .containsEntry("pv.kubernetes.io/bound-by-controller", "yes");
        assertThat(bound.getStatus().getCapacity().get("storage").toString()).isEqualTo("5Gi");
        assertThat(bound.getStatus().getAccessModes()).containsExactly("ReadWriteOnce");
        await(Duration.ofSeconds(20), "volume Bound", () -> "Bound".equals(phase(getPv("pv-medium"))));
        PersistentVolume pv = getPv("pv-medium");
        assertThat(pv.getSpec().getClaimRef().getName()).isEqualTo("data");
        assertThat(pv.getSpec().getClaimRef().getUid()).isEqualTo(c.getMetadata().getUid());
        assertThat(pv.getMetadata().getAnnotations()).containsEntry("pv.kubernetes.io/bound-by-controller", "yes");

        k.persistentVolumeClaims().inNamespace("default").withName("data").delete();
        await(Duration.ofSeconds(20), "volume Released", () -> "Released".equals(phase(getPv("pv-medium"))));
        // Retain: it stays Released, never bound again
        claim("again", "3Gi", "manual");
        await(Duration.ofSeconds(20), "second claim Bound", () -> "Bound".equals(getClaim("again").getStatus().getPhase()));
        assertThat(getClaim("again").getSpec().getVolumeName()).isEqualTo("pv-medium-other");
        assertThat(phase(getPv("pv-medium"))).isEqualTo("Released");
    }

    @Test
    void claimWithoutClassStaysPendingWithTheEventWhenNoVolumeMatches() {
        pv("pv-manual", "10Gi", "manual", "Retain", Map.of());
        claim("nothing", "1Gi", "");
        await(Duration.ofSeconds(20), "FailedBinding event", () -> hasEvent("nothing", "FailedBinding",
                "no persistent volumes available for this claim and no storage class is set"));
        assertThat(getClaim("nothing").getStatus().getPhase()).isEqualTo("Pending");
        assertThat(getClaim("nothing").getSpec().getVolumeName()).isNull();
    }

    @Test
    void defaultClassProvisionsAHostPathVolumeThatDeleteReclaims() {
        await(Duration.ofSeconds(20), "default StorageClass", () -> k.storage().v1().storageClasses().withName("standard").get() != null);
        var sc = k.storage().v1().storageClasses().withName("standard").get();
        assertThat(sc.getMetadata().getAnnotations()).containsEntry("storageclass.kubernetes.io/is-default-class", "true");
        assertThat(sc.getProvisioner()).isEqualTo("kuberaft.io/hostpath");
        assertThat(sc.getReclaimPolicy()).isEqualTo("Delete");
        assertThat(sc.getVolumeBindingMode()).isEqualTo("Immediate");

        PersistentVolumeClaim c = claim("dyn", "2Gi", null);
        assertThat(c.getSpec().getStorageClassName()).isEqualTo("standard"); // DefaultStorageClass admission
        String pvName = "pvc-" + c.getMetadata().getUid();
        await(Duration.ofSeconds(20), "claim Bound to the provisioned volume", () -> pvName.equals(getClaim("dyn").getSpec().getVolumeName())
                && "Bound".equals(getClaim("dyn").getStatus().getPhase()));
        PersistentVolume pv = getPv(pvName);
        assertThat(pv.getMetadata().getAnnotations()).containsEntry("pv.kubernetes.io/provisioned-by", "kuberaft.io/hostpath");
        assertThat(pv.getSpec().getHostPath().getPath()).isEqualTo(hostPathDir.resolve(pvName).toString());
        assertThat(pv.getSpec().getPersistentVolumeReclaimPolicy()).isEqualTo("Delete");
        assertThat(pv.getSpec().getCapacity().get("storage").toString()).isEqualTo("2Gi");
        assertThat(getClaim("dyn").getMetadata().getAnnotations()).containsEntry("volume.kubernetes.io/storage-provisioner", "kuberaft.io/hostpath")
                .containsEntry("volume.beta.kubernetes.io/storage-provisioner", "kuberaft.io/hostpath");
        assertThat(Files.isDirectory(hostPathDir.resolve(pvName))).isTrue();
        await(Duration.ofSeconds(20), "ProvisioningSucceeded", () -> hasEvent("dyn", "ProvisioningSucceeded",
                "Successfully provisioned volume " + pvName + " using kuberaft.io/hostpath"));

        k.persistentVolumeClaims().inNamespace("default").withName("dyn").delete();
        await(Duration.ofSeconds(20), "provisioned volume deleted", () -> getPv(pvName) == null);
        assertThat(Files.exists(hostPathDir.resolve(pvName))).isFalse();
    }

    @Test
    void waitForFirstConsumerBindsOnceAPodIsScheduled() {
        k.storage().v1().storageClasses().resource(new StorageClassBuilder().withNewMetadata().withName("local").endMetadata()
                .withProvisioner("kuberaft.io/hostpath").withVolumeBindingMode("WaitForFirstConsumer").build()).create();
        claim("late", "1Gi", "local");
        await(Duration.ofSeconds(20), "WaitForFirstConsumer event", () -> hasEvent("late", "WaitForFirstConsumer",
                "waiting for first consumer to be created before binding"));
        assertThat(getClaim("late").getStatus().getPhase()).isEqualTo("Pending");
        k.pods().inNamespace("default").resource(new PodBuilder().withNewMetadata().withName("user").endMetadata().withNewSpec()
                .withNodeName("node-7").addNewContainer().withName("c").withImage("nginx").endContainer()
                .addNewVolume().withName("v").withNewPersistentVolumeClaim().withClaimName("late").endPersistentVolumeClaim().endVolume()
                .endSpec().build()).create();
        await(Duration.ofSeconds(20), "claim Bound after scheduling", () -> "Bound".equals(getClaim("late").getStatus().getPhase()));
        assertThat(getClaim("late").getMetadata().getAnnotations()).containsEntry("volume.kubernetes.io/selected-node", "node-7");
        PersistentVolume pv = getPv(getClaim("late").getSpec().getVolumeName());
        assertThat(pv.getSpec().getNodeAffinity().getRequired().getNodeSelectorTerms().get(0).getMatchExpressions().get(0).getValues())
                .containsExactly("node-7");
    }

    /**
     * StorageObjectInUseProtection: a claim a scheduled pod mounts, and the volume bound to it, are only marked when
     * deleted; the claim goes once the pod has, then the volume once it is no longer Bound (upstream's pvc- and
     * pv-protection controllers), as `kubectl delete pvc` users see it stay Terminating.
     */
    @Test
    void aClaimInUseAndItsBoundVolumeWaitForTheirUsersBeforeGoing() {
        pv("pv-protected", "1Gi", "manual", "Retain", Map.of());
        claim("used", "1Gi", "manual");
        await(Duration.ofSeconds(20), "claim Bound", () -> "Bound".equals(getClaim("used").getStatus().getPhase()));
        assertThat(getClaim("used").getMetadata().getFinalizers()).containsExactly("kubernetes.io/pvc-protection");
        assertThat(getPv("pv-protected").getMetadata().getFinalizers()).containsExactly("kubernetes.io/pv-protection");
        k.pods().inNamespace("default").resource(new PodBuilder().withNewMetadata().withName("mounter").endMetadata().withNewSpec()
                .withNodeName("node-1").addNewContainer().withName("c").withImage("nginx").endContainer()
                .addNewVolume().withName("v").withNewPersistentVolumeClaim().withClaimName("used").endPersistentVolumeClaim().endVolume()
                .endSpec().build()).create();

        k.persistentVolumeClaims().inNamespace("default").withName("used").delete();
        k.persistentVolumes().withName("pv-protected").delete();
        // the pvc-protection controller has seen the deletion once its informer has the deletionTimestamp; it must keep it
        await(Duration.ofSeconds(20), "claim marked", () -> getClaim("used").getMetadata().getDeletionTimestamp() != null
                && getPv("pv-protected").getMetadata().getDeletionTimestamp() != null);
        long until = System.nanoTime() + Duration.ofSeconds(2).toNanos();
        while (System.nanoTime() < until) {
            assertThat(getClaim("used")).as("in use by pod mounter").isNotNull();
            assertThat(getPv("pv-protected")).as("bound to the claim").isNotNull();
            java.util.concurrent.locks.LockSupport.parkNanos(100_000_000L); // sampling a state that must hold for 2 s
        }

        k.pods().inNamespace("default").withName("mounter").withGracePeriod(0).delete();
        await(Duration.ofSeconds(20), "claim gone with its last user", () -> getClaim("used") == null);
        await(Duration.ofSeconds(20), "volume gone once no longer bound", () -> getPv("pv-protected") == null);
    }

    /** A claim no scheduled pod mounts goes at once (after the finalizer is removed), as does a volume bound to nothing. */
    @Test
    void anUnusedClaimAndAnUnboundVolumeGoAtOnce() {
        pv("pv-free", "1Gi", "nothing-matches", "Retain", Map.of());
        claim("free", "1Gi", "manual");
        k.pods().inNamespace("default").resource(new PodBuilder().withNewMetadata().withName("unscheduled").endMetadata().withNewSpec()
                .addNewContainer().withName("c").withImage("nginx").endContainer()
                .addNewVolume().withName("v").withNewPersistentVolumeClaim().withClaimName("free").endPersistentVolumeClaim().endVolume()
                .endSpec().build()).create();
        k.persistentVolumeClaims().inNamespace("default").withName("free").delete();
        k.persistentVolumes().withName("pv-free").delete();
        await(Duration.ofSeconds(20), "claim gone: an unscheduled pod does not hold it", () -> getClaim("free") == null);
        await(Duration.ofSeconds(20), "volume gone", () -> getPv("pv-free") == null);
    }

    /** A claim created before any volume fits binds once one is created (upstream's periodic claim resync finds it). */
    @Test
    void aPendingClaimBindsToAVolumeCreatedAfterIt() {
        claim("early", "1Gi", "");
        // the controller has looked at the claim (and found nothing) before the volume exists
        await(Duration.ofSeconds(20), "the claim's FailedBinding event", () -> hasEvent("early", "FailedBinding",
                "no persistent volumes available for this claim and no storage class is set"));
        pv("pv-late", "1Gi", "", "Retain", Map.of());
        await(Duration.ofSeconds(20), "claim Bound to the later volume", () -> "Bound".equals(getClaim("early").getStatus().getPhase())
                && "pv-late".equals(getClaim("early").getSpec().getVolumeName()));
    }
}
