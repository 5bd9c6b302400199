package io.kuberaft.nodeagent.runtime;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/** An agent killed without stopping its containers: the next agent on the same root stops what it left running. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class OrphanProcessTest {
    @TempDir
    Path root;

    private static RuntimeContainer start(ProcessRuntime runtime, String uid) throws Exception {
        Pod pod = new PodBuilder().withNewMetadata().withName("p").withNamespace("default").withUid(uid).endMetadata()
                .withNewSpec().addNewContainer().withName("app").withImage("busybox").withCommand("sleep", "300").endContainer().endSpec().build();
        Container c = pod.getSpec().getContainers().get(0);
        return runtime.start(new PodContext(pod, "10.0.0.2", "127.0.0.1", "n1", Map.of(), Map.of(), Map.of(), Map.of(), Map.of(), Map.of()), c, 0);
    }

    private static long pid(Path root, String uid) throws Exception {
        return Long.parseLong(Files.readString(root.resolve("pods/" + uid + "/run/app-0.pid")).split(" ")[0]);
    }

    @Test
    void theNextRuntimeOnTheRootStopsTheProcessesOfAKilledOne() throws Exception {
        ProcessRuntime crashed = new ProcessRuntime(root, Clock.systemUTC()); // never closed: its agent was SIGKILLed
        start(crashed, "uid-1");
        long pid = pid(root, "uid-1");
        ProcessHandle orphan = ProcessHandle.of(pid).orElseThrow();
        assertThat(orphan.isAlive()).isTrue();

        // a pid file whose pid is alive but is another process (this JVM: a reused pid) is left alone
        Path reused = Files.createDirectories(root.resolve("pods/uid-2/run")).resolve("app-0.pid");
        Files.writeString(reused, ProcessHandle.current().pid() + " 12345\n");

        try (ProcessRuntime next = new ProcessRuntime(root, Clock.systemUTC())) {
            try {
                orphan.onExit().get(10, TimeUnit.SECONDS);
            } catch (java.util.concurrent.TimeoutException e) {
                throw new AssertionError("the orphan sleep " + pid + " still runs 10 s after the next runtime started", e);
            }
            assertThat(reused).doesNotExist();
            assertThat(root.resolve("pods/uid-1/run/app-0.pid")).doesNotExist();
            // what the new runtime starts is tracked for the agent after it
            start(next, "uid-1");
            assertThat(ProcessHandle.of(pid(root, "uid-1")).map(ProcessHandle::isAlive)).isEqualTo(Optional.of(true));
        } finally {
            crashed.close();
        }
    }
}
