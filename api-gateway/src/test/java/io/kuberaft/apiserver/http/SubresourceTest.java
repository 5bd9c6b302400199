package io.kuberaft.apiserver.http;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.kuberaft.apiserver.ApiServer;
import io.kuberaft.raftstore.ClusterView;
import io.kuberaft.raftstore.LocalKvStore;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import static org.assertj.core.api.Assertions.assertThat;

/** scale, pods/binding, bindings and pods/eviction over HTTP against an in-process server. */
class SubresourceTest {
    static final ObjectMapper M = new ObjectMapper();
    static final HttpClient HTTP = HttpClient.newHttpClient();
    @TempDir
    static Path tmp;
    static LocalKvStore store;
    static ApiServer server;

    @BeforeAll
    static void start() {
        store = new LocalKvStore(tmp.resolve("store"));
        server = ApiServer.start(ApiServer.Options.plain("127.0.0.1", 0), store, ClusterView.standalone("m1", () -> 0),
                new SimpleMeterRegistry(), () -> "");
    }

    @AfterAll
    static void stop() {
        if (server != null) {
            server.close();
        }
        if (store != null) {
            store.close();
        }
    }

    record Resp(int code, JsonNode body) {
    }

    static Resp send(String method, String path, String contentType, String body) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + path));
        b.method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        b.header("Content-Type", contentType == null ? "application/json" : contentType);
        HttpResponse<String> r = HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
        return new Resp(r.statusCode(), r.body().isEmpty() ? M.nullNode() : M.readTree(r.body()));
    }

    static String q(String singleQuoted) {
        return singleQuoted.replace('\'', '"');
    }

    static Resp post(String path, String json) throws Exception {
        return send("POST", path, null, q(json));
    }

    static final String PODS = "/api/v1/namespaces/default/pods";
    static final String PDBS = "/apis/policy/v1/namespaces/default/poddisruptionbudgets";

    static void pod(String name, String node, String labels) throws Exception {
        String nodeField = node == null ? "" : ",'nodeName':'" + node + "'";
        Resp r = post(PODS, "{'metadata':{'name':'" + name + "','labels':" + labels + "},'spec':{'containers':[{'name':'c','image':'nginx'}]"
                + nodeField + "}}");
        assertThat(r.code()).as(r.body().toString()).isEqualTo(201);
    }

    /** What a node agent would report: Running and Ready. */
    static void running(String name) throws Exception {
        JsonNode pod = send("GET", PODS + "/" + name, null, null).body();
        com.fasterxml.jackson.databind.node.ObjectNode p = (com.fasterxml.jackson.databind.node.ObjectNode) pod;
        p.with("status").put("phase", "Running");
        p.with("status").putArray("conditions").addObject().put("type", "Ready").put("status", "True");
        Resp r = send("PUT", PODS + "/" + name + "/status", null, p.toString());
        assertThat(r.code()).as(r.body().toString()).isEqualTo(200);
    }

    static void pdb(String name, String app, int allowed, int desired, int current) throws Exception {
        Resp r = post(PDBS, "{'metadata':{'name':'" + name + "'},'spec':{'minAvailable':1,'selector':{'matchLabels':{'app':'" + app + "'}}}}");
        assertThat(r.code()).as(r.body().toString()).isEqualTo(201);
        pdbStatus(name, allowed, desired, current, 1);
    }

    static void pdbStatus(String name, int allowed, int desired, int current, long observedGeneration) throws Exception {
        Resp r = send("PATCH", PDBS + "/" + name + "/status", "application/merge-patch+json",
                q("{'status':{'observedGeneration':" + observedGeneration + ",'disruptionsAllowed':" + allowed + ",'desiredHealthy':" + desired
                        + ",'currentHealthy':" + current + ",'expectedPods':" + current + "}}"));
        assertThat(r.code()).as(r.body().toString()).isEqualTo(200);
    }

    static Resp evict(String pod) throws Exception {
        return post(PODS + "/" + pod + "/eviction", "{'apiVersion':'policy/v1','kind':'Eviction','metadata':{'name':'" + pod
                + "','namespace':'default'},'deleteOptions':{}}");
    }

    // ------------------------------------------------------------------ scale

    @Test
    void scaleOfDeployment() throws Exception {
        Resp c = post("/apis/apps/v1/namespaces/default/deployments", "{'metadata':{'name':'web'},'spec':{'replicas':2,"
                + "'selector':{'matchLabels':{'tier':'fe','app':'web'}},'template':{'metadata':{'labels':{'app':'web','tier':'fe'}},"
                + "'spec':{'containers':[{'name':'c','image':'nginx'}]}}}}");
        assertThat(c.code()).as(c.body().toString()).isEqualTo(201);
        String path = "/apis/apps/v1/namespaces/default/deployments/web/scale";
        Resp g = send("GET", path, null, null);
        assertThat(g.code()).isEqualTo(200);
        assertThat(g.body().path("kind").asText()).isEqualTo("Scale");
        assertThat(g.body().path("apiVersion").asText()).isEqualTo("autoscaling/v1");
        assertThat(g.body().path("metadata").path("uid").asText()).isEqualTo(c.body().path("metadata").path("uid").asText());
        assertThat(g.body().path("metadata").path("resourceVersion").asText()).isEqualTo(c.body().path("metadata").path("resourceVersion").asText());
        assertThat(g.body().path("spec").path("replicas").asInt()).isEqualTo(2);
        assertThat(g.body().path("status").path("replicas").asInt()).isEqualTo(0);
        assertThat(g.body().path("status").path("selector").asText()).isEqualTo("app=web,tier=fe");

        Resp p = send("PATCH", path, "application/merge-patch+json", q("{'spec':{'replicas':5}}"));
        assertThat(p.code()).as(p.body().toString()).isEqualTo(200);
        assertThat(p.body().path("spec").path("replicas").asInt()).isEqualTo(5);
        JsonNode d = send("GET", "/apis/apps/v1/namespaces/default/deployments/web", null, null).body();
        assertThat(d.path("spec").path("replicas").asInt()).isEqualTo(5);
        assertThat(d.path("spec").path("template").path("spec").path("containers").get(0).path("image").asText()).isEqualTo("nginx");

        // PUT with a stale resourceVersion: 409; with the current one: 200.
        String stale = g.body().path("metadata").path("resourceVersion").asText();
        Resp conflict = send("PUT", path, null, q("{'kind':'Scale','apiVersion':'autoscaling/v1','metadata':{'name':'web','namespace':'default',"
                + "'resourceVersion':'" + stale + "'},'spec':{'replicas':3}}"));
        assertThat(conflict.code()).isEqualTo(409);
        assertThat(conflict.body().path("reason").asText()).isEqualTo("Conflict");
        String cur = p.body().path("metadata").path("resourceVersion").asText();
        Resp put = send("PUT", path, null, q("{'kind':'Scale','apiVersion':'autoscaling/v1','metadata':{'name':'web','namespace':'default',"
                + "'resourceVersion':'" + cur + "'},'spec':{'replicas':3}}"));
        assertThat(put.code()).as(put.body().toString()).isEqualTo(200);
        assertThat(put.body().path("spec").path("replicas").asInt()).isEqualTo(3);

        Resp neg = send("PUT", path, null, q("{'metadata':{'name':'web'},'spec':{'replicas':-1}}"));
        assertThat(neg.code()).isEqualTo(422);
        Resp wrongName = send("PUT", path, null, q("{'metadata':{'name':'other'},'spec':{'replicas':1}}"));
        assertThat(wrongName.code()).isEqualTo(400);
        Resp jsonPatch = send("PATCH", path, "application/json-patch+json", q("[{'op':'replace','path':'/spec/replicas','value':4}]"));
        assertThat(jsonPatch.code()).as(jsonPatch.body().toString()).isEqualTo(200);
        assertThat(jsonPatch.body().path("spec").path("replicas").asInt()).isEqualTo(4);
        assertThat(send("GET", "/apis/apps/v1/namespaces/default/deployments/missing/scale", null, null).code()).isEqualTo(404);
        assertThat(send("POST", path, null, "{}").code()).isEqualTo(405);
    }

    @Test
    void scaleOfReplicationControllerUsesTheSelectorMap() throws Exception {
        Resp c = post("/api/v1/namespaces/default/replicationcontrollers", "{'metadata':{'name':'rc1'},'spec':{'replicas':1,"
                + "'selector':{'b':'2','a':'1'},'template':{'metadata':{'labels':{'a':'1','b':'2'}},"
                + "'spec':{'containers':[{'name':'c','image':'nginx'}]}}}}");
        assertThat(c.code()).as(c.body().toString()).isEqualTo(201);
        Resp g = send("GET", "/api/v1/namespaces/default/replicationcontrollers/rc1/scale", null, null);
        assertThat(g.body().path("status").path("selector").asText()).isEqualTo("a=1,b=2");
        Resp p = send("PATCH", "/api/v1/namespaces/default/replicationcontrollers/rc1/scale", "application/strategic-merge-patch+json",
                q("{'spec':{'replicas':0}}"));
        assertThat(p.code()).as(p.body().toString()).isEqualTo(200);
        assertThat(p.body().path("spec").path("replicas").asInt()).isZero();
    }

    // ------------------------------------------------------------------ binding

    @Test
    void bindingIsACompareAndSwapOnNodeName() throws Exception {
        pod("b1", null, "{'app':'b'}");
        Resp ok = post(PODS + "/b1/binding", "{'apiVersion':'v1','kind':'Binding','metadata':{'name':'b1'},'target':{'kind':'Node','name':'n1'}}");
        assertThat(ok.code()).as(ok.body().toString()).isEqualTo(201);
        assertThat(ok.body().path("kind").asText()).isEqualTo("Status");
        assertThat(ok.body().path("status").asText()).isEqualTo("Success");
        JsonNode p = send("GET", PODS + "/b1", null, null).body();
        assertThat(p.path("spec").path("nodeName").asText()).isEqualTo("n1");

        Resp again = post(PODS + "/b1/binding", "{'metadata':{'name':'b1'},'target':{'kind':'Node','name':'n2'}}");
        assertThat(again.code()).isEqualTo(409);
        assertThat(again.body().path("message").asText()).contains("pod b1 is already assigned to node \"n1\"");

        Resp gone = post(PODS + "/nope/binding", "{'metadata':{'name':'nope'},'target':{'kind':'Node','name':'n2'}}");
        assertThat(gone.code()).isEqualTo(404);
        Resp mismatch = post(PODS + "/b1/binding", "{'metadata':{'name':'other'},'target':{'kind':'Node','name':'n2'}}");
        assertThat(mismatch.code()).isEqualTo(400);

        // The legacy bindings resource: the body names the pod.
        pod("b2", null, "{'app':'b'}");
        Resp legacy = post("/api/v1/namespaces/default/bindings", "{'apiVersion':'v1','kind':'Binding','metadata':{'name':'b2'},"
                + "'target':{'kind':'Node','name':'n3'}}");
        assertThat(legacy.code()).as(legacy.body().toString()).isEqualTo(201);
        assertThat(send("GET", PODS + "/b2", null, null).body().path("spec").path("nodeName").asText()).isEqualTo("n3");
        assertThat(post("/api/v1/namespaces/default/bindings", "{'metadata':{'name':'b2'},'target':{'name':'n4'}}").code()).isEqualTo(409);
    }

    @Test
    void concurrentBindingsOnlyOneWins() throws Exception {
        pod("race", null, "{'app':'race'}");
        ExecutorService pool = Executors.newFixedThreadPool(6);
        CountDownLatch go = new CountDownLatch(1);
        List<Future<Integer>> fs = new ArrayList<>();
        for (int i = 0; i < 6; i++) {
            String node = "n" + i;
            fs.add(pool.submit(() -> {
                go.await();
                return post(PODS + "/race/binding", "{'metadata':{'name':'race'},'target':{'kind':'Node','name':'" + node + "'}}").code();
            }));
        }
        go.countDown();
        List<Integer> codes = new ArrayList<>();
        for (Future<Integer> f : fs) {
            codes.add(f.get());
        }
        pool.shutdown();
        assertThat(codes).containsOnly(201, 409);
        assertThat(codes.stream().filter(c -> c == 201).count()).isEqualTo(1);
    }

    // ------------------------------------------------------------------ eviction

    @Test
    void evictionWithoutBudgetDeletesGracefully() throws Exception {
        pod("e1", "node-a", "{'app':'e1'}");
        running("e1");
        Resp r = evict("e1");
        assertThat(r.code()).as(r.body().toString()).isEqualTo(201);
        assertThat(r.body().path("status").asText()).isEqualTo("Success");
        JsonNode p = send("GET", PODS + "/e1", null, null).body();
        assertThat(p.path("metadata").has("deletionTimestamp")).isTrue();
        assertThat(p.path("status").path("conditions").toString()).contains("DisruptionTarget").contains("EvictionByEvictionAPI");
        // The node agent's final delete.
        assertThat(send("DELETE", PODS + "/e1?gracePeriodSeconds=0", null, null).code()).isEqualTo(200);
        assertThat(send("GET", PODS + "/e1", null, null).code()).isEqualTo(404);
        assertThat(evict("e1").code()).isEqualTo(404);

        // An unbound pod goes at once.
        pod("e2", null, "{'app':'e2'}");
        assertThat(evict("e2").code()).isEqualTo(201);
        assertThat(send("GET", PODS + "/e2", null, null).code()).isEqualTo(404);
    }

    @Test
    void budgetAllowsOneThenRefuses() throws Exception {
        pod("pa", "node-b", "{'app':'pdb1'}");
        pod("pb", "node-b", "{'app':'pdb1'}");
        running("pa");
        running("pb");
        pdb("budget1", "pdb1", 1, 2, 3);
        Resp first = evict("pa");
        assertThat(first.code()).as(first.body().toString()).isEqualTo(201);
        JsonNode pdb = send("GET", PDBS + "/budget1", null, null).body();
        assertThat(pdb.path("status").path("disruptionsAllowed").asInt()).isZero();
        assertThat(pdb.path("status").path("disruptedPods").has("pa")).isTrue();
        Resp second = evict("pb");
        assertThat(second.code()).isEqualTo(429);
        assertThat(second.body().path("reason").asText()).isEqualTo("TooManyRequests");
        assertThat(second.body().path("message").asText()).isEqualTo("Cannot evict pod as it would violate the pod's disruption budget.");
        JsonNode cause = second.body().path("details").path("causes").get(0);
        assertThat(cause.path("reason").asText()).isEqualTo("DisruptionBudget");
        assertThat(cause.path("message").asText()).isEqualTo("The disruption budget budget1 needs 2 healthy pods and has 3 currently");
        assertThat(send("GET", PODS + "/pb", null, null).body().path("metadata").has("deletionTimestamp")).isFalse();

        // A budget the controller has not observed yet.
        pdbStatus("budget1", 1, 2, 3, 0);
        Resp stale = evict("pb");
        assertThat(stale.code()).isEqualTo(429);
        assertThat(stale.body().path("details").path("causes").get(0).path("message").asText())
                .isEqualTo("The disruption budget budget1 is still being processed by the server.");

        // A pod that finished may be evicted regardless of the budget.
        pdbStatus("budget1", 0, 2, 3, 1);
        JsonNode pb = send("GET", PODS + "/pb", null, null).body();
        ((com.fasterxml.jackson.databind.node.ObjectNode) pb.path("status")).put("phase", "Succeeded");
        assertThat(send("PUT", PODS + "/pb/status", null, pb.toString()).code()).isEqualTo(200);
        assertThat(evict("pb").code()).isEqualTo(201);
        assertThat(send("GET", PODS + "/pb", null, null).code()).isEqualTo(404);
    }

    @Test
    void twoBudgetsAre500() throws Exception {
        pod("two", "node-c", "{'app':'two','x':'y'}");
        running("two");
        pdb("two-a", "two", 5, 0, 1);
        Resp r1 = post(PDBS, "{'metadata':{'name':'two-b'},'spec':{'maxUnavailable':1,'selector':{'matchLabels':{'x':'y'}}}}");
        assertThat(r1.code()).isEqualTo(201);
        Resp r = evict("two");
        assertThat(r.code()).isEqualTo(500);
        assertThat(r.body().path("message").asText())
                .isEqualTo("This pod has more than one PodDisruptionBudget, which the eviction subresource does not support.");
        assertThat(send("GET", PODS + "/two", null, null).body().path("metadata").has("deletionTimestamp")).isFalse();
    }

    @Test
    void concurrentEvictionsCannotOverrunTheBudget() throws Exception {
        int n = 8;
        for (int i = 0; i < n; i++) {
            pod("c" + i, "node-d", "{'app':'conc'}");
            running("c" + i);
        }
        pdb("conc", "conc", 1, 7, 8);
        ExecutorService pool = Executors.newFixedThreadPool(n);
        CountDownLatch go = new CountDownLatch(1);
        List<Future<Resp>> fs = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            String name = "c" + i;
            fs.add(pool.submit(() -> {
                go.await();
                return evict(name);
            }));
        }
        go.countDown();
        List<Integer> codes = new ArrayList<>();
        for (Future<Resp> f : fs) {
            codes.add(f.get().code());
        }
        pool.shutdown();
        assertThat(codes.stream().filter(c -> c == 201).count()).as(codes.toString()).isEqualTo(1);
        assertThat(codes.stream().filter(c -> c == 429).count()).as(codes.toString()).isEqualTo(n - 1);
        JsonNode pdb = send("GET", PDBS + "/conc", null, null).body();
        assertThat(pdb.path("status").path("disruptionsAllowed").asInt()).isZero();
        assertThat(pdb.path("status").path("disruptedPods").size()).isEqualTo(1);
        int terminating = 0;
        for (int i = 0; i < n; i++) {
            if (send("GET", PODS + "/c" + i, null, null).body().path("metadata").has("deletionTimestamp")) {
                terminating++;
            }
        }
        assertThat(terminating).isEqualTo(1);
    }

    @Test
    void ephemeralContainersCanOnlyBeAddedThroughTheirSubresource() throws Exception {
        pod("dbg", null, "{'app':'dbg'}");
        String sub = PODS + "/dbg/ephemeralcontainers";
        // what kubectl debug sends: a strategic merge patch adding one
        Resp added = send("PATCH", sub, "application/strategic-merge-patch+json",
                q("{'spec':{'ephemeralContainers':[{'name':'debugger','image':'busybox','command':['sh'],'targetContainerName':'c','stdin':true,'tty':true}]}}"));
        assertThat(added.code()).as(added.body().toString()).isEqualTo(200);
        JsonNode ec = added.body().path("spec").path("ephemeralContainers");
        assertThat(ec).hasSize(1);
        assertThat(ec.get(0).path("terminationMessagePolicy").asText()).as("defaulted as a container").isEqualTo("File");
        assertThat(send("GET", sub, null, null).body().path("spec").path("ephemeralContainers").get(0).path("name").asText())
                .isEqualTo("debugger");

        // the pod's own update neither adds, changes nor removes them
        JsonNode pod = send("GET", PODS + "/dbg", null, null).body();
        ((com.fasterxml.jackson.databind.node.ObjectNode) pod.path("spec")).remove("ephemeralContainers");
        Resp put = send("PUT", PODS + "/dbg", null, pod.toString());
        assertThat(put.code()).as(put.body().toString()).isEqualTo(200);
        assertThat(put.body().path("spec").path("ephemeralContainers")).hasSize(1);

        Resp removed = send("PATCH", sub, "application/json-patch+json", q("[{'op':'remove','path':'/spec/ephemeralContainers/0'}]"));
        assertThat(removed.code()).isEqualTo(422);
        assertThat(removed.body().path("message").asText())
                .isEqualTo("Pod \"dbg\" is invalid: spec.ephemeralContainers: Forbidden: existing ephemeral containers \"debugger\" may not be removed\n");
        Resp changed = send("PATCH", sub, "application/json-patch+json", q("[{'op':'replace','path':'/spec/ephemeralContainers/0/image','value':'alpine'}]"));
        assertThat(changed.code()).isEqualTo(422);
        assertThat(changed.body().path("details").path("causes").get(0).path("field").asText()).isEqualTo("spec.ephemeralContainers[0]");

        Resp bad = send("PATCH", sub, "application/json-patch+json", q("[{'op':'add','path':'/spec/ephemeralContainers/-','value':{'name':'c',"
                + "'image':'busybox','targetContainerName':'nope','ports':[{'containerPort':80}]}}]"));
        assertThat(bad.code()).isEqualTo(422);
        List<String> causes = new ArrayList<>();
        bad.body().path("details").path("causes").forEach(c -> causes.add(c.path("field").asText() + ": " + c.path("message").asText()));
        assertThat(causes).contains("spec.ephemeralContainers[1].name: Duplicate value: \"c\"",
                "spec.ephemeralContainers[1].targetContainerName: Not found: \"nope\"",
                "spec.ephemeralContainers[1].ports: Forbidden: cannot be set for an Ephemeral Container");
        assertThat(send("GET", sub, null, null).body().path("spec").path("ephemeralContainers")).as("nothing written").hasSize(1);

        Resp onCreate = post(PODS, "{'metadata':{'name':'dbg2'},'spec':{'containers':[{'name':'c','image':'nginx'}],"
                + "'ephemeralContainers':[{'name':'e','image':'busybox'}]}}");
        assertThat(onCreate.code()).isEqualTo(422);
        assertThat(onCreate.body().path("message").asText()).contains("spec.ephemeralContainers: Forbidden: cannot be set on create");

        // a subresource that is not served is a NotFound whose details name nothing (kubectl tells it from a missing pod)
        Resp missing = send("GET", PODS + "/dbg/nosuchthing", null, null);
        assertThat(missing.code()).isEqualTo(404);
        assertThat(missing.body().has("details")).isTrue();
        assertThat(missing.body().path("details").path("name").asText()).isEmpty();
    }

    @Test
    void discoveryListsEvictionAsPolicyV1() throws Exception {
        JsonNode l = send("GET", "/api/v1", null, null).body();
        boolean found = false;
        for (JsonNode r : l.path("resources")) {
            if (r.path("name").asText().equals("pods/eviction")) {
                found = true;
                assertThat(r.path("group").asText()).isEqualTo("policy");
                assertThat(r.path("version").asText()).isEqualTo("v1");
                assertThat(r.path("kind").asText()).isEqualTo("Eviction");
            }
        }
        assertThat(found).isTrue();
    }
}
