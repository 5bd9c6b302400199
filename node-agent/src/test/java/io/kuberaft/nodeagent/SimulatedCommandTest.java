package io.kuberaft.nodeagent;

import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.kuberaft.nodeagent.runtime.CannotStartException;
import io.kuberaft.nodeagent.runtime.PodContext;
import io.kuberaft.nodeagent.runtime.RuntimeContainer;
import io.kuberaft.nodeagent.runtime.SimulatedRuntime;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The simulated runtime plays the commands tutorials put in their pods (sleep, echo, date, env, loops) on a clock the
 * test moves: what {@code kubectl logs} would print when, and when and how the container exits.
 */
class SimulatedCommandTest {
    private static final Instant T0 = Instant.parse("2026-11-23T10:00:00Z");
    private static final Duration RUN_TIME = Duration.ofSeconds(2);
    private final ManualClock clock = new ManualClock(T0);
    private final SimulatedRuntime runtime = new SimulatedRuntime(clock, RUN_TIME);

    private static Pod pod(String restartPolicy, List<String> command, List<String> args) {
        return new PodBuilder().withNewMetadata().withName("counter").withNamespace("default").withUid("uid-1").endMetadata()
                .withNewSpec().withRestartPolicy(restartPolicy).addNewContainer().withName("c").withImage("busybox")
                .withCommand(command).withArgs(args)
                .addNewEnv().withName("GREETING").withValue("Warm greetings to").endEnv()
                .addNewEnv().withName("NAME").withValue("Kubernetes").endEnv()
                .endContainer().endSpec().build();
    }

    private RuntimeContainer start(Pod pod) throws CannotStartException {
        return runtime.start(new PodContext(pod, "10.244.1.5", "127.0.0.1", "n1", Map.of(), Map.of(), Map.of(), Map.of(), Map.of(), Map.of()),
                pod.getSpec().getContainers().get(0), 0);
    }

    /** The log's text, without the CRI prefix. */
    private String log(RuntimeContainer c) {
        String cri = new String(runtime.log(c, 0).orElseThrow().bytes(), StandardCharsets.UTF_8);
        StringBuilder b = new StringBuilder();
        Arrays.stream(cri.split("\n")).filter(l -> !l.isEmpty()).forEach(l -> b.append(l.split(" ", 4)[3]).append('\n'));
        return b.toString();
    }

    @Test
    void sleepRunsForItsTimeAndExitsZero() throws Exception {
        RuntimeContainer c = start(pod("Never", List.of("sleep", "3600"), null));
        clock.advance(Duration.ofSeconds(3599));
        assertThat(c.exit()).as("still sleeping after 59:59").isEmpty();
        clock.advance(Duration.ofSeconds(1));
        assertThat(c.exit()).hasValueSatisfying(e -> {
            assertThat(e.exitCode()).isZero();
            assertThat(e.finishedAt()).isEqualTo(T0.plusSeconds(3600));
        });
    }

    @Test
    void argsAloneAreTheCommandLineWhenTheyNameAProgram() throws Exception {
        // `kubectl run tmp --image=busybox --restart=Never -- sleep 30` sends args only (busybox has no ENTRYPOINT)
        RuntimeContainer c = start(pod("Never", null, List.of("sleep", "30")));
        clock.advance(Duration.ofSeconds(29));
        assertThat(c.exit()).isEmpty();
        clock.advance(Duration.ofSeconds(1));
        assertThat(c.exit()).isPresent();
        // arguments of an image's ENTRYPOINT are not a program: defaults
        RuntimeContainer job = start(pod("Never", null, List.of("Hello Job")));
        assertThat(log(job)).startsWith("simulated container c");
    }

    @Test
    void sleepInfinityAndTailDashFNeverExit() throws Exception {
        RuntimeContainer a = start(pod("Never", List.of("sh", "-c", "echo up && sleep infinity"), null));
        RuntimeContainer b = start(pod("Never", List.of("tail", "-f", "/dev/null"), null));
        clock.advance(Duration.ofDays(3));
        assertThat(a.exit()).isEmpty();
        assertThat(b.exit()).isEmpty();
        assertThat(log(a)).isEqualTo("up\n");
    }

    @Test
    void echoPrintsItsArgumentsWithTheKubeletsVariableExpansion() throws Exception {
        // the docs' "define an environment variable" example: $(VAR) is expanded by the kubelet, not a shell
        RuntimeContainer c = start(pod("OnFailure", List.of("/bin/echo"), List.of("$(GREETING) $(NAME)")));
        assertThat(log(c)).isEqualTo("Warm greetings to Kubernetes\n");
        assertThat(c.exit()).as("a short command takes the runtime's run time").isEmpty();
        clock.advance(RUN_TIME);
        assertThat(c.exit()).hasValueSatisfying(e -> assertThat(e.exitCode()).isZero());
    }

