package io.kuberaft.apiserver.http;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ContainerNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.kuberaft.apiserver.ApiServer;
import io.kuberaft.raftstore.ClusterView;
import io.kuberaft.raftstore.LocalKvStore;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.statistics.Statistics;
import net.jqwik.api.lifecycle.AfterContainer;
import net.jqwik.api.lifecycle.BeforeContainer;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Mutated request bodies (issue 3 §6): valid Pod, Deployment, ConfigMap and Service bodies are mutated at
 * random (fields dropped, duplicated, retyped, garbage bytes, truncation, deep nesting, long strings, wrong
 * kinds) and sent as POST, PUT, merge PATCH and strategic PATCH. Never a 5xx, always a Status on failure,
 * and never a partial write: the stored set is unchanged, or changed in exactly the one object the request
 * named, which reads back as it was answered and can be written back as is.
 */
class BadInputPropertyTest {
    static final ObjectMapper JSON = new ObjectMapper();
    static final String NS = "/api/v1/namespaces/default/";
    static final String[] KINDS = {"Pod", "Deployment", "ConfigMap", "Service"};
    static final String[] COLLECTIONS = {NS + "pods", "/apis/apps/v1/namespaces/default/deployments", NS + "configmaps", NS + "services"};
    static final AtomicInteger SEQ = new AtomicInteger();

    static Path dir;
    static LocalKvStore store;
    static ApiServer server;
    static HttpClient http;

