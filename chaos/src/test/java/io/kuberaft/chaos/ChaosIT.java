package io.kuberaft.chaos;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Short real runs (mvn -Pchaos verify, after eval "$(chaos/setup.sh)"): 3 replicas in containers,
 * the register workload over both APIs with the leader SIGKILLed (linearizable), and the watch workload
 * under leader isolation and random kills (every revision once, in order, watchers agree with the final list).
 */
@Timeout(600)
class ChaosIT {
    private static final Path ROOT = Path.of(System.getProperty("kuberaft.root", "..")).toAbsolutePath().normalize();

    @TempDir
    Path out;

    @Test
    void registerUnderKillLeaderIsLinearizable() throws Exception {
        Assumptions.assumeTrue(io.kuberaft.chaos.cluster.ChaosCluster.available(),
                "no container engine: DOCKER_HOST unset or not answering (run eval \"$(chaos/setup.sh)\"); chaos tests skipped");
        Map<String, Object> r = ChaosMain.run(ROOT, List.of("register-kube", "register-etcd"), List.of("kill-leader"), 3, 30, 5, 10,
                "-Xmx384m -XX:+UseSerialGC -XX:TieredStopAtLevel=1 -Xss512k", List.of(), 1, out);
        assertThat(r.get("anomalies")).as("%s", r).isEqualTo(List.of());
        assertThat(r.get("valid")).isNotEqualTo(Boolean.FALSE);
        assertThat((Long) r.get("ops")).isGreaterThan(100);
        assertThat(out.resolve("history.jsonl")).exists();
        assertThat(Files.readString(out.resolve("report.html"))).contains("<svg");
    }

    @Test
    void watchersUnderPartitionAndKillSeeEveryRevisionOnce() throws Exception {
        Assumptions.assumeTrue(io.kuberaft.chaos.cluster.ChaosCluster.available(),
                "no container engine: DOCKER_HOST unset or not answering (run eval \"$(chaos/setup.sh)\"); chaos tests skipped");
        Path dir = out.resolve("watch");
        Files.createDirectories(dir);
        Map<String, Object> r = ChaosMain.run(ROOT, List.of("watch"), List.of("partition-leader", "kill-random"), 3, 30, 5, 10,
                "-Xmx384m -XX:+UseSerialGC -XX:TieredStopAtLevel=1 -Xss512k", List.of(), 3, dir);
        assertThat(r.get("anomalies")).as("%s", r).isEqualTo(List.of());
        assertThat(r.get("valid")).isEqualTo(Boolean.TRUE);
        @SuppressWarnings("unchecked")
        Map<String, Object> watch = (Map<String, Object>) ((Map<String, Object>) r.get("workloads")).get("watch");
        assertThat((Long) watch.get("events")).isGreaterThan(100);
        assertThat(r.get("server-args")).isEqualTo(List.of("--compaction-retention", "30", "--compaction-interval-s", "3"));
    }
}
