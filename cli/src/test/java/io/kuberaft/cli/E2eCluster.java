package io.kuberaft.cli;

import com.fasterxml.jackson.databind.JsonNode;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * What the end-to-end failure tests drive: one `./kuberaft up` cluster in a directory, real kubectl
 * 1.32 and `./kuberaft status` as processes, and the pids of the replicas and agents for SIGKILL and
 * SIGSTOP. Every call is bounded in time.
 */
final class E2eCluster {
    static final Path ROOT = Path.of(System.getProperty("kuberaft.root", "..")).toAbsolutePath().normalize();
    static final Path KUBECTL = Path.of("/usr/bin/kubectl");

    final Path dir;
    final Path tmp;
    private final long t0 = System.nanoTime();

    record Result(int code, String out) {
    }

    E2eCluster(Path tmp) {
        this.tmp = tmp;
        this.dir = tmp.resolve("cluster");
    }

    /** Phase timestamps, so that a timeout on a loaded machine shows where the time went. */
    void phase(String what) {
        System.out.printf("[%s %7.1f s] %s%n", Instant.now(), (System.nanoTime() - t0) / 1e9, what);
    }

    Result run(List<String> cmd, long timeoutS) throws IOException, InterruptedException {
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true).directory(ROOT.toFile());
        pb.environment().put("KUBERAFT_NO_BUILD", "1");
        Path out = Files.createTempFile(tmp, "out-", ".txt");
        pb.redirectOutput(out.toFile());
        Process p = pb.start();
        try {
            if (!p.waitFor(timeoutS, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new AssertionError("timed out after " + timeoutS + " s: " + cmd + "\n" + Files.readString(out));
            }
            return new Result(p.exitValue(), Files.readString(out, StandardCharsets.UTF_8));
        } finally {
            Files.deleteIfExists(out);
        }
    }

