package io.kuberaft.apiserver.openapi;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.kuberaft.apiserver.http.Reply;
import io.kuberaft.apiserver.registry.BuiltinResources;
import io.kuberaft.apiserver.registry.DefaultStrategy;
import io.kuberaft.apiserver.registry.ResourceDefinition;
import io.kuberaft.apiserver.registry.ResourceRegistry;
import io.kuberaft.apiserver.table.TableConvertor;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

class OpenApiSchemaTest {
    static ResourceRegistry registry;
    static OpenApi openApi;
    static JsonNode v2;
    static JsonNode coreV3;
    static JsonNode appsV3;

    @BeforeAll
    static void generate() {
        registry = new ResourceRegistry();
        BuiltinResources.registerAll(registry);
        openApi = new OpenApi(registry);
        v2 = openApi.handle("/openapi/v2", "application/json").body();
        coreV3 = openApi.handle("/openapi/v3/api/v1", "application/json").body();
        appsV3 = openApi.handle("/openapi/v3/apis/apps/v1", null).body();
    }

    static JsonNode v2Def(String name) {
        JsonNode d = v2.path("definitions").path(name);
        assertThat(d.isObject()).as("v2 definition %s", name).isTrue();
        return d;
    }

    static JsonNode v3Schema(JsonNode doc, String name) {
        JsonNode d = doc.path("components").path("schemas").path(name);
        assertThat(d.isObject()).as("v3 schema %s", name).isTrue();
        return d;
    }

    @Test
    void podContainersMergeByName() {
        for (JsonNode spec : List.of(v2Def("io.k8s.api.core.v1.PodSpec"), v3Schema(coreV3, "io.k8s.api.core.v1.PodSpec"),
                v3Schema(appsV3, "io.k8s.api.core.v1.PodSpec"))) {
            JsonNode containers = spec.path("properties").path("containers");
            assertThat(containers.path("type").asText()).isEqualTo("array");
            assertThat(containers.path("x-kubernetes-patch-merge-key").asText()).isEqualTo("name");
            assertThat(containers.path("x-kubernetes-patch-strategy").asText()).isEqualTo("merge");
            assertThat(containers.path("x-kubernetes-list-type").asText()).isEqualTo("map");
            assertThat(containers.path("x-kubernetes-list-map-keys").toString()).isEqualTo("[\"name\"]");
            assertThat(containers.path("description").asText()).startsWith("List of containers belonging to the pod");
            assertThat(spec.path("required").toString()).contains("containers");
        }
        assertThat(v2Def("io.k8s.api.core.v1.PodSpec").at("/properties/containers/items/$ref").asText())
                .isEqualTo("#/definitions/io.k8s.api.core.v1.Container");
        assertThat(v3Schema(coreV3, "io.k8s.api.core.v1.PodSpec").at("/properties/containers/items/$ref").asText())
                .isEqualTo("#/components/schemas/io.k8s.api.core.v1.Container");
        JsonNode volumes = v2Def("io.k8s.api.core.v1.PodSpec").at("/properties/volumes");
        assertThat(volumes.path("x-kubernetes-patch-strategy").asText()).isEqualTo("merge,retainKeys");
        JsonNode ports = v2Def("io.k8s.api.core.v1.Container").at("/properties/ports");
        assertThat(ports.path("x-kubernetes-patch-merge-key").asText()).isEqualTo("containerPort");
        assertThat(ports.path("x-kubernetes-list-map-keys").toString()).isEqualTo("[\"containerPort\",\"protocol\"]");
        assertThat(v2Def("io.k8s.api.core.v1.ServiceSpec").at("/properties/ports/x-kubernetes-patch-merge-key").asText()).isEqualTo("port");
        assertThat(v2Def("io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta").at("/properties/finalizers/x-kubernetes-patch-strategy").asText())
                .isEqualTo("merge");
        assertThat(v2Def("io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta").at("/properties/ownerReferences/x-kubernetes-patch-merge-key").asText())
                .isEqualTo("uid");
        assertThat(v2Def("io.k8s.api.apps.v1.DeploymentSpec").at("/properties/strategy/x-kubernetes-patch-strategy").asText())
                .isEqualTo("retainKeys");
    }

