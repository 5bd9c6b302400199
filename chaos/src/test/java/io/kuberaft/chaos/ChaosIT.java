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
 * A short real run (mvn -Pchaos verify, after eval "$(chaos/setup.sh)"): 3 replicas in containers,
 * the register workload over both APIs, the leader SIGKILLed; the history must be linearizable.
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
}