    @BeforeContainer
    static void start() throws Exception {
        dir = Files.createTempDirectory("badinput-prop");
        store = new LocalKvStore(dir.resolve("kv"));
        server = ApiServer.start(ApiServer.Options.plain("127.0.0.1", 0), store, ClusterView.standalone("m1", () -> 0),
                new SimpleMeterRegistry(), () -> "");
        http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(10)).build();
        for (int k = 0; k < KINDS.length; k++) {
            HttpResponse<byte[]> r = send("POST", COLLECTIONS[k], "application/json", JSON.writeValueAsBytes(base(k, "fix")));
            assertThat(r.statusCode()).as("fixture %s: %s", KINDS[k], new String(r.body(), StandardCharsets.UTF_8)).isEqualTo(201);
        }
    }

    @AfterContainer
    static void stop() throws Exception {
        try {
            if (server != null) {
                assertThat(send("GET", "/healthz", null, null).statusCode()).as("still serving after the run").isEqualTo(200);
            }
        } finally {
            if (server != null) {
                server.close();
            }
            if (store != null) {
                store.close();
            }
            if (dir != null) {
                try (var paths = Files.walk(dir)) {
                    paths.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
                }
            }
        }
    }

    static ObjectNode base(int kind, String name) throws Exception {
        String s = switch (kind) {
            case 0 -> "{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"name\":\"N\",\"labels\":{\"app\":\"p\"}},"
                    + "\"spec\":{\"containers\":[{\"name\":\"c\",\"image\":\"nginx:1.25\",\"ports\":[{\"containerPort\":80}]}]}}";
            case 1 -> "{\"apiVersion\":\"apps/v1\",\"kind\":\"Deployment\",\"metadata\":{\"name\":\"N\"},\"spec\":{\"replicas\":2,"
                    + "\"selector\":{\"matchLabels\":{\"app\":\"d\"}},\"template\":{\"metadata\":{\"labels\":{\"app\":\"d\"}},"
                    + "\"spec\":{\"containers\":[{\"name\":\"c\",\"image\":\"nginx:1.25\"}]}}}}";
            case 2 -> "{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":{\"name\":\"N\",\"labels\":{\"a\":\"b\"}},\"data\":{\"k\":\"v\",\"x\":\"y\"}}";
            default -> "{\"apiVersion\":\"v1\",\"kind\":\"Service\",\"metadata\":{\"name\":\"N\"},\"spec\":{\"selector\":{\"app\":\"p\"},"
                    + "\"ports\":[{\"name\":\"http\",\"port\":80,\"targetPort\":8080,\"protocol\":\"TCP\"}]}}";
        };
        ObjectNode o = (ObjectNode) JSON.readTree(s);
        ((ObjectNode) o.get("metadata")).put("name", name);
        return o;
    }

    static HttpResponse<byte[]> send(String method, String path, String contentType, byte[] body) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + path))
                .timeout(Duration.ofSeconds(30))
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofByteArray(body));
        if (contentType != null) {
            b.header("Content-Type", contentType);
        }
        return http.send(b.build(), HttpResponse.BodyHandlers.ofByteArray());
    }

    @Provide
    Arbitrary<MutatedRequest> requests() {
        return Combinators.combine(Arbitraries.integers().between(0, 3), Arbitraries.integers().between(0, 3),
                Arbitraries.longs().withoutEdgeCases(), Arbitraries.integers().between(0, 4), Arbitraries.integers().between(0, 5)).as(MutatedRequest::new);
    }

    /** All nodes of the tree with their parents, for picking a mutation site. */
    static void containers(JsonNode n, List<ContainerNode<?>> out) {
        if (n instanceof ContainerNode<?> c) {
            out.add(c);
            n.elements().forEachRemaining(e -> containers(e, out));
        }
    }

    static JsonNode randomValue(Random rnd) {
        return switch (rnd.nextInt(9)) {
            case 0 -> JSON.getNodeFactory().nullNode();
            case 1 -> JSON.getNodeFactory().numberNode(rnd.nextInt());
            case 2 -> JSON.getNodeFactory().numberNode(rnd.nextDouble() * 1e300);
            case 3 -> JSON.getNodeFactory().booleanNode(rnd.nextBoolean());
            case 4 -> JSON.getNodeFactory().textNode("x".repeat(rnd.nextInt(200_000)));
            case 5 -> JSON.getNodeFactory().arrayNode().add("a").add(1);
            case 6 -> JSON.getNodeFactory().objectNode().put("$patch", "delete");
            case 7 -> JSON.getNodeFactory().textNode("\u0000\u00e9\ud83d\ude00<>\"'\\");
            default -> {
                JsonNode v = JSON.getNodeFactory().textNode("deep");
                int depth = 10 + rnd.nextInt(300);
                for (int i = 0; i < depth; i++) {
                    v = JSON.getNodeFactory().arrayNode().add(v);
                }
                yield v;
            }
        };
    }

    static void mutateTree(ObjectNode root, Random rnd) {
        List<ContainerNode<?>> nodes = new ArrayList<>();
        containers(root, nodes);
        ContainerNode<?> site = nodes.get(rnd.nextInt(nodes.size()));
        int op = rnd.nextInt(7);
        if (op == 5) {
            root.put("kind", new String[] {"Secret", "Pod", "Deployment", "Service", "", "configmap"}[rnd.nextInt(6)]);
            return;
        }
        if (op == 6) {
            root.put("apiVersion", new String[] {"v1", "apps/v1", "v2", "batch/v1", ""}[rnd.nextInt(5)]);
            return;
        }
        if (site instanceof ObjectNode o) {
            List<String> keys = new ArrayList<>();
            o.fieldNames().forEachRemaining(keys::add);
            if (keys.isEmpty()) {
                o.set("junk", randomValue(rnd));
                return;
            }
            String k = keys.get(rnd.nextInt(keys.size()));
            switch (op) {
                case 0 -> o.remove(k);
                case 1 -> o.set(k + "Copy", o.get(k).deepCopy());
                default -> o.set(k, randomValue(rnd));
            }
        } else if (site instanceof ArrayNode a) {
            if (a.isEmpty() || op == 1) {
                a.add(a.isEmpty() ? randomValue(rnd) : a.get(0).deepCopy());
            } else if (op == 0) {
                a.remove(rnd.nextInt(a.size()));
            } else {
                a.set(rnd.nextInt(a.size()), randomValue(rnd));
            }
        }
    }

    static byte[] mutateBytes(byte[] b, int how, Random rnd) {
        return switch (how) {
            case 1 -> { // truncate
                byte[] t = new byte[rnd.nextInt(b.length)];
                System.arraycopy(b, 0, t, 0, t.length);
                yield t;
            }
            case 2 -> { // garbage bytes inserted
                int at = rnd.nextInt(b.length + 1);
                byte[] g = new byte[1 + rnd.nextInt(16)];
                rnd.nextBytes(g);
                byte[] t = new byte[b.length + g.length];
                System.arraycopy(b, 0, t, 0, at);
                System.arraycopy(g, 0, t, at, g.length);
                System.arraycopy(b, at, t, at + g.length, b.length - at);
                yield t;
            }
            case 3 -> { // a duplicated key right after the opening brace
                String s = new String(b, StandardCharsets.UTF_8);
                yield ("{\"kind\":\"Secret\"," + s.substring(1)).getBytes(StandardCharsets.UTF_8);
            }
            default -> b;
        };
    }

    /** plural/name → resourceVersion of every object of the four kinds in the namespace. */
    static Map<String, String> snapshot() throws Exception {
        Map<String, String> out = new HashMap<>();
        for (int k = 0; k < KINDS.length; k++) {
            HttpResponse<byte[]> r = send("GET", COLLECTIONS[k], null, null);
            assertThat(r.statusCode()).as("list %s", COLLECTIONS[k]).isEqualTo(200);
            int kk = k;
            JSON.readTree(r.body()).path("items").forEach(i -> out.put(KINDS[kk] + "/" + i.path("metadata").path("name").asText(),
                    i.path("metadata").path("resourceVersion").asText()));
        }
        return out;
    }

    @Property(tries = 200, maxDiscardRatio = 1)
    void mutatedBodiesNeverFailTheServerNorWritePartially(@ForAll("requests") MutatedRequest req) throws Exception {
        Random rnd = new Random(req.seed());
        String name = req.verb() == 0 ? "prop-" + SEQ.incrementAndGet() : "fix";
        ObjectNode obj = base(req.kind(), name);
        for (int i = 0; i < req.treeMutations(); i++) {
            mutateTree(obj, rnd);
        }
        byte[] body = mutateBytes(JSON.writeValueAsBytes(obj), req.byteMutation(), rnd);
        String collection = COLLECTIONS[req.kind()];
        String method;
        String path;
        String ct;
        switch (req.verb()) {
            case 0 -> { method = "POST"; path = collection; ct = "application/json"; }
            case 1 -> { method = "PUT"; path = collection + "/fix"; ct = "application/json"; }
            case 2 -> { method = "PATCH"; path = collection + "/fix"; ct = "application/merge-patch+json"; }
            default -> { method = "PATCH"; path = collection + "/fix"; ct = "application/strategic-merge-patch+json"; }
        }
        Map<String, String> before = snapshot();
        HttpResponse<byte[]> r = send(method, path, ct, body);
        String text = new String(r.body(), 0, Math.min(r.body().length, 1500), StandardCharsets.UTF_8);
        assertThat(r.statusCode()).as("%s: %s", req, text).isLessThan(500);
        Statistics.collect(method, r.statusCode());
        Map<String, String> after = snapshot();
        if (r.statusCode() >= 300) {
            JsonNode s = JSON.readTree(r.body());
            assertThat(s.path("kind").asText()).as("%s: %s", req, text).isEqualTo("Status");
            assertThat(s.path("code").asInt()).as("%s: %s", req, text).isEqualTo(r.statusCode());
            assertThat(s.path("reason").asText()).as("%s: %s", req, text).isNotEmpty();
            assertThat(after).as("%s: a refused write changed the store", req).isEqualTo(before);
        } else {
            JsonNode answered = JSON.readTree(r.body());
            String key = KINDS[req.kind()] + "/" + answered.path("metadata").path("name").asText();
            Map<String, String> changed = new HashMap<>(after);
            changed.entrySet().removeIf(e -> e.getValue().equals(before.get(e.getKey())));
            assertThat(before.keySet()).as("%s: nothing disappears", req).isSubsetOf(after.keySet());
            assertThat(changed.keySet()).as("%s: only the addressed object changes", req).isSubsetOf(java.util.Set.of(key));
            if (req.verb() == 0) {
                assertThat(changed).as("%s: created", req).containsOnlyKeys(key);
            }
            HttpResponse<byte[]> got = send("GET", collection + "/" + answered.path("metadata").path("name").asText(), null, null);
            assertThat(got.statusCode()).as(req.toString()).isEqualTo(200);
            JsonNode stored = JSON.readTree(got.body());
            assertThat(stored).as("%s: stored object reads back as answered", req).isEqualTo(answered);
            assertThat(stored.path("kind").asText()).isEqualTo(KINDS[req.kind()]);
            // fully valid: the stored object can be written back unchanged
            HttpResponse<byte[]> back = send("PUT", collection + "/" + stored.path("metadata").path("name").asText(), "application/json",
                    JSON.writeValueAsBytes(stored));
            assertThat(back.statusCode()).as("%s: write-back of %s: %s", req, stored, new String(back.body(), StandardCharsets.UTF_8))
                    .isEqualTo(200);
        }
        assertThat(send("GET", "/healthz", null, null).statusCode()).isEqualTo(200);
    }
}

/** One request: which kind, which verb, which tree mutations (by seed) and which byte mutations. */
record MutatedRequest(int kind, int verb, long seed, int treeMutations, int byteMutation) {
    @Override
    public String toString() {
        return BadInputPropertyTest.KINDS[kind] + " " + new String[] {"POST", "PUT", "PATCH(merge)", "PATCH(strategic)"}[verb] + " seed=" + seed
                + " tree=" + treeMutations + " bytes=" + byteMutation;
    }
}
