package io.kuberaft.apiserver.http;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.google.protobuf.ByteString;
import io.etcd.jetcd.api.PutRequest;
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
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * HorizontalPodAutoscalers are stored once, in autoscaling/v2, and served in both versions (upstream's
 * conversion): over HTTP against an in-process server, through every path a client takes.
 */
class HorizontalPodAutoscalerConversionTest {
    static final ObjectMapper M = new ObjectMapper();
    static final HttpClient HTTP = HttpClient.newHttpClient();
    static final String V1 = "/apis/autoscaling/v1/namespaces/default/horizontalpodautoscalers";
    static final String V2 = "/apis/autoscaling/v2/namespaces/default/horizontalpodautoscalers";
    static final String TABLE = "application/json;as=Table;v=v1;g=meta.k8s.io";
    static final String METRICS = "autoscaling.alpha.kubernetes.io/metrics";
    static final String BEHAVIOR = "autoscaling.alpha.kubernetes.io/behavior";
    static final String CURRENT_METRICS = "autoscaling.alpha.kubernetes.io/current-metrics";
    static final String CONDITIONS = "autoscaling.alpha.kubernetes.io/conditions";
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

    static Resp send(String method, String path, String contentType, String body, String accept) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + path));
        b.method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        b.header("Content-Type", contentType == null ? "application/json" : contentType);
        if (accept != null) {
            b.header("Accept", accept);
        }
        HttpResponse<String> r = HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
        return new Resp(r.statusCode(), r.body().isEmpty() ? M.nullNode() : M.readTree(r.body()));
    }

    static Resp send(String method, String path, String contentType, String body) throws Exception {
        return send(method, path, contentType, body, null);
    }

    static String q(String singleQuoted) {
        return singleQuoted.replace('\'', '"');
    }

    static JsonNode ok(Resp r) {
        assertThat(r.code()).as("%s", r.body()).isBetween(200, 201);
        return r.body();
    }

    /** kubectl autoscale deployment NAME --min=1 --max=10 [--cpu-percent=CPU]: a v1 create. */
    static JsonNode autoscaleV1(String name, Integer cpu) throws Exception {
        String target = cpu == null ? "" : ",'targetCPUUtilizationPercentage':" + cpu;
        return ok(send("POST", V1, null, q("{'apiVersion':'autoscaling/v1','kind':'HorizontalPodAutoscaler','metadata':{'name':'" + name
                + "'},'spec':{'scaleTargetRef':{'apiVersion':'apps/v1','kind':'Deployment','name':'" + name
                + "'},'minReplicas':1,'maxReplicas':10" + target + "}}")));
    }

    static JsonNode cpuMetric(int utilization) throws Exception {
        return M.readTree(q("{'type':'Resource','resource':{'name':'cpu','target':{'type':'Utilization','averageUtilization':" + utilization + "}}}"));
    }

    /** The Targets cell of the object's row in a Table. */
    static String targets(JsonNode table) {
        List<String> names = new ArrayList<>();
        table.path("columnDefinitions").forEach(c -> names.add(c.path("name").asText()));
        return table.path("rows").get(0).path("cells").get(names.indexOf("Targets")).asText();
    }

    @Test
    void createdThroughV1IsServedThroughV2WithTheMetricsList() throws Exception {
        JsonNode created = autoscaleV1("web", 50);
        assertThat(created.path("apiVersion").asText()).isEqualTo("autoscaling/v1");
        assertThat(created.path("spec").path("targetCPUUtilizationPercentage").asInt()).isEqualTo(50);

        JsonNode v2 = ok(send("GET", V2 + "/web", null, null));
        assertThat(v2.path("apiVersion").asText()).isEqualTo("autoscaling/v2");
        assertThat(v2.path("spec").has("targetCPUUtilizationPercentage")).isFalse();
        assertThat(v2.path("spec").path("metrics")).containsExactly(cpuMetric(50));
        assertThat(v2.path("spec").path("minReplicas").asInt()).isEqualTo(1);
        JsonNode list = ok(send("GET", V2, null, null));
        assertThat(list.path("items")).anySatisfy(i -> assertThat(i.path("spec").path("metrics")).containsExactly(cpuMetric(50)));

        JsonNode v1 = ok(send("GET", V1 + "/web", null, null));
        assertThat(v1.path("apiVersion").asText()).isEqualTo("autoscaling/v1");
        assertThat(v1.path("spec").path("targetCPUUtilizationPercentage").asInt()).isEqualTo(50);
        assertThat(v1.path("spec").has("metrics")).isFalse();
        assertThat(v1.path("metadata").has("annotations")).as("nothing v1 cannot say").isFalse();
        assertThat(v1.path("metadata").path("resourceVersion")).isEqualTo(v2.path("metadata").path("resourceVersion"));

        // kubectl get hpa, before any metric is known, through either version
        assertThat(targets(ok(send("GET", V2 + "/web", null, null, TABLE)))).isEqualTo("cpu: <unknown>/50%");
        assertThat(targets(ok(send("GET", V1 + "/web", null, null, TABLE)))).isEqualTo("cpu: <unknown>/50%");

        // the delete response is in the version of the request
        JsonNode deleted = ok(send("DELETE", V1 + "/web", null, null));
        assertThat(deleted.path("apiVersion").asText()).isEqualTo("autoscaling/v1");
        assertThat(deleted.path("spec").path("targetCPUUtilizationPercentage").asInt()).isEqualTo(50);
    }

    @Test
    void aV1ObjectWithoutACpuTargetGetsTheDefaultOne() throws Exception {
        JsonNode created = autoscaleV1("nocpu", null);
        assertThat(created.path("spec").path("targetCPUUtilizationPercentage").asInt()).as("as a read returns it").isEqualTo(80);
        assertThat(ok(send("GET", V2 + "/nocpu", null, null)).path("spec").path("metrics")).containsExactly(cpuMetric(80));

        // dry run: the same object, not stored
        String dry = q("{'apiVersion':'autoscaling/v1','kind':'HorizontalPodAutoscaler','metadata':{'name':'dry'},"
                + "'spec':{'scaleTargetRef':{'kind':'Deployment','name':'dry'},'maxReplicas':3}}");
        JsonNode dryRun = ok(send("POST", V1 + "?dryRun=All", null, dry));
        assertThat(dryRun.path("spec").path("targetCPUUtilizationPercentage").asInt()).isEqualTo(80);
        assertThat(send("GET", V2 + "/dry", null, null).code()).isEqualTo(404);
    }

    @Test
    void v2MetricsAndBehaviorSurviveAReadAndWriteBackThroughV1() throws Exception {
        String behavior = "{'scaleDown':{'stabilizationWindowSeconds':60,'policies':[{'type':'Pods','value':1,'periodSeconds':60}]},"
                + "'scaleUp':{'selectPolicy':'Max','policies':[{'type':'Percent','value':100,'periodSeconds':15}]}}";
        String memory = "{'type':'Resource','resource':{'name':'memory','target':{'type':'AverageValue','averageValue':'500Mi'}}}";
        String pods = "{'type':'Pods','pods':{'metric':{'name':'qps'},'target':{'type':'AverageValue','averageValue':'1k'}}}";
        JsonNode created = ok(send("POST", V2, null, q("{'apiVersion':'autoscaling/v2','kind':'HorizontalPodAutoscaler',"
                + "'metadata':{'name':'api','annotations':{'team':'a'}},'spec':{'scaleTargetRef':{'apiVersion':'apps/v1','kind':'Deployment','name':'api'},"
                + "'minReplicas':2,'maxReplicas':8,'metrics':[{'type':'Resource','resource':{'name':'cpu','target':{'type':'Utilization','averageUtilization':50}}},"
                + memory + "," + pods + "],'behavior':" + behavior + "}}")));
        JsonNode metrics = created.path("spec").path("metrics");

        JsonNode v1 = ok(send("GET", V1 + "/api", null, null));
        JsonNode annotations = v1.path("metadata").path("annotations");
        assertThat(v1.path("spec").path("targetCPUUtilizationPercentage").asInt()).isEqualTo(50);
        assertThat(annotations.path("team").asText()).isEqualTo("a");
        assertThat(M.readTree(annotations.path(METRICS).asText())).containsExactly(
                M.readTree(q("{'type':'Resource','resource':{'name':'memory','targetAverageValue':'500Mi'}}")),
                M.readTree(q("{'type':'Pods','pods':{'metricName':'qps','targetAverageValue':'1k'}}")));
        JsonNode goBehavior = M.readTree(annotations.path(BEHAVIOR).asText());
        assertThat(goBehavior.path("ScaleDown").path("StabilizationWindowSeconds").asInt()).isEqualTo(60);
        assertThat(goBehavior.path("ScaleDown").path("Policies").get(0).path("Type").asText()).isEqualTo("Pods");
        assertThat(goBehavior.path("ScaleUp").path("SelectPolicy").asText()).isEqualTo("Max");

        // written back unchanged: nothing to write
        JsonNode same = ok(send("PUT", V1 + "/api", null, v1.toString()));
        assertThat(same.path("metadata").path("resourceVersion")).isEqualTo(v1.path("metadata").path("resourceVersion"));

        // written back with a change: the v2 metrics and behavior are all still there
        ((ObjectNode) v1.path("spec")).put("maxReplicas", 12);
        JsonNode put = ok(send("PUT", V1 + "/api", null, v1.toString()));
        assertThat(put.path("apiVersion").asText()).isEqualTo("autoscaling/v1");
        JsonNode v2 = ok(send("GET", V2 + "/api", null, null));
        assertThat(v2.path("spec").path("maxReplicas").asInt()).isEqualTo(12);
        // v1 cannot say where the cpu metric was: it comes after the others, as upstream
        assertThat(v2.path("spec").path("metrics")).containsExactlyInAnyOrderElementsOf(metrics);
        assertThat(v2.path("spec").path("behavior")).isEqualTo(M.readTree(q(behavior)));
        assertThat(v2.path("metadata").path("annotations").fieldNames()).toIterable().containsExactly("team");
        assertThat(v2.path("metadata").path("generation").asInt()).isEqualTo(2);
    }

    @Test
    void patchesThroughV1ChangeTheV2Metric() throws Exception {
        autoscaleV1("patched", 50);
        String path = V1 + "/patched";
        ok(send("PATCH", path, "application/strategic-merge-patch+json", q("{'spec':{'targetCPUUtilizationPercentage':70}}")));
        assertThat(ok(send("GET", V2 + "/patched", null, null)).path("spec").path("metrics")).containsExactly(cpuMetric(70));
        ok(send("PATCH", path, "application/merge-patch+json", q("{'spec':{'targetCPUUtilizationPercentage':65}}")));
        assertThat(ok(send("GET", V2 + "/patched", null, null)).path("spec").path("metrics")).containsExactly(cpuMetric(65));
        ok(send("PATCH", path, "application/json-patch+json", q("[{'op':'replace','path':'/spec/targetCPUUtilizationPercentage','value':60}]")));
        assertThat(ok(send("GET", V2 + "/patched", null, null)).path("spec").path("metrics")).containsExactly(cpuMetric(60));
        JsonNode applied = ok(send("PATCH", path + "?fieldManager=tester&force=true", "application/apply-patch+yaml",
                q("{'apiVersion':'autoscaling/v1','kind':'HorizontalPodAutoscaler','metadata':{'name':'patched'},"
                        + "'spec':{'targetCPUUtilizationPercentage':55}}")));
        assertThat(applied.path("spec").path("targetCPUUtilizationPercentage").asInt()).isEqualTo(55);
        JsonNode v2 = ok(send("GET", V2 + "/patched", null, null));
        assertThat(v2.path("spec").path("metrics")).containsExactly(cpuMetric(55));
        assertThat(v2.path("metadata").path("managedFields")).anySatisfy(m -> {
            assertThat(m.path("manager").asText()).isEqualTo("tester");
            assertThat(m.path("operation").asText()).isEqualTo("Apply");
        });
        // a patch of the v2 metric through v2 shows through v1
        ok(send("PATCH", V2 + "/patched", "application/merge-patch+json", q("{'spec':{'metrics':[" + cpuMetric(45) + "]}}")));
        assertThat(ok(send("GET", path, null, null)).path("spec").path("targetCPUUtilizationPercentage").asInt()).isEqualTo(45);
    }

    @Test
    void statusWrittenThroughV2IsServedThroughV1AndInTables() throws Exception {
        JsonNode hpa = autoscaleV1("busy", 50);
        String status = q("{'apiVersion':'autoscaling/v2','kind':'HorizontalPodAutoscaler','metadata':{'name':'busy','namespace':'default'},"
                + "'status':{'currentReplicas':2,'desiredReplicas':3,'currentMetrics':[{'type':'Resource','resource':{'name':'cpu',"
                + "'current':{'averageUtilization':30,'averageValue':'150m'}}}],'conditions':[{'type':'AbleToScale','status':'True',"
                + "'lastTransitionTime':'2025-01-02T03:04:05Z','reason':'ReadyForNewScale'}]}}");
        ok(send("PUT", V2 + "/busy/status", null, status));

        JsonNode v1 = ok(send("GET", V1 + "/busy", null, null));
        assertThat(v1.path("status").path("currentCPUUtilizationPercentage").asInt()).isEqualTo(30);
        assertThat(v1.path("status").path("currentReplicas").asInt()).isEqualTo(2);
        assertThat(v1.path("status").path("desiredReplicas").asInt()).isEqualTo(3);
        assertThat(v1.path("status").has("conditions")).isFalse();
        JsonNode annotations = v1.path("metadata").path("annotations");
        assertThat(M.readTree(annotations.path(CURRENT_METRICS).asText())).containsExactly(M.readTree(
                q("{'type':'Resource','resource':{'name':'cpu','currentAverageUtilization':30,'currentAverageValue':'150m'}}")));
        assertThat(M.readTree(annotations.path(CONDITIONS).asText()).get(0).path("reason").asText()).isEqualTo("ReadyForNewScale");
        assertThat(v1.path("metadata").path("generation")).isEqualTo(hpa.path("metadata").path("generation"));

        assertThat(targets(ok(send("GET", V1 + "/busy", null, null, TABLE)))).isEqualTo("cpu: 30%/50%");
        assertThat(targets(ok(send("GET", V2 + "/busy", null, null, TABLE)))).isEqualTo("cpu: 30%/50%");

        // a v1 update that does not send the annotations back keeps the status (the main resource never changes it)
        ObjectNode bare = (ObjectNode) v1.deepCopy();
        ((ObjectNode) bare.path("metadata")).remove("annotations");
        ((ObjectNode) bare.path("spec")).put("targetCPUUtilizationPercentage", 40);
        ok(send("PUT", V1 + "/busy", null, bare.toString()));
        JsonNode v2 = ok(send("GET", V2 + "/busy", null, null));
        assertThat(v2.path("spec").path("metrics")).containsExactly(cpuMetric(40));
        assertThat(v2.path("status").path("currentMetrics").get(0).path("resource").path("current").path("averageValue").asText()).isEqualTo("150m");
        assertThat(v2.path("status").path("conditions").get(0).path("type").asText()).isEqualTo("AbleToScale");
        assertThat(v2.path("metadata").has("annotations")).isFalse();
    }

    @Test
    void watchThroughV2OfAnObjectCreatedThroughV1HasTheV2Shape() throws Exception {
        autoscaleV1("watched", 50);
        HttpRequest req = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + V2
                + "?watch=1&resourceVersion=0&timeoutSeconds=20&fieldSelector=metadata.name%3Dwatched")).timeout(Duration.ofSeconds(30)).GET().build();
        HttpResponse<Stream<String>> r = HTTP.send(req, HttpResponse.BodyHandlers.ofLines());
        try (Stream<String> lines = r.body()) {
            Iterator<String> events = lines.iterator();
            JsonNode added = M.readTree(events.next());
            assertThat(added.path("type").asText()).isEqualTo("ADDED");
            assertThat(added.path("object").path("apiVersion").asText()).isEqualTo("autoscaling/v2");
            assertThat(added.path("object").path("spec").path("metrics")).containsExactly(cpuMetric(50));

            ok(send("PATCH", V1 + "/watched", "application/merge-patch+json", q("{'spec':{'targetCPUUtilizationPercentage':75}}")));
            JsonNode modified = M.readTree(events.next());
            assertThat(modified.path("type").asText()).isEqualTo("MODIFIED");
            assertThat(modified.path("object").path("spec").path("metrics")).containsExactly(cpuMetric(75));
            assertThat(modified.path("object").path("spec").has("targetCPUUtilizationPercentage")).isFalse();
        }

        // initial events as Table rows, through v1
        HttpRequest table = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + V1
                + "?watch=1&resourceVersion=0&timeoutSeconds=20&fieldSelector=metadata.name%3Dwatched"))
                .header("Accept", TABLE).timeout(Duration.ofSeconds(30)).GET().build();
        try (Stream<String> lines = HTTP.send(table, HttpResponse.BodyHandlers.ofLines()).body()) {
            JsonNode added = M.readTree(lines.iterator().next());
            assertThat(added.path("object").path("kind").asText()).isEqualTo("Table");
            assertThat(targets(added.path("object"))).isEqualTo("cpu: <unknown>/75%");
        }
    }

    @Test
    void anObjectStoredInV1ShapeByAnEarlierBuildIsServedInV2() throws Exception {
        String legacy = q("{'apiVersion':'autoscaling/v1','kind':'HorizontalPodAutoscaler','metadata':{'name':'legacy','namespace':'default',"
                + "'uid':'7d1a6f7e-0000-4000-8000-000000000001','creationTimestamp':'2025-01-01T00:00:00Z','generation':1},"
                + "'spec':{'scaleTargetRef':{'kind':'Deployment','name':'legacy'},'minReplicas':1,'maxReplicas':4,'targetCPUUtilizationPercentage':60},"
                + "'status':{'currentReplicas':1,'desiredReplicas':1,'currentCPUUtilizationPercentage':20}}");
        store.put(PutRequest.newBuilder().setKey(ByteString.copyFromUtf8("/registry/horizontalpodautoscalers.autoscaling/default/legacy"))
                .setValue(ByteString.copyFromUtf8(legacy)).build()).get(10, TimeUnit.SECONDS);

        JsonNode v2 = ok(send("GET", V2 + "/legacy", null, null));
        assertThat(v2.path("apiVersion").asText()).isEqualTo("autoscaling/v2");
        assertThat(v2.path("spec").path("metrics")).containsExactly(cpuMetric(60));
        assertThat(v2.path("spec").has("targetCPUUtilizationPercentage")).isFalse();
        assertThat(v2.path("status").path("currentMetrics")).containsExactly(
                M.readTree(q("{'type':'Resource','resource':{'name':'cpu','current':{'averageUtilization':20}}}")));
        assertThat(v2.path("status").has("currentCPUUtilizationPercentage")).isFalse();
        assertThat(targets(ok(send("GET", V2 + "/legacy", null, null, TABLE)))).isEqualTo("cpu: 20%/60%");
        assertThat(ok(send("GET", V1 + "/legacy", null, null)).path("spec").path("targetCPUUtilizationPercentage").asInt()).isEqualTo(60);

        // the next write stores it in v2
        ok(send("PATCH", V2 + "/legacy", "application/merge-patch+json", q("{'spec':{'maxReplicas':5}}")));
        String stored = store.range(io.etcd.jetcd.api.RangeRequest.newBuilder()
                .setKey(ByteString.copyFromUtf8("/registry/horizontalpodautoscalers.autoscaling/default/legacy")).build())
                .get(10, TimeUnit.SECONDS).getKvs(0).getValue().toStringUtf8();
        assertThat(M.readTree(stored).path("apiVersion").asText()).isEqualTo("autoscaling/v2");
        assertThat(M.readTree(stored).path("spec").path("metrics")).containsExactly(cpuMetric(60));
    }

    @Test
    void badV1TargetsAreRefusedAndNothingIsStored() throws Exception {
        String body = "{'apiVersion':'autoscaling/v1','kind':'HorizontalPodAutoscaler','metadata':{'name':'bad'},"
                + "'spec':{'scaleTargetRef':{'kind':'Deployment','name':'bad'},'maxReplicas':3,'targetCPUUtilizationPercentage':%s}}";
        Resp text = send("POST", V1, null, q(body.formatted("'abc'")));
        assertThat(text.code()).isEqualTo(400);
        assertThat(text.body().path("kind").asText()).isEqualTo("Status");
        assertThat(text.body().path("message").asText()).contains("targetCPUUtilizationPercentage");

        for (String value : List.of("-5", "0")) {
            Resp r = send("POST", V1, null, q(body.formatted(value)));
            assertThat(r.code()).as("%s", r.body()).isEqualTo(422);
            assertThat(r.body().path("reason").asText()).isEqualTo("Invalid");
            assertThat(r.body().path("details").path("causes")).anySatisfy(c -> {
                assertThat(c.path("field").asText()).isEqualTo("spec.metrics[0].resource.target.averageUtilization");
                assertThat(c.path("message").asText()).isEqualTo("Invalid value: " + value + ": must be greater than 0");
            });
        }
        assertThat(send("GET", V2 + "/bad", null, null).code()).isEqualTo(404);

        // the same through a patch of an existing object: refused, the object unchanged
        autoscaleV1("good", 50);
        Resp patch = send("PATCH", V1 + "/good", "application/merge-patch+json", q("{'spec':{'targetCPUUtilizationPercentage':-1}}"));
        assertThat(patch.code()).isEqualTo(422);
        assertThat(ok(send("GET", V2 + "/good", null, null)).path("spec").path("metrics")).containsExactly(cpuMetric(50));
    }
}
