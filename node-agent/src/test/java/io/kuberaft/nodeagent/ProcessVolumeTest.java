package io.kuberaft.nodeagent;

import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.api.model.PersistentVolumeBuilder;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaim;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaimBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.Quantity;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static io.kuberaft.nodeagent.AgentFixture.await;
import static org.assertj.core.api.Assertions.assertThat;

/** Volumes of the process runtime that come from other API objects: PersistentVolumeClaims, the downward API. */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class ProcessVolumeTest {
    private static final Duration WAIT = Duration.ofSeconds(30);
    @TempDir
    static Path tmp;
    static AgentFixture f;

    @BeforeAll
    static void start() throws Exception {
        f = new AgentFixture(tmp, "process", "vol", 1);
    }

    @AfterAll
    static void stop() {
        if (f != null) {
            f.close();
        }
    }

    private static Pod get(String name) {
        return f.pod(name);
    }

    private static PodBuilder pod(String name, String restartPolicy, String... command) {
        return f.podRunning(name, restartPolicy, command);
    }

    private static String read(Path p) {
        try {
            return Files.readString(p);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    private static List<Event> events(String pod, String reason) {
        return f.client.v1().events().inNamespace("default").list().getItems().stream()
                .filter(e -> pod.equals(e.getInvolvedObject().getName()) && reason.equals(e.getReason())).toList();
    }

    private static boolean anyEvent(String pod, String reason, String message) {
        return events(pod, reason).stream().anyMatch(e -> message.equals(e.getMessage()));
    }

    /**
     * A claim that is missing, then unbound, keeps the pod ContainerCreating with the kubelet's FailedMount events; once
     * bound, what the container writes to the claim lands in the PersistentVolume's hostPath directory.
     */
    @Test
    void aBoundClaimIsItsVolumesHostPathAndAnUnboundOneWaits() throws Exception {
        Path pvDir = tmp.resolve("pv-data");
        Pod p = pod("claimer", "Always", "sh", "-c", "echo written-through-the-claim > \"$KUBERAFT_ROOTFS/data/out.txt\"; sleep 300")
                .editSpec().editFirstContainer().addNewVolumeMount().withName("data").withMountPath("/data").endVolumeMount().endContainer()
                .addNewVolume().withName("data").withNewPersistentVolumeClaim().withClaimName("data").endPersistentVolumeClaim().endVolume()
                .endSpec().build();
        f.client.pods().inNamespace("default").resource(p).create();
        String prefix = "Unable to attach or mount volumes: unmounted volumes=[data], unattached volumes=[], failed to process volumes=[data]: "
                + "error processing PVC default/data: ";
        await(WAIT, "FailedMount: the claim is not found", () -> anyEvent("claimer", "FailedMount",
                prefix + "failed to fetch PVC from API server: persistentvolumeclaims \"data\" not found"), () -> events("claimer", "FailedMount"));
        var waiting = get("claimer").getStatus().getContainerStatuses().get(0).getState().getWaiting();
        assertThat(waiting.getReason()).isEqualTo("ContainerCreating");
        assertThat(get("claimer").getStatus().getPhase()).isEqualTo("Pending");
        assertThat(events("claimer", "FailedMount")).allMatch(e -> "Warning".equals(e.getType()));

        PersistentVolumeClaim pvc = f.client.persistentVolumeClaims().inNamespace("default").resource(new PersistentVolumeClaimBuilder()
                .withNewMetadata().withName("data").endMetadata().withNewSpec().withAccessModes("ReadWriteOnce").withVolumeName("pv-data")
                .withNewResources().addToRequests("storage", new Quantity("1Gi")).endResources().endSpec().build()).create();
        await(WAIT, "FailedMount: the claim is not bound", () -> anyEvent("claimer", "FailedMount", prefix + "PVC is not bound"),
                () -> events("claimer", "FailedMount"));
        assertThat(Files.exists(pvDir)).isFalse();

        f.client.persistentVolumes().resource(new PersistentVolumeBuilder().withNewMetadata().withName("pv-data").endMetadata()
                .withNewSpec().withAccessModes("ReadWriteOnce").addToCapacity("storage", new Quantity("1Gi"))
                .withNewHostPath().withPath(pvDir.toString()).endHostPath()
                .withNewClaimRef().withKind("PersistentVolumeClaim").withNamespace("default").withName("data")
                .withUid(pvc.getMetadata().getUid()).endClaimRef().endSpec().build()).create();
        pvc = f.client.persistentVolumeClaims().inNamespace("default").withName("data").get();
        pvc.setStatus(new io.fabric8.kubernetes.api.model.PersistentVolumeClaimStatusBuilder().withPhase("Bound").build());
        f.client.persistentVolumeClaims().inNamespace("default").resource(pvc).updateStatus();

        await(WAIT, "the file written through the claim in the volume's hostPath", () -> Files.exists(pvDir.resolve("out.txt")),
                () -> get("claimer").getStatus().getContainerStatuses());
        await(WAIT, "its content", () -> read(pvDir.resolve("out.txt")).equals("written-through-the-claim\n"));
        await(WAIT, "claimer Running", () -> "Running".equals(get("claimer").getStatus().getPhase()));
        f.client.pods().inNamespace("default").withName("claimer").withGracePeriod(0).delete();
        await(WAIT, "claimer gone", () -> get("claimer") == null);
        assertThat(Files.readString(pvDir.resolve("out.txt"))).as("the volume outlives the pod").isEqualTo("written-through-the-claim\n");
    }

    /**
     * resourceFieldRef in env and in downwardAPI volume files, with divisors; a limit the container does not set is the
     * node's allocatable (memory=8Gi here), an unset request 0.
     */
    @Test
    void resourceFieldRefsInEnvAndDownwardApiFiles() throws Exception {
        Pod p = pod("resources", "Never", "sh", "-c", "echo \"env $CPU_LIMIT $MEM_LIMIT $MEM_REQUEST\"; cd \"$KUBERAFT_ROOTFS/etc/podinfo\"; "
                + "echo \"files $(cat cpu_limit) $(cat mem_limit) $(cat mem_request) $(cat cpu_request)\"")
                .editSpec().editFirstContainer()
                .withNewResources().addToLimits("cpu", new Quantity("500m")).addToRequests("cpu", new Quantity("250m"))
                .addToRequests("memory", new Quantity("64Mi")).endResources()
                .addNewEnv().withName("CPU_LIMIT").withNewValueFrom().withNewResourceFieldRef().withResource("limits.cpu")
                .withDivisor(new Quantity("1m")).endResourceFieldRef().endValueFrom().endEnv()
                .addNewEnv().withName("MEM_LIMIT").withNewValueFrom().withNewResourceFieldRef().withResource("limits.memory")
                .withDivisor(new Quantity("1Mi")).endResourceFieldRef().endValueFrom().endEnv()
                .addNewEnv().withName("MEM_REQUEST").withNewValueFrom().withNewResourceFieldRef().withResource("requests.memory")
                .endResourceFieldRef().endValueFrom().endEnv()
                .addNewVolumeMount().withName("podinfo").withMountPath("/etc/podinfo").endVolumeMount().endContainer()
                .addNewVolume().withName("podinfo").withNewDownwardAPI()
                .addNewItem().withPath("cpu_limit").withNewResourceFieldRef().withContainerName("main").withResource("limits.cpu")
                .withDivisor(new Quantity("1m")).endResourceFieldRef().endItem()
                .addNewItem().withPath("mem_limit").withNewResourceFieldRef().withContainerName("main").withResource("limits.memory")
                .endResourceFieldRef().endItem()
                .addNewItem().withPath("mem_request").withNewResourceFieldRef().withContainerName("main").withResource("requests.memory")
                .withDivisor(new Quantity("1Mi")).endResourceFieldRef().endItem()
                .addNewItem().withPath("cpu_request").withNewResourceFieldRef().withContainerName("main").withResource("requests.cpu")
                .endResourceFieldRef().endItem()
                .endDownwardAPI().endVolume().endSpec().build();
        f.client.pods().inNamespace("default").resource(p).create();
        await(WAIT, "resources Succeeded", () -> "Succeeded".equals(get("resources").getStatus().getPhase()), () -> get("resources").getStatus());
        String log = f.client.pods().inNamespace("default").withName("resources").getLog();
        assertThat(log).isEqualTo("env 500 8192 67108864\nfiles 500 8589934592 64 1\n");
    }

    /**
     * The downward API shows the annotations the kubelet adds to its copy of an API pod (config.source api, config.seen),
     * which the API object itself never gets.
     */
    @Test
    void downwardApiAnnotationsHaveTheKubeletsConfigAnnotations() throws Exception {
        Pod p = pod("seen", "Never", "sh", "-c", "cat \"$KUBERAFT_ROOTFS/env/annotations\"; echo; echo \"source=$SOURCE\"")
                .editMetadata().addToAnnotations("team", "a").endMetadata()
                .editSpec().editFirstContainer()
                .addNewEnv().withName("SOURCE").withNewValueFrom().withNewFieldRef()
                .withFieldPath("metadata.annotations['kubernetes.io/config.source']").endFieldRef().endValueFrom().endEnv()
                .addNewVolumeMount().withName("env").withMountPath("/env").endVolumeMount().endContainer()
                .addNewVolume().withName("env").withNewDownwardAPI()
                .addNewItem().withPath("annotations").withNewFieldRef().withFieldPath("metadata.annotations").endFieldRef().endItem()
                .endDownwardAPI().endVolume().endSpec().build();
        java.time.Instant before = java.time.Instant.now();
        f.client.pods().inNamespace("default").resource(p).create();
        await(WAIT, "seen Succeeded", () -> "Succeeded".equals(get("seen").getStatus().getPhase()), () -> get("seen").getStatus());
        List<String> lines = f.client.pods().inNamespace("default").withName("seen").getLog().lines().toList();
        assertThat(lines).hasSize(4);
        assertThat(lines.get(0)).matches("kubernetes\\.io/config\\.seen=\"[0-9T:.-]+Z\"");
        java.time.Instant seen = java.time.Instant.parse(lines.get(0).replaceAll(".*=\"(.*)\"", "$1"));
        assertThat(seen).isAfterOrEqualTo(before.minusSeconds(1)).isBeforeOrEqualTo(java.time.Instant.now());
        assertThat(lines.subList(1, 4)).containsExactly("kubernetes.io/config.source=\"api\"", "team=\"a\"", "source=api");
        assertThat(get("seen").getMetadata().getAnnotations()).as("the API object keeps its own").containsOnlyKeys("team");
    }

    /**
     * The kubelet's periodic sync: an edited ConfigMap and the pod's new labels reach the files a running container reads;
     * a subPath mount keeps what it started with, as upstream's.
     */
    @Test
    void anEditedConfigMapAndNewLabelsReachTheRunningContainer() throws Exception {
        f.client.configMaps().inNamespace("default").resource(new io.fabric8.kubernetes.api.model.ConfigMapBuilder().withNewMetadata()
                .withName("live").endMetadata().addToData("greeting", "hello").addToData("gone", "soon").build()).create();
        Pod p = pod("live", "Always", "sh", "-c", "while true; do echo \"$(cat \"$KUBERAFT_ROOTFS/config/greeting\") "
                + "$(ls \"$KUBERAFT_ROOTFS/config\" | tr '\\n' ,) $(cat \"$KUBERAFT_ROOTFS/info/labels\" | tr '\\n' ,) "
                + "pinned=$(cat \"$KUBERAFT_ROOTFS/pinned\")\"; sleep 0.2; done")
                .editMetadata().addToLabels("tier", "one").endMetadata()
                .editSpec().editFirstContainer()
                .addNewVolumeMount().withName("config").withMountPath("/config").endVolumeMount()
                .addNewVolumeMount().withName("config").withMountPath("/pinned").withSubPath("greeting").endVolumeMount()
                .addNewVolumeMount().withName("info").withMountPath("/info").endVolumeMount().endContainer()
                .addNewVolume().withName("config").withNewConfigMap().withName("live").endConfigMap().endVolume()
                .addNewVolume().withName("info").withNewDownwardAPI().addNewItem().withPath("labels").withNewFieldRef()
                .withFieldPath("metadata.labels").endFieldRef().endItem().endDownwardAPI().endVolume().endSpec().build();
        f.client.pods().inNamespace("default").resource(p).create();
        await(WAIT, "the first content", () -> f.client.pods().inNamespace("default").withName("live").getLog()
                .contains("hello gone,greeting, tier=\"one\" pinned=hello\n"), () -> f.client.pods().inNamespace("default").withName("live").getLog());

        f.client.configMaps().inNamespace("default").withName("live").edit(cm -> {
            cm.setData(java.util.Map.of("greeting", "hello again"));
            return cm;
        });
        f.client.pods().inNamespace("default").withName("live").edit(q -> {
            q.getMetadata().getLabels().put("tier", "two");
            return q;
        });
        await(WAIT, "the new content", () -> f.client.pods().inNamespace("default").withName("live").getLog()
                .contains("hello again greeting, tier=\"two\" pinned=hello\n"), () -> f.client.pods().inNamespace("default").withName("live").getLog());
        assertThat(get("live").getStatus().getContainerStatuses().get(0).getRestartCount()).as("without a restart").isZero();
        f.client.pods().inNamespace("default").withName("live").withGracePeriod(0).delete();
    }
}