    @Test
    void livenessProbeIsDocumented() {
        JsonNode container = v3Schema(coreV3, "io.k8s.api.core.v1.Container");
        JsonNode probe = container.at("/properties/livenessProbe");
        assertThat(probe.at("/allOf/0/$ref").asText()).isEqualTo("#/components/schemas/io.k8s.api.core.v1.Probe");
        JsonNode probeSchema = v3Schema(coreV3, "io.k8s.api.core.v1.Probe");
        assertThat(probeSchema.path("description").asText()).startsWith("Probe describes a health check");
        assertThat(probeSchema.at("/properties/initialDelaySeconds/description").asText()).contains("Number of seconds");
        assertThat(probeSchema.at("/properties/initialDelaySeconds/format").asText()).isEqualTo("int32");
        assertThat(probeSchema.at("/properties/terminationGracePeriodSeconds/format").asText()).isEqualTo("int64");
        assertThat(v2Def("io.k8s.api.core.v1.Container").at("/properties/livenessProbe/$ref").asText())
                .isEqualTo("#/definitions/io.k8s.api.core.v1.Probe");
    }

    @Test
    void scalarTypesMapLikeUpstream() {
        JsonNode port = v2Def("io.k8s.api.core.v1.ServicePort").at("/properties/targetPort/$ref");
        assertThat(port.asText()).isEqualTo("#/definitions/io.k8s.apimachinery.pkg.util.intstr.IntOrString");
        JsonNode ios = v2Def("io.k8s.apimachinery.pkg.util.intstr.IntOrString");
        assertThat(ios.path("format").asText()).isEqualTo("int-or-string");
        assertThat(ios.path("x-kubernetes-int-or-string").asBoolean()).isTrue();
        JsonNode ios3 = v3Schema(coreV3, "io.k8s.apimachinery.pkg.util.intstr.IntOrString");
        assertThat(ios3.has("type")).isFalse();
        assertThat(ios3.path("oneOf").toString()).isEqualTo("[{\"type\":\"integer\"},{\"type\":\"string\"}]");
        assertThat(v2Def("io.k8s.api.core.v1.ResourceRequirements").at("/properties/limits/additionalProperties/$ref").asText())
                .isEqualTo("#/definitions/io.k8s.apimachinery.pkg.api.resource.Quantity");
        assertThat(v2Def("io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta").at("/properties/creationTimestamp/$ref").asText())
                .isEqualTo("#/definitions/io.k8s.apimachinery.pkg.apis.meta.v1.Time");
        assertThat(v2Def("io.k8s.apimachinery.pkg.apis.meta.v1.Time").path("format").asText()).isEqualTo("date-time");
        assertThat(v2Def("io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta").at("/properties/labels/additionalProperties/type").asText())
                .isEqualTo("string");
        assertThat(v2Def("io.k8s.api.core.v1.Secret").at("/properties/data/additionalProperties/format").asText()).isEqualTo("byte");
        assertThat(v2Def("io.k8s.api.coordination.v1.LeaseSpec").at("/properties/renewTime/$ref").asText())
                .endsWith("meta.v1.MicroTime");
        assertThat(v3Schema(appsV3, "io.k8s.api.apps.v1.ControllerRevision").at("/properties/data/allOf/0/$ref").asText())
                .endsWith("io.k8s.apimachinery.pkg.runtime.RawExtension");
        assertThat(v3Schema(appsV3, "io.k8s.apimachinery.pkg.runtime.RawExtension").path("x-kubernetes-preserve-unknown-fields").asBoolean())
                .isTrue();
    }

    @Test
    void everyRegisteredKindHasADefinitionWithItsGvk() {
        for (ResourceDefinition d : registry.all().stream().filter(d -> d.allows("get")).toList()) {
            Map<String, String> gvk = Map.of("group", d.group(), "version", d.version(), "kind", d.kind());
            List<String> v2Matches = withGvk(v2.path("definitions"), gvk);
            assertThat(v2Matches).as("v2 definition of %s", gvk).hasSize(1);
            JsonNode doc = openApi.handle("/openapi/v3/" + OpenApiDocuments.gvPath(d.group(), d.version()), null).body();
            List<String> v3Matches = withGvk(doc.path("components").path("schemas"), gvk);
            assertThat(v3Matches).as("v3 schema of %s", gvk).isEqualTo(v2Matches);
            String name = v2Matches.get(0);
            String pkg = d.group().isEmpty() ? "io.k8s.api.core." : d.group().equals("apiextensions.k8s.io")
                    ? "io.k8s.apiextensions-apiserver.pkg.apis.apiextensions." : "io.k8s.api." + d.group().split("\\.")[0] + ".";
            assertThat(name).isEqualTo(pkg + d.version() + "." + d.kind());
            assertThat(v2Def(name).path("description").asText()).as("description of %s", name).isNotBlank();
            // kubectl explain finds the kind through the path operations' GVK
            String base = "/" + OpenApiDocuments.gvPath(d.group(), d.version()) + (d.namespaced() ? "/namespaces/{namespace}/" : "/");
            JsonNode op = doc.path("paths").path(base + d.plural() + "/{name}").path("get");
            assertThat(op.path("x-kubernetes-action").asText()).as("GET %s", base + d.plural()).isEqualTo("get");
            assertThat(op.path("x-kubernetes-group-version-kind").path("kind").asText()).isEqualTo(d.kind());
        }
    }

