package io.kuberaft.apiserver.http;

import io.kuberaft.apiserver.ApiServer;
import io.kuberaft.apiserver.InProcessKubectl;
import io.kuberaft.apiserver.InProcessKubectl.Result;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.kuberaft.raftstore.LocalKvStore;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The real kubectl (1.32) against an in-process server: {@code kubectl scale} (PATCH of the scale subresource,
 * and GET+PUT with {@code --current-replicas}) and {@code kubectl drain} through the eviction subresource with a
 * PodDisruptionBudget. There is no node agent: a background thread plays it (it finishes the graceful
 * deletion of terminating pods of node1 with a grace-0 DELETE, as {@code kubectl delete --grace-period=0 --force}
 * does) and plays the disruption controller (after a pod is gone it gives the budget back). Skipped when
 * /usr/bin/kubectl is absent.
 */
class KubectlDrainScaleTest {
    static final ObjectMapper M = new ObjectMapper();
    static final HttpClient HTTP = HttpClient.newHttpClient();

    @TempDir
    static Path tmp;
    static InProcessKubectl fixture;
    static LocalKvStore store;
    static ApiServer server;

    @BeforeAll
    static void start() {
        Assumptions.assumeTrue(InProcessKubectl.available(), "kubectl not installed at /usr/bin/kubectl: skipping the kubectl drain/scale test");
        fixture = new InProcessKubectl(tmp);
        store = fixture.store();
        server = fixture.server();
    }

    @AfterAll
    static void stop() {
        if (fixture != null) {
            fixture.close();
        }
    }

    static Result kubectl(String... args) throws Exception {
        Result r = fixture.kubectl(150, args);
        System.out.println("$ kubectl " + String.join(" ", args) + "\n" + r.out() + r.err());
        return r;
    }

    record Resp(int code, JsonNode body) {
    }

