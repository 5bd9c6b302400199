package io.kuberaft.apiserver.http;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.kuberaft.apiserver.ApiServer;
import io.kuberaft.apiserver.auth.UserInfo;
import io.kuberaft.raftstore.ClusterView;
import io.kuberaft.raftstore.LocalKvStore;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.bouncycastle.pkcs.jcajce.JcaPKCS10CertificationRequestBuilder;
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
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** certificates.k8s.io/v1 CertificateSigningRequests over HTTP: identity from the requester, approval subresource, table. */
class CertificateSigningRequestTest {
    static final ObjectMapper M = new ObjectMapper();
    static final HttpClient HTTP = HttpClient.newHttpClient();
    static final String TOKEN = "jane-token";
    static final String CSRS = "/apis/certificates.k8s.io/v1/certificatesigningrequests";
    @TempDir
    static Path tmp;
    static LocalKvStore store;
    static ApiServer server;

    @BeforeAll
    static void start() {
        store = new LocalKvStore(tmp.resolve("store"));
        ApiServer.Options o = new ApiServer.Options("127.0.0.1", 0, null, null, null,
                Map.of(TOKEN, UserInfo.authenticated("jane", "jane-uid", List.of(UserInfo.MASTERS, "devs"), Map.of())),
                ApiServer.DEFAULT_BOOKMARK_INTERVAL_MS);
        server = ApiServer.start(o, store, ClusterView.standalone("m1", () -> 0), new SimpleMeterRegistry(), () -> "");
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
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + path))
                .header("Authorization", "Bearer " + TOKEN)
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body))
                .header("Content-Type", contentType == null ? "application/json" : contentType);
        if (accept != null) {
            b.header("Accept", accept);
        }
        HttpResponse<String> r = HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
        return new Resp(r.statusCode(), r.body().isEmpty() ? M.nullNode() : M.readTree(r.body()));
    }

    /** A PEM PKCS#10 request for CN=name, O=group, base64 as the API's []byte. */
    static String request(String cn) throws Exception {
        KeyPairGenerator gen = KeyPairGenerator.getInstance("EC");
        gen.initialize(256);
        KeyPair kp = gen.generateKeyPair();
        var csr = new JcaPKCS10CertificationRequestBuilder(new X500Name("CN=" + cn + ",O=devs"), kp.getPublic())
                .build(new JcaContentSignerBuilder("SHA256withECDSA").build(kp.getPrivate()));
        String pem = "-----BEGIN CERTIFICATE REQUEST-----\n" + Base64.getMimeEncoder(64, "\n".getBytes()).encodeToString(csr.getEncoded())
                + "\n-----END CERTIFICATE REQUEST-----\n";
        return Base64.getEncoder().encodeToString(pem.getBytes(StandardCharsets.UTF_8));
    }

    static ObjectNode csr(String name, String request) {
        ObjectNode o = M.createObjectNode().put("apiVersion", "certificates.k8s.io/v1").put("kind", "CertificateSigningRequest");
        o.putObject("metadata").put("name", name);
        ObjectNode spec = o.putObject("spec").put("request", request).put("signerName", "kubernetes.io/kube-apiserver-client")
                .put("expirationSeconds", 86400).put("username", "someone-else");
        spec.putArray("usages").add("client auth");
        return o;
    }

    @Test
    void theRequesterIsWhoSentItAndOnlyTheApprovalSubresourceApproves() throws Exception {
        Resp created = send("POST", CSRS, null, csr("john", request("john")).toString(), null);
        assertThat(created.code()).as(created.body().toString()).isEqualTo(201);
        JsonNode spec = created.body().path("spec");
        assertThat(spec.path("username").asText()).as("from the request's user, not the body").isEqualTo("jane");
        assertThat(spec.path("uid").asText()).isEqualTo("jane-uid");
        assertThat(spec.path("groups").toString()).contains("devs", UserInfo.MASTERS);

        // what `kubectl certificate approve john` sends: the object with one more condition, PUT to /approval
        ObjectNode approve = (ObjectNode) created.body().deepCopy();
        approve.with("status").putArray("conditions").addObject().put("type", "Approved").put("status", "True")
                .put("reason", "KubectlApprove").put("message", "This CSR was approved by kubectl certificate approve.");
        ObjectNode viaMain = approve.deepCopy();
        Resp main = send("PUT", CSRS + "/john", null, viaMain.toString(), null);
        assertThat(main.code()).isEqualTo(200);
        assertThat(main.body().path("status").path("conditions")).as("the main endpoint does not approve").isEmpty();
        approve.with("metadata").put("resourceVersion", main.body().path("metadata").path("resourceVersion").asText());
        Resp approved = send("PUT", CSRS + "/john/approval", null, approve.toString(), null);
        assertThat(approved.code()).as(approved.body().toString()).isEqualTo(200);
        assertThat(approved.body().path("status").path("conditions").get(0).path("type").asText()).isEqualTo("Approved");

        // a signer's status write cannot take the approval back
        ObjectNode signed = (ObjectNode) approved.body().deepCopy();
        signed.with("status").putArray("conditions").addObject().put("type", "Failed").put("status", "True")
                .put("reason", "SignerValidationFailure").put("message", "m");
        signed.with("status").put("certificate", Base64.getEncoder().encodeToString(
                "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n".getBytes(StandardCharsets.UTF_8)));
        Resp status = send("PUT", CSRS + "/john/status", null, signed.toString(), null);
        assertThat(status.code()).as(status.body().toString()).isEqualTo(200);
        assertThat(status.body().path("status").path("conditions").get(0).path("type").asText()).isEqualTo("Approved");
        assertThat(status.body().path("status").path("conditions").get(1).path("type").asText()).as("the signer's own condition")
                .isEqualTo("Failed");

        Resp table = send("GET", CSRS, null, null, "application/json;as=Table;v=v1;g=meta.k8s.io");
        List<String> columns = new ArrayList<>();
        table.body().path("columnDefinitions").forEach(c -> columns.add(c.path("name").asText()));
        assertThat(columns).containsExactly("Name", "Age", "SignerName", "Requestor", "RequestedDuration", "Condition");
        JsonNode cells = table.body().path("rows").get(0).path("cells");
        assertThat(cells.get(2).asText()).isEqualTo("kubernetes.io/kube-apiserver-client");
        assertThat(cells.get(3).asText()).isEqualTo("jane");
        assertThat(cells.get(4).asText()).isEqualTo("24h");
        assertThat(cells.get(5).asText()).isEqualTo("Approved,Failed,Issued");

        // approving and denying at once is refused
        ObjectNode both = (ObjectNode) status.body().deepCopy();
        both.with("status").withArray("conditions").addObject().put("type", "Denied").put("status", "True");
        Resp refused = send("PUT", CSRS + "/john/approval", null, both.toString(), null);
        assertThat(refused.code()).isEqualTo(422);
        assertThat(refused.body().path("message").asText()).contains("Approved and Denied conditions are mutually exclusive");
    }

    @Test
    void badRequestsAreInvalidAndNothingIsStored() throws Exception {
        ObjectNode bad = csr("bad", Base64.getEncoder().encodeToString("not a pem".getBytes(StandardCharsets.UTF_8)));
        ((ObjectNode) bad.path("spec")).put("expirationSeconds", 60).remove("signerName");
        ((ObjectNode) bad.path("spec")).putArray("usages").add("flying");
        Resp r = send("POST", CSRS, null, bad.toString(), null);
        assertThat(r.code()).isEqualTo(422);
        List<String> causes = new ArrayList<>();
        r.body().path("details").path("causes").forEach(c -> causes.add(c.path("field").asText()));
        assertThat(causes).contains("spec.request", "spec.signerName", "spec.usages[0]", "spec.expirationSeconds");
        assertThat(send("GET", CSRS + "/bad", null, null, null).code()).isEqualTo(404);
    }
}
