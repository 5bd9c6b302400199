package io.kuberaft.cli;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The local-cluster contract end to end, as a user runs it: `./kuberaft up`, the real etcdctl on
 * every endpoint, SIGKILL of the leader, `status`, restart with `up`, `member add/remove`, `down`.
 */
@Timeout(300)
class LocalClusterIT {
    private static final Path ROOT = Path.of(System.getProperty("kuberaft.root", "..")).toAbsolutePath().normalize();

    @TempDir
    Path tmp;
    Path dir;

    record Result(int code, String out) {
    }

    @BeforeEach
    void setUp() {
        dir = tmp.resolve("cluster");
    }

    @AfterEach
    void tearDown() throws Exception {
        kuberaft("down", "--dir", dir.toString(), "--grace-ms", "3000");
    }

    static Result run(List<String> cmd, long timeoutS) throws IOException, InterruptedException {
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true).directory(ROOT.toFile());
        pb.environment().put("KUBERAFT_NO_BUILD", "1");
        pb.environment().put("ETCDCTL_API", "3");
        Process p = pb.start();
        byte[] out = p.getInputStream().readAllBytes();
        if (!p.waitFor(timeoutS, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError("timed out: " + cmd);
        }
        return new Result(p.exitValue(), new String(out, StandardCharsets.UTF_8));
    }