    static Resp send(String method, String path, String contentType, String body) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + path));
        b.method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body.replace('\'', '"')));
        b.header("Content-Type", contentType == null ? "application/json" : contentType);
        HttpResponse<String> r = HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
        return new Resp(r.statusCode(), r.body().isEmpty() ? M.nullNode() : M.readTree(r.body()));
    }

    static void created(Resp r) {
        assertThat(r.code()).as(r.body().toString()).isEqualTo(201);
    }

    @Test
    void scale() throws Exception {
        created(send("POST", "/apis/apps/v1/namespaces/default/deployments", null, "{'metadata':{'name':'web'},'spec':{'replicas':2,"
                + "'selector':{'matchLabels':{'app':'web'}},'template':{'metadata':{'labels':{'app':'web'}},"
                + "'spec':{'containers':[{'name':'c','image':'nginx'}]}}}}"));
        assertThat(kubectl("scale", "deploy", "web", "--replicas=5").ok().out()).contains("deployment.apps/web scaled");
        assertThat(send("GET", "/apis/apps/v1/namespaces/default/deployments/web", null, null).body()
                .path("spec").path("replicas").asInt()).isEqualTo(5);
        // Precondition not met: kubectl GETs the Scale and refuses.
        Result wrong = kubectl("scale", "deploy/web", "--current-replicas=2", "--replicas=3");
        assertThat(wrong.code()).isNotZero();
        assertThat(wrong.err()).contains("Expected replicas to be 2, was 5");
        // Met: GET + PUT of the Scale with its resourceVersion.
        assertThat(kubectl("scale", "deploy/web", "--current-replicas=5", "--replicas=3").ok().out()).contains("deployment.apps/web scaled");
        assertThat(send("GET", "/apis/apps/v1/namespaces/default/deployments/web/scale", null, null).body()
                .path("spec").path("replicas").asInt()).isEqualTo(3);
    }

    @Test
    void drain() throws Exception {
        created(send("POST", "/api/v1/nodes", null, "{'metadata':{'name':'node1'}}"));
        created(send("POST", "/apis/apps/v1/namespaces/default/daemonsets", null, "{'metadata':{'name':'agent'},'spec':{"
                + "'selector':{'matchLabels':{'app':'agent'}},'template':{'metadata':{'labels':{'app':'agent'}},"
                + "'spec':{'containers':[{'name':'c','image':'agent'}]}}}}"));
        String dsUid = send("GET", "/apis/apps/v1/namespaces/default/daemonsets/agent", null, null).body().path("metadata").path("uid").asText();
        pod("web-1", "{'app':'web'}", owner("apps/v1", "ReplicaSet", "web-abc", "11111111-1111-1111-1111-111111111111"), "");
        pod("web-2", "{'app':'web'}", owner("apps/v1", "ReplicaSet", "web-abc", "11111111-1111-1111-1111-111111111111"), "");
        pod("agent-x", "{'app':'agent'}", owner("apps/v1", "DaemonSet", "agent", dsUid), "");
        pod("bare", "{'app':'bare'}", "", ",'volumes':[{'name':'scratch','emptyDir':{}}]");
        created(send("POST", "/apis/policy/v1/namespaces/default/poddisruptionbudgets", null,
                "{'metadata':{'name':'web-pdb'},'spec':{'minAvailable':1,'selector':{'matchLabels':{'app':'web'}}}}"));
        budget(1);

        // The node agent and disruption controller stand-in.
        AtomicBoolean stop = new AtomicBoolean();
        AtomicInteger finished = new AtomicInteger();
        Thread agent = new Thread(() -> {
            while (!stop.get()) {
                try {
                    JsonNode list = send("GET", "/api/v1/pods?fieldSelector=spec.nodeName%3Dnode1", null, null).body();
                    for (JsonNode p : list.path("items")) {
                        if (p.path("metadata").has("deletionTimestamp")) {
                            String name = p.path("metadata").path("name").asText();
                            if (send("DELETE", "/api/v1/namespaces/default/pods/" + name, null, "{'gracePeriodSeconds':0}").code() == 200) {
                                finished.incrementAndGet();
                                if (name.startsWith("web-")) {
                                    budget(1);
                                }
                            }
                        }
                    }
                    Thread.sleep(1000);
                } catch (Exception e) {
                    if (stop.get()) {
                        return;
                    }
                }
            }
        });
        agent.setDaemon(true);
        agent.start();
        Result r;
        try {
            r = kubectl("drain", "node1", "--ignore-daemonsets", "--delete-emptydir-data", "--force", "--timeout=120s");
        } finally {
            stop.set(true);
            agent.join(5000);
        }
        r.ok();
        assertThat(r.out()).contains("node/node1 cordoned").contains("pod/web-1 evicted").contains("pod/web-2 evicted")
                .contains("pod/bare evicted").contains("node/node1 drained");
        assertThat(r.err()).contains("ignoring DaemonSet-managed Pods: default/agent-x")
                .contains("deleting Pods that declare no controller: default/bare");
        assertThat(send("GET", "/api/v1/nodes/node1", null, null).body().path("spec").path("unschedulable").asBoolean()).isTrue();
        for (String gone : List.of("web-1", "web-2", "bare")) {
            assertThat(send("GET", "/api/v1/namespaces/default/pods/" + gone, null, null).code()).isEqualTo(404);
        }
        assertThat(send("GET", "/api/v1/namespaces/default/pods/agent-x", null, null).code()).isEqualTo(200);
        assertThat(kubectl("uncordon", "node1").ok().out()).contains("node/node1 uncordoned");
    }

    static String owner(String apiVersion, String kind, String name, String uid) {
        return ",'ownerReferences':[{'apiVersion':'" + apiVersion + "','kind':'" + kind + "','name':'" + name + "','uid':'" + uid
                + "','controller':true,'blockOwnerDeletion':true}]";
    }

    /** A pod bound to node1 at create time, then reported Running and Ready (as a node agent would). */
    static void pod(String name, String labels, String owner, String extraSpec) throws Exception {
        created(send("POST", "/api/v1/namespaces/default/pods", null, "{'metadata':{'name':'" + name + "','labels':" + labels + owner
                + "},'spec':{'nodeName':'node1','containers':[{'name':'c','image':'nginx'}]" + extraSpec + "}}"));
        com.fasterxml.jackson.databind.node.ObjectNode p = (com.fasterxml.jackson.databind.node.ObjectNode)
                send("GET", "/api/v1/namespaces/default/pods/" + name, null, null).body();
        p.with("status").put("phase", "Running");
        p.with("status").putArray("conditions").addObject().put("type", "Ready").put("status", "True");
        Resp r = send("PUT", "/api/v1/namespaces/default/pods/" + name + "/status", null, p.toString());
        assertThat(r.code()).as(r.body().toString()).isEqualTo(200);
    }

    static void budget(int allowed) throws Exception {
        Resp r = send("PATCH", "/apis/policy/v1/namespaces/default/poddisruptionbudgets/web-pdb/status", "application/merge-patch+json",
                "{'status':{'observedGeneration':1,'disruptionsAllowed':" + allowed + ",'desiredHealthy':1,'currentHealthy':2,'expectedPods':2,"
                        + "'disruptedPods':null}}");
        assertThat(r.code()).as(r.body().toString()).isEqualTo(200);
    }
}
