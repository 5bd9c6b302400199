package io.kuberaft.raftstore.etcd;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.File;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The real {@code etcdctl} (etcd's v3 command line client, Debian package {@code etcd-client})
 * against the facade. Skipped, and reported as skipped, where etcdctl is not installed.
 */
class EtcdctlCompatibilityTest extends EtcdServerFixture {
    private static Path etcdctl;
    private final AtomicInteger runs = new AtomicInteger();

    @BeforeAll
    static void findEtcdctl() {
        etcdctl = onPath("etcdctl");
        assumeTrue(etcdctl != null,
                "etcdctl is not installed (apt-get install etcd-client): skipping the etcdctl compatibility tests");
    }

    private static Path onPath(String program) {
        String path = System.getenv().getOrDefault("PATH", "") + File.pathSeparator + "/usr/bin" + File.pathSeparator + "/usr/local/bin";
        for (String dir : path.split(File.pathSeparator)) {
            if (!dir.isEmpty()) {
                Path p = Path.of(dir, program);
                if (Files.isExecutable(p)) {
                    return p;
                }
            }
        }
        return null;
    }

    record Result(int exit, String out, String err) {
    }

    private ProcessBuilder command(String... args) {
        List<String> cmd = new ArrayList<>(List.of(etcdctl.toString(), "--endpoints=" + server.endpoint(),
                "--dial-timeout=5s", "--command-timeout=10s"));
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd);
        pb.environment().put("ETCDCTL_API", "3");
        return pb;
    }

    private Result run(String stdin, String... args) throws IOException, InterruptedException {
        int n = runs.incrementAndGet();
        Path out = dir.resolve("etcdctl-" + n + ".out");
        Path err = dir.resolve("etcdctl-" + n + ".err");
        Process p = command(args).redirectOutput(out.toFile()).redirectError(err.toFile()).start();
        try (OutputStream in = p.getOutputStream()) {
            if (stdin != null) {
                in.write(stdin.getBytes(UTF_8));
            }
        }
        if (!p.waitFor(30, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            fail("etcdctl " + String.join(" ", args) + " did not finish within 30 s");
        }
        return new Result(p.exitValue(), Files.readString(out), Files.readString(err));
    }

    private String ok(String... args) throws IOException, InterruptedException {
        return okWithInput(null, args);
    }

    private String okWithInput(String stdin, String... args) throws IOException, InterruptedException {
        Result r = run(stdin, args);
        assertThat(r.exit()).as("etcdctl %s failed: %s", String.join(" ", args), r.err()).isZero();
        return r.out();
    }

    private static long jsonNumber(String json, String field) {
        Matcher m = Pattern.compile("\"" + field + "\":(\\d+)").matcher(json);
        assertThat(m.find()).as("%s in %s", field, json).isTrue();
        return Long.parseLong(m.group(1));
    }

    @Test
    void putGetDelete() throws Exception {
        assertThat(ok("put", "/p/a", "1")).isEqualTo("OK\n");
        assertThat(ok("put", "/p/b", "2")).isEqualTo("OK\n");
        assertThat(ok("put", "/q", "other")).isEqualTo("OK\n");
        assertThat(ok("get", "--prefix", "/p/")).isEqualTo("/p/a\n1\n/p/b\n2\n");
        assertThat(ok("get", "/p/a", "--print-value-only")).isEqualTo("1\n");
        assertThat(ok("get", "/missing")).isEmpty();
        assertThat(ok("get", "/p/a", "--rev=2")).isEqualTo("/p/a\n1\n");

        String json = ok("get", "/p/b", "-w", "json");
        assertThat(jsonNumber(json, "member_id")).isEqualTo(MEMBER_ID);
        assertThat(jsonNumber(json, "revision")).isEqualTo(4);
        assertThat(jsonNumber(json, "count")).isEqualTo(1);

        assertThat(ok("del", "/p/a")).isEqualTo("1\n");
        assertThat(ok("del", "--prefix", "/p/")).isEqualTo("1\n");
        assertThat(ok("get", "--prefix", "/p/")).isEmpty();
        assertThat(ok("get", "--prefix", "/")).isEqualTo("/q\nother\n");
    }

    @Test
    void txnFromStdin() throws Exception {
        ok("put", "/t/k", "v1");
        String txn = "value(\"/t/k\") = \"v1\"\n\nput /t/k v2\nput /t/other x\n\nput /t/k failed\n\n";
        assertThat(okWithInput(txn, "txn")).isEqualTo("SUCCESS\n\nOK\n\nOK\n");
        assertThat(ok("get", "/t/k", "--print-value-only")).isEqualTo("v2\n");

        // the same compare now fails: the else branch runs
        assertThat(okWithInput(txn, "txn")).isEqualTo("FAILURE\n\nOK\n");
        assertThat(ok("get", "/t/k", "--print-value-only")).isEqualTo("failed\n");

        String modRev = "mod(\"/t/k\") > \"0\"\n\nget /t/k\n\n\n";
        assertThat(okWithInput(modRev, "txn")).isEqualTo("SUCCESS\n\n/t/k\nfailed\n");
    }

    @Test
    void watchPrintsEventsAsTheyHappen() throws Exception {
        Path out = dir.resolve("watch.out");
        Process watch = command("watch", "--prefix", "/w/", "--prev-kv")
                .redirectOutput(out.toFile()).redirectErrorStream(true).start();
        try {
            await("etcdctl's watch registered on the server", () -> store.engine().mvcc().watchHub().size() == 1);
            ok("put", "/w/a", "1");
            ok("put", "/elsewhere", "x");
            ok("put", "/w/a", "2");
            ok("del", "/w/a");
            String expected = "PUT\n/w/a\n1\n"
                    + "PUT\n/w/a\n1\n/w/a\n2\n"
                    + "DELETE\n/w/a\n2\n/w/a\n\n";
            await("etcdctl printed the three events", () -> read(out).equals(expected));
            assertThat(watch.isAlive()).as("etcdctl watch keeps running").isTrue();
        } finally {
            watch.destroy();
            if (!watch.waitFor(10, TimeUnit.SECONDS)) {
                watch.destroyForcibly();
            }
        }
        await("the watch canceled when etcdctl went away", () -> store.engine().mvcc().watchHub().size() == 0);
        assertThat(read(out)).doesNotContain("/elsewhere");
    }

    private static String read(Path p) {
        try {
            return Files.readString(p);
        } catch (IOException e) {
            return "";
        }
    }

    @Test
    void watchFromACompactedRevisionIsCanceled() throws Exception {
        ok("put", "/c", "1");
        ok("put", "/c", "2");
        ok("put", "/c", "3");
        assertThat(ok("compaction", "3")).isEqualTo("compacted revision 3\n");
        Result get = run(null, "get", "/c", "--rev=2");
        assertThat(get.exit()).isNotZero();
        assertThat(get.err()).contains("etcdserver: mvcc: required revision has been compacted");
        Result watch = run(null, "watch", "/c", "--rev=2");
        assertThat(watch.exit()).isNotZero();
        assertThat(watch.out() + watch.err()).contains("watch was canceled (etcdserver: mvcc: required revision has been compacted)");
    }

    @Test
    void leaseGrantTimeToLiveKeepAliveRevoke() throws Exception {
        String granted = ok("lease", "grant", "60");
        Matcher m = Pattern.compile("lease ([0-9a-f]+) granted with TTL\\(60s\\)").matcher(granted);
        assertThat(m.find()).as(granted).isTrue();
        String id = m.group(1);

        assertThat(ok("put", "--lease=" + id, "/l/k", "v")).isEqualTo("OK\n");
        String ttl = ok("lease", "timetolive", "--keys", id);
        Matcher t = Pattern.compile("lease " + id + " granted with TTL\\(60s\\), remaining\\((\\d+)s\\), attached keys\\(\\[/l/k]\\)\\n").matcher(ttl);
        assertThat(t.matches()).as(ttl).isTrue();
        assertThat(Integer.parseInt(t.group(1))).isBetween(30, 60);
        assertThat(ok("lease", "keep-alive", "--once", id)).isEqualTo("lease " + id + " keepalived with TTL(60)\n");
        assertThat(ok("lease", "revoke", id)).isEqualTo("lease " + id + " revoked\n");
        assertThat(ok("get", "/l/k")).as("the lease's keys went with it").isEmpty();
        assertThat(ok("lease", "timetolive", id)).isEqualTo("lease " + id + " already expired\n");

        Result again = run(null, "lease", "revoke", id);
        assertThat(again.exit()).isNotZero();
        assertThat(again.err()).contains("etcdserver: requested lease not found");
    }

    @Test
    void endpointStatusHealthAndMemberList() throws Exception {
        ok("put", "/s", "1");
        String status = ok("endpoint", "status", "-w", "json");
        assertThat(status).contains("\"Endpoint\":\"" + server.endpoint() + "\"")
                .contains("\"version\":\"" + MaintenanceService.VERSION + "\"");
        assertThat(jsonNumber(status, "leader")).isEqualTo(MEMBER_ID);
        assertThat(jsonNumber(status, "raftTerm")).isEqualTo(1);
        assertThat(jsonNumber(status, "raftIndex")).isEqualTo(store.engine().mvcc().appliedIndex());
        assertThat(jsonNumber(status, "raftAppliedIndex")).isEqualTo(store.engine().mvcc().appliedIndex());
        assertThat(jsonNumber(status, "dbSize")).isPositive();
        assertThat(jsonNumber(status, "cluster_id")).isEqualTo(MEMBER_ID);
        assertThat(jsonNumber(status, "revision")).isEqualTo(2);

        Result health = run(null, "endpoint", "health");
        assertThat(health.exit()).isZero();
        assertThat(health.err()).as("etcdctl prints health to stderr").startsWith(server.endpoint() + " is healthy");

        String members = ok("member", "list", "-w", "json");
        assertThat(jsonNumber(members, "ID")).isEqualTo(MEMBER_ID);
        assertThat(members).contains("\"name\":\"" + MEMBER + "\"");
        assertThat(ok("member", "list")).isEqualTo(Long.toHexString(MEMBER_ID) + ", started, " + MEMBER + ", , , false\n");
    }

    @Test
    void badInputIsRefusedAndTheServerKeepsServing() throws Exception {
        Result empty = run(null, "put", "", "v");
        assertThat(empty.exit()).isNotZero();
        assertThat(empty.err()).contains("etcdserver: key is not provided");

        Result tooBig = run("x".repeat(2 * 1024 * 1024), "put", "/big");
        assertThat(tooBig.exit()).isNotZero();
        assertThat(tooBig.err()).contains("ResourceExhausted");
        Result overStoreLimit = run("x".repeat(1600 * 1024), "put", "/big");
        assertThat(overStoreLimit.exit()).isNotZero();
        assertThat(overStoreLimit.err()).contains("etcdserver: request is too large");

        assertThat(ok("put", "/after", "fine")).isEqualTo("OK\n");
        assertThat(ok("get", "/big")).isEmpty();
    }
}
