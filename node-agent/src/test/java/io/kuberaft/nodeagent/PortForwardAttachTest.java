package io.kuberaft.nodeagent;

import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.ServiceBuilder;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static io.kuberaft.nodeagent.AgentFixture.await;
import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * {@code kubectl port-forward} (WebSocket-tunnelled SPDY, kubectl 1.32's default; its plain SPDY/3.1 fallback is refused) and
 * {@code kubectl attach} with real kubectl through an in-JVM API server to a process-runtime agent.
 */
@Timeout(value = 240, unit = TimeUnit.SECONDS)
class PortForwardAttachTest {
    private static final Duration WAIT = Duration.ofSeconds(30);
    private static final Path KUBECTL = Path.of("/usr/bin/kubectl");
    private static final Path BUSYBOX = Path.of("/usr/bin/busybox");
    @TempDir
    static Path tmp;
    static AgentFixture f;
    private static final AtomicInteger RUNS = new AtomicInteger();
    private final List<Bg> started = new ArrayList<>();

    @BeforeAll
    static void start() throws Exception {
        f = new AgentFixture(tmp, "process", "pf", 1);
    }

    @AfterAll
    static void stop() {
        if (f != null) {
            f.close();
        }
    }

    @AfterEach
    void stopKubectl() throws InterruptedException {
        for (Bg b : started) {
            Process p = b.process();
            p.destroy();
            if (!p.waitFor(10, TimeUnit.SECONDS)) {
                p.destroyForcibly();
            }
            // For the report of a failed test: what each kubectl said.
            System.out.println("kubectl " + p.info().arguments().map(a -> String.join(" ", a)).orElse("") + "\n--- stdout:\n" + b.stdout()
                    + "--- stderr:\n" + b.stderr());
        }
    }

    private static Pod get(String name) {
        return f.pod(name);
    }

    private static void create(String name, Map<String, String> labels, String... command) {
        f.client.pods().inNamespace("default").resource(new PodBuilder().withNewMetadata().withName(name).withLabels(labels).endMetadata()
                .withNewSpec().withNodeName("pf").withRestartPolicy("Never").withTerminationGracePeriodSeconds(1L)
                .addNewContainer().withName("main").withImage("busybox").withCommand(command).endContainer().endSpec().build()).create();
    }

    private static void awaitRunning(String name) throws InterruptedException {
        await(WAIT, "pod " + name + " Running", () -> "Running".equals(get(name).getStatus().getPhase()), () -> get(name).getStatus());
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    private static boolean listening(int port) {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress("127.0.0.1", port), 500);
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    /**
     * A pod serving {@code index.html} = "hello from NAME" and {@code big.bin} (3 MiB of {@code seq} output) with busybox
     * httpd on {@code port}; returns once it answers.
     */
    private static void webPod(String name, int port) throws InterruptedException {
        create(name, Map.of("app", name), "sh", "-c", "echo hello from " + name + " > index.html; seq 1 1000000 | head -c 3145728 > big.bin; exec "
                + BUSYBOX + " httpd -f -p 127.0.0.1:" + port + " -h .");
        awaitRunning(name);
        await(WAIT, name + " listening on " + port, () -> listening(port));
    }

    /** One HTTP/1.0 GET of / on its own connection; the whole answer. */
    private static String get(int port) throws IOException {
        return get(port, "/");
    }

    private static String get(int port, String path) throws IOException {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress("127.0.0.1", port), 5000);
            s.setSoTimeout(20_000);
            s.getOutputStream().write(("GET " + path + " HTTP/1.0\r\nHost: localhost\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            s.getOutputStream().flush();
            return new String(s.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    /** kubectl in the background; its output goes to files read by {@link Bg#out()}/{@link Bg#err()}. */
    record Bg(Process process, Path out, Path err) {
        String stdout() {
            return read(out);
        }

        String stderr() {
            return read(err);
        }

        private static String read(Path p) {
            try {
                return Files.readString(p);
            } catch (IOException e) {
                return "";
            }
        }

        String awaitOut(Pattern p) throws InterruptedException {
            String[] found = new String[1];
            await(WAIT, "kubectl to print " + p, () -> {
                Matcher m = p.matcher(stdout());
                if (m.find()) {
                    found[0] = m.group();
                    return true;
                }
                return false;
            }, () -> "stdout: " + stdout() + " stderr: " + stderr() + " alive: " + process.isAlive());
            return found[0];
        }
    }

    private Bg kubectl(Map<String, String> env, String... args) throws IOException {
        return kubectl(env, Path.of("/dev/null"), args);
    }

    private Bg kubectl(Map<String, String> env, Path stdin, String... args) throws IOException {
        int n = RUNS.incrementAndGet();
        List<String> cmd = new ArrayList<>(List.of(KUBECTL.toString(), "--server", "http://127.0.0.1:" + f.server.port(),
                "--cache-dir", tmp.resolve("kube-cache").toString(), "-n", "default"));
        cmd.addAll(List.of(args));
        Path out = tmp.resolve("kubectl-" + n + ".out");
        Path err = tmp.resolve("kubectl-" + n + ".err");
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectOutput(out.toFile()).redirectError(err.toFile())
                .redirectInput(ProcessBuilder.Redirect.from(stdin.toFile()));
        pb.environment().put("HOME", tmp.toString());
        pb.environment().put("KUBECONFIG", tmp.resolve("no-kubeconfig").toString());
        pb.environment().putAll(env);
        Bg b = new Bg(pb.start(), out, err);
        started.add(b);
        return b;
    }

    private Bg kubectlDone(String... args) throws Exception {
        Bg b = kubectl(Map.of(), args);
        if (!b.process().waitFor(60, TimeUnit.SECONDS)) {
            throw new AssertionError("kubectl " + String.join(" ", args) + " did not finish in 60 s; stderr: " + b.stderr());
        }
        return b;
    }

    @Test
    void portForwardCarriesHttpAndReportsARefusedPortAsKubectlDoes() throws Exception {
        assumeTrue(Files.isExecutable(KUBECTL) && Files.isExecutable(BUSYBOX), "kubectl or busybox not installed");
        int remote = freePort();
        webPod("web", remote);
        int local = freePort();
        int closedRemote = freePort(); // nobody listens there
        int local2 = freePort();
        Bg pf = kubectl(Map.of(), "port-forward", "pod/web", local + ":" + remote, local2 + ":" + closedRemote);
        pf.awaitOut(Pattern.compile("Forwarding from 127\\.0\\.0\\.1:" + local2 + " -> " + closedRemote));
        assertThat(pf.stdout()).contains("Forwarding from 127.0.0.1:" + local + " -> " + remote);

        String answer = get(local);
        assertThat(answer).startsWith("HTTP/1.").contains("hello from web");

        // Two connections at once, each with its own streams: both are answered.
        CompletableFuture<String> a = CompletableFuture.supplyAsync(() -> unchecked(local));
        CompletableFuture<String> b = CompletableFuture.supplyAsync(() -> unchecked(local));
        assertThat(a.get(30, TimeUnit.SECONDS)).contains("hello from web");
        assertThat(b.get(30, TimeUnit.SECONDS)).contains("hello from web");
        // 3 MiB arrive whole and in order (many SPDY data frames, split across WebSocket messages).
        String big = get(local, "/big.bin");
        String body = big.substring(big.indexOf("\r\n\r\n") + 4);
        assertThat(body).hasSize(3 * 1024 * 1024).startsWith("1\n2\n3\n").contains("\n99999\n100000\n100001\n");

        // Nobody listens on the pod's port: the connection ends without data and kubectl reports the kubelet's error.
        assertThat(get(local2)).isEmpty();
        String expected = "error forwarding port " + closedRemote + " to pod " + get("web").getMetadata().getUid() + ", uid : ";
        await(WAIT, "kubectl to report the refused port", () -> pf.stderr().contains(expected),
                () -> "stderr: " + pf.stderr());
        assertThat(pf.stderr()).contains("connection refused");
        // kubectl 1.32 (client-go's PortForwarder) then closes its connection to the pod and exits: upstream's behaviour.
        assertThat(pf.process().waitFor(30, TimeUnit.SECONDS)).as("kubectl exits after the error").isTrue();
        assertThat(pf.stderr()).contains("error: lost connection to pod");
        assertThat(pf.process().exitValue()).isEqualTo(1);

        // The agent and the API server are fine: a new forwarder to the same pod works.
        int local3 = freePort();
        Bg again = kubectl(Map.of(), "port-forward", "pod/web", local3 + ":" + remote);
        again.awaitOut(Pattern.compile("Forwarding from 127\\.0\\.0\\.1:" + local3 + " -> " + remote));
        assertThat(get(local3)).contains("hello from web");
        assertThat(again.process().isAlive()).isTrue();
    }

    private static String unchecked(int port) {
        try {
            return get(port);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    @Test
    void portForwardToAServiceAndNotOverPlainSpdy() throws Exception {
        assumeTrue(Files.isExecutable(KUBECTL) && Files.isExecutable(BUSYBOX), "kubectl or busybox not installed");
        int remote = freePort();
        webPod("svcweb", remote);
        f.client.services().inNamespace("default").resource(new ServiceBuilder().withNewMetadata().withName("svcweb").endMetadata()
                .withNewSpec().withSelector(Map.of("app", "svcweb")).addNewPort().withPort(80).withTargetPort(new IntOrString(remote)).endPort()
                .endSpec().build()).create();
        int local = freePort();
        Bg pf = kubectl(Map.of(), "port-forward", "svc/svcweb", local + ":80");
        pf.awaitOut(Pattern.compile("Forwarding from 127\\.0\\.0\\.1:" + local + " -> " + remote));
        assertThat(get(local)).contains("hello from svcweb");

        // kubectl's SPDY/3.1 upgrade (its fallback, or its only way with the WebSocket turned off) is refused with a reason.
        Bg spdy = kubectl(Map.of("KUBECTL_PORT_FORWARD_WEBSOCKETS", "false"), "port-forward", "pod/svcweb", freePort() + ":" + remote);
        assertThat(spdy.process().waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(spdy.stderr()).contains("error: error upgrading connection: Upgrade request required")
                .contains("SPDY/3.1 upgrades are not supported");
    }

    @Test
    void portForwardErrorsAreUpstreams() throws Exception {
        assumeTrue(Files.isExecutable(KUBECTL), "kubectl not installed");
        Bg unknown = kubectlDone("port-forward", "pod/nope", "18080:80");
        assertThat(unknown.process().exitValue()).isNotZero();
        assertThat(unknown.stderr()).contains("Error from server (NotFound): pods \"nope\" not found");

        f.client.pods().inNamespace("default").resource(new PodBuilder().withNewMetadata().withName("pending").endMetadata()
                .withNewSpec().addNewContainer().withName("c").withImage("x").endContainer().endSpec().build()).create();
        Bg pending = kubectlDone("port-forward", "pod/pending", "18080:80");
        assertThat(pending.process().exitValue()).isNotZero();
        assertThat(pending.stderr()).contains("error: unable to forward port because pod is not running. Current status=Pending");

        // What kubectl checks itself the API server checks too: a pod without a node, a request without an upgrade.
        assertThat(raw("GET", "/api/v1/namespaces/default/pods/pending/portforward?ports=80",
                "Connection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                        + "Sec-WebSocket-Protocol: SPDY/3.1+portforward.k8s.io\r\n"))
                .startsWith("HTTP/1.1 400").contains("pod pending does not have a host assigned");
        assertThat(raw("POST", "/api/v1/namespaces/default/pods/nope/portforward", "Connection: Upgrade\r\nUpgrade: SPDY/3.1\r\n"))
                .startsWith("HTTP/1.1 404").contains("pods \\\"nope\\\" not found");
        create("plain", Map.of(), "sleep", "300");
        assertThat(raw("GET", "/api/v1/namespaces/default/pods/plain/portforward", ""))
                .startsWith("HTTP/1.1 400").contains("Upgrade request required");
    }

    /** A raw HTTP/1.1 request (java.net.http will not send Upgrade headers); the answer's head and body. */
    private static String raw(String method, String path, String headers) throws IOException {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress("127.0.0.1", f.server.port()), 5000);
            s.setSoTimeout(20_000);
            OutputStream out = s.getOutputStream();
            out.write((method + " " + path + " HTTP/1.1\r\nHost: localhost\r\n" + headers + "Content-Length: 0\r\n\r\n")
                    .getBytes(StandardCharsets.US_ASCII));
            out.flush();
            InputStream in = s.getInputStream();
            ByteArrayOutputStream got = new ByteArrayOutputStream();
            byte[] buf = new byte[8192];
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
            int n;
            // Read the head and a body of Content-Length (the connection stays open).
            while (System.nanoTime() < deadline && (n = in.read(buf)) > 0) {
                got.write(buf, 0, n);
                String text = got.toString(StandardCharsets.UTF_8);
                int head = text.indexOf("\r\n\r\n");
                Matcher m = Pattern.compile("(?i)content-length: *(\\d+)").matcher(text);
                if (head > 0 && m.find() && got.size() >= head + 4 + Integer.parseInt(m.group(1))) {
                    break;
                }
            }
            return got.toString(StandardCharsets.UTF_8);
        }
    }

    @Test
    void attachStreamsTheContainersOutputFromNowOn() throws Exception {
        assumeTrue(Files.isExecutable(KUBECTL), "kubectl not installed");
        create("talker", Map.of(), "sh", "-c", "i=0; while true; do i=$((i+1)); echo tick $i; echo oops $i >&2; sleep 0.2; done");
        awaitRunning("talker");
        Bg attach = kubectl(Map.of(), "attach", "talker");
        String first = attach.awaitOut(Pattern.compile("tick (\\d+)\n"));
        int n = Integer.parseInt(first.replaceAll("\\D", ""));
        // Lines keep coming, in order, as the container writes them; stderr goes to kubectl's stderr.
        attach.awaitOut(Pattern.compile("tick " + (n + 3) + "\n"));
        assertThat(attach.stdout()).contains("tick " + (n + 1) + "\ntick " + (n + 2) + "\n");
        await(WAIT, "stderr lines", () -> attach.stderr().contains("oops " + (n + 2)), attach::stderr);
        assertThat(attach.process().isAlive()).isTrue();

        // A container that ends ends the attach, with kubectl's exit code 0.
        // (It waits, saying so, until the test knows kubectl is attached.)
        create("short", Map.of(), "sh", "-c", "while [ ! -f go ]; do echo waiting; sleep 0.2; done; for i in 1 2 3; do echo line $i; sleep 0.2; done");
        awaitRunning("short");
        Bg b = kubectl(Map.of(), "attach", "short", "-c", "main");
        b.awaitOut(Pattern.compile("waiting\n"));
        Files.writeString(tmp.resolve("agent").resolve("pods").resolve(get("short").getMetadata().getUid()).resolve("rootfs").resolve("go"), "");
        assertThat(b.process().waitFor(30, TimeUnit.SECONDS)).as("attach ends with the container; stderr: %s", b.stderr()).isTrue();
        assertThat(b.stdout()).contains("line 1\nline 2\nline 3\n");
        assertThat(b.process().exitValue()).isZero();
    }

    @Test
    void attachWithStdinFeedsAContainerThatAsksForIt() throws Exception {
        assumeTrue(Files.isExecutable(KUBECTL), "kubectl not installed");
        f.client.pods().inNamespace("default").resource(new PodBuilder().withNewMetadata().withName("reader").endMetadata()
                .withNewSpec().withNodeName("pf").withRestartPolicy("Never").withTerminationGracePeriodSeconds(1L)
                .addNewContainer().withName("main").withImage("busybox").withStdin(true).withStdinOnce(true)
                .withCommand("sh", "-c", "while read l; do echo got $l; done; echo stdin closed").endContainer().endSpec().build()).create();
        awaitRunning("reader");
        Path input = tmp.resolve("reader.in");
        Files.writeString(input, "hello\nworld\n");
        Bg b = kubectl(Map.of(), input, "attach", "-i", "reader");
        // kubectl sends the lines, then (v5) closes stdin at EOF; stdinOnce closes the container's stdin, which then ends.
        assertThat(b.process().waitFor(30, TimeUnit.SECONDS)).as("attach ends with the container; stderr: %s", b.stderr()).isTrue();
        assertThat(b.stdout()).isEqualTo("got hello\ngot world\nstdin closed\n");
        assertThat(b.process().exitValue()).isZero();
    }
}
