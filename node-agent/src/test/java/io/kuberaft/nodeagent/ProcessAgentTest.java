package io.kuberaft.nodeagent;

import io.fabric8.kubernetes.api.model.ConfigMapBuilder;
import io.fabric8.kubernetes.api.model.ContainerStatus;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.Event;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static io.kuberaft.nodeagent.AgentFixture.await;
import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** The process runtime: real host processes, their logs through the API server's pods/log, probes, env and volumes. */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class ProcessAgentTest {
    private static final Duration WAIT = Duration.ofSeconds(30);
    @TempDir
    static Path tmp;
    static AgentFixture f;

    @BeforeAll
    static void start() throws Exception {
        f = new AgentFixture(tmp, "process", "proc", 1);
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

    @Test
    void runsACommandAndServesItsLogThroughTheApiServer() throws Exception {
        f.client.configMaps().inNamespace("default").resource(new ConfigMapBuilder().withNewMetadata().withName("cfg").endMetadata()
                .withData(Map.of("greeting", "hi-from-configmap", "file.txt", "file-content")).build()).create();
        Pod p = pod("hello", "Never", "sh", "-c", "echo hello; echo \"$GREETING $POD_NAME $POD_IP\"; cat \"$KUBERAFT_ROOTFS/etc/cfg/file.txt\"; echo")
                .editSpec().editFirstContainer()
                .addNewEnv().withName("GREETING").withNewValueFrom().withNewConfigMapKeyRef("greeting", "cfg", false).endValueFrom().endEnv()
                .addNewEnv().withName("POD_NAME").withNewValueFrom().withNewFieldRef().withFieldPath("metadata.name").endFieldRef().endValueFrom().endEnv()
                .addNewEnv().withName("POD_IP").withNewValueFrom().withNewFieldRef().withFieldPath("status.podIP").endFieldRef().endValueFrom().endEnv()
                .addNewVolumeMount().withName("cfg").withMountPath("/etc/cfg").endVolumeMount()
                .endContainer()
                .addNewVolume().withName("cfg").withNewConfigMap().withName("cfg").endConfigMap().endVolume()
                .endSpec().build();
        f.client.pods().inNamespace("default").resource(p).create();
        await(WAIT, "pod hello Succeeded", () -> "Succeeded".equals(get("hello").getStatus().getPhase()), () -> get("hello").getStatus());
        ContainerStatus cs = get("hello").getStatus().getContainerStatuses().get(0);
        assertThat(cs.getState().getTerminated().getReason()).isEqualTo("Completed");
        assertThat(cs.getContainerID()).startsWith("process://");
        String podIP = get("hello").getStatus().getPodIP();
        // fabric8's getLog() is GET pods/hello/log on the API server, which forwards to the agent API.
        String log = f.client.pods().inNamespace("default").withName("hello").getLog();
        assertThat(log).isEqualTo("hello\nhi-from-configmap hello " + podIP + "\nfile-content\n");
        assertThat(f.client.pods().inNamespace("default").withName("hello").tailingLines(1).getLog()).isEqualTo("file-content\n");
        if (Files.isExecutable(Path.of("/usr/bin/kubectl"))) {
            List<String> cmd = new ArrayList<>(List.of("/usr/bin/kubectl", "--server", "http://127.0.0.1:" + f.server.port(),
                    "--cache-dir", tmp.resolve("kube-cache").toString(), "logs", "hello", "--tail", "2"));
            ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
            pb.environment().put("HOME", tmp.toString());
            pb.environment().put("KUBECONFIG", tmp.resolve("no-kubeconfig").toString());
            Process proc = pb.start();
            String out = new String(proc.getInputStream().readAllBytes());
            assertThat(proc.waitFor(30, TimeUnit.SECONDS)).isTrue();
            assertThat(out).isEqualTo("hi-from-configmap hello " + podIP + "\nfile-content\n");
            assertThat(proc.exitValue()).isZero();
        }
    }

    @Test
    void containersGetTheServiceEnvironmentVariables() throws Exception {
        var svc = f.client.services().inNamespace("default").resource(new io.fabric8.kubernetes.api.model.ServiceBuilder()
                .withNewMetadata().withName("env-service").endMetadata().withNewSpec().addToSelector("app", "none")
                .addNewPort().withName("http").withPort(80).withNewTargetPort(8080).endPort().endSpec().build()).create();
        String ip = svc.getSpec().getClusterIP();
        Pod p = pod("env", "Never", "sh", "-c", "env | grep -E '^(ENV_SERVICE|KUBERNETES)_|^VIA=' | sort")
                .editSpec().editFirstContainer()
                .addNewEnv().withName("VIA").withValue("$(ENV_SERVICE_SERVICE_HOST):$(ENV_SERVICE_SERVICE_PORT)").endEnv()
                .addNewEnv().withName("KUBERNETES_SERVICE_PORT").withValue("overridden").endEnv()
                .endContainer().endSpec().build();
        f.client.pods().inNamespace("default").resource(p).create();
        await(WAIT, "pod env Succeeded", () -> "Succeeded".equals(get("env").getStatus().getPhase()), () -> get("env").getStatus());
        String log = f.client.pods().inNamespace("default").withName("env").getLog();
        assertThat(log.lines().toList()).contains(
                "ENV_SERVICE_SERVICE_HOST=" + ip,
                "ENV_SERVICE_SERVICE_PORT=80",
                "ENV_SERVICE_SERVICE_PORT_HTTP=80",
                "ENV_SERVICE_PORT=tcp://" + ip + ":80",
                "ENV_SERVICE_PORT_80_TCP=tcp://" + ip + ":80",
                "ENV_SERVICE_PORT_80_TCP_PROTO=tcp",
                "ENV_SERVICE_PORT_80_TCP_PORT=80",
                "ENV_SERVICE_PORT_80_TCP_ADDR=" + ip,
                "KUBERNETES_SERVICE_HOST=10.96.0.1",
                "KUBERNETES_SERVICE_PORT=overridden",
                "KUBERNETES_SERVICE_PORT_HTTPS=443",
                "KUBERNETES_PORT=tcp://10.96.0.1:443",
                "VIA=" + ip + ":80");
    }

    @Test
    void aMissingBinaryWaitsWithAClearReason() throws Exception {
        f.client.pods().inNamespace("default").resource(pod("nobin", "Always", "/no/such/binary").build()).create();
        await(WAIT, "waiting reason RunContainerError", () -> {
            var w = get("nobin").getStatus().getContainerStatuses().get(0).getState().getWaiting();
            return w != null && "RunContainerError".equals(w.getReason());
        }, () -> get("nobin").getStatus().getContainerStatuses());
        assertThat(get("nobin").getStatus().getContainerStatuses().get(0).getState().getWaiting().getMessage())
                .contains("/no/such/binary").contains("executable file not found");
        assertThat(get("nobin").getStatus().getPhase()).isEqualTo("Pending");
    }

    /** postStart runs after the start, preStop before SIGTERM, and the container sees them in that order. */
    @Test
    void lifecycleHooksRunAroundTheContainer() throws Exception {
        Path log = tmp.resolve("hooks.log");
        Pod p = pod("hooks", "Always", "sh", "-c", "trap 'echo TERM >> " + log + "; exit 0' TERM; echo main >> " + log
                + "; while true; do sleep 0.1; done")
                .editSpec().editFirstContainer().withNewLifecycle()
                .withNewPostStart().withNewExec().withCommand("sh", "-c", "echo poststart >> " + log).endExec().endPostStart()
                .withNewPreStop().withNewExec().withCommand("sh", "-c", "echo prestop >> " + log + "; sleep 1").endExec().endPreStop()
                .endLifecycle().endContainer().endSpec().build();
        f.client.pods().inNamespace("default").resource(p).create();
        await(WAIT, "hooks Running and Ready", () -> {
            Pod now = get("hooks");
            return now.getStatus().getContainerStatuses() != null && !now.getStatus().getContainerStatuses().isEmpty()
                    && Boolean.TRUE.equals(now.getStatus().getContainerStatuses().get(0).getReady());
        }, () -> get("hooks").getStatus());
        await(WAIT, "the postStart hook ran", () -> {
            try {
                return Files.exists(log) && Files.readString(log).contains("poststart");
            } catch (java.io.IOException e) {
                return false;
            }
        });
        f.client.pods().inNamespace("default").withName("hooks").delete();
        await(WAIT, "the pod gone after its preStop hook and SIGTERM", () -> get("hooks") == null);
        List<String> lines = Files.readAllLines(log);
        assertThat(lines).contains("main", "poststart");
        assertThat(lines.subList(lines.indexOf("poststart"), lines.size())).as("preStop before SIGTERM").containsSubsequence("prestop", "TERM");
    }

    @Test
    void aFailedPostStartHookKillsAndRestartsTheContainer() throws Exception {
        Pod p = pod("badhook", "Always", "sh", "-c", "while true; do sleep 0.1; done")
                .editSpec().editFirstContainer().withNewLifecycle()
                .withNewPostStart().withNewExec().withCommand("sh", "-c", "echo broken; exit 3").endExec().endPostStart()
                .endLifecycle().endContainer().endSpec().build();
        f.client.pods().inNamespace("default").resource(p).create();
        String uid = get("badhook").getMetadata().getUid();
        await(WAIT, "FailedPostStartHook and a restart", () -> f.client.v1().events().inNamespace("default").list().getItems().stream()
                .anyMatch(e -> "FailedPostStartHook".equals(e.getReason()) && "badhook".equals(e.getInvolvedObject().getName()))
                && get("badhook").getStatus().getContainerStatuses().get(0).getRestartCount() >= 1, () -> get("badhook").getStatus());
        Event failed = f.client.v1().events().inNamespace("default").list().getItems().stream()
                .filter(e -> "FailedPostStartHook".equals(e.getReason()) && "badhook".equals(e.getInvolvedObject().getName())).findFirst().orElseThrow();
        assertThat(failed.getType()).isEqualTo("Warning");
        assertThat(failed.getMessage()).isEqualTo("Exec lifecycle hook ([sh -c echo broken; exit 3]) for Container \"main\" in Pod \"badhook_default("
                + uid + ")\" failed - error: command 'sh -c echo broken; exit 3' exited with 3: , message: \"broken\\n\"");
        f.client.pods().inNamespace("default").withName("badhook").withGracePeriod(0).delete();
    }

    @Test
    void failingLivenessProbeRestartsTheContainer() throws Exception {
        Pod p = pod("unhealthy", "Always", "sleep", "60").editSpec().editFirstContainer()
                .withNewLivenessProbe().withNewExec().withCommand("cat", "/no/such/file").endExec()
                .withPeriodSeconds(1).withFailureThreshold(2).endLivenessProbe().endContainer().endSpec().build();
        f.client.pods().inNamespace("default").resource(p).create();
        await(WAIT, "a restart after the liveness probe failed", () ->
                get("unhealthy").getStatus().getContainerStatuses().get(0).getRestartCount() >= 1, () -> get("unhealthy").getStatus());
        await(WAIT, "the Unhealthy event", () -> f.client.v1().events().inNamespace("default").list().getItems().stream()
                .anyMatch(e -> "Unhealthy".equals(e.getReason()) && e.getMessage().startsWith("Liveness probe failed: cat: /no/such/file")));
        List<Event> killing = f.client.v1().events().inNamespace("default").list().getItems().stream()
                .filter(e -> "Killing".equals(e.getReason()) && e.getInvolvedObject().getName().equals("unhealthy")).toList();
        assertThat(killing).anyMatch(e -> e.getMessage().equals("Container main failed liveness probe, will be restarted"));
    }

    @Test
    void deletingARunningPodStopsTheProcessAndRemovesThePod() throws Exception {
        f.client.pods().inNamespace("default").resource(pod("sleeper", "Always", "sleep", "300").build()).create();
        await(WAIT, "pod sleeper Running", () -> "Running".equals(get("sleeper").getStatus().getPhase()));
        f.client.pods().inNamespace("default").withName("sleeper").delete();
        await(WAIT, "pod sleeper gone", () -> get("sleeper") == null);
        assumeTrue(Files.isDirectory(tmp.resolve("agent/pods")));
        try (var s = Files.list(tmp.resolve("agent/pods"))) {
            assertThat(s.map(x -> x.getFileName().toString()).toList()).doesNotContain("sleeper");
        }
    }

    /** The container's stats block in the agent's {@code /stats/summary}, or null while it has none. */
    private static com.fasterxml.jackson.databind.JsonNode containerStats(String pod) {
        var r = f.agentGet("/stats/summary");
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        com.fasterxml.jackson.databind.JsonNode summary;
        try {
            summary = new com.fasterxml.jackson.databind.ObjectMapper().readTree(r.body());
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        for (var p : summary.path("pods")) {
            if (p.path("podRef").path("name").asText().equals(pod)) {
                return p.path("containers").path(0);
            }
        }
        return null;
    }

    /** CPU and memory of the container's whole process tree, from /proc: a busy loop in a child shell shows, a sleep hardly does. */
    @Test
    void usageOfABusyLoopAndOfASleepFromTheirProcesses() throws Exception {
        assumeTrue(Files.isDirectory(Path.of("/proc/self")), "needs Linux /proc");
        f.client.pods().inNamespace("default").resource(pod("spin", "Always", "sh", "-c", "(while :; do :; done) & wait").build()).create();
        f.client.pods().inNamespace("default").resource(pod("nap", "Always", "sleep", "300").build()).create();
        try {
            await(WAIT, "spin and nap Running", () -> "Running".equals(get("spin").getStatus().getPhase())
                    && "Running".equals(get("nap").getStatus().getPhase()));
            await(WAIT, "the busy loop above 100m", () -> {
                var c = containerStats("spin");
                return c != null && c.path("cpu").path("usageNanoCores").asLong() > 100_000_000L;
            }, () -> containerStats("spin"));
            var spin = containerStats("spin");
            assertThat(spin.path("cpu").path("usageCoreNanoSeconds").asLong()).isPositive();
            assertThat(spin.path("memory").path("workingSetBytes").asLong()).as("two shells resident").isGreaterThan(4096);
            var nap = containerStats("nap");
            assertThat(nap.path("cpu").path("usageNanoCores").asLong()).as("a sleep: under 20m").isLessThan(20_000_000L);
            assertThat(nap.path("memory").path("workingSetBytes").asLong()).isGreaterThan(4096).isLessThan(100L * 1024 * 1024);
        } finally {
            f.client.pods().inNamespace("default").withName("spin").withGracePeriod(0).delete();
            f.client.pods().inNamespace("default").withName("nap").withGracePeriod(0).delete();
        }
        await(WAIT, "both gone from the summary", () -> containerStats("spin") == null && containerStats("nap") == null);
    }
}
