package io.kuberaft.cli;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/** `up --lb haproxy`: the real HAProxy in front of the replicas' APIs, surviving a leader kill. */
@Timeout(240)
class HaproxyIT {
    @TempDir
    Path tmp;

    private final LocalClusterIT it = new LocalClusterIT();

    @AfterEach
    void tearDown() throws Exception {
        it.dir = tmp.resolve("cluster");
        it.kuberaft("down", "--dir", it.dir.toString(), "--grace-ms", "3000");
    }

    @Test
    void kubectlThroughHaproxySurvivesTheLeadersDeath() throws Exception {
        Assumptions.assumeTrue(HaproxyConfig.binary() != null, "haproxy is not installed (apt-get install haproxy; .ci/run installs it)");
        Assumptions.assumeTrue(Files.isExecutable(Path.of("/usr/bin/kubectl")), "kubectl is not installed");
        it.tmp = tmp;
        it.dir = tmp.resolve("cluster");
        LocalClusterIT.Result up = it.kuberaft("up", "--dir", it.dir.toString(), "--lb", "haproxy");
        assertThat(up.code()).as(up.out()).isZero();
        assertThat(up.out()).contains("haproxy load balancer");
        ClusterFile f = ClusterFile.read(it.dir);
        assertThat(f.loadBalancer.kind).isEqualTo("haproxy");
        assertThat(Files.readString(it.dir.resolve("haproxy.cfg"))).contains("option httpchk GET /readyz");
        assertThat(it.kubectlRun(f, "get", "namespaces", "-o", "name").out()).contains("namespace/default");

        ClusterFile.Master leader = null;
        for (var m : it.status().get("masters")) {
            if (m.get("role").asText().equals("LEADER")) {
                leader = f.master(m.get("id").asText());
            }
        }
        assertThat(leader).isNotNull();
        ProcessHandle.of(leader.pid).orElseThrow().destroyForcibly();
        // kubectl retries a request once on a dropped connection; through HAProxy every call still succeeds.
        for (int i = 0; i < 10; i++) {
            LocalClusterIT.Result r = it.kubectlRun(f, "get", "namespaces", "-o", "name");
            assertThat(r.code()).as(r.out()).isZero();
        }
        LocalClusterIT.Result created = it.kubectlStdin(f, "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: after-kill\n",
                "apply", "-f", "-");
        assertThat(created.out()).contains("configmap/after-kill created");
    }
}