    private static List<String> withGvk(JsonNode schemas, Map<String, String> gvk) {
        List<String> out = new ArrayList<>();
        schemas.fields().forEachRemaining(e -> {
            for (JsonNode g : e.getValue().path("x-kubernetes-group-version-kind")) {
                if (g.path("group").asText().equals(gvk.get("group")) && g.path("version").asText().equals(gvk.get("version"))
                        && g.path("kind").asText().equals(gvk.get("kind"))) {
                    out.add(e.getKey());
                }
            }
        });
        return out;
    }

    @Test
    void everyReferenceResolvesAndTheTableNamesRealDefinitions() {
        Set<String> v2Refs = SchemaGenerator.refs(v2, SchemaGenerator.Flavor.V2);
        assertThat(v2.path("definitions").has("io.k8s.api.core.v1.Pod")).isTrue();
        for (String r : v2Refs) {
            assertThat(v2.path("definitions").has(r)).as("v2 $ref %s", r).isTrue();
        }
        JsonNode index = openApi.handle("/openapi/v3", null).body().path("paths");
        assertThat(index.has("api/v1")).isTrue();
        assertThat(index.path("apis/apps/v1").path("serverRelativeURL").asText()).startsWith("/openapi/v3/apis/apps/v1?hash=");
        index.fieldNames().forEachRemaining(gv -> {
            JsonNode doc = openApi.handle("/openapi/v3/" + gv, null).body();
            assertThat(doc.path("openapi").asText()).isEqualTo("3.0.0");
            for (String r : SchemaGenerator.refs(doc, SchemaGenerator.Flavor.V3)) {
                assertThat(doc.path("components").path("schemas").has(r)).as("%s: $ref %s", gv, r).isTrue();
            }
        });
        for (String def : PatchStrategies.definitions()) {
            assertThat(v2.path("definitions").has(def)).as("PatchStrategies names %s", def).isTrue();
        }
        // the table's field names exist in their definitions
        for (String def : PatchStrategies.definitions()) {
            JsonNode props = v2.path("definitions").path(def).path("properties");
            PatchStrategies.fieldsOf(def).forEach(f -> assertThat(props.has(f)).as("%s.%s", def, f).isTrue());
        }
    }

    @Test
    void pathsAdvertisePatchTypesAndNoServerSideFieldValidation() {
        JsonNode patch = appsV3.path("paths").path("/apis/apps/v1/namespaces/{namespace}/deployments/{name}").path("patch");
        assertThat(patch.path("x-kubernetes-action").asText()).isEqualTo("patch");
        assertThat(patch.path("requestBody").path("content").has("application/strategic-merge-patch+json")).isTrue();
        List<String> params = new ArrayList<>();
        patch.path("parameters").forEach(p -> params.add(p.path("name").asText()));
        assertThat(params).contains("fieldManager", "dryRun", "force").doesNotContain("fieldValidation");

        OpenApi strict = new OpenApi(registry, true);
        JsonNode p2 = strict.handle("/openapi/v3/apis/apps/v1", null).body()
                .path("paths").path("/apis/apps/v1/namespaces/{namespace}/deployments/{name}").path("patch");
        List<String> strictParams = new ArrayList<>();
        p2.path("parameters").forEach(p -> strictParams.add(p.path("name").asText()));
        assertThat(strictParams).contains("fieldValidation");
    }