    @Test
    void theCounterLoopPrintsALineASecondWithTheDate() throws Exception {
        RuntimeContainer c = start(pod("Always", List.of("/bin/sh", "-c"),
                List.of("i=0; while true; do echo \"$i: $(date)\"; i=$((i+1)); sleep 1; done")));
        assertThat(log(c)).isEqualTo("0: Mon Nov 23 10:00:00 UTC 2026\n");
        clock.advance(Duration.ofMillis(2500));
        assertThat(log(c)).isEqualTo("0: Mon Nov 23 10:00:00 UTC 2026\n1: Mon Nov 23 10:00:01 UTC 2026\n2: Mon Nov 23 10:00:02 UTC 2026\n");
        assertThat(c.exit()).isEmpty();
    }

    @Test
    void scriptsSleepBetweenLinesAndExitWithTheirCode() throws Exception {
        RuntimeContainer c = start(pod("Never", List.of("sh", "-c", "echo start; sleep 5; echo 'done, $NAME' \"for $NAME\"\nexit 3"), null));
        assertThat(log(c)).isEqualTo("start\n");
        clock.advance(Duration.ofSeconds(5));
        assertThat(log(c)).isEqualTo("start\ndone, $NAME for Kubernetes\n");
        assertThat(c.exit()).hasValueSatisfying(e -> assertThat(e.exitCode()).isEqualTo(3));
    }

    @Test
    void anAlwaysPodWhoseCommandEndsExitsAndIsRestartedByTheAgent() throws Exception {
        RuntimeContainer c = start(pod("Always", List.of("sh", "-c", "for i in 1 2 3; do echo $i; done"), null));
        clock.advance(RUN_TIME);
        assertThat(c.exit()).as("Completed: the kubelet restarts it, CrashLoopBackOff as upstream").isPresent();
        assertThat(log(c)).isEqualTo("1\n2\n3\n");
    }

    @Test
    void catEtcHostsPrintsTheKubeletsManagedHostsFile() throws Exception {
        RuntimeContainer c = start(pod("OnFailure", List.of("/bin/cat", "/etc/hosts"), null));
        assertThat(log(c)).startsWith("# Kubernetes-managed hosts file.\n127.0.0.1\tlocalhost\n").endsWith("10.244.1.5\tcounter\n");
    }

    @Test
    void unbalancedSubstitutionsAreNotUnderstoodOrKeptAsWritten() throws Exception {
        RuntimeContainer open = start(pod("Never", List.of("sh", "-c", "echo $(date; sleep 5"), null));
        assertThat(log(open)).as("not understood").startsWith("simulated container c");
        RuntimeContainer quoted = start(pod("Never", List.of("sh", "-c", "echo \"$(date\""), null));
        assertThat(log(quoted)).isEqualTo("$(date\n");
    }

    @Test
    void aRunThatEndedBeforeAnAgentRestartIsPlayedAgainForItsLogs() throws Exception {
        Pod p = pod("Never", List.of("sh", "-c", "echo start; sleep 5; echo $NAME done; exit 2"), null);
        PodContext ctx = new PodContext(p, "10.244.1.5", "127.0.0.1", "n1", Map.of(), Map.of(), Map.of(), Map.of(), Map.of(), Map.of());
        Instant started = T0.minusSeconds(600);
        RuntimeContainer c = runtime.restore(ctx, p.getSpec().getContainers().get(0), 2, started, started.plusSeconds(5)).orElseThrow();
        assertThat(c.exit()).hasValueSatisfying(e -> {
            assertThat(e.exitCode()).isEqualTo(2);
            assertThat(e.finishedAt()).isEqualTo(started.plusSeconds(5));
        });
        assertThat(log(c)).isEqualTo("start\nKubernetes done\n");
    }

    @Test
    void whatIsNotUnderstoodKeepsTheDefaults() throws Exception {
        RuntimeContainer server = start(pod("Always", List.of("nginx", "-g", "daemon off;"), null));
        RuntimeContainer piped = start(pod("Never", List.of("sh", "-c", "echo hi | tee /tmp/x; sleep 100"), null));
        assertThat(log(server)).startsWith("simulated container c of pod default/counter started");
        clock.advance(RUN_TIME);
        assertThat(server.exit()).as("an Always pod runs on").isEmpty();
        assertThat(piped.exit()).as("a Never pod exits after the run time").isPresent();
    }

    @Test
    void execPlaysEnvAndRejectsWhatItCannotRun() throws Exception {
        RuntimeContainer c = start(pod("Always", List.of("sleep", "infinity"), null));
        Process env = runtime.startExec(c, List.of("env"), null);
        String out = new String(env.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(out).contains("HOSTNAME=counter\n", "GREETING=Warm greetings to\n", "NAME=Kubernetes\n");
        assertThat(env.waitFor()).isZero();
        Process code = runtime.startExec(c, List.of("sh", "-c", "echo $NAME; exit 4"), null);
        assertThat(new String(code.getInputStream().readAllBytes(), StandardCharsets.UTF_8)).isEqualTo("Kubernetes\n");
        assertThat(code.waitFor()).isEqualTo(4);
        assertThatThrownBy(() -> runtime.startExec(c, List.of("curl", "http://web"), null))
                .isInstanceOf(CannotStartException.class).hasMessageContaining("use --runtime process");
    }
}
