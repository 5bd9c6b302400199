package io.kuberaft.nodeagent;

import com.pty4j.PtyProcess;
import com.pty4j.PtyProcessBuilder;
import com.pty4j.WinSize;
import io.fabric8.kubernetes.api.model.PodBuilder;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;

import static io.kuberaft.nodeagent.AgentFixture.await;
import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * {@code kubectl exec -t} and {@code kubectl attach -t} with the process runtime: real kubectl runs in a terminal of its
 * own (a pty, as when a user types the command), so it asks for a TTY and sends its terminal's size; the command in the
 * pod must then see a terminal of that size, follow resizes, echo what is typed, and end the session with its exit code.
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class TerminalTest {
    private static final Duration WAIT = Duration.ofSeconds(30);
    private static final Path KUBECTL = Path.of("/usr/bin/kubectl");
    @TempDir
    static Path tmp;
    static AgentFixture f;

    @BeforeAll
    static void start() throws Exception {
        f = new AgentFixture(tmp, "process", "tty-node", 1);
    }

    @AfterAll
    static void stop() {
        if (f != null) {
            f.close();
        }
    }

    private static void awaitRunning(String name) throws InterruptedException {
        await(WAIT, "pod " + name + " Running", () -> "Running".equals(f.pod(name).getStatus().getPhase()), () -> f.pod(name).getStatus());
    }

    @Test
    void execWithATerminalRunsTheCommandOnATerminalOfTheClientsSize() throws Exception {
        assumeTrue(Files.isExecutable(KUBECTL), "kubectl not installed");
        runningSleeper("sized");
        try (Terminal t = new Terminal(101, 31, "exec", "-it", "sized", "--", "sh", "-c",
                "tty; stty size; test -t 0 && test -t 1 && test -t 2 && echo all-three-are-terminals; echo TERM=$TERM")) {
            assertThat(t.awaitExit()).as(t.output()).isZero();
            assertThat(t.output()).containsPattern("/dev/pts/\\d+\r\n").contains("31 101\r\n").contains("all-three-are-terminals\r\n")
                    .contains("TERM=xterm");
        }
    }

    @Test
    void anInteractiveShellFollowsResizesEchoesInputAndEndsWithItsExitCode() throws Exception {
        assumeTrue(Files.isExecutable(KUBECTL), "kubectl not installed");
        runningSleeper("interactive");
        try (Terminal t = new Terminal(80, 24, "exec", "-it", "interactive", "--", "sh")) {
            t.type("echo typed-$((6 * 7))\r");
            // the terminal echoes what was typed, the shell answers with what it computed
            t.awaitOutput("echo typed-\\$\\(\\(6 \\* 7\\)\\)\r\n(.|\r|\n)*typed-42\r\n");
            t.resize(132, 43);
            // kubectl sends the new size on its own stream: ask until the shell sees it
            await(WAIT, "the shell sees 43 rows and 132 columns", () -> {
                t.type("stty size\r");
                return t.seen(Pattern.compile("\r\n43 132\r\n"), Duration.ofSeconds(1));
            }, t::output);
            t.type("exit 7\r");
            assertThat(t.awaitExit()).as(t.output()).isEqualTo(7);
            assertThat(t.output()).contains("command terminated with exit code 7");
        }
    }

    @Test
    void attachToAContainerWithATerminalDrivesItsShell() throws Exception {
        assumeTrue(Files.isExecutable(KUBECTL), "kubectl not installed");
        f.client.pods().inNamespace("default").resource(new PodBuilder().withNewMetadata().withName("console").endMetadata()
                .withNewSpec().withNodeName("tty-node").withRestartPolicy("Never").withTerminationGracePeriodSeconds(1L)
                .addNewContainer().withName("main").withImage("busybox").withCommand("sh").withStdin(true).withTty(true).endContainer()
                .endSpec().build()).create();
        awaitRunning("console");
        try (Terminal t = new Terminal(90, 20, "attach", "-it", "console")) {
            await(WAIT, "the container's shell answers", () -> {
                t.type("stty size; echo attached-$((6 * 7))\r");
                return t.seen(Pattern.compile("\r\n20 90\r\nattached-42\r\n"), Duration.ofSeconds(1));
            }, t::output);
            t.type("exit 3\r");
            t.awaitExit();
        }
        await(WAIT, "container exited with 3", () -> f.pod("console").getStatus().getContainerStatuses().stream()
                .anyMatch(cs -> cs.getState().getTerminated() != null && cs.getState().getTerminated().getExitCode() == 3), () -> f.pod("console").getStatus());
        // what the terminal showed is the container's log, prompt and echo included
        String log = f.client.pods().inNamespace("default").withName("console").getLog();
        assertThat(log).contains("attached-42");
    }

    private static void runningSleeper(String name) throws InterruptedException {
        f.client.pods().inNamespace("default").resource(new PodBuilder().withNewMetadata().withName(name).endMetadata()
                .withNewSpec().withNodeName("tty-node").withRestartPolicy("Always").withTerminationGracePeriodSeconds(1L)
                .addNewContainer().withName("main").withImage("busybox").withCommand("sleep", "300").endContainer().endSpec().build())
                .create();
        awaitRunning(name);
    }

    /** kubectl on a pseudo-terminal of its own: what a user's terminal shows, what they type, their window's size. */
    private static final class Terminal implements AutoCloseable {
        private final PtyProcess process;
        private final StringBuffer screen = new StringBuffer();

        Terminal(int columns, int rows, String... args) throws IOException {
            List<String> cmd = new ArrayList<>(List.of(KUBECTL.toString(), "--server", "http://127.0.0.1:" + f.server.port(),
                    "--cache-dir", tmp.resolve("kube-cache").toString(), "-n", "default"));
            cmd.addAll(List.of(args));
            process = new PtyProcessBuilder(cmd.toArray(String[]::new))
                    .setEnvironment(Map.of("HOME", tmp.toString(), "KUBECONFIG", tmp.resolve("no-kubeconfig").toString(),
                            "TERM", "xterm", "PATH", System.getenv().getOrDefault("PATH", "/usr/bin:/bin")))
                    .setInitialColumns(columns).setInitialRows(rows)
                    .setUnixOpenTtyToPreserveOutputAfterTermination(true)
                    .start();
            Thread reader = new Thread(() -> {
                byte[] buf = new byte[4096];
                try (InputStream in = process.getInputStream()) {
                    int n;
                    while ((n = in.read(buf)) >= 0) {
                        screen.append(new String(buf, 0, n, StandardCharsets.UTF_8));
                    }
                } catch (IOException e) {
                    // the terminal closed with kubectl
                }
            }, "terminal-reader");
            reader.setDaemon(true);
            reader.start();
        }

        void type(String keys) {
            try {
                process.getOutputStream().write(keys.getBytes(StandardCharsets.UTF_8));
                process.getOutputStream().flush();
            } catch (IOException e) {
                throw new AssertionError("kubectl's terminal is closed; it showed: " + output(), e);
            }
        }

        void resize(int columns, int rows) {
            process.setWinSize(new WinSize(columns, rows));
        }

        String output() {
            return screen.toString();
        }

        void awaitOutput(String regex) throws InterruptedException {
            assertThat(seen(Pattern.compile(regex), WAIT)).as("terminal shows /%s/ within %s; it shows: %s", regex, WAIT, output()).isTrue();
        }

        boolean seen(Pattern pattern, Duration within) {
            long deadline = System.nanoTime() + within.toNanos();
            while (System.nanoTime() < deadline) {
                if (pattern.matcher(output()).find()) {
                    return true;
                }
                try {
                    Thread.sleep(20);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return false;
                }
            }
            return pattern.matcher(output()).find();
        }

        int awaitExit() throws InterruptedException {
            assertThat(process.waitFor(WAIT.toSeconds(), TimeUnit.SECONDS)).as("kubectl ends; its terminal shows: %s", output()).isTrue();
            return process.exitValue();
        }

        @Override
        public void close() {
            process.destroyForcibly();
        }
    }
}
