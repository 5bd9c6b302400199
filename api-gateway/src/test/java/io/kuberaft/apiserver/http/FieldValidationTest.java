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
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Server-side field validation over HTTP (upstream 1.32): unknown and duplicate fields by {@code fieldValidation}
 * (Strict 400, Warn headers and dropped, Ignore dropped), wrong JSON types always 400 with encoding/json's message,
 * patches decoded after they are applied (422 on {@code patch}), and nothing written by a refused request.
 */
class FieldValidationTest {
    static final ObjectMapper JSON = new ObjectMapper();
    static final String PODS = "/api/v1/namespaces/default/pods";
    static final String CMS = "/api/v1/namespaces/default/configmaps";

    @TempDir
    static Path dir;
    static LocalKvStore store;
    static ApiServer server;
    static HttpClient http;

    @BeforeAll
    static void start() {
        store = new LocalKvStore(dir.resolve("kv"));
        server = ApiServer.start(ApiServer.Options.plain("127.0.0.1", 0), store, ClusterView.standalone("m1", () -> 0),
                new SimpleMeterRegistry(), () -> "");
        http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(10)).build();
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

    static HttpResponse<String> send(String method, String path, String contentType, String body) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + path))
                .timeout(Duration.ofSeconds(30))
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody()
                        : HttpRequest.BodyPublishers.ofString(body, StandardCharsets.UTF_8));
        if (contentType != null) {
            b.header("Content-Type", contentType);
        }
        return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    static JsonNode json(HttpResponse<String> r) throws Exception {
        return JSON.readTree(r.body());
    }

    static String pod(String name, String containerExtra) {
        return "{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"name\":\"" + name + "\"},\"spec\":{\"containers\":"
                + "[{\"name\":\"c\",\"image\":\"nginx\"" + containerExtra + "}]}}";
    }

    @Test
    void strictRejectsUnknownFieldsWithUpstreamsMessage() throws Exception {
        HttpResponse<String> r = send("POST", PODS + "?fieldValidation=Strict", "application/json",
                pod("strict", ",\"foo\":1,\"bar\":{\"x\":1}"));
        assertThat(r.statusCode()).isEqualTo(400);
        assertThat(json(r).path("reason").asText()).isEqualTo("BadRequest");
        assertThat(json(r).path("message").asText()).isEqualTo("Pod in version \"v1\" cannot be handled as a Pod: strict decoding error: "
                + "unknown field \"spec.containers[0].foo\", unknown field \"spec.containers[0].bar\"");
        assertThat(send("GET", PODS + "/strict", null, null).statusCode()).isEqualTo(404);
    }

    @Test
    void strictRejectsDuplicateFields() throws Exception {
        String body = "{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":{\"name\":\"dup\",\"name\":\"dup\"},"
                + "\"data\":{\"a\":\"1\",\"a\":\"2\"}}";
        HttpResponse<String> r = send("POST", CMS + "?fieldValidation=Strict", "application/json", body);
        assertThat(r.statusCode()).isEqualTo(400);
        assertThat(json(r).path("message").asText()).isEqualTo("ConfigMap in version \"v1\" cannot be handled as a ConfigMap: "
                + "strict decoding error: duplicate field \"metadata.name\", duplicate field \"data.a\"");
        assertThat(send("GET", CMS + "/dup", null, null).statusCode()).isEqualTo(404);
    }

    @Test
    void warnIsTheDefaultAndDropsUnknownFieldsWithWarningHeaders() throws Exception {
        HttpResponse<String> r = send("POST", PODS, "application/json", pod("warned", ",\"foo\":1"));
        assertThat(r.statusCode()).as(r.body()).isEqualTo(201);
        assertThat(r.headers().allValues("Warning")).containsExactly("299 - \"unknown field \\\"spec.containers[0].foo\\\"\"");
        assertThat(json(r).at("/spec/containers/0").has("foo")).isFalse();
        assertThat(json(send("GET", PODS + "/warned", null, null)).at("/spec/containers/0").has("foo")).isFalse();
    }

    @Test
    void ignoreDropsUnknownFieldsSilently() throws Exception {
        HttpResponse<String> r = send("POST", PODS + "?fieldValidation=Ignore", "application/json", pod("ignored", ",\"foo\":1"));
        assertThat(r.statusCode()).isEqualTo(201);
        assertThat(r.headers().allValues("Warning")).isEmpty();
        assertThat(json(r).at("/spec/containers/0").has("foo")).isFalse();
    }

    @Test
    void unknownDirectiveIsInvalidOptions() throws Exception {
        HttpResponse<String> r = send("POST", PODS + "?fieldValidation=Loose", "application/json", pod("loose", ""));
        assertThat(r.statusCode()).isEqualTo(422);
        assertThat(json(r).path("message").asText()).isEqualTo("CreateOptions.meta.k8s.io \"\" is invalid: fieldValidation: "
                + "Unsupported value: \"Loose\": supported values: \"Ignore\", \"Strict\", \"Warn\"");
    }

    @Test
    void wrongTypesAreDecodingErrorsWhateverTheDirective() throws Exception {
        for (String directive : List.of("Ignore", "Warn", "Strict")) {
            HttpResponse<String> r = send("POST", PODS + "?fieldValidation=" + directive, "application/json",
                    pod("typed", ",\"ports\":[{\"containerPort\":\"80\"}]"));
            assertThat(r.statusCode()).isEqualTo(400);
            assertThat(json(r).path("message").asText()).isEqualTo("Pod in version \"v1\" cannot be handled as a Pod: json: cannot "
                    + "unmarshal string into Go struct field ContainerPort.spec.containers.ports.containerPort of type int32");
        }
        assertThat(json(send("POST", CMS, "application/json", "{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\","
                + "\"metadata\":{\"name\":\"t\"},\"data\":{\"k\":[1,2]}}")).path("message").asText())
                .isEqualTo("ConfigMap in version \"v1\" cannot be handled as a ConfigMap: json: cannot unmarshal array into "
                        + "Go struct field ConfigMap.data of type string");
        assertThat(json(send("POST", "/api/v1/namespaces/default/services", "application/json", "{\"apiVersion\":\"v1\","
                + "\"kind\":\"Service\",\"metadata\":{\"name\":\"s\"},\"spec\":{\"ports\":{\"port\":80}}}")).path("message").asText())
                .isEqualTo("Service in version \"v1\" cannot be handled as a Service: json: cannot unmarshal object into "
                        + "Go struct field ServiceSpec.spec.ports of type []v1.ServicePort");
        assertThat(json(send("POST", PODS, "application/json", pod("q", ",\"resources\":{\"limits\":{\"cpu\":\"lots\"}}")))
                .path("message").asText()).endsWith("cannot be handled as a Pod: quantities must match the regular expression "
                        + "'^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'");
        assertThat(json(send("POST", PODS, "application/json", pod("big", ",\"ports\":[{\"containerPort\":3000000000}]")))
                .path("message").asText()).endsWith("json: cannot unmarshal number 3000000000 into Go struct field "
                        + "ContainerPort.spec.containers.ports.containerPort of type int32");
        assertThat(send("GET", PODS + "/typed", null, null).statusCode()).isEqualTo(404);
    }

    @Test
    void intOrStringAndFreeFormFieldsAccepted() throws Exception {
        String body = "{\"apiVersion\":\"v1\",\"kind\":\"Service\",\"metadata\":{\"name\":\"ios\"},\"spec\":{\"ports\":"
                + "[{\"name\":\"a\",\"port\":80,\"targetPort\":\"http\"},{\"name\":\"b\",\"port\":81,\"targetPort\":8081}]}}";
        assertThat(send("POST", "/api/v1/namespaces/default/services?fieldValidation=Strict", "application/json", body).statusCode())
                .isEqualTo(201);
        HttpResponse<String> bad = send("POST", "/api/v1/namespaces/default/services", "application/json",
                body.replace("\"http\"", "true").replace("ios", "ios2"));
        assertThat(json(bad).path("message").asText()).endsWith("json: cannot unmarshal bool into Go value of type int32");
    }

    @Test
    void nullsDecodeToZeroValuesAsInGo() throws Exception {
        // found by BadInputPropertyTest: a null list item reached the pod strategy as a null (500)
        HttpResponse<String> r = send("POST", PODS, "application/json", "{\"apiVersion\":\"v1\",\"kind\":\"Pod\","
                + "\"metadata\":{\"name\":\"nulls\",\"labels\":{\"app\":null}},\"spec\":{\"containers\":[null]}}");
        assertThat(r.statusCode()).as(r.body()).isEqualTo(422);
        assertThat(json(r).path("message").asText()).contains("spec.containers[0].name: Required value");
        HttpResponse<String> ok = send("POST", CMS, "application/json", "{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\","
                + "\"metadata\":{\"name\":\"nulls\",\"labels\":null},\"data\":{\"a\":null}}");
        assertThat(ok.statusCode()).as(ok.body()).isEqualTo(201);
        assertThat(json(ok).at("/data/a").asText()).isEmpty();
        assertThat(json(ok).at("/metadata").has("labels")).isFalse();
    }

    @Test
    void updatesAreDecodedToo() throws Exception {
        assertThat(send("POST", CMS, "application/json", "{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":{\"name\":\"u\"}}")
                .statusCode()).isEqualTo(201);
        HttpResponse<String> r = send("PUT", CMS + "/u?fieldValidation=Strict", "application/json",
                "{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":{\"name\":\"u\"},\"dta\":{}}");
        assertThat(r.statusCode()).isEqualTo(400);
        assertThat(json(r).path("message").asText()).endsWith("strict decoding error: unknown field \"dta\"");
    }

    @Test
    void patchesAreDecodedAfterTheyApply() throws Exception {
        assertThat(send("POST", CMS, "application/json", "{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":{\"name\":\"p\"},"
                + "\"data\":{\"a\":\"1\"}}").statusCode()).isEqualTo(201);
        String rv = json(send("GET", CMS + "/p", null, null)).at("/metadata/resourceVersion").asText();
        for (String ct : List.of("application/merge-patch+json", "application/strategic-merge-patch+json")) {
            HttpResponse<String> strict = send("PATCH", CMS + "/p?fieldValidation=Strict", ct, "{\"dta\":{\"b\":\"2\"}}");
            assertThat(strict.statusCode()).as(ct).isEqualTo(422);
            assertThat(json(strict).path("message").asText()).isEqualTo(" \"\" is invalid: patch: Invalid value: "
                    + "\"{\\\"dta\\\":{\\\"b\\\":\\\"2\\\"}}\": strict decoding error: unknown field \"dta\"");
            assertThat(json(strict).at("/details/causes/0/field").asText()).isEqualTo("patch");
            HttpResponse<String> typed = send("PATCH", CMS + "/p", ct, "{\"data\":{\"b\":2}}");
            assertThat(typed.statusCode()).as(ct).isEqualTo(422);
            assertThat(json(typed).path("message").asText()).endsWith("json: cannot unmarshal number into Go struct field "
                    + "ConfigMap.data of type string");
        }
        assertThat(json(send("GET", CMS + "/p", null, null)).at("/metadata/resourceVersion").asText()).isEqualTo(rv);
        HttpResponse<String> warned = send("PATCH", CMS + "/p", "application/merge-patch+json", "{\"dta\":1,\"data\":{\"b\":\"2\"}}");
        assertThat(warned.statusCode()).isEqualTo(200);
        assertThat(warned.headers().allValues("Warning")).containsExactly("299 - \"unknown field \\\"dta\\\"\"");
        assertThat(json(warned).has("dta")).isFalse();
        assertThat(json(warned).at("/data/b").asText()).isEqualTo("2");
    }

    @Test
    void applyConfigurationsWithUndeclaredFieldsAreRefused() throws Exception {
        HttpResponse<String> r = send("PATCH", CMS + "/ssa?fieldManager=me", "application/apply-patch+yaml",
                "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ssa\ndta:\n  a: b\n");
        assertThat(r.statusCode()).isEqualTo(400);
        assertThat(json(r).path("message").asText()).isEqualTo("failed to create typed patch object (default/ssa; v1, Kind=ConfigMap): "
                + ".dta: field not declared in schema");
        assertThat(send("GET", CMS + "/ssa", null, null).statusCode()).isEqualTo(404);
    }
}
