package io.kuberaft.nodeagent.runtime;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/** A pod that finished before its agent restarted: the next agent on the root still has the run's log. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class ProcessRestoreTest {
    @TempDir
    Path root;

    private static PodContext pod(String uid, String... command) {
        Pod pod = new PodBuilder().withNewMetadata().withName("once").withNamespace("default").withUid(uid).endMetadata()
                .withNewSpec().addNewContainer().withName("app").withImage("busybox").withCommand(command).endContainer().endSpec().build();
        return new PodContext(pod, "10.0.0.2", "127.0.0.1", "n1", Map.of(), Map.of(), Map.of(), Map.of(), Map.of(), Map.of());
    }

    private static String log(ContainerRuntime runtime, RuntimeContainer c) {
        return new String(runtime.log(c, runtime.logStart(c)).orElseThrow().bytes(), StandardCharsets.UTF_8);
    }

    @Test
    void theNextRuntimeOnTheRootRestoresAFinishedRunsLogAndExit() throws Exception {
        PodContext ctx = pod("uid-done", "sh", "-c", "echo first run; exit 0");
        Container c = ctx.pod().getSpec().getContainers().get(0);
        Instant started;
        Instant finished;
        try (ProcessRuntime before = new ProcessRuntime(root, Clock.systemUTC())) {
            before.start(ctx, c, 0);
            PodContext again = pod("uid-done", "sh", "-c", "echo hello from the last run; echo on stderr >&2; exit 3");
            RuntimeContainer last = before.start(again, again.pod().getSpec().getContainers().get(0), 1);
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
            while (last.exit().isEmpty() && System.nanoTime() < deadline) {
                Thread.sleep(20);
            }
            assertThat(last.exit()).isPresent();
            started = last.startedAt();
            finished = last.exit().get().finishedAt();
            assertThat(log(before, last)).contains("hello from the last run");
        }

        try (ProcessRuntime after = new ProcessRuntime(root, Clock.systemUTC())) {
            RuntimeContainer restored = after.restore(ctx, c, 3, started, finished).orElseThrow();
            // the newest attempt's file, both streams, as `kubectl logs` read it before the restart
            assertThat(log(after, restored)).contains("hello from the last run").contains("on stderr").doesNotContain("first run");
            assertThat(restored.exit()).hasValueSatisfying(e -> {
                assertThat(e.exitCode()).isEqualTo(3);
                assertThat(e.finishedAt()).isEqualTo(finished);
            });
            assertThat(restored.startedAt()).isEqualTo(started);
            // nothing runs for it: exec answers as for a stopped container, stop is a no-op
            assertThat(after.exec(restored, java.util.List.of("true"), java.time.Duration.ofSeconds(5)).exitCode()).isEqualTo(126);
            after.stop(restored, java.time.Duration.ZERO);

            // a container that never ran on this root has nothing to restore
            assertThat(after.restore(pod("uid-never", "true"), c, 0, started, finished)).isEmpty();
        }
    }
}
