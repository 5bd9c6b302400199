package io.kuberaft.bench;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;

/**
 * A real etcd 3.4 cluster (Debian's {@code etcd-server}, {@code /usr/bin/etcd}) for side-by-side
 * runs: {@code members} processes on free 127.0.0.1 ports, data in a temporary directory, started
 * with etcd's defaults (heartbeat 100 ms, election 1 s, fsync on). {@link #close()} kills every
 * member (SIGKILL) and deletes the directory; a JVM shutdown hook does the same if the caller dies.
 */
public final class EtcdReferenceCluster implements AutoCloseable {
    public static final Path DEFAULT_BINARY = Path.of("/usr/bin/etcd");

    /** One member: its name, client endpoint (host:port), process and log. */
    public record Member(String name, String clientEndpoint, String peerUrl, Process process, Path log) {
    }

    private final Path dir;
    private final List<Member> members;
    private final Thread shutdownHook;

    private EtcdReferenceCluster(Path dir, List<Member> members) {
        this.dir = dir;
        this.members = List.copyOf(members);
        this.shutdownHook = new Thread(this::kill, "etcd-reference-cleanup");
        Runtime.getRuntime().addShutdownHook(shutdownHook);
    }

    /** Starts a {@code members}-member cluster and waits (at most {@code readyTimeout}) until every member is healthy. */
    public static EtcdReferenceCluster start(Path binary, int members, Duration readyTimeout) throws IOException {
        if (!Files.isExecutable(binary)) {
            throw new IOException(binary + " not found: install etcd 3.4 with `apt-get install -y etcd-server etcd-client`");
        }
        Path dir = Files.createTempDirectory("kuberaft-bench-etcd-");
        Set<Integer> taken = new HashSet<>();
        List<String> names = new ArrayList<>();
        List<Integer> clientPorts = new ArrayList<>();
        List<Integer> peerPorts = new ArrayList<>();
        StringBuilder initial = new StringBuilder();
        for (int i = 1; i <= members; i++) {
            names.add("e" + i);
            clientPorts.add(freePort(taken));
            peerPorts.add(freePort(taken));
            initial.append(i == 1 ? "" : ",").append("e").append(i).append("=http://127.0.0.1:").append(peerPorts.get(i - 1));
        }
        String token = "kuberaft-bench-" + Long.toHexString(System.nanoTime());
        List<Member> started = new ArrayList<>();
        EtcdReferenceCluster cluster;
        try {
            for (int i = 0; i < members; i++) {
                String client = "http://127.0.0.1:" + clientPorts.get(i);
                String peer = "http://127.0.0.1:" + peerPorts.get(i);
                Path log = dir.resolve(names.get(i) + ".log");
                List<String> cmd = List.of(binary.toString(),
                        "--name", names.get(i),
                        "--data-dir", dir.resolve(names.get(i) + ".etcd").toString(),
                        "--listen-client-urls", client, "--advertise-client-urls", client,
                        "--listen-peer-urls", peer, "--initial-advertise-peer-urls", peer,
                        "--initial-cluster", initial.toString(), "--initial-cluster-token", token,
                        "--initial-cluster-state", "new",
                        "--logger", "zap", "--log-outputs", "stderr", "--log-level", "warn");
                ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true)
                        .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()))
                        .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
                environment(pb.environment());
                started.add(new Member(names.get(i), "127.0.0.1:" + clientPorts.get(i), peer, pb.start(), log));
            }
        } catch (IOException | RuntimeException e) {
            started.forEach(m -> m.process().destroyForcibly());
            deleteTree(dir);
            throw e;
        }
        cluster = new EtcdReferenceCluster(dir, started);
        try {
            cluster.awaitHealthy(readyTimeout);
        } catch (IOException | RuntimeException e) {
            cluster.close();
            throw e;
        }
        return cluster;
    }

    /**
     * etcd reads ETCD_* variables as flags: drop inherited ones. etcd 3.4 refuses to run on
     * architectures other than amd64 and ppc64le unless ETCD_UNSUPPORTED_ARCH names the running one
     * (arm64 included in 3.4), so set it only there.
     */
    static void environment(Map<String, String> env) {
        env.keySet().removeIf(k -> k.startsWith("ETCD_"));
        String goArch = goArch(System.getProperty("os.arch", ""));
        if (!goArch.equals("amd64") && !goArch.equals("ppc64le")) {
            env.put("ETCD_UNSUPPORTED_ARCH", goArch);
        }
    }

    static String goArch(String javaArch) {
        return switch (javaArch.toLowerCase(Locale.ROOT)) {
            case "amd64", "x86_64" -> "amd64";
            case "aarch64", "arm64" -> "arm64";
            case "x86", "i386", "i486", "i586", "i686" -> "386";
            case "ppc64le" -> "ppc64le";
            default -> javaArch.toLowerCase(Locale.ROOT);
        };
    }

    private static int freePort(Set<Integer> taken) {
        for (int i = 0; i < 100; i++) {
            try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
                if (taken.add(s.getLocalPort())) {
                    return s.getLocalPort();
                }
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        throw new IllegalStateException("no free port on 127.0.0.1");
    }

    private void awaitHealthy(Duration timeout) throws IOException {
        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(1)).build();
        long deadline = System.nanoTime() + timeout.toNanos();
        List<Member> pending = new ArrayList<>(members);
        while (!pending.isEmpty()) {
            for (Member m : List.copyOf(pending)) {
                if (!m.process().isAlive()) {
                    throw new IOException("etcd member " + m.name() + " exited (code " + m.process().exitValue()
                            + "); see " + m.log() + ":\n" + tail(m.log()));
                }
                try {
                    HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create("http://" + m.clientEndpoint() + "/health"))
                            .timeout(Duration.ofSeconds(1)).GET().build(), HttpResponse.BodyHandlers.ofString());
                    if (r.statusCode() == 200 && r.body().replace(" ", "").contains("\"health\":\"true\"")) {
                        pending.remove(m);
                    }
                } catch (IOException e) {
                    // not listening yet
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new IOException("interrupted", e);
                }
            }
            if (pending.isEmpty()) {
                return;
            }
            if (System.nanoTime() > deadline) {
                Member m = pending.get(0);
                throw new IOException("etcd member " + m.name() + " not healthy after " + timeout.toSeconds() + " s; see "
                        + m.log() + ":\n" + tail(m.log()));
            }
            try {
                Thread.sleep(100);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException("interrupted", e);
            }
        }
    }

    private static String tail(Path log) {
        try {
            List<String> lines = Files.readAllLines(log);
            return String.join("\n", lines.subList(Math.max(0, lines.size() - 15), lines.size()));
        } catch (IOException e) {
            return "(no log: " + e + ")";
        }
    }

    public List<Member> members() {
        return members;
    }

    /** Every member's client endpoint, {@code 127.0.0.1:port}. */
    public List<String> clientEndpoints() {
        return members.stream().map(Member::clientEndpoint).toList();
    }

    public Path dir() {
        return dir;
    }

    private void kill() {
        for (Member m : members) {
            m.process().destroyForcibly();
        }
        for (Member m : members) {
            try {
                m.process().waitFor(5, java.util.concurrent.TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
        deleteTree(dir);
    }

    /** Kills every member (SIGKILL) and deletes the data directory. */
    @Override
    public void close() {
        try {
            Runtime.getRuntime().removeShutdownHook(shutdownHook);
        } catch (IllegalStateException e) {
            // already shutting down: the hook does the work
            return;
        }
        kill();
    }

    static void deleteTree(Path dir) {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> s = Files.walk(dir)) {
            for (Path p : s.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        } catch (IOException e) {
            // best effort: a temp dir left behind is harmless
        }
    }
}