    @Test
    void protobufV2IsAWellFormedGnosticDocument() throws Exception {
        Reply r = openApi.handle("/openapi/v2", "application/com.github.proto-openapi.spec.v2@v1.0+protobuf");
        assertThat(r.contentType()).isEqualTo(OpenApi.PROTO_V2);
        byte[] bytes = new ObjectMapper().writeValueAsBytes(r.body());
        Wire doc = Wire.parse(bytes);
        assertThat(doc.string(1)).isEqualTo("2.0");
        Wire defs = doc.message(9);
        List<String> names = new ArrayList<>();
        Wire pod = null;
        for (byte[] named : defs.all(1)) {
            Wire ns = Wire.parse(named);
            names.add(ns.string(1));
            if (ns.string(1).equals("io.k8s.api.core.v1.Pod")) {
                pod = ns.message(2);
            }
        }
        assertThat(names).hasSize(v2.path("definitions").size()).contains("io.k8s.api.apps.v1.Deployment");
        assertThat(pod).isNotNull();
        // Schema.description = 4, Schema.vendor_extension = 31 → NamedAny{name=1, value=2: Any{yaml=2}}
        assertThat(pod.string(4)).startsWith("Pod is a collection of containers");
        Wire ext = pod.message(31);
        assertThat(ext.string(1)).isEqualTo("x-kubernetes-group-version-kind");
        assertThat(new ObjectMapper().readTree(ext.message(2).string(2)).get(0).path("kind").asText()).isEqualTo("Pod");
        // Schema.properties = 25 → Properties{NamedSchema=1}
        assertThat(pod.message(25).all(1)).hasSize(5);
    }

    /** A protobuf wire-format reader: the length-delimited fields of one message by number. */
    record Wire(Map<Integer, List<byte[]>> fields) {
        static Wire parse(byte[] b) {
            Map<Integer, List<byte[]>> f = new java.util.HashMap<>();
            int[] pos = {0};
            while (pos[0] < b.length) {
                long key = varint(b, pos);
                int type = (int) (key & 7);
                switch (type) {
                    case 0 -> varint(b, pos);
                    case 1 -> pos[0] += 8;
                    case 5 -> pos[0] += 4;
                    case 2 -> {
                        int len = (int) varint(b, pos);
                        f.computeIfAbsent((int) (key >>> 3), k -> new ArrayList<>()).add(java.util.Arrays.copyOfRange(b, pos[0], pos[0] + len));
                        pos[0] += len;
                    }
                    default -> throw new AssertionError("wire type " + type);
                }
            }
            assertThat(pos[0]).isEqualTo(b.length);
            return new Wire(f);
        }

        private static long varint(byte[] b, int[] pos) {
            long v = 0;
            for (int shift = 0; ; shift += 7) {
                byte x = b[pos[0]++];
                v |= (long) (x & 0x7f) << shift;
                if ((x & 0x80) == 0) {
                    return v;
                }
            }
        }

        List<byte[]> all(int field) {
            return fields.getOrDefault(field, List.of());
        }

        String string(int field) {
            return new String(all(field).get(0), java.nio.charset.StandardCharsets.UTF_8);
        }

        Wire message(int field) {
            return parse(all(field).get(0));
        }
    }

    @Test
    void documentsFollowTheRegistry() {
        ResourceRegistry r = new ResourceRegistry();
        BuiltinResources.registerAll(r);
        OpenApi api = new OpenApi(r);
        assertThat(api.handle("/openapi/v3/apis/stable.example.com/v1", null)).isNull();
        OpenApiDocuments before = api.documents();
        assertThat(api.documents()).isSameAs(before);
        r.register(new ResourceDefinition("stable.example.com", "v1", "crontabs", "crontab", "CronTab", true, List.of("ct"),
                List.of(), ResourceDefinition.ALL_VERBS, List.of(), DefaultStrategy.INSTANCE, TableConvertor.DEFAULT));
        JsonNode doc = api.handle("/openapi/v3/apis/stable.example.com/v1", null).body();
        JsonNode ct = doc.path("components").path("schemas").path("com.example.stable.v1.CronTab");
        assertThat(ct.path("x-kubernetes-preserve-unknown-fields").asBoolean()).isTrue();
        assertThat(ct.at("/x-kubernetes-group-version-kind/0/kind").asText()).isEqualTo("CronTab");
        JsonNode patch = doc.path("paths").path("/apis/stable.example.com/v1/namespaces/{namespace}/crontabs/{name}").path("patch");
        assertThat(patch.path("requestBody").path("content").has("application/merge-patch+json")).isTrue();
        assertThat(patch.path("requestBody").path("content").has("application/strategic-merge-patch+json")).isFalse();
        // v2 keeps custom kinds open (no properties), so client-side validation accepts any field
        assertThat(api.handle("/openapi/v2", null).body().path("definitions").path("com.example.stable.v1.CronTab").has("properties")).isFalse();
        assertThat(api.handle("/openapi/v3", null).body().path("paths").has("apis/stable.example.com/v1")).isTrue();
        assertThat(api.handle("/openapi/v3/apis/nope/v1", null)).isNull();
        assertThat(api.handle("/openapi/v4", null)).isNull();
    }
}
