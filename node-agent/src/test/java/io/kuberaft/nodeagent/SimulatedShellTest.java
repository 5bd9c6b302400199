package io.kuberaft.nodeagent;

import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.kuberaft.nodeagent.runtime.PodContext;
import io.kuberaft.nodeagent.runtime.RuntimeContainer;
import io.kuberaft.nodeagent.runtime.SimulatedRuntime;
import io.kuberaft.nodeagent.runtime.TerminalSize;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code kubectl exec -it POD -- sh} on a simulated node: a shell that plays each line it is sent, with the prompt,
 * echo and line editing of a terminal when the client has one, and ends with {@code exit}, Ctrl-D or the end of input.
 */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class SimulatedShellTest {
    private final ManualClock clock = new ManualClock(Instant.parse("2026-11-24T10:00:00Z"));
    private final SimulatedRuntime runtime = new SimulatedRuntime(clock, Duration.ofSeconds(2));

    private RuntimeContainer start(String image) throws Exception {
        Pod pod = new PodBuilder().withNewMetadata().withName("web").withNamespace("default").withUid("uid-1").endMetadata()
                .withNewSpec().withRestartPolicy("Always").addNewContainer().withName("c").withImage(image)
                .addNewEnv().withName("GREETING").withValue("hello").endEnv().endContainer().endSpec().build();
        return runtime.start(new PodContext(pod, "10.244.1.5", "127.0.0.1", "n1", Map.of(), Map.of(), Map.of(), Map.of(), Map.of(), Map.of()),
                pod.getSpec().getContainers().get(0), 0);
    }

    /** Reads what the shell wrote until {@code expected} has appeared (the shell answers as it reads). */
    private static String readUntil(InputStream in, String expected) throws Exception {
        StringBuilder b = new StringBuilder();
        while (!b.toString().contains(expected)) {
            int c = in.read();
            if (c < 0) {
                break;
            }
            b.append((char) c);
        }
        return b.toString();
    }

    @Test
    void withoutATerminalItPlaysEachLineOfItsInputAndExitsWithTheLastStatus() throws Exception {
        Process sh = runtime.startExec(start("busybox"), List.of("sh"), null);
        try (OutputStream in = sh.getOutputStream()) {
            in.write("echo $GREETING from $(hostname)\ncat /etc/hostname\ncurl http://web\n".getBytes(StandardCharsets.UTF_8));
        }
        assertThat(new String(sh.getInputStream().readAllBytes(), StandardCharsets.UTF_8)).isEqualTo("hello from web\nweb\n");
        assertThat(new String(sh.getErrorStream().readAllBytes(), StandardCharsets.UTF_8)).startsWith("sh: curl http://web: not simulated");
        assertThat(sh.waitFor()).isEqualTo(127);

        Process exits = runtime.startExec(start("busybox"), List.of("/bin/sh", "-i"), null);
        try (OutputStream in = exits.getOutputStream()) {
            in.write("echo one\nexit 4\necho never\n".getBytes(StandardCharsets.UTF_8));
        }
        assertThat(new String(exits.getInputStream().readAllBytes(), StandardCharsets.UTF_8)).isEqualTo("one\n");
        assertThat(exits.waitFor()).isEqualTo(4);
    }

    @Test
    void theWorkingDirectoryVariablesAndStatusCarryFromLineToLine() throws Exception {
        Process sh = runtime.startExec(start("busybox"), List.of("sh"), null);
        try (OutputStream in = sh.getOutputStream()) {
            in.write(("cd /etc\npwd\ncat hostname\nNAME=kube; export MODE=raft\necho $NAME $MODE\ncat nope\necho $?\n"
                    + "cd /etc/hostname\necho $? in $(pwd)\ncd\npwd\n").getBytes(StandardCharsets.UTF_8));
        }
        assertThat(new String(sh.getInputStream().readAllBytes(), StandardCharsets.UTF_8))
                .isEqualTo("/etc\nweb\nkube raft\n1\n2 in /etc\n/root\n");
        assertThat(new String(sh.getErrorStream().readAllBytes(), StandardCharsets.UTF_8))
                .isEqualTo("cat: nope: not simulated (the simulated runtime knows the pod's volumes, /etc/hosts and /etc/hostname, not "
                        + "the files of image busybox; use --runtime process)\nsh: cd: can't cd to /etc/hostname: Not a directory\n");
        assertThat(sh.waitFor()).isZero();

        // the prompt follows the working directory, ~ for root's home
        Process bash = runtime.startExec(start("nginx:1.27"), List.of("bash"), TerminalSize.DEFAULT);
        InputStream out = bash.getInputStream();
        OutputStream in = bash.getOutputStream();
        assertThat(readUntil(out, "# ")).isEqualTo("root@web:/# ");
        in.write("cd /etc\r".getBytes(StandardCharsets.UTF_8));
        in.flush();
        assertThat(readUntil(out, "# ")).isEqualTo("cd /etc\r\nroot@web:/etc# ");
        in.write("cd ~\r".getBytes(StandardCharsets.UTF_8));
        in.flush();
        assertThat(readUntil(out, "# ")).isEqualTo("cd ~\r\nroot@web:~# ");
        in.write(new byte[]{4});
        in.flush();
        assertThat(bash.waitFor()).isZero();
    }

    @Test
    void withATerminalItPromptsEchoesEditsAndEndsOnCtrlD() throws Exception {
        Process bash = runtime.startExec(start("nginx:1.27"), List.of("/bin/bash"), TerminalSize.DEFAULT);
        InputStream out = bash.getInputStream();
        OutputStream in = bash.getOutputStream();
        assertThat(readUntil(out, "# ")).isEqualTo("root@web:/# ");
        in.write("ecko".getBytes(StandardCharsets.UTF_8));
        in.write(new byte[]{0x7f, 0x7f});
        in.write("ho hi\r".getBytes(StandardCharsets.UTF_8));
        in.flush();
        assertThat(readUntil(out, "/# ")).isEqualTo("ecko\b \b\b \bho hi\r\nhi\r\nroot@web:/# ");
        in.write(new byte[]{'x', 0x03});
        in.flush();
        assertThat(readUntil(out, "/# ")).isEqualTo("x^C\r\nroot@web:/# ");
        in.write(0x04);
        in.flush();
        assertThat(readUntil(out, "exit\r\n")).isEqualTo("exit\r\n");
        assertThat(bash.waitFor(5, TimeUnit.SECONDS)).isTrue();
        assertThat(bash.exitValue()).isZero();

        Process ash = runtime.startExec(start("busybox:1.36"), List.of("sh"), TerminalSize.DEFAULT);
        assertThat(readUntil(ash.getInputStream(), "# ")).isEqualTo("/ # ");
        ash.destroy();
    }

    /** `kubectl run -it --image=busybox -- sh`: the container's own shell reads what attach sends and ends the container. */
    @Test
    void aContainerWhoseCommandIsAShellWithStdinRunsItUntilExit() throws Exception {
        Pod pod = new PodBuilder().withNewMetadata().withName("debug").withNamespace("default").withUid("uid-2").endMetadata()
                .withNewSpec().withRestartPolicy("Never").addNewContainer().withName("debug").withImage("busybox").withArgs("sh")
                .withStdin(true).withStdinOnce(true).withTty(true).endContainer().endSpec().build();
        RuntimeContainer c = runtime.start(new PodContext(pod, "10.244.1.6", "127.0.0.1", "n1", Map.of(), Map.of(), Map.of(), Map.of(),
                Map.of(), Map.of()), pod.getSpec().getContainers().get(0), 0);
        clock.advance(Duration.ofMinutes(5));
        assertThat(c.exit()).as("a Never pod's shell runs until it exits, not for the simulated run time").isEmpty();
        OutputStream in = runtime.stdin(c).orElseThrow();
        in.write("echo $((6 * 7))\rexit 3\r".getBytes(StandardCharsets.UTF_8));
        in.flush();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (c.exit().isEmpty() && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
        assertThat(c.exit()).hasValueSatisfying(e -> assertThat(e.exitCode()).isEqualTo(3));
        String log = new String(runtime.log(c, 0).orElseThrow().bytes(), StandardCharsets.UTF_8);
        assertThat(log).contains(" stdout P / # ", " stdout F 42\r");
        // where the echo is cut into partial (P) lines depends on how the output was read: the text is what counts
        assertThat(text(log)).contains("/ # echo $((6 * 7))\r\n42\r\n/ # exit 3\r\n");
    }

    /** The text a CRI log holds: partial (P) lines joined to what follows them, full (F) lines ended. */
    private static String text(String criLog) {
        StringBuilder b = new StringBuilder();
        for (String line : criLog.split("\n")) {
            String[] f = line.split(" ", 4);
            b.append(f.length > 3 ? f[3] : "").append(f[2].equals("F") ? "\n" : "");
        }
        return b.toString();
    }
}
