package io.kuberaft.apiserver;

import io.kuberaft.raftstore.ClusterView;
import io.kuberaft.raftstore.LocalKvStore;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The fixture of the real-kubectl tests: one API server over a {@link LocalKvStore} in a temporary
 * folder (plain HTTP, no auth), and the real {@code /usr/bin/kubectl} pointed at it with its own HOME,
 * cache and an empty kubeconfig.
 */
public final class InProcessKubectl implements AutoCloseable {
    public static final Path KUBECTL = Path.of("/usr/bin/kubectl");

    private final Path tmp;
    private final LocalKvStore store;
    private final ApiServer server;

    public InProcessKubectl(Path tmp) {
        this.tmp = tmp;
        this.store = new LocalKvStore(tmp.resolve("store"));
        this.server = ApiServer.start(ApiServer.Options.plain("127.0.0.1", 0), store, ClusterView.standalone("m1", () -> 0),
                new SimpleMeterRegistry(), () -> "");
    }

    public static boolean available() {
        return Files.isExecutable(KUBECTL);
    }

    public LocalKvStore store() {
        return store;
    }

    public ApiServer server() {
        return server;
    }

    public record Result(int code, String out, String err) {
        public Result ok() {
            assertThat(code).as("kubectl failed: " + out + err).isZero();
            return this;
        }
    }

    /** Runs kubectl with {@code args}; fails the test if it has not finished within {@code timeoutSeconds}. */
    public Result kubectl(long timeoutSeconds, String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(KUBECTL.toString(), "--server", "http://127.0.0.1:" + server.port(),
                "--cache-dir", tmp.resolve("kube-cache").toString(), "--request-timeout", "30s"));
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd);
        pb.environment().put("HOME", tmp.toString());
        pb.environment().put("KUBECONFIG", tmp.resolve("no-kubeconfig").toString());
        Path out = Files.createTempFile(tmp, "out", ".txt");
        Path err = Files.createTempFile(tmp, "err", ".txt");
        pb.redirectOutput(out.toFile()).redirectError(err.toFile());
        Process p = pb.start();
        if (!p.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError("kubectl " + String.join(" ", args) + " timed out: " + Files.readString(out) + Files.readString(err));
        }
        return new Result(p.exitValue(), Files.readString(out), Files.readString(err));
    }

    @Override
    public void close() {
        server.close();
        store.close();
    }
}
