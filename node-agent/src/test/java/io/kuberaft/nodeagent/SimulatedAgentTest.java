package io.kuberaft.nodeagent;

import io.fabric8.kubernetes.api.model.ContainerStatus;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.NodeCondition;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.PodCondition;
import io.fabric8.kubernetes.api.model.coordination.v1.Lease;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.time.ZonedDateTime;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static io.kuberaft.nodeagent.AgentFixture.await;
import static org.assertj.core.api.Assertions.assertThat;

/** One agent process hosting two simulated nodes against a real in-JVM API server. */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class SimulatedAgentTest {
    private static final Duration WAIT = Duration.ofSeconds(30);
    @TempDir
    static Path tmp;
    static AgentFixture f;

    @BeforeAll
    static void start() throws Exception {
        f = new AgentFixture(tmp, "simulated", "sim", 2);
    }

    @AfterAll
    static void stop() {
        if (f != null) {
            f.close();
        }
    }

    private static Pod pod(String name, String node, String restartPolicy, Map<String, String> annotations) {
        return new PodBuilder().withNewMetadata().withName(name).withNamespace("default").withAnnotations(annotations).endMetadata()
                .withNewSpec().withNodeName(node).withRestartPolicy(restartPolicy).withTerminationGracePeriodSeconds(30L)
                .addNewContainer().withName("app").withImage("nginx:1.27").endContainer().endSpec().build();
    }

    private static Pod get(String name) {
        return f.pod(name);
    }

    private static String condition(Pod p, String type) {
        return p.getStatus().getConditions().stream().filter(c -> c.getType().equals(type)).map(PodCondition::getStatus)
                .findFirst().orElse(null);
    }

    /** A pod given a nodeName directly is admitted as the kubelet does: resources, node selector; rejected ones fail. */
    @Test
    void podsThatDoNotFitTheNodeAreRejected() throws Exception {
        Pod big = new PodBuilder(pod("adm-big", "sim-1", "Always", Map.of())).editSpec().editFirstContainer().withNewResources()
                .addToRequests("cpu", new io.fabric8.kubernetes.api.model.Quantity("3")).endResources().endContainer().endSpec().build();
        f.client.pods().inNamespace("default").resource(big).create();
        await(WAIT, "adm-big Running", () -> "Running".equals(get("adm-big").getStatus().getPhase()));
        Pod more = new PodBuilder(pod("adm-more", "sim-1", "Always", Map.of())).editSpec().editFirstContainer().withNewResources()
                .addToRequests("cpu", new io.fabric8.kubernetes.api.model.Quantity("2")).endResources().endContainer().endSpec().build();
        f.client.pods().inNamespace("default").resource(more).create();
        Pod misplaced = new PodBuilder(pod("adm-selector", "sim-1", "Always", Map.of())).editSpec().withNodeSelector(Map.of("disk", "ssd"))
                .endSpec().build();
        f.client.pods().inNamespace("default").resource(misplaced).create();
        await(WAIT, "adm-more and adm-selector Failed", () -> "Failed".equals(get("adm-more").getStatus().getPhase())
                && "Failed".equals(get("adm-selector").getStatus().getPhase()));
        assertThat(get("adm-more").getStatus().getReason()).isEqualTo("OutOfcpu");
        assertThat(get("adm-more").getStatus().getMessage())
                .isEqualTo("Pod was rejected: Node didn't have enough resource: cpu, requested: 2000, used: 3000, capacity: 4000");
        assertThat(get("adm-more").getStatus().getContainerStatuses()).as("never started").isNullOrEmpty();
        assertThat(get("adm-selector").getStatus().getReason()).isEqualTo("NodeAffinity");
        assertThat(get("adm-selector").getStatus().getMessage()).isEqualTo("Pod was rejected: Predicate NodeAffinity failed");
        await(WAIT, "the OutOfcpu event", () -> f.client.v1().events().inNamespace("default").list().getItems().stream().anyMatch(e ->
                "OutOfcpu".equals(e.getReason()) && "adm-more".equals(e.getInvolvedObject().getName()) && "Warning".equals(e.getType())));
        // a rejected pod is deleted like any other: the agent has its final word
        f.client.pods().inNamespace("default").withName("adm-more").delete();
        await(WAIT, "adm-more gone", () -> get("adm-more") == null);
        f.client.pods().inNamespace("default").withName("adm-selector").delete();
        f.client.pods().inNamespace("default").withName("adm-big").delete();
        await(WAIT, "adm-big and adm-selector gone", () -> get("adm-big") == null && get("adm-selector") == null);
    }

    @Test
    void registersEveryNodeAndRenewsItsLease() throws Exception {
        for (String name : new String[]{"sim-0", "sim-1"}) {
            Node n = f.client.nodes().withName(name).get();
            assertThat(n).as(name).isNotNull();
            assertThat(n.getMetadata().getLabels()).containsEntry("kubernetes.io/hostname", name).containsEntry("kubernetes.io/os", "linux")
                    .containsEntry("kubernetes.io/arch", "amd64").containsEntry("beta.kubernetes.io/os", "linux");
            assertThat(n.getStatus().getCapacity().get("cpu").toString()).isEqualTo("4");
            assertThat(n.getStatus().getCapacity().get("memory").toString()).isEqualTo("8Gi");
            // as a kubelet reports its root filesystem: pods requesting ephemeral-storage fit
            assertThat(n.getStatus().getCapacity().get("ephemeral-storage").toString()).isEqualTo("100Gi");
            assertThat(n.getStatus().getAllocatable().get("pods").toString()).isEqualTo("110");
            NodeCondition ready = n.getStatus().getConditions().stream().filter(c -> c.getType().equals("Ready")).findFirst().orElseThrow();
            assertThat(ready.getStatus()).isEqualTo("True");
            assertThat(ready.getReason()).isEqualTo("KubeletReady");
            assertThat(ready.getMessage()).isEqualTo("kubelet is posting ready status");
            assertThat(n.getStatus().getConditions()).extracting(NodeCondition::getType)
                    .contains("MemoryPressure", "DiskPressure", "PIDPressure");
            assertThat(n.getStatus().getNodeInfo().getKubeletVersion()).isEqualTo("v1.32.4-kuberaft");
            assertThat(n.getStatus().getNodeInfo().getContainerRuntimeVersion()).isEqualTo("simulated://0.1.0");
            assertThat(n.getStatus().getAddresses()).anyMatch(a -> a.getType().equals("InternalIP") && a.getAddress().equals("127.0.0.1"));
            assertThat(n.getStatus().getDaemonEndpoints().getKubeletEndpoint().getPort()).isEqualTo(f.agent.apiPort());
            assertThat(n.getSpec().getPodCIDR()).endsWith(".0/24");
        }
        await(WAIT, "leases of both nodes", () -> f.client.leases().inNamespace("kube-node-lease").withName("sim-1").get() != null);
        Lease first = f.client.leases().inNamespace("kube-node-lease").withName("sim-0").get();
        assertThat(first.getSpec().getHolderIdentity()).isEqualTo("sim-0");
        assertThat(first.getSpec().getLeaseDurationSeconds()).isEqualTo(40);
        assertThat(first.getMetadata().getOwnerReferences()).anyMatch(o -> o.getKind().equals("Node") && o.getName().equals("sim-0"));
        ZonedDateTime renewed = first.getSpec().getRenewTime();
        await(WAIT, "the lease's renewTime to advance", () ->
                f.client.leases().inNamespace("kube-node-lease").withName("sim-0").get().getSpec().getRenewTime().isAfter(renewed));
    }

    @Test
    void postsReadyAgainAfterTheControllerMarkedTheNodeUnknown() throws Exception {
        // what the node-lifecycle controller writes when it saw no heartbeat in time
        Node n = f.client.nodes().withName("sim-1").get();
        n.getStatus().getConditions().forEach(c -> {
            c.setStatus("Unknown");
            c.setReason("NodeStatusUnknown");
            c.setMessage("Kubelet stopped posting node status.");
        });
        f.client.nodes().resource(n).updateStatus();
        await(WAIT, "sim-1 Ready=True again", () -> "True".equals(f.client.nodes().withName("sim-1").get().getStatus().getConditions().stream()
                .filter(c -> c.getType().equals("Ready")).findFirst().orElseThrow().getStatus()));
        Node after = f.client.nodes().withName("sim-1").get();
        assertThat(after.getStatus().getConditions()).allMatch(c -> !c.getStatus().equals("Unknown"));
    }

    @Test
    void boundPodRunsAndIsReady() throws Exception {
        f.client.pods().inNamespace("default").resource(pod("web", "sim-0", "Always", Map.of())).create();
        await(WAIT, "pod web Running and Ready", () -> {
            Pod p = get("web");
            return "Running".equals(p.getStatus().getPhase()) && "True".equals(condition(p, "Ready"));
        }, () -> get("web").getStatus());
        Pod p = get("web");
        assertThat(condition(p, "PodScheduled")).isEqualTo("True");
        assertThat(condition(p, "Initialized")).isEqualTo("True");
        assertThat(condition(p, "ContainersReady")).isEqualTo("True");
        assertThat(p.getStatus().getConditions()).allMatch(c -> c.getLastTransitionTime() != null);
        Node node = f.client.nodes().withName("sim-0").get();
        String prefix = node.getSpec().getPodCIDR().replace("0/24", "");
        assertThat(p.getStatus().getPodIP()).startsWith(prefix);
        assertThat(p.getStatus().getHostIP()).isEqualTo("127.0.0.1");
        assertThat(p.getStatus().getStartTime()).isNotNull();
        ContainerStatus cs = p.getStatus().getContainerStatuses().get(0);
        assertThat(cs.getName()).isEqualTo("app");
        assertThat(cs.getReady()).isTrue();
        assertThat(cs.getStarted()).isTrue();
        assertThat(cs.getRestartCount()).isZero();
        assertThat(cs.getImage()).isEqualTo("nginx:1.27");
        assertThat(cs.getImageID()).startsWith("nginx@sha256:");
        assertThat(cs.getContainerID()).startsWith("simulated://");
        assertThat(cs.getState().getRunning().getStartedAt()).isNotNull();
        assertThat(p.getStatus().getQosClass()).isEqualTo("BestEffort");
    }

    /** The docs' sidecar example: an init container with restartPolicy Always runs beside the app and counts for readiness. */
    @Test
    void aSidecarStartsBeforeTheAppAndKeepsRunning() throws Exception {
        Pod p = new PodBuilder(pod("with-sidecar", "sim-0", "Always", Map.of())).editSpec()
                .addNewInitContainer().withName("logshipper").withImage("alpine:latest").withRestartPolicy("Always")
                .withCommand("sh", "-c", "tail -F /opt/logs.txt").endInitContainer()
                .addNewInitContainer().withName("setup").withImage("alpine:latest").withCommand("sh", "-c", "echo set up").endInitContainer()
                .endSpec().build();
        f.client.pods().inNamespace("default").resource(p).create();
        await(WAIT, "pod with-sidecar Running and Ready", () -> {
            Pod q = get("with-sidecar");
            return "Running".equals(q.getStatus().getPhase()) && "True".equals(condition(q, "Ready"));
        }, () -> get("with-sidecar").getStatus());
        Pod q = get("with-sidecar");
        assertThat(condition(q, "Initialized")).isEqualTo("True");
        ContainerStatus sidecar = q.getStatus().getInitContainerStatuses().get(0);
        assertThat(sidecar.getName()).isEqualTo("logshipper");
        assertThat(sidecar.getState().getRunning()).as("still running beside the app").isNotNull();
        assertThat(sidecar.getStarted()).isTrue();
        assertThat(sidecar.getReady()).isTrue();
        ContainerStatus setup = q.getStatus().getInitContainerStatuses().get(1);
        assertThat(setup.getState().getTerminated().getReason()).isEqualTo("Completed");
        assertThat(java.time.Instant.parse(setup.getState().getTerminated().getStartedAt()))
                .as("the next init container started once the sidecar had")
                .isAfterOrEqualTo(java.time.Instant.parse(sidecar.getState().getRunning().getStartedAt()));
        f.client.pods().inNamespace("default").withName("with-sidecar").withGracePeriod(0).delete();
    }

    /** A Job's pod with a sidecar completes when its regular container has: the sidecar is stopped, not waited for. */
    @Test
    void aNeverPodWithASidecarSucceedsOnceItsAppContainerHas() throws Exception {
        Pod p = new PodBuilder(pod("job-sidecar", "sim-1", "Never", Map.of())).editSpec()
                .editFirstContainer().withImage("alpine:latest").withCommand("sh", "-c", "echo logging > /opt/logs.txt").endContainer()
                .addNewInitContainer().withName("logshipper").withImage("alpine:latest").withRestartPolicy("Always")
                .withCommand("sh", "-c", "tail -F /opt/logs.txt").endInitContainer().endSpec().build();
        f.client.pods().inNamespace("default").resource(p).create();
        await(WAIT, "pod job-sidecar Succeeded", () -> "Succeeded".equals(get("job-sidecar").getStatus().getPhase()),
                () -> get("job-sidecar").getStatus());
        Pod q = get("job-sidecar");
        assertThat(q.getStatus().getContainerStatuses().get(0).getState().getTerminated().getExitCode()).isZero();
        assertThat(q.getStatus().getInitContainerStatuses().get(0).getState().getTerminated())
                .as("the sidecar stopped before the pod became terminal").isNotNull();
        assertThat(q.getStatus().getInitContainerStatuses().get(0).getRestartCount()).as("and was not restarted").isZero();
    }

    /** As the kubelet: after the regular containers, sidecars stop one at a time, the last one defined first. */
    @Test
    void sidecarsStopInReverseOrderAfterTheAppContainer() throws Exception {
        Pod p = new PodBuilder(pod("ordered-stop", "sim-1", "Never", Map.of("sim.kuberaft.io/stop-seconds", "2"))).editSpec()
                .editFirstContainer().withImage("alpine:latest").withCommand("sh", "-c", "sleep 1").endContainer()
                .addNewInitContainer().withName("first").withImage("alpine:latest").withRestartPolicy("Always")
                .withCommand("sh", "-c", "tail -F /dev/null").endInitContainer()
                .addNewInitContainer().withName("second").withImage("alpine:latest").withRestartPolicy("Always")
                .withCommand("sh", "-c", "tail -F /dev/null").endInitContainer().endSpec().build();
        f.client.pods().inNamespace("default").resource(p).create();
        await(WAIT, "pod ordered-stop Succeeded", () -> "Succeeded".equals(get("ordered-stop").getStatus().getPhase()),
                () -> get("ordered-stop").getStatus());
        var init = get("ordered-stop").getStatus().getInitContainerStatuses();
        java.time.Instant first = java.time.Instant.parse(init.get(0).getState().getTerminated().getFinishedAt());
        java.time.Instant second = java.time.Instant.parse(init.get(1).getState().getTerminated().getFinishedAt());
        java.time.Instant app = java.time.Instant.parse(get("ordered-stop").getStatus().getContainerStatuses().get(0).getState()
                .getTerminated().getFinishedAt());
        assertThat(second).as("the last sidecar stops after the app container").isAfter(app);
        assertThat(first).as("and the first sidecar only once the second has stopped").isAfterOrEqualTo(second.plusSeconds(1));
    }

    /** As the kubelet: containers not created yet wait in PodInitializing while a pod has init containers. */
    @Test
    void containersOfAPodStillInitialisingWaitInPodInitializing() throws Exception {
        Pod p = new PodBuilder(pod("initialising", "sim-1", "Always", Map.of())).editSpec()
                .addNewInitContainer().withName("wait").withImage("busybox").withCommand("sleep", "3600").endInitContainer()
                .addNewInitContainer().withName("later").withImage("busybox").withCommand("true").endInitContainer()
                .endSpec().build();
        f.client.pods().inNamespace("default").resource(p).create();
        await(WAIT, "init container wait running", () -> {
            var st = get("initialising").getStatus().getInitContainerStatuses();
            return st != null && !st.isEmpty() && st.get(0).getState().getRunning() != null;
        }, () -> get("initialising").getStatus());
        Pod q = get("initialising");
        assertThat(q.getStatus().getPhase()).isEqualTo("Pending");
        assertThat(q.getStatus().getInitContainerStatuses().get(1).getState().getWaiting().getReason()).isEqualTo("PodInitializing");
        assertThat(q.getStatus().getContainerStatuses().get(0).getState().getWaiting().getReason()).isEqualTo("PodInitializing");
        assertThat(condition(q, "Initialized")).isEqualTo("False");
        f.client.pods().inNamespace("default").withName("initialising").withGracePeriod(0).delete();
    }

    /** The kubelet's periodic sync: a ConfigMap edited while its pod runs reaches the mounted files (not a subPath mount's). */
    @Test
    void anEditedConfigMapReachesTheRunningPodsVolume() throws Exception {
        f.client.configMaps().inNamespace("default").resource(new io.fabric8.kubernetes.api.model.ConfigMapBuilder().withNewMetadata()
                .withName("live-config").endMetadata().addToData("greeting", "hello").addToData("gone", "soon").build()).create();
        Pod p = new PodBuilder(pod("live-config", "sim-0", "Always", Map.of())).editSpec().editFirstContainer()
                .addNewVolumeMount().withName("config").withMountPath("/etc/config").endVolumeMount()
                .addNewVolumeMount().withName("config").withMountPath("/etc/pinned").withSubPath("greeting").endVolumeMount().endContainer()
                .addNewVolume().withName("config").withNewConfigMap().withName("live-config").endConfigMap().endVolume().endSpec().build();
        f.client.pods().inNamespace("default").resource(p).create();
        await(WAIT, "pod live-config Running", () -> "Running".equals(get("live-config").getStatus().getPhase()));
        assertThat(exec("live-config", "cat", "/etc/config/greeting")).isEqualTo("hello");

        f.client.configMaps().inNamespace("default").withName("live-config").edit(cm -> {
            cm.setData(Map.of("greeting", "hello again"));
            return cm;
        });
        await(WAIT, "the new value in the volume", () -> exec("live-config", "cat", "/etc/config/greeting").equals("hello again"));
        assertThat(exec("live-config", "ls", "/etc/config")).as("a removed key's file goes").isEqualTo("greeting\n");
        assertThat(exec("live-config", "cat", "/etc/pinned")).as("a subPath mount keeps what it started with").isEqualTo("hello");
        f.client.pods().inNamespace("default").withName("live-config").withGracePeriod(0).delete();
    }

    /** The docs' "Configure a Security Context": `id` in the container shows the pod's and the container's user and groups. */
    @Test
    void idShowsTheSecurityContextsUserAndGroups() throws Exception {
        Pod p = new PodBuilder(pod("security-context-demo", "sim-0", "Always", Map.of())).editSpec()
                .withNewSecurityContext().withRunAsUser(1000L).withRunAsGroup(3000L).withFsGroup(2000L).endSecurityContext()
                .editFirstContainer().withName("sec-ctx-demo").withImage("busybox:1.28").withCommand("sh", "-c", "sleep 1h").endContainer()
                .addNewContainer().withName("override").withImage("busybox:1.28").withCommand("sleep", "3600")
                .withNewSecurityContext().withRunAsUser(2000L).endSecurityContext().endContainer()
                .endSpec().build();
        f.client.pods().inNamespace("default").resource(p).create();
        f.client.pods().inNamespace("default").resource(new PodBuilder(pod("as-root", "sim-0", "Always", Map.of())).editSpec()
                .editFirstContainer().withImage("busybox").withCommand("sleep", "3600").endContainer().endSpec().build()).create();
        for (String name : List.of("security-context-demo", "as-root")) {
            await(WAIT, name + " Running", () -> "Running".equals(get(name).getStatus().getPhase()));
        }
        assertThat(exec("security-context-demo", "id")).isEqualTo("uid=1000 gid=3000 groups=2000,3000\n");
        assertThat(exec("security-context-demo", "-c", "override", "id", "-u")).isEqualTo("2000\n");
        assertThat(exec("as-root", "id")).isEqualTo("uid=0(root) gid=0(root) groups=0(root),10(wheel)\n");
        assertThat(exec("as-root", "whoami")).isEqualTo("root\n");
        for (String name : List.of("security-context-demo", "as-root")) {
            f.client.pods().inNamespace("default").withName(name).withGracePeriod(0).delete();
        }
    }

    private static String exec(String pod, String... command) {
        try {
            java.util.List<String> args = new java.util.ArrayList<>(java.util.List.of("exec", pod));
            int from = 0;
            if (command.length > 1 && command[0].equals("-c")) {
                args.addAll(java.util.List.of("-c", command[1]));
                from = 2;
            }
            args.add("--");
            args.addAll(java.util.List.of(command).subList(from, command.length));
            Process p = kubectl("exec-" + pod, args.toArray(String[]::new));
            p.waitFor(20, TimeUnit.SECONDS);
            return read("exec-" + pod + ".out");
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** As upstream: the kubelet keeps retrying the mount, and the pod starts once its ConfigMap is created. */
    @Test
    void aPodWaitsInContainerCreatingForTheConfigMapOfItsVolume() throws Exception {
        Pod pod = pod("cfg-wait", "sim-0", "Always", Map.of());
        pod.getSpec().getContainers().get(0).setVolumeMounts(java.util.List.of(new io.fabric8.kubernetes.api.model.VolumeMountBuilder()
                .withName("config").withMountPath("/etc/config").build()));
        pod.getSpec().setVolumes(java.util.List.of(new io.fabric8.kubernetes.api.model.VolumeBuilder().withName("config")
                .withNewConfigMap().withName("late-config").endConfigMap().build()));
        f.client.pods().inNamespace("default").resource(pod).create();
        String message = "MountVolume.SetUp failed for volume \"config\" : configmap \"late-config\" not found";
        await(WAIT, "a FailedMount event", () -> f.client.v1().events().inNamespace("default").list().getItems().stream().anyMatch(e ->
                "cfg-wait".equals(e.getInvolvedObject().getName()) && "FailedMount".equals(e.getReason()) && message.equals(e.getMessage())));
        Pod waiting = get("cfg-wait");
        assertThat(waiting.getStatus().getPhase()).isEqualTo("Pending");
        assertThat(waiting.getStatus().getContainerStatuses().get(0).getState().getWaiting().getReason()).isEqualTo("ContainerCreating");

        f.client.configMaps().inNamespace("default").resource(new io.fabric8.kubernetes.api.model.ConfigMapBuilder().withNewMetadata()
                .withName("late-config").endMetadata().addToData("color", "blue").build()).create();
        await(WAIT, "cfg-wait Running once its ConfigMap exists", () -> "Running".equals(get("cfg-wait").getStatus().getPhase()),
                () -> get("cfg-wait").getStatus());
    }

    /** `kubectl cp` runs tar through exec: into the container's files and back, a directory tree included. */
    @Test
    void kubectlCpCopiesFilesIntoAndOutOfTheContainer() throws Exception {
        f.client.pods().inNamespace("default").resource(pod("copied", "sim-0", "Always", Map.of())).create();
        await(WAIT, "copied Running", () -> "Running".equals(get("copied").getStatus().getPhase()), () -> get("copied").getStatus());
        Path src = tmp.resolve("cp-src");
        java.nio.file.Files.createDirectories(src.resolve("sub"));
        java.nio.file.Files.writeString(src.resolve("a.txt"), "alpha\n");
        java.nio.file.Files.writeString(src.resolve("sub/b.txt"), "beta\n");
        Process in = kubectl("cp-in", "cp", src.toString(), "copied:/data");
        assertThat(in.waitFor(30, TimeUnit.SECONDS)).as("kubectl cp into the pod ends").isTrue();
        assertThat(in.exitValue()).as(read("cp-in.err")).isZero();
        assertThat(exec("copied", "cat", "/data/sub/b.txt")).isEqualTo("beta\n");

        Path back = tmp.resolve("cp-back");
        Process out = kubectl("cp-out", "cp", "copied:/data", back.toString());
        assertThat(out.waitFor(30, TimeUnit.SECONDS)).as("kubectl cp out of the pod ends").isTrue();
        assertThat(out.exitValue()).as(read("cp-out.err")).isZero();
        assertThat(java.nio.file.Files.readString(back.resolve("a.txt"))).isEqualTo("alpha\n");
        assertThat(java.nio.file.Files.readString(back.resolve("sub/b.txt"))).isEqualTo("beta\n");

        // into a directory of the image: kubectl asks `test -d /tmp` and copies the file into it
        Process into = kubectl("cp-dir", "cp", src.resolve("a.txt").toString(), "copied:/tmp/");
        assertThat(into.waitFor(30, TimeUnit.SECONDS)).isTrue();
        assertThat(into.exitValue()).as(read("cp-dir.err")).isZero();
        assertThat(exec("copied", "cat", "/tmp/a.txt")).isEqualTo("alpha\n");

    }

    /** The docs' RuntimeClass example names a handler the node has not configured: the sandbox is never created. */
    @Test
    void aPodWhoseRuntimeHandlerTheNodeLacksWaitsForItsSandbox() throws Exception {
        for (String[] rc : new String[][] {{"myclass", "myconfiguration"}, {"plain", "runc"}}) {
            f.client.resources(io.fabric8.kubernetes.api.model.node.v1.RuntimeClass.class).resource(
                    new io.fabric8.kubernetes.api.model.node.v1.RuntimeClassBuilder().withNewMetadata().withName(rc[0]).endMetadata()
                            .withHandler(rc[1]).build()).create();
        }
        Pod odd = pod("odd-runtime", "sim-0", "Always", Map.of());
        odd.getSpec().setRuntimeClassName("myclass");
        f.client.pods().inNamespace("default").resource(odd).create();
        Pod plain = pod("runc-runtime", "sim-0", "Always", Map.of());
        plain.getSpec().setRuntimeClassName("plain");
        f.client.pods().inNamespace("default").resource(plain).create();
        String message = "Failed to create pod sandbox: rpc error: code = Unknown desc = failed to get sandbox runtime: "
                + "no runtime for \"myconfiguration\" is configured";
        await(WAIT, "a FailedCreatePodSandBox event", () -> f.client.v1().events().inNamespace("default").list().getItems().stream().anyMatch(e ->
                "odd-runtime".equals(e.getInvolvedObject().getName()) && "FailedCreatePodSandBox".equals(e.getReason())
                        && message.equals(e.getMessage())));
        await(WAIT, "runc-runtime Running", () -> "Running".equals(get("runc-runtime").getStatus().getPhase()),
                () -> get("runc-runtime").getStatus());
        Pod waiting = get("odd-runtime");
        assertThat(waiting.getStatus().getPhase()).isEqualTo("Pending");
        assertThat(waiting.getStatus().getContainerStatuses().get(0).getState().getWaiting().getReason()).isEqualTo("ContainerCreating");
        assertThat(condition(waiting, "PodReadyToStartContainers")).isEqualTo("False");
    }

    @Test
    void ephemeralContainersRunOnceBesideThePodsOwn() throws Exception {
        f.client.pods().inNamespace("default").resource(pod("debugged", "sim-0", "Always", Map.of())).create();
        await(WAIT, "debugged Running", () -> "Running".equals(get("debugged").getStatus().getPhase()), () -> get("debugged").getStatus());
        // what `kubectl debug debugged --image=busybox -c shell -- sleep infinity` and `-c once -- echo hi` patch
        for (String c : new String[] {"{'name':'shell','image':'busybox','command':['sleep','infinity'],'targetContainerName':'app'}",
                "{'name':'once','image':'busybox','command':['echo','hi']}"}) {
            f.client.pods().inNamespace("default").withName("debugged").subresource("ephemeralcontainers")
                    .patch(io.fabric8.kubernetes.client.dsl.base.PatchContext.of(io.fabric8.kubernetes.client.dsl.base.PatchType.JSON),
                            ("[{'op':'add','path':'/spec/ephemeralContainers" + (c.contains("shell") ? "','value':[" + c + "]}]"
                                    : "/-','value':" + c + "}]")).replace('\'', '"'));
        }
        await(WAIT, "shell running, once completed", () -> {
            var st = get("debugged").getStatus().getEphemeralContainerStatuses();
            return st != null && st.size() == 2 && st.get(0).getState().getRunning() != null && st.get(1).getState().getTerminated() != null;
        }, () -> get("debugged").getStatus());
        Pod p = get("debugged");
        ContainerStatus once = p.getStatus().getEphemeralContainerStatuses().get(1);
        assertThat(once.getName()).isEqualTo("once");
        assertThat(once.getState().getTerminated().getReason()).isEqualTo("Completed");
        assertThat(once.getRestartCount()).as("an ephemeral container is never restarted").isZero();
        assertThat(once.getReady()).isFalse();
        assertThat(p.getStatus().getContainerStatuses()).extracting(ContainerStatus::getName).containsExactly("app");
        assertThat(p.getStatus().getPhase()).isEqualTo("Running");
        assertThat(condition(p, "Ready")).as("ephemeral containers take no part in readiness").isEqualTo("True");
        assertThat(f.client.pods().inNamespace("default").withName("debugged").inContainer("once").getLog()).isEqualTo("hi\n");
    }

    @Test
    void onePodWatchServesEveryHostedNodeAndNoOtherNode() throws Exception {
        // this agent hosts sim-0 and sim-1 through one watch of all pods; a pod of another node is not its business
        f.client.pods().inNamespace("default").resource(pod("elsewhere", "not-hosted-here", "Always", Map.of())).create();
        f.client.pods().inNamespace("default").resource(pod("on-0", "sim-0", "Always", Map.of())).create();
        f.client.pods().inNamespace("default").resource(pod("on-1", "sim-1", "Always", Map.of())).create();
        for (String name : new String[]{"on-0", "on-1"}) {
            await(WAIT, name + " Running", () -> "Running".equals(get(name).getStatus().getPhase()), () -> get(name).getStatus());
        }
        assertThat(f.agent.findPod("default", "on-1")).isPresent();
        assertThat(f.agent.findPod("default", "elsewhere")).isEmpty();
        Pod other = get("elsewhere");
        assertThat(other.getStatus() == null ? null : other.getStatus().getContainerStatuses()).isNullOrEmpty();
    }

    @Test
    void neverPodSucceedsAfterItsRunTime() throws Exception {
        Pod pi = new PodBuilder(pod("job-like", "sim-1", "Never", Map.of())).editSpec().editFirstContainer().withImage("perl:5.34.0")
                .withCommand("perl", "-Mbignum=bpi", "-wle", "print bpi(2000)").endContainer().endSpec().build();
        f.client.pods().inNamespace("default").resource(pi).create();
        await(WAIT, "pod job-like Succeeded", () -> "Succeeded".equals(get("job-like").getStatus().getPhase()),
                () -> get("job-like").getStatus());
        Pod p = get("job-like");
        ContainerStatus cs = p.getStatus().getContainerStatuses().get(0);
        assertThat(cs.getState().getTerminated().getExitCode()).isZero();
        assertThat(cs.getState().getTerminated().getReason()).isEqualTo("Completed");
        assertThat(cs.getReady()).isFalse();
        assertThat(condition(p, "Ready")).isEqualTo("False");
    }

    /** `kubectl exec … -- env` after the tutorial's Service: the simulated containers get the kubelet's Service variables too. */
    @Test
    void containersGetTheServiceEnvironmentVariables() throws Exception {
        var svc = f.client.services().inNamespace("default").resource(new io.fabric8.kubernetes.api.model.ServiceBuilder()
                .withNewMetadata().withName("sim-env").endMetadata().withNewSpec().addToSelector("app", "none")
                .addNewPort().withName("http").withPort(80).withNewTargetPort(8080).endPort().endSpec().build()).create();
        String ip = svc.getSpec().getClusterIP();
        Pod p = new PodBuilder(pod("printenv", "sim-1", "Never", Map.of())).editSpec().editFirstContainer()
                .withCommand("sh", "-c", "env").addNewEnv().withName("VIA").withValue("$(SIM_ENV_SERVICE_HOST):$(SIM_ENV_SERVICE_PORT)").endEnv()
                .endContainer().endSpec().build();
        Pod unlinked = new PodBuilder(pod("unlinked", "sim-1", "Never", Map.of())).editSpec().withEnableServiceLinks(false)
                .editFirstContainer().withCommand("env").endContainer().endSpec().build();
        // a pod started before the agent's Service watch delivered the Service would not get its variables (as upstream)
        await(WAIT, "the agent's Service watch has sim-env", () -> f.agent.services().get("default", "sim-env") != null);
        f.client.pods().inNamespace("default").resource(p).create();
        f.client.pods().inNamespace("default").resource(unlinked).create();
        for (String name : List.of("printenv", "unlinked")) {
            await(WAIT, "pod " + name + " Succeeded", () -> "Succeeded".equals(get(name).getStatus().getPhase()), () -> get(name).getStatus());
        }
        assertThat(f.client.pods().inNamespace("default").withName("printenv").getLog().lines().toList()).contains(
                "SIM_ENV_SERVICE_HOST=" + ip,
                "SIM_ENV_SERVICE_PORT=80",
                "SIM_ENV_SERVICE_PORT_HTTP=80",
                "SIM_ENV_PORT=tcp://" + ip + ":80",
                "SIM_ENV_PORT_80_TCP_ADDR=" + ip,
                "KUBERNETES_SERVICE_HOST=10.96.0.1",
                "KUBERNETES_SERVICE_PORT=443",
                "VIA=" + ip + ":80");
        assertThat(f.client.pods().inNamespace("default").withName("unlinked").getLog())
                .as("enableServiceLinks: false keeps the kubernetes service only")
                .contains("KUBERNETES_SERVICE_HOST=10.96.0.1").doesNotContain("SIM_ENV_");
    }

    /** `kubectl run web --image=nginx --restart=Never`: the image's own entrypoint is a server, so it keeps running. */
    @Test
    void aNeverPodRunningAServerImageKeepsRunning() throws Exception {
        f.client.pods().inNamespace("default").resource(pod("server-never", "sim-1", "Never", Map.of())).create();
        Pod busybox = new PodBuilder(pod("shell-never", "sim-1", "Never", Map.of())).editSpec().editFirstContainer().withImage("busybox")
                .endContainer().endSpec().build();
        f.client.pods().inNamespace("default").resource(busybox).create();
        await(WAIT, "busybox's sh with no input has exited", () -> "Succeeded".equals(get("shell-never").getStatus().getPhase()),
                () -> get("shell-never").getStatus());
        Pod server = get("server-never");
        assertThat(server.getStatus().getPhase()).isEqualTo("Running");
        assertThat(java.time.Duration.between(java.time.Instant.parse(server.getStatus().getStartTime()), java.time.Instant.now()))
                .as("still running past the time a short command gets").isGreaterThan(java.time.Duration.ofSeconds(1));
        f.client.pods().inNamespace("default").withName("server-never").withGracePeriod(0).delete();
    }

    /** The docs' "Determine the Reason for Pod Failure": the termination message file, and FallbackToLogsOnError. */
    @Test
    void theTerminationMessageIsWhatTheContainerWroteOrTheEndOfItsLog() throws Exception {
        Pod written = new PodBuilder(pod("termination-demo", "sim-1", "Always", Map.of())).editSpec().editFirstContainer().withImage("debian")
                .withCommand("/bin/sh").withArgs("-c", "sleep 1 && echo Sleep expired > /dev/termination-log").endContainer().endSpec().build();
        Pod fallback = new PodBuilder(pod("termination-logs", "sim-1", "Never", Map.of())).editSpec().editFirstContainer().withImage("debian")
                .withCommand("sh", "-c", "echo first; echo boom; exit 2").withTerminationMessagePolicy("FallbackToLogsOnError").endContainer()
                .endSpec().build();
        f.client.pods().inNamespace("default").resource(written).create();
        f.client.pods().inNamespace("default").resource(fallback).create();
        await(WAIT, "termination-demo restarted once", () -> {
            var st = get("termination-demo").getStatus().getContainerStatuses();
            return st != null && !st.isEmpty() && st.get(0).getLastState().getTerminated() != null;
        }, () -> get("termination-demo").getStatus());
        assertThat(get("termination-demo").getStatus().getContainerStatuses().get(0).getLastState().getTerminated().getMessage())
                .isEqualTo("Sleep expired\n");
        await(WAIT, "termination-logs Failed", () -> "Failed".equals(get("termination-logs").getStatus().getPhase()),
                () -> get("termination-logs").getStatus());
        assertThat(get("termination-logs").getStatus().getContainerStatuses().get(0).getState().getTerminated().getMessage())
                .endsWith("first\nboom\n");
        f.client.pods().inNamespace("default").withName("termination-demo").withGracePeriod(0).delete();
    }

    @Test
    void failingNeverPodFails() throws Exception {
        f.client.pods().inNamespace("default").resource(pod("fails", "sim-1", "Never",
                Map.of("sim.kuberaft.io/exit-code", "3"))).create();
        await(WAIT, "pod fails Failed", () -> "Failed".equals(get("fails").getStatus().getPhase()), () -> get("fails").getStatus());
        ContainerStatus cs = get("fails").getStatus().getContainerStatuses().get(0);
        assertThat(cs.getState().getTerminated().getExitCode()).isEqualTo(3);
        assertThat(cs.getState().getTerminated().getReason()).isEqualTo("Error");
    }

    @Test
    void crashLoopBacksOffAndCountsRestarts() throws Exception {
        f.client.pods().inNamespace("default").resource(pod("crasher", "sim-0", "Always",
                Map.of("sim.kuberaft.io/crash-loop", "true", "sim.kuberaft.io/run-seconds", "0.3"))).create();
        await(WAIT, "CrashLoopBackOff with restarts", () -> {
            ContainerStatus cs = get("crasher").getStatus().getContainerStatuses().get(0);
            return cs.getRestartCount() >= 2 && cs.getState().getWaiting() != null
                    && "CrashLoopBackOff".equals(cs.getState().getWaiting().getReason());
        }, () -> get("crasher").getStatus().getContainerStatuses());
        ContainerStatus cs = get("crasher").getStatus().getContainerStatuses().get(0);
        assertThat(cs.getLastState().getTerminated().getExitCode()).isEqualTo(1);
        assertThat(cs.getLastState().getTerminated().getReason()).isEqualTo("Error");
        assertThat(cs.getState().getWaiting().getMessage()).startsWith("back-off ").contains("restarting failed container=app");
        assertThat(get("crasher").getStatus().getPhase()).isEqualTo("Running");
        int before = cs.getRestartCount();
        await(WAIT, "restartCount to keep increasing", () -> get("crasher").getStatus().getContainerStatuses().get(0).getRestartCount() > before);
    }

    /** The docs' exec liveness example: the probe reads what the container's own command removed, and the kubelet restarts it. */
    @Test
    void anExecLivenessProbeFailsOnceTheCommandRemovedItsFile() throws Exception {
        Pod p = new PodBuilder().withNewMetadata().withName("liveness-exec").withNamespace("default").endMetadata()
                .withNewSpec().withNodeName("sim-0").withRestartPolicy("Always").withTerminationGracePeriodSeconds(1L)
                .addNewContainer().withName("liveness").withImage("registry.k8s.io/busybox")
                .withArgs("/bin/sh", "-c", "touch /tmp/healthy; sleep 2; rm -f /tmp/healthy; sleep 600")
                .withNewLivenessProbe().withNewExec().withCommand("cat", "/tmp/healthy").endExec()
                .withPeriodSeconds(1).withFailureThreshold(1).endLivenessProbe().endContainer().endSpec().build();
        f.client.pods().inNamespace("default").resource(p).create();
        await(WAIT, "the container restarted by its liveness probe",
                () -> get("liveness-exec").getStatus().getContainerStatuses() != null && !get("liveness-exec").getStatus().getContainerStatuses().isEmpty()
                        && get("liveness-exec").getStatus().getContainerStatuses().get(0).getRestartCount() >= 1,
                () -> get("liveness-exec").getStatus());
        var unhealthy = f.client.v1().events().inNamespace("default").list().getItems().stream()
                .filter(e -> "liveness-exec".equals(e.getInvolvedObject().getName()) && "Unhealthy".equals(e.getReason())).toList();
        assertThat(unhealthy).extracting(io.fabric8.kubernetes.api.model.Event::getMessage)
                .contains("Liveness probe failed: cat: can't open '/tmp/healthy': No such file or directory");
        f.client.pods().inNamespace("default").withName("liveness-exec").withGracePeriod(0).delete();
    }

    /** A failing probe's Unhealthy events are one Event whose count and lastTimestamp grow (describe: "(x5 over 4s)"). */
    @Test
    void repeatedEventsAreAggregatedIntoOneWithACount() throws Exception {
        Pod p = pod("flaky", "sim-1", "Always", Map.of("sim.kuberaft.io/probe-fail", "readiness"));
        p.getSpec().getContainers().get(0).setReadinessProbe(new io.fabric8.kubernetes.api.model.ProbeBuilder().withNewExec()
                .withCommand("true").endExec().withPeriodSeconds(1).build());
        f.client.pods().inNamespace("default").resource(p).create();
        java.util.function.Supplier<java.util.List<io.fabric8.kubernetes.api.model.Event>> unhealthy = () -> f.client.v1().events()
                .inNamespace("default").list().getItems().stream()
                .filter(e -> "flaky".equals(e.getInvolvedObject().getName()) && "Unhealthy".equals(e.getReason())).toList();
        await(WAIT, "one Unhealthy event counted 5 times", () -> unhealthy.get().size() == 1 && unhealthy.get().get(0).getCount() >= 5,
                unhealthy::get);
        var e = unhealthy.get().get(0);
        assertThat(e.getType()).isEqualTo("Warning");
        assertThat(e.getMessage()).isEqualTo("Readiness probe failed: simulated readiness probe failure");
        assertThat(e.getInvolvedObject().getFieldPath()).isEqualTo("spec.containers{app}");
        assertThat(e.getSource().getComponent()).isEqualTo("kubelet");
        assertThat(e.getSource().getHost()).isEqualTo("sim-1");
        assertThat(java.time.Instant.parse(e.getLastTimestamp())).isAfter(java.time.Instant.parse(e.getFirstTimestamp()));
        f.client.pods().inNamespace("default").withName("flaky").withGracePeriod(0).delete();
    }

    @Test
    void deletedPodIsStoppedThenRemoved() throws Exception {
        f.client.pods().inNamespace("default").resource(pod("doomed", "sim-1", "Always",
                Map.of("sim.kuberaft.io/stop-seconds", "1"))).create();
        await(WAIT, "pod doomed Running", () -> "Running".equals(get("doomed").getStatus().getPhase()));
        f.client.pods().inNamespace("default").withName("doomed").delete();
        // Upstream: a bound pod is only marked; the agent stops it and makes the final delete.
        Pod marked = get("doomed");
        assertThat(marked).isNotNull();
        assertThat(marked.getMetadata().getDeletionTimestamp()).isNotNull();
        assertThat(marked.getMetadata().getDeletionGracePeriodSeconds()).isEqualTo(30L);
        await(WAIT, "pod doomed gone", () -> get("doomed") == null);
    }

    /** The kubelet restarts a container whose image the pod's update changed, whatever the restart policy. */
    @Test
    void changingARunningContainersImageRestartsItWithTheNewOne() throws Exception {
        f.client.pods().inNamespace("default").resource(pod("reimage", "sim-1", "Never", Map.of("sim.kuberaft.io/stop-seconds", "1",
                "sim.kuberaft.io/run-seconds", "600"))).create();
        await(WAIT, "pod reimage Running", () -> "Running".equals(get("reimage").getStatus().getPhase()));
        f.client.pods().inNamespace("default").withName("reimage").edit(p -> {
            p.getSpec().getContainers().get(0).setImage("nginx:1.28");
            return p;
        });
        await(WAIT, "container restarted from nginx:1.28", () -> {
            ContainerStatus cs = get("reimage").getStatus().getContainerStatuses().get(0);
            return cs.getRestartCount() == 1 && "nginx:1.28".equals(cs.getImage()) && cs.getState().getRunning() != null
                    && cs.getLastState().getTerminated() != null;
        }, () -> get("reimage").getStatus());
        assertThat(get("reimage").getStatus().getPhase()).isEqualTo("Running");
        await(WAIT, "the Killing event", () -> f.client.v1().events().inNamespace("default").list().getItems().stream()
                .anyMatch(e -> "reimage".equals(e.getInvolvedObject().getName()) && "Killing".equals(e.getReason())
                        && e.getMessage().equals("Container app definition changed, will be restarted")));
        f.client.pods().inNamespace("default").withName("reimage").withGracePeriod(0).delete();
    }

    /** The kubelet's activeDeadlineHandler: past spec.activeDeadlineSeconds the pod fails and its containers stop. */
    @Test
    void aPodPastItsActiveDeadlineFailsWithDeadlineExceeded() throws Exception {
        Pod p = pod("deadline", "sim-1", "Always", Map.of("sim.kuberaft.io/stop-seconds", "1"));
        p.getSpec().setActiveDeadlineSeconds(2L);
        f.client.pods().inNamespace("default").resource(p).create();
        await(WAIT, "pod deadline Failed with DeadlineExceeded", () -> {
            Pod q = get("deadline");
            return "Failed".equals(q.getStatus().getPhase()) && "DeadlineExceeded".equals(q.getStatus().getReason());
        }, () -> get("deadline").getStatus());
        Pod failed = get("deadline");
        assertThat(failed.getStatus().getMessage()).isEqualTo("Pod was active on the node longer than the specified deadline");
        await(WAIT, "its container terminated", () -> get("deadline").getStatus().getContainerStatuses().get(0).getState().getTerminated() != null,
                () -> get("deadline").getStatus());
        assertThat(java.time.Duration.between(java.time.Instant.parse(failed.getStatus().getStartTime()),
                java.time.Instant.now()).toSeconds()).isGreaterThanOrEqualTo(2);
        f.client.pods().inNamespace("default").withName("deadline").withGracePeriod(0).delete();
    }

    /** As the kubelet: a deleted pod a finalizer keeps ends in a terminal phase and is never run again. */
    @Test
    void aDeletedPodThatAFinalizerKeepsEndsTerminalAndStaysStopped() throws Exception {
        Pod held = pod("held", "sim-1", "Always", Map.of("sim.kuberaft.io/stop-seconds", "1"));
        held.getMetadata().setFinalizers(List.of("example.com/hold"));
        f.client.pods().inNamespace("default").resource(held).create();
        await(WAIT, "pod held Running", () -> "Running".equals(get("held").getStatus().getPhase()));
        f.client.pods().inNamespace("default").withName("held").delete();
        await(WAIT, "pod held Failed with its container terminated", () -> {
            Pod p = get("held");
            return "Failed".equals(p.getStatus().getPhase()) && p.getStatus().getContainerStatuses().get(0).getState().getTerminated() != null;
        }, () -> get("held").getStatus());
        String rv = get("held").getMetadata().getResourceVersion();
        // a later change to the object (here a label) must not start it again
        f.client.pods().inNamespace("default").withName("held").edit(p -> {
            p.getMetadata().setLabels(Map.of("touched", "yes"));
            return p;
        });
        long deadline = System.nanoTime() + java.time.Duration.ofSeconds(3).toNanos();
        while (System.nanoTime() < deadline) {
            Pod p = get("held");
            assertThat(p.getStatus().getPhase()).as("status after %s", rv).isEqualTo("Failed");
            java.util.concurrent.locks.LockSupport.parkNanos(100_000_000L); // sampling a state that must hold for 3 s
        }
        f.client.pods().inNamespace("default").withName("held").edit(p -> {
            p.getMetadata().setFinalizers(List.of());
            return p;
        });
        await(WAIT, "pod held gone once its finalizer is removed", () -> get("held") == null);
    }

    @Test
    void portForwardSaysWhyAndAttachEndsWithTheContainer() throws Exception {
        org.junit.jupiter.api.Assumptions.assumeTrue(java.nio.file.Files.isExecutable(Path.of("/usr/bin/kubectl")), "kubectl not installed");
        f.client.pods().inNamespace("default").resource(pod("sim-web", "sim-0", "Always", Map.of())).create();
        await(WAIT, "pod sim-web Running", () -> "Running".equals(get("sim-web").getStatus().getPhase()));
        int local;
        try (java.net.ServerSocket free = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            local = free.getLocalPort();
        }
        Process pf = kubectl("pf", "port-forward", "pod/sim-web", local + ":80");
        try {
            await(WAIT, "kubectl forwarding", () -> read("pf.out").contains("Forwarding from 127.0.0.1:" + local + " -> 80"), () -> read("pf.err"));
            try (java.net.Socket s = new java.net.Socket("127.0.0.1", local)) {
                s.setSoTimeout(20_000);
                assertThat(s.getInputStream().readAllBytes()).isEmpty();
            }
            // The kubelet's wording, with the runtime's reason; kubectl 1.32 then gives up the forwarder, as upstream.
            await(WAIT, "kubectl to report the error", () -> read("pf.err").contains("error forwarding port 80 to pod "
                    + get("sim-web").getMetadata().getUid() + ", uid : the simulated runtime runs no processes, so nothing listens on port 80"),
                    () -> read("pf.err"));
            assertThat(pf.waitFor(30, TimeUnit.SECONDS)).isTrue();
        } finally {
            pf.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        }

        // Attach shows what the simulated container writes from now on (its last words only) and ends when it does.
        f.client.pods().inNamespace("default").resource(pod("sim-short", "sim-1", "Never", Map.of("sim.kuberaft.io/run-seconds", "4"))).create();
        await(WAIT, "pod sim-short Running", () -> "Running".equals(get("sim-short").getStatus().getPhase()));
        Process attach = kubectl("attach", "attach", "sim-short");
        try {
            assertThat(attach.waitFor(30, TimeUnit.SECONDS)).as("attach ends with the container: %s", read("attach.err")).isTrue();
            assertThat(attach.exitValue()).as(read("attach.err")).isZero();
            assertThat(read("attach.out")).isEqualTo("simulated container app exited with code 0\n");
        } finally {
            attach.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        }
    }

    private static Process kubectl(String name, String... args) throws java.io.IOException {
        java.util.List<String> cmd = new java.util.ArrayList<>(java.util.List.of("/usr/bin/kubectl", "--server", "http://127.0.0.1:" + f.server.port(),
                "--cache-dir", tmp.resolve("kube-cache").toString(), "-n", "default"));
        cmd.addAll(java.util.List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectOutput(tmp.resolve(name + ".out").toFile()).redirectError(tmp.resolve(name + ".err").toFile())
                .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
        pb.environment().put("HOME", tmp.toString());
        pb.environment().put("KUBECONFIG", tmp.resolve("no-kubeconfig").toString());
        return pb.start();
    }

    private static String read(String file) {
        try {
            return java.nio.file.Files.readString(tmp.resolve(file));
        } catch (java.io.IOException e) {
            return "";
        }
    }
}