    Result kuberaft(String... args) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of(ROOT.resolve("kuberaft").toString()));
        cmd.addAll(List.of(args));
        cmd.addAll(List.of("--dir", dir.toString()));
        return run(cmd, 180);
    }

    Result kubectl(String... args) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of(KUBECTL.toString(), "--kubeconfig", dir.resolve("kubeconfig").toString(),
                "--request-timeout=20s"));
        cmd.addAll(List.of(args));
        return run(cmd, 200);
    }

    /** kubectl that must succeed; its output. */
    String ok(String... args) throws IOException, InterruptedException {
        Result r = kubectl(args);
        assertThat(r.code()).as("kubectl %s\n%s", String.join(" ", args), r.out()).isZero();
        return r.out();
    }

    /** `kubectl ... -o json`, or empty when kubectl failed (e.g. during a leader change). */
    Optional<JsonNode> json(String... args) {
        try {
            List<String> a = new ArrayList<>(List.of(args));
            a.addAll(List.of("-o", "json"));
            Result r = kubectl(a.toArray(String[]::new));
            if (r.code() != 0) {
                return Optional.empty();
            }
            return Optional.of(ClusterFile.JSON.readTree(r.out()));
        } catch (IOException e) {
            return Optional.empty();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return Optional.empty();
        }
    }

    Result apply(String yaml) throws IOException, InterruptedException {
        Path f = Files.createTempFile(tmp, "manifest-", ".yaml");
        Files.writeString(f, yaml);
        return kubectl("apply", "-f", f.toString());
    }

    /** `./kuberaft status --json`, or null when it failed. */
    JsonNode status() {
        try {
            Result r = kuberaft("status", "--json");
            return r.code() == 0 ? ClusterFile.JSON.readTree(r.out()) : null;
        } catch (IOException e) {
            return null;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return null;
        }
    }

    /** The one LEADER in `status` (every alive replica agreeing on its term), or null. */
    JsonNode leader() {
        JsonNode s = status();
        if (s == null) {
            return null;
        }
        JsonNode leader = null;
        for (JsonNode m : s.get("masters")) {
            if (m.path("role").asText().equals("LEADER")) {
                if (leader != null) {
                    return null;
                }
                leader = m;
            }
        }
        return leader;
    }

    /** {@link #leader()}, waited for (a status call may fail or see an election under way). */
    JsonNode awaitLeader() throws Exception {
        JsonNode[] l = new JsonNode[1];
        await("one leader in `kuberaft status`", 30_000, () -> (l[0] = leader()) != null);
        return l[0];
    }

    /** When replica {@code id}'s controllers of {@code term} were running, from its log (LeaderSession's line). */
    Instant controllersRunning(String id, long term) throws Exception {
        Path log = Path.of(file().master(id).logFile);
        java.util.regex.Pattern p = java.util.regex.Pattern.compile("^ts=(\\S+) .*msg=\"term " + term + ": \\d+ controllers running\"");
        Instant[] at = new Instant[1];
        await(id + " runs its controllers of term " + term, 60_000, () -> {
            for (String l : Files.readAllLines(log)) {
                java.util.regex.Matcher m = p.matcher(l);
                if (m.find()) {
                    at[0] = Instant.parse(m.group(1));
                    return true;
                }
            }
            return false;
        });
        return at[0];
    }

    ClusterFile file() throws IOException {
        return ClusterFile.read(dir);
    }

    /** The pid of {@code node}'s agent, checked against its command line (pids are reused quickly on a busy machine). */
    long agentPid(String node) throws IOException {
        long pid = file().agents.stream().filter(a -> a.name.equals(node)).findFirst().orElseThrow().pid;
        String cmd = cmdline(pid);
        assertThat(cmd).as("process %d is the agent of %s", pid, node).contains("agent ", "--name " + node + " ");
        return pid;
    }

    /** The pid of replica {@code id} from `status`, checked against its command line. */
    long masterPid(JsonNode statusEntry) {
        long pid = statusEntry.path("pid").asLong();
        String id = statusEntry.path("id").asText();
        String cmd = cmdline(pid);
        assertThat(cmd).as("process %d is replica %s", pid, id).contains("server ", "--id " + id + " ");
        return pid;
    }

    /** /proc/PID/cmdline with spaces ("" when gone): ProcessHandle.Info has no arguments for processes we did not start. */
    static String cmdline(long pid) {
        try {
            return new String(Files.readAllBytes(Path.of("/proc", Long.toString(pid), "cmdline")), StandardCharsets.UTF_8).replace('\0', ' ');
        } catch (IOException e) {
            return "";
        }
    }

    static void sigkill(long pid) {
        ProcessHandle.of(pid).orElseThrow(() -> new AssertionError("no process " + pid)).destroyForcibly();
    }

    void signal(String sig, long pid) throws IOException, InterruptedException {
        Result r = run(List.of("kill", "-" + sig, Long.toString(pid)), 10);
        assertThat(r.code()).as("kill -%s %d: %s", sig, pid, r.out()).isZero();
    }

    static void await(String what, long timeoutMs, Check cond) throws Exception {
        long deadline = System.currentTimeMillis() + timeoutMs;
        while (true) {
            if (cond.ok()) {
                return;
            }
            if (System.currentTimeMillis() > deadline) {
                throw new AssertionError("timed out after " + timeoutMs + " ms waiting for " + what);
            }
            Thread.sleep(200);
        }
    }

    interface Check {
        boolean ok() throws Exception;
    }

    /** Runs {@code sample} over and over on its own thread until closed: what a scenario checks while it runs. */
    static final class Sampler implements AutoCloseable {
        private final Thread thread;
        private volatile boolean stop;
        volatile int samples;

        Sampler(String name, Consumer<Sampler> sample) {
            thread = new Thread(() -> {
                while (!stop) {
                    sample.accept(this);
                    samples++;
                }
            }, name);
            thread.setDaemon(true);
            thread.start();
        }

        @Override
        public void close() throws InterruptedException {
            stop = true;
            thread.join(60_000);
        }
    }

    // ---- JSON helpers over kubectl output ----

    static Instant time(JsonNode n) {
        return n == null || n.isMissingNode() || n.isNull() || n.asText().isEmpty() ? null : Instant.parse(n.asText());
    }

    static String condition(JsonNode obj, String type) {
        for (JsonNode c : obj.path("status").path("conditions")) {
            if (c.path("type").asText().equals(type)) {
                return c.path("status").asText();
            }
        }
        return null;
    }

    static JsonNode conditionNode(JsonNode obj, String type) {
        for (JsonNode c : obj.path("status").path("conditions")) {
            if (c.path("type").asText().equals(type)) {
                return c;
            }
        }
        return null;
    }

    static JsonNode taint(JsonNode node, String key, String effect) {
        for (JsonNode t : node.path("spec").path("taints")) {
            if (t.path("key").asText().equals(key) && t.path("effect").asText().equals(effect)) {
                return t;
            }
        }
        return null;
    }

    static String name(JsonNode obj) {
        return obj.path("metadata").path("name").asText();
    }

    static boolean terminating(JsonNode pod) {
        return pod.path("metadata").has("deletionTimestamp") && !pod.path("metadata").path("deletionTimestamp").isNull();
    }

    static boolean runningReady(JsonNode pod) {
        return !terminating(pod) && pod.path("status").path("phase").asText().equals("Running") && "True".equals(condition(pod, "Ready"));
    }
}
