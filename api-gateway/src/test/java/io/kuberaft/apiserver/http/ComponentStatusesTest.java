package io.kuberaft.apiserver.http;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.kuberaft.apiserver.InProcessKubectl;
import io.kuberaft.apiserver.InProcessKubectl.Result;
import io.kuberaft.apiserver.registry.Objects;
import io.kuberaft.raftstore.ClusterView;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** {@code kubectl get cs}: scheduler, controller-manager and one etcd-i per Raft replica, computed from the replica's view. */
class ComponentStatusesTest {
    @TempDir
    Path tmp;

    @Test
    void kubectlGetComponentStatusesListsTheComponentsWithUpstreamsColumnsAndDeprecationWarning() throws Exception {
        Assumptions.assumeTrue(InProcessKubectl.available(), "kubectl not installed at /usr/bin/kubectl");
        try (InProcessKubectl k = new InProcessKubectl(tmp)) {
            Result r = k.kubectl(60, "get", "cs").ok();
            assertThat(r.err()).contains("Warning: v1 ComponentStatus is deprecated in v1.19+");
            List<String> lines = r.out().lines().toList();
            assertThat(lines.get(0)).matches("NAME +STATUS +MESSAGE +ERROR");
            assertThat(lines.subList(1, lines.size())).hasSize(3).anySatisfy(l -> assertThat(l).matches("scheduler +Healthy +ok *"))
                    .anySatisfy(l -> assertThat(l).matches("controller-manager +Healthy +ok *"))
                    .anySatisfy(l -> assertThat(l).matches("etcd-0 +Healthy +ok *"));

            JsonNode one = new ObjectMapper().readTree(k.kubectl(60, "get", "componentstatus", "etcd-0", "-o", "json").ok().out());
            assertThat(one.path("kind").asText()).isEqualTo("ComponentStatus");
            assertThat(one.path("conditions").get(0).path("type").asText()).isEqualTo("Healthy");
            assertThat(one.path("conditions").get(0).path("status").asText()).isEqualTo("True");
            assertThat(one.path("conditions").get(0).path("message").asText()).isEqualTo("ok");

            Result missing = k.kubectl(60, "get", "cs", "etcd-7");
            assertThat(missing.code()).isNotZero();
            assertThat(missing.err()).contains("componentstatuses \"etcd-7\" not found");
            // read-only, and no watch (upstream's verbs are get and list)
            assertThat(k.kubectl(60, "delete", "cs", "scheduler").err()).contains("MethodNotAllowed");
            assertThat(k.kubectl(60, "get", "cs", "--watch", "--request-timeout", "5s").err()).contains("MethodNotAllowed");
        }
    }

    /** Three replicas m1..m3 as seen from {@code self}, with leader {@code leader} (null: none) and these last contacts. */
    private static ClusterView view(String self, String leader, Map<String, Long> contact) {
        return new ClusterView() {
            public long clusterId() { return 1; }
            public long memberId() { return ClusterView.memberIdOf(self); }
            public String replicaId() { return self; }
            public long term() { return 3; }
            public long leaderId() { return leader == null ? 0 : ClusterView.memberIdOf(leader); }
            public String role() { return self.equals(leader) ? "LEADER" : "FOLLOWER"; }
            public long commitIndex() { return 9; }
            public long appliedIndex() { return 9; }
            public List<Member> members() {
                return List.of("m3", "m1", "m2").stream().map(n -> new Member(ClusterView.memberIdOf(n), n, "", "")).toList();
            }
            public Map<String, Long> lastContactMillis() { return contact; }
        };
    }

    private static Map<String, String> summary(ClusterView view) {
        Map<String, String> out = new LinkedHashMap<>();
        for (ObjectNode o : new ComponentStatuses(view).statuses()) {
            JsonNode c = o.path("conditions").get(0);
            out.put(Objects.name(o), c.path("status").asText() + "|" + c.path("message").asText("") + "|" + c.path("error").asText(""));
        }
        return out;
    }

    @Test
    void theLeaderReportsAFollowerItHasNotHeardFromAsUnhealthy() {
        Map<String, String> s = summary(view("m1", "m1", Map.of("m1", 0L, "m2", 150L, "m3", 12_000L)));
        assertThat(s.keySet()).containsExactly("scheduler", "controller-manager", "etcd-0", "etcd-1", "etcd-2");
        assertThat(s).containsEntry("scheduler", "True|ok|").containsEntry("controller-manager", "True|ok|")
                .containsEntry("etcd-0", "True|ok|").containsEntry("etcd-1", "True|ok|")
                .containsEntry("etcd-2", "False||replica m3 has not answered Raft for 12s");
    }

    @Test
    void aFollowerKnowsItselfAndItsLeaderOnly() {
        Map<String, String> s = summary(view("m2", "m1", Map.of("m2", 0L, "m1", 80L)));
        assertThat(s).containsEntry("etcd-0", "True|ok|").containsEntry("etcd-1", "True|ok|");
        assertThat(s.get("etcd-2")).startsWith("Unknown||replica m2 is a follower");
    }

    @Test
    void withoutALeaderNothingIsHealthy() {
        Map<String, String> s = summary(view("m2", null, Map.of("m2", 0L)));
        assertThat(s.get("scheduler")).startsWith("False||no Raft leader is known to replica m2");
        assertThat(s.get("controller-manager")).startsWith("False||");
        assertThat(s.get("etcd-1")).isEqualTo("False||replica m2 knows no Raft leader");
    }
}
