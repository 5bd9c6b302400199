package io.kuberaft.apiserver;

import io.kuberaft.raftstore.ClusterView;
import io.kuberaft.raftstore.LocalKvStore;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** /readyz: a replica is ready only with a leader, as a voting member, and caught up with the commit index it learned. */
class ReadyzTest {
    @TempDir
    Path dir;

    /** A view of replica m4 that hears from leader m1 but is not (yet) in the configuration, applied {@code applied} of {@code commit}. */
    private static ClusterView view(boolean member, long applied, long commit) {
        ClusterView m1 = ClusterView.standalone("m1", () -> 0);
        ClusterView m4 = ClusterView.standalone("m4", () -> 0);
        return new ClusterView() {
            public long clusterId() { return m1.clusterId(); }
            public long memberId() { return m4.memberId(); }
            public String replicaId() { return "m4"; }
            public long term() { return 2; }
            public long leaderId() { return m1.memberId(); }
            public String role() { return "FOLLOWER"; }
            public long commitIndex() { return commit; }
            public long appliedIndex() { return applied; }
            public List<Member> members() {
                return member ? List.of(m1.members().get(0), m4.members().get(0)) : m1.members();
            }
        };
    }

    private HttpResponse<String> readyz(ClusterView view) throws Exception {
        try (LocalKvStore store = new LocalKvStore(dir.resolve("kv-" + System.nanoTime()))) {
            ApiServer server = ApiServer.start(ApiServer.Options.plain("127.0.0.1", 0), store, view, new SimpleMeterRegistry(), () -> "");
            try {
                return HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + "/readyz?verbose")).build(),
                        HttpResponse.BodyHandlers.ofString());
            } finally {
                server.close();
            }
        }
    }

    @Test
    void aCaughtUpMemberIsReady() throws Exception {
        HttpResponse<String> r = readyz(view(true, 40, 40));
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.body()).contains("[+]raft-leader ok", "[+]raft-member ok", "[+]store-caught-up ok", "readyz check passed");
    }

    @Test
    void aReplicaWaitingToBeAddedIsNotReadyEvenWithALeaderAndNothingToApply() throws Exception {
        HttpResponse<String> r = readyz(view(false, -1, -1));
        assertThat(r.statusCode()).isEqualTo(503);
        assertThat(r.body()).contains("[-]raft-member failed: not a voting member (waiting to be added)", "readyz check failed");
    }

    @Test
    void aMemberBehindItsCommitIndexIsNotReady() throws Exception {
        HttpResponse<String> r = readyz(view(true, 30, 40));
        assertThat(r.statusCode()).isEqualTo(503);
        assertThat(r.body()).contains("[-]store-caught-up failed: applied 30 < commit 40");
    }
}
