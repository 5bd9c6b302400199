package io.kuberaft.apiserver.admission;

import com.fasterxml.jackson.databind.JsonNode;
import io.kuberaft.apiserver.registry.GenericRegistry;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** The kubernetes service comes back after a delete; its Endpoints list the replicas whose identity Lease is fresh. */
class KubernetesServiceControllerTest {
    @TempDir
    Path dir;

    /** A clock the test moves. */
    static final class TestClock extends Clock {
        Instant now = Instant.now();

        public ZoneId getZone() {
            return ZoneOffset.UTC;
        }

        public Clock withZone(ZoneId zone) {
            return this;
        }

        public Instant instant() {
            return now;
        }
    }

    private static List<String> endpoints(Cluster c) {
        JsonNode ep = c.get("", "endpoints", "default", "kubernetes");
        List<String> out = new ArrayList<>();
        for (JsonNode s : ep.path("subsets")) {
            for (JsonNode a : s.path("addresses")) {
                for (JsonNode p : s.path("ports")) {
                    out.add(a.path("ip").asText() + ":" + p.path("port").asInt() + "/" + p.path("name").asText());
                }
            }
        }
        return out;
    }

    @Test
    void endpointsFollowTheLiveReplicasAndTheServiceComesBack() throws Exception {
        try (Cluster c = new Cluster(dir)) {
            TestClock clock = new TestClock();
            Lookup lookup = new Lookup(c.resources, c.store);
            var m1 = new KubernetesServiceController(c.api, lookup, "m1", "127.0.0.1", 6443, clock);
            var m2 = new KubernetesServiceController(c.replica(), lookup, "m2", "127.0.0.1", 6444, clock);
            var m3 = new KubernetesServiceController(c.replica(), lookup, "m3", "10.0.0.3", 6443, clock);
            m1.reconcile();
            assertThat(endpoints(c)).containsExactly("127.0.0.1:6443/https");
            m2.reconcile();
            m3.reconcile();
            m1.reconcile();
            assertThat(endpoints(c)).containsExactly("10.0.0.3:6443/https", "127.0.0.1:6443/https", "127.0.0.1:6444/https");
            JsonNode lease = c.get("coordination.k8s.io", "leases", "kube-system", "kube-apiserver-m2");
            assertThat(lease.path("metadata").path("labels").path(KubernetesServiceController.IDENTITY_LABEL).asText()).isEqualTo("kube-apiserver");
            assertThat(lease.path("spec").path("holderIdentity").asText()).isEqualTo("kube-apiserver-m2");

            // a user deletes every service: the kubernetes one comes back with its cluster IP on the next pass
            var svc = c.def("", "services");
            c.api.delete(svc, "default", "kubernetes", 0, null, null, null, GenericRegistry.WriteOptions.DEFAULT);
            assertThat(c.store.getOrNull(svc, "default", "kubernetes", io.kuberaft.raftstore.ReadConsistency.LINEARIZABLE)).isNull();
            m2.reconcile();
            assertThat(c.get("", "services", "default", "kubernetes").path("spec").path("clusterIP").asText()).isEqualTo("10.96.0.1");

            // m2 and m3 stop renewing: past the TTL, only m1 (still renewing) is listed
            clock.now = clock.now.plus(KubernetesServiceController.TTL).plusSeconds(1);
            m1.reconcile();
            assertThat(endpoints(c)).containsExactly("127.0.0.1:6443/https");
            long rv = c.get("", "endpoints", "default", "kubernetes").path("metadata").path("resourceVersion").asLong();
            m1.reconcile();
            assertThat(c.get("", "endpoints", "default", "kubernetes").path("metadata").path("resourceVersion").asLong())
                    .as("no write when nothing changed").isEqualTo(rv);
        }
    }
}
