package io.kuberaft.apiserver.crd;

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
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * CustomResourceDefinitions over HTTP: CRD validation (422 with causes), status conditions, custom resources served
 * from them (discovery, CRUD, schema validation with causes, pruning, defaults, status subresource, versions),
 * OpenAPI, and two servers over one store both learning a CRD from the store.
 */
class CustomResourceDefinitionTest {
    static final ObjectMapper JSON = new ObjectMapper();
    static final String CRDS = "/apis/apiextensions.k8s.io/v1/customresourcedefinitions";

    @TempDir
    static Path dir;
    static LocalKvStore store;
    static ApiServer server;
    static ApiServer second;
    static HttpClient http;

    @BeforeAll
    static void start() {
        store = new LocalKvStore(dir.resolve("kv"));
        server = ApiServer.start(ApiServer.Options.plain("127.0.0.1", 0), store, ClusterView.standalone("m1", () -> 0),
                new SimpleMeterRegistry(), () -> "");
        second = ApiServer.start(ApiServer.Options.plain("127.0.0.1", 0), store, ClusterView.standalone("m2", () -> 0),
                new SimpleMeterRegistry(), () -> "");
        http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(10)).build();
    }

    @AfterAll
    static void stop() {
        for (ApiServer s : new ApiServer[] {server, second}) {
            if (s != null) {
                s.close();
            }
        }
        if (store != null) {
            store.close();
        }
    }

    static HttpResponse<String> send(ApiServer s, String method, String path, String contentType, String body) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + s.port() + path)).timeout(Duration.ofSeconds(30))
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body, StandardCharsets.UTF_8));
        if (contentType != null) {
            b.header("Content-Type", contentType);
        }
        return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    static HttpResponse<String> send(String method, String path, String contentType, String body) throws Exception {
        return send(server, method, path, contentType, body);
    }

    static JsonNode json(HttpResponse<String> r) throws Exception {
        return JSON.readTree(r.body());
    }

    static String crd(String group, String plural, String kind, String scope, String versions) {
        return "{\"apiVersion\":\"apiextensions.k8s.io/v1\",\"kind\":\"CustomResourceDefinition\",\"metadata\":{\"name\":\"" + plural + "."
                + group + "\"},\"spec\":{\"group\":\"" + group + "\",\"scope\":\"" + scope + "\",\"names\":{\"plural\":\"" + plural
                + "\",\"kind\":\"" + kind + "\",\"shortNames\":[\"" + plural.substring(0, 2) + "x\"]},\"versions\":" + versions + "}}";
    }

    static final String WIDGET_SCHEMA = "{\"openAPIV3Schema\":{\"type\":\"object\",\"properties\":{\"spec\":{\"type\":\"object\","
            + "\"required\":[\"size\"],\"properties\":{\"size\":{\"type\":\"integer\",\"minimum\":1,\"maximum\":5},"
            + "\"color\":{\"type\":\"string\",\"enum\":[\"red\",\"blue\"],\"default\":\"red\"},"
            + "\"name\":{\"type\":\"string\",\"pattern\":\"^[a-z]+$\",\"maxLength\":8},"
            + "\"tags\":{\"type\":\"array\",\"maxItems\":2,\"items\":{\"type\":\"string\"}},"
            + "\"free\":{\"type\":\"object\",\"x-kubernetes-preserve-unknown-fields\":true}}},"
            + "\"status\":{\"type\":\"object\",\"properties\":{\"ready\":{\"type\":\"boolean\"}}}}}}";

    static String widgetVersions() {
        return "[{\"name\":\"v1\",\"served\":true,\"storage\":true,\"subresources\":{\"status\":{}},\"schema\":" + WIDGET_SCHEMA + "},"
                + "{\"name\":\"v1beta1\",\"served\":true,\"storage\":false,\"schema\":" + WIDGET_SCHEMA + "}]";
    }

    static void awaitServed(ApiServer s, String path) throws Exception {
        long deadline = System.currentTimeMillis() + 10_000;
        while (send(s, "GET", path, null, null).statusCode() == 404) {
            assertThat(System.currentTimeMillis()).as("served: " + path).isLessThan(deadline);
            Thread.sleep(20);
        }
    }

    static List<String> causes(JsonNode status) {
        List<String> out = new ArrayList<>();
        status.path("details").path("causes").forEach(c -> out.add(c.path("field").asText() + ": " + c.path("message").asText()));
        return out;
    }

    @Test
    void invalidCrdsAreRefusedWithCauses() throws Exception {
        HttpResponse<String> r = send("POST", CRDS, "application/json", "{\"apiVersion\":\"apiextensions.k8s.io/v1\","
                + "\"kind\":\"CustomResourceDefinition\",\"metadata\":{\"name\":\"things.nodot\"},\"spec\":{\"group\":\"nodot\","
                + "\"scope\":\"Regional\",\"names\":{\"plural\":\"Things\"},\"versions\":[{\"name\":\"v1\",\"served\":true,"
                + "\"storage\":false},{\"name\":\"v2\",\"served\":true,\"storage\":false,\"schema\":{\"openAPIV3Schema\":"
                + "{\"type\":\"object\",\"properties\":{\"spec\":{\"properties\":{}}}}}}]}}");
        assertThat(r.statusCode()).isEqualTo(422);
        assertThat(causes(json(r))).contains(
                "metadata.name: Invalid value: \"things.nodot\": must be spec.names.plural+\".\"+spec.group",
                "spec.group: Invalid value: \"nodot\": should be a domain with at least one dot",
                "spec.scope: Unsupported value: \"Regional\": supported values: \"Cluster\", \"Namespaced\"",
                "spec.names.kind: Required value",
                "spec.versions[0].schema.openAPIV3Schema: Required value: schemas are required",
                "spec.versions[1].schema.openAPIV3Schema.properties[spec].type: Required value: must not be empty for specified object fields",
                "spec.versions: Invalid value: 0: must have exactly one version marked as storage version");
        assertThat(send("GET", CRDS + "/things.nodot", null, null).statusCode()).isEqualTo(404);
    }

    @Test
    void customResourcesAreServedValidatedPrunedAndDefaulted() throws Exception {
        HttpResponse<String> c = send("POST", CRDS, "application/json", crd("example.com", "widgets", "Widget", "Namespaced", widgetVersions()));
        assertThat(c.statusCode()).as(c.body()).isEqualTo(201);
        JsonNode created = json(c);
        assertThat(created.at("/status/acceptedNames/kind").asText()).isEqualTo("Widget");
        assertThat(created.at("/status/storedVersions/0").asText()).isEqualTo("v1");
        assertThat(created.at("/spec/names/singular").asText()).isEqualTo("widget");
        assertThat(created.at("/spec/names/listKind").asText()).isEqualTo("WidgetList");
        List<String> conditions = new ArrayList<>();
        created.at("/status/conditions").forEach(x -> conditions.add(x.path("type").asText() + "=" + x.path("status").asText()));
        assertThat(conditions).containsExactly("NamesAccepted=True", "Established=True");

        String widgets = "/apis/example.com/v1/namespaces/default/widgets";
        awaitServed(server, widgets);
        awaitServed(second, widgets);
        JsonNode disco = json(send("GET", "/apis/example.com/v1", null, null));
        assertThat(disco.at("/resources/0/name").asText()).isEqualTo("widgets");
        assertThat(disco.at("/resources/0/shortNames/0").asText()).isEqualTo("wix");
        assertThat(json(send("GET", "/apis/example.com", null, null)).at("/preferredVersion/version").asText()).isEqualTo("v1");

        HttpResponse<String> ok = send("POST", widgets, "application/json", "{\"apiVersion\":\"example.com/v1\",\"kind\":\"Widget\","
                + "\"metadata\":{\"name\":\"w1\"},\"spec\":{\"size\":2,\"extra\":1,\"free\":{\"any\":{\"thing\":1}}},\"status\":{\"ready\":true}}");
        assertThat(ok.statusCode()).as(ok.body()).isEqualTo(201);
        JsonNode w1 = json(ok);
        assertThat(w1.at("/spec/color").asText()).as("defaulted").isEqualTo("red");
        assertThat(w1.at("/spec").has("extra")).as("pruned").isFalse();
        assertThat(w1.at("/spec/free/any/thing").asInt()).as("preserved").isEqualTo(1);
        assertThat(w1.has("status")).as("status is the subresource's").isFalse();
        assertThat(ok.headers().allValues("Warning")).containsExactly("299 - \"unknown field \\\"spec.extra\\\"\"");

        HttpResponse<String> bad = send("POST", widgets, "application/json", "{\"apiVersion\":\"example.com/v1\",\"kind\":\"Widget\","
                + "\"metadata\":{\"name\":\"w2\"},\"spec\":{\"size\":\"big\",\"color\":\"green\",\"name\":\"NotLower12\",\"tags\":[\"a\",\"b\",\"c\"]}}");
        assertThat(bad.statusCode()).isEqualTo(422);
        assertThat(json(bad).at("/details/kind").asText()).isEqualTo("Widget");
        assertThat(causes(json(bad))).containsExactlyInAnyOrder(
                "spec.size: Invalid value: \"string\": spec.size in body must be of type integer: \"string\"",
                "spec.color: Unsupported value: \"green\": supported values: \"red\", \"blue\"",
                "spec.name: Too long: may not be more than 8 bytes",
                "spec.name: Invalid value: \"NotLower12\": spec.name in body should match '^[a-z]+$'",
                "spec.tags: Too many: 3: must have at most 2 items");
        assertThat(causes(json(send("POST", widgets, "application/json", "{\"apiVersion\":\"example.com/v1\",\"kind\":\"Widget\","
                + "\"metadata\":{\"name\":\"w3\"},\"spec\":{\"size\":9}}")))).containsExactly(
                "spec.size: Invalid value: 9: spec.size in body should be less than or equal to 5");
        assertThat(causes(json(send("POST", widgets, "application/json", "{\"apiVersion\":\"example.com/v1\",\"kind\":\"Widget\","
                + "\"metadata\":{\"name\":\"w4\"},\"spec\":{}}")))).containsExactly("spec.size: Required value");
        assertThat(send("GET", widgets + "/w2", null, null).statusCode()).isEqualTo(404);

        // status subresource, served through the other replica too
        HttpResponse<String> st = send(second, "PUT", widgets + "/w1/status", "application/json", "{\"apiVersion\":\"example.com/v1\","
                + "\"kind\":\"Widget\",\"metadata\":{\"name\":\"w1\"},\"spec\":{\"size\":4},\"status\":{\"ready\":true}}");
        assertThat(st.statusCode()).as(st.body()).isEqualTo(200);
        assertThat(json(st).at("/status/ready").asBoolean()).isTrue();
        assertThat(json(st).at("/spec/size").asInt()).isEqualTo(2);
        // the other served version reads the same object
        assertThat(json(send("GET", "/apis/example.com/v1beta1/namespaces/default/widgets/w1", null, null)).path("apiVersion").asText())
                .isEqualTo("example.com/v1beta1");
        // strategic merge patch is not for custom resources; merge patch is
        assertThat(send("PATCH", widgets + "/w1", "application/strategic-merge-patch+json", "{\"spec\":{\"size\":3}}").statusCode())
                .isEqualTo(415);
        assertThat(json(send("PATCH", widgets + "/w1", "application/merge-patch+json", "{\"spec\":{\"size\":3}}")).at("/spec/size").asInt())
                .isEqualTo(3);
        assertThat(send("PATCH", widgets + "/w1", "application/merge-patch+json", "{\"spec\":{\"size\":30}}").statusCode()).isEqualTo(422);

        // OpenAPI v3 publishes the schema
        JsonNode v3 = json(send("GET", "/openapi/v3/apis/example.com/v1", null, null));
        JsonNode def = v3.at("/components/schemas/com.example.v1.Widget");
        assertThat(def.at("/properties/spec/properties/size/maximum").asInt()).isEqualTo(5);
        assertThat(def.at("/properties/metadata/allOf/0/$ref").asText()).endsWith("io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta");

        // deleting the CRD deletes its resources and stops serving them on every replica
        assertThat(send("DELETE", CRDS + "/widgets.example.com", null, null).statusCode()).isEqualTo(200);
        long deadline = System.currentTimeMillis() + 10_000;
        while (send(second, "GET", widgets, null, null).statusCode() != 404) {
            assertThat(System.currentTimeMillis()).isLessThan(deadline);
            Thread.sleep(20);
        }
        assertThat(send("POST", CRDS, "application/json", crd("example.com", "widgets", "Widget", "Namespaced", widgetVersions())).statusCode())
                .isEqualTo(201);
        awaitServed(server, widgets);
        assertThat(json(send("GET", widgets, null, null)).path("items").size()).isZero();
    }

    @Test
    void clusterScopedResources() throws Exception {
        String versions = "[{\"name\":\"v1\",\"served\":true,\"storage\":true,\"schema\":{\"openAPIV3Schema\":{\"type\":\"object\","
                + "\"x-kubernetes-preserve-unknown-fields\":true}}}]";
        assertThat(send("POST", CRDS, "application/json", crd("ops.example.org", "gadgets", "Gadget", "Cluster", versions)).statusCode())
                .isEqualTo(201);
        String gadgets = "/apis/ops.example.org/v1/gadgets";
        awaitServed(server, gadgets);
        HttpResponse<String> r = send("POST", gadgets, "application/json", "{\"apiVersion\":\"ops.example.org/v1\",\"kind\":\"Gadget\","
                + "\"metadata\":{\"name\":\"g\"},\"anything\":{\"goes\":[1,2]}}");
        assertThat(r.statusCode()).as(r.body()).isEqualTo(201);
        assertThat(json(r).at("/anything/goes/1").asInt()).isEqualTo(2);
        assertThat(json(r).at("/metadata").has("namespace")).isFalse();
    }
}