    Result kuberaft(String... args) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of(ROOT.resolve("kuberaft").toString()));
        cmd.addAll(List.of(args));
        return run(cmd, 120);
    }

    Result etcdctl(String endpoints, String... args) throws IOException, InterruptedException {
        // etcdctl's own default deadline (5 s): on a loaded 2-core CI machine a first read right after `up` once took
        // longer than the 2 s this used to give it; the failover bound is asserted separately below.
        List<String> cmd = new ArrayList<>(List.of("etcdctl", "--endpoints=" + endpoints, "--command-timeout=5s"));
        cmd.addAll(List.of(args));
        return run(cmd, 30);
    }

    Result kubectlRun(ClusterFile f, String... args) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of("kubectl", "--kubeconfig", f.kubeconfig, "--request-timeout=20s"));
        cmd.addAll(List.of(args));
        return run(cmd, 60);
    }

    Result kubectlStdin(ClusterFile f, String stdin, String... args) throws IOException, InterruptedException {
        Path in = tmp.resolve("stdin-" + System.nanoTime() + ".yaml");
        Files.writeString(in, stdin);
        List<String> a = new ArrayList<>(List.of(args));
        a.replaceAll(x -> x.equals("-") ? in.toString() : x);
        return kubectlRun(f, a.toArray(String[]::new));
    }

    JsonNode status() throws Exception {
        Result r = kuberaft("status", "--dir", dir.toString(), "--json");
        assertThat(r.code()).as(r.out()).isZero();
        return ClusterFile.JSON.readTree(r.out());
    }

    static void await(String what, long timeoutMs, BooleanSupplier cond) throws InterruptedException {
        long deadline = System.currentTimeMillis() + timeoutMs;
        while (System.currentTimeMillis() < deadline) {
            if (cond.getAsBoolean()) {
                return;
            }
            Thread.sleep(100);
        }
        throw new AssertionError("timed out waiting for " + what);
    }

    private boolean oneLeader() {
        try {
            JsonNode s = status();
            long leaders = 0;
            for (JsonNode m : s.get("masters")) {
                if (m.get("role").asText().equals("LEADER")) {
                    leaders++;
                }
            }
            return leaders == 1;
        } catch (Exception e) {
            return false;
        }
    }

    @Test
    void upEtcdctlFailoverRestartMembershipDown() throws Exception {
        Assumptions.assumeTrue(Files.isExecutable(Path.of("/usr/bin/etcdctl")),
                "etcdctl is not installed (Debian package etcd-client; .ci/run installs it)");
        Result up = kuberaft("up", "--dir", dir.toString());
        assertThat(up.code()).as(up.out()).isZero();
        assertThat(up.out()).contains("3 masters up");
        ClusterFile f = ClusterFile.read(dir);
        assertThat(f.masters).hasSize(3);
        String all = String.join(",", f.masters.stream().map(m -> m.etcdEndpoint).toList());

        // Every endpoint takes writes and serves everybody's writes.
        for (ClusterFile.Master m : f.masters) {
            Result put = etcdctl(m.etcdEndpoint, "put", "via-" + m.id, "hello-" + m.id);
            assertThat(put.out()).contains("OK");
        }
        for (ClusterFile.Master m : f.masters) {
            Result get = etcdctl(m.etcdEndpoint, "get", "via-", "--prefix");
            assertThat(get.out()).contains("hello-m1", "hello-m2", "hello-m3");
        }
        assertThat(kuberaft("up", "--dir", dir.toString()).out()).contains("already running");

        // The Kubernetes API through the load balancer, with the generated kubeconfig (HTTPS + token).
        assertThat(f.kubeconfig).isNotNull();
        assertThat(f.loadBalancer.url).startsWith("https://127.0.0.1:");
        boolean kubectl = Files.isExecutable(Path.of("/usr/bin/kubectl"));
        if (kubectl) {
            Result v = kubectlRun(f, "version");
            assertThat(v.out()).contains("Server Version: v1.32");
            Result applied = kubectlStdin(f, "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: before-kill\ndata:\n  a: b\n",
                    "apply", "--validate=false", "-f", "-");
            assertThat(applied.out()).contains("configmap/before-kill created");
        }

        // SIGKILL the leader: a new leader, and writes resume on the survivors.
        assertThat(oneLeader()).isTrue();
        JsonNode s = status();
        long leaderPid = 0;
        for (JsonNode m : s.get("masters")) {
            if (m.get("role").asText().equals("LEADER")) {
                leaderPid = m.get("pid").asLong();
            }
        }
        ProcessHandle.of(leaderPid).orElseThrow().destroyForcibly();
        long killed = System.nanoTime();
        await("a write after the kill", 15_000, () -> {
            try {
                return etcdctl(all, "--command-timeout=500ms", "put", "after-kill", "yes").out().contains("OK");
            } catch (Exception e) {
                return false;
            }
        });
        long resumedMs = (System.nanoTime() - killed) / 1_000_000;
        if (kubectl) {
            // Through the load balancer, after the leader died: reads and writes work.
            assertThat(kubectlRun(f, "get", "configmap", "before-kill", "-o", "name").out()).contains("configmap/before-kill");
            Result after = kubectlStdin(f, "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: after-kill\n", "apply", "--validate=false", "-f", "-");
            assertThat(after.out()).contains("configmap/after-kill created");
        }
        System.out.println("writes resumed " + resumedMs + " ms after SIGKILL of the leader");
        assertThat(resumedMs).isLessThan(10_000);
        await("a new leader in status", 10_000, this::oneLeader);
        JsonNode after = status();
        long down = 0;
        for (JsonNode m : after.get("masters")) {
            if (m.get("role").asText().equals("DOWN")) {
                down++;
                assertThat(m.get("alive").asBoolean()).isFalse();
            }
        }
        assertThat(down).isEqualTo(1);

        // `up` restarts the dead replica from its data; it converges.
        assertThat(kuberaft("up", "--dir", dir.toString()).code()).isZero();
        await("all replicas applied the same index", 90_000, () -> {
            try {
                JsonNode st = status();
                long applied = -1;
                for (JsonNode m : st.get("masters")) {
                    if (!m.get("alive").asBoolean() || m.get("appliedIndex").isNull()) {
                        return false;
                    }
                    long a = m.get("appliedIndex").asLong();
                    if (applied >= 0 && a != applied) {
                        return false;
                    }
                    applied = a;
                }
                return true;
            } catch (Exception e) {
                return false;
            }
        });
        for (ClusterFile.Master m : ClusterFile.read(dir).masters) {
            assertThat(etcdctl(m.etcdEndpoint, "get", "after-kill").out()).contains("yes");
        }
        // Every replica holds the same state: `etcdctl endpoint hashkv` (a digest of history, leases,
        // revision and compaction point) is equal on all of them, the SIGKILLed one included.
        String endpoints = String.join(",", ClusterFile.read(dir).masters.stream().map(m -> m.etcdEndpoint).toList());
        await("equal state hashes on every replica", 30_000, () -> {
            try {
                List<String> hashes = etcdctl(endpoints, "endpoint", "hashkv").out().lines()
                        .filter(l -> l.contains(",")).map(l -> l.substring(l.indexOf(',') + 1).trim()).toList();
                return hashes.size() == 3 && hashes.stream().distinct().count() == 1;
            } catch (Exception e) {
                return false;
            }
        });

        if (kubectl) {
            // No quorum: two of three replicas SIGKILLed. Every /readyz fails, so the load balancer hands the connection to
            // any replica (its panic mode) and the client reads that replica's 503 Status with Retry-After within the
            // store's request timeout, not a closed connection; `up` then restores the quorum.
            ClusterFile before = ClusterFile.read(dir);
            long quorumLost = System.nanoTime();
            for (ClusterFile.Master m : before.masters.subList(1, 3)) {
                ProcessHandle h = ProcessHandle.of(m.pid).orElseThrow();
                h.destroyForcibly();
                h.onExit().get(10, TimeUnit.SECONDS); // a connection to a dying replica is a dropped one, as anywhere
            }
            // If the survivor leads, its Raft leader lease (0.9 × the 1 s minimum election timeout since the heartbeats
            // its followers answered) still answers reads correctly: no other leader can exist yet. Ask after it ran out.
            Thread.sleep(Math.max(0, 1_500 - (System.nanoTime() - quorumLost) / 1_000_000));
            String token = Files.readString(Path.of(before.kubeconfig)).lines().map(String::strip).filter(l -> l.startsWith("token:"))
                    .findFirst().orElseThrow().substring("token:".length()).strip();
            long asked = System.nanoTime();
            Result noQuorum = run(List.of("curl", "-sk", "-D", "-", "-H", "Authorization: Bearer " + token,
                    before.loadBalancer.url + "/api/v1/namespaces/default/configmaps"), 60);
            long answeredMs = (System.nanoTime() - asked) / 1_000_000;
            System.out.println("without quorum, answered in " + answeredMs + " ms: " + noQuorum.out().replace('\n', ' '));
            assertThat(noQuorum.out()).startsWith("HTTP/1.1 503").containsIgnoringCase("Retry-After: 1")
                    .contains("\"reason\":\"ServiceUnavailable\"").contains("no quorum");
            assertThat(answeredMs).isLessThan(15_000);
            assertThat(kuberaft("up", "--dir", dir.toString()).code()).isZero();
            await("a write with the quorum back", 60_000, () -> {
                try {
                    return etcdctl(all, "put", "quorum-back", "yes").out().contains("OK");
                } catch (Exception e) {
                    return false;
                }
            });
        }

        // Membership: add m4, then remove m1.
        Result add = kuberaft("member", "add", "--dir", dir.toString());
        assertThat(add.code()).as(add.out()).isZero();
        ClusterFile withM4 = ClusterFile.read(dir);
        assertThat(withM4.masters).extracting(m -> m.id).containsExactly("m1", "m2", "m3", "m4");
        String m4 = withM4.master("m4").etcdEndpoint;
        await("m4 has the data", 30_000, () -> {
            try {
                return etcdctl(m4, "get", "after-kill").out().contains("yes");
            } catch (Exception e) {
                return false;
            }
        });
        Result members = etcdctl(m4, "member", "list");
        assertThat(members.out()).contains("m1", "m2", "m3", "m4");
        Result remove = kuberaft("member", "remove", "--dir", dir.toString(), "--id", "m1");
        assertThat(remove.code()).as(remove.out()).isZero();
        await("m1 gone from the members", 20_000, () -> {
            try {
                String out = etcdctl(m4, "member", "list").out();
                return !out.contains(", m1,") && out.contains("m4");
            } catch (Exception e) {
                return false;
            }
        });

        // down keeps the data; up brings the same cluster back.
        assertThat(kuberaft("down", "--dir", dir.toString()).out()).contains("stopped");
        assertThat(ClusterFile.read(dir).masters.stream().noneMatch(m -> LocalCluster.alive(m.pid))).isTrue();
        Result again = kuberaft("up", "--dir", dir.toString());
        assertThat(again.code()).as(again.out()).isZero();
        assertThat(etcdctl(String.join(",", ClusterFile.read(dir).masters.stream().map(m -> m.etcdEndpoint).toList()),
                "get", "via-m2").out()).contains("hello-m2");
        Result purge = kuberaft("down", "--dir", dir.toString(), "--purge");
        assertThat(purge.out()).contains("purged");
        assertThat(Files.exists(dir)).isFalse();
    }
}
