package io.kuberaft.apiserver.auth;

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
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Authentication, RBAC authorization and impersonation end to end over HTTP against an in-process server with a token
 * file and a service account key, checked against the texts upstream sends (seed-behaviour §1.J).
 */
class RbacAuthorizationTest {
    static final ObjectMapper M = new ObjectMapper();
    static final HttpClient HTTP = HttpClient.newHttpClient();
    static final String ADMIN = "admin-token";
    @TempDir
    static Path tmp;
    static LocalKvStore store;
    static ApiServer server;

    @BeforeAll
    static void start() throws Exception {
        KeyPairGenerator gen = KeyPairGenerator.getInstance("EC");
        gen.initialize(256);
        KeyPair sa = gen.generateKeyPair();
        Path priv = tmp.resolve("sa.key");
        Path pub = tmp.resolve("sa.pub");
        Files.writeString(priv, pem("PRIVATE KEY", sa.getPrivate().getEncoded()));
        Files.writeString(pub, pem("PUBLIC KEY", sa.getPublic().getEncoded()));
        store = new LocalKvStore(tmp.resolve("store"));
        ApiServer.Options o = new ApiServer.Options("127.0.0.1", 0, null, null, null,
                Map.of(ADMIN, UserInfo.authenticated("admin", "admin-uid", List.of(UserInfo.MASTERS), Map.of())),
                ApiServer.DEFAULT_BOOKMARK_INTERVAL_MS).withServiceAccountKeys(pub, priv, null);
        server = ApiServer.start(o, store, ClusterView.standalone("m1", () -> 0), new SimpleMeterRegistry(), () -> "");
        // the default policy is created in the background at start
        Instant deadline = Instant.now().plus(Duration.ofSeconds(30));
        while (send("GET", "/apis/rbac.authorization.k8s.io/v1/clusterrolebindings/system:public-info-viewer", ADMIN, null, null).code() != 200) {
            assertThat(Instant.now()).as("default RBAC policy created").isBefore(deadline);
            Thread.sleep(50);
        }
        send("POST", "/api/v1/namespaces", ADMIN, null, q("{'metadata':{'name':'ns-1'}}"));
        send("POST", "/api/v1/namespaces", ADMIN, null, q("{'metadata':{'name':'ns-2'}}"));
    }

    private static String pem(String type, byte[] der) {
        return "-----BEGIN " + type + "-----\n" + Base64.getMimeEncoder(64, "\n".getBytes()).encodeToString(der) + "\n-----END " + type + "-----\n";
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

    record Resp(int code, JsonNode body, String raw) {
    }

    static Resp send(String method, String path, String token, Map<String, String> headers, String body) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + path));
        b.method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        b.header("Content-Type", "application/json");
        if (token != null) {
            b.header("Authorization", "Bearer " + token);
        }
        if (headers != null) {
            headers.forEach(b::header);
        }
        HttpResponse<String> r = HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
        JsonNode json;
        try {
            json = r.body().isEmpty() ? M.nullNode() : M.readTree(r.body());
        } catch (java.io.IOException e) {
            json = M.nullNode();
        }
        return new Resp(r.statusCode(), json, r.body());
    }

    static String q(String singleQuoted) {
        return singleQuoted.replace('\'', '"');
    }

    static Map<String, String> as(String user) {
        return Map.of("Impersonate-User", user);
    }

    static void admin(String method, String path, String json) throws Exception {
        Resp r = send(method, path, ADMIN, null, q(json));
        assertThat(r.code()).as(r.raw()).isBetween(200, 201);
    }

    static String token(String ns, String sa) throws Exception {
        Resp r = send("POST", "/api/v1/namespaces/" + ns + "/serviceaccounts/" + sa + "/token", ADMIN, null,
                q("{'apiVersion':'authentication.k8s.io/v1','kind':'TokenRequest','spec':{}}"));
        assertThat(r.code()).as(r.raw()).isEqualTo(201);
        assertThat(r.body().path("status").path("expirationTimestamp").asText()).isNotEmpty();
        return r.body().path("status").path("token").asText();
    }

    @Test
    void anonymousRequestsAreForbiddenExceptHealthAndVersion() throws Exception {
        Resp root = send("GET", "/", null, null, null);
        assertThat(root.code()).isEqualTo(403);
        assertThat(root.raw()).isEqualTo("{\"kind\":\"Status\",\"apiVersion\":\"v1\",\"metadata\":{},\"status\":\"Failure\",\"message\":"
                + "\"forbidden: User \\\"system:anonymous\\\" cannot get path \\\"/\\\"\",\"reason\":\"Forbidden\",\"details\":{},\"code\":403}");
        assertThat(send("GET", "/api/v1/namespaces/default/pods", null, null, null).body().path("message").asText())
                .isEqualTo("pods is forbidden: User \"system:anonymous\" cannot list resource \"pods\" in API group \"\" in the namespace \"default\"");
        assertThat(send("GET", "/readyz", null, null, null).code()).isEqualTo(200);
        assertThat(send("GET", "/version", null, null, null).code()).isEqualTo(200);
        assertThat(send("GET", "/metrics", null, null, null).code()).isEqualTo(403);
        assertThat(send("GET", "/api/v1/pods", "not-a-token", null, null).code()).isEqualTo(401);
        assertThat(send("GET", "/api/v1/pods", "eyJhbGciOiJFUzI1NiJ9.e30.AAAA", null, null).code()).isEqualTo(401);
        assertThat(send("GET", "/api/v1/pods", ADMIN, null, null).code()).isEqualTo(200);
    }

    @Test
    void aRoleBindingGrantsAServiceAccountWhatItsRoleSays() throws Exception {
        admin("POST", "/api/v1/namespaces/default/serviceaccounts", "{'metadata':{'name':'alicek106'}}");
        String sa = "system:serviceaccount:default:alicek106";
        Resp denied = send("GET", "/api/v1/namespaces/default/services", ADMIN, as(sa), null);
        assertThat(denied.code()).isEqualTo(403);
        assertThat(denied.body().path("message").asText()).isEqualTo("services is forbidden: User \"system:serviceaccount:default:alicek106\" "
                + "cannot list resource \"services\" in API group \"\" in the namespace \"default\"");
        assertThat(denied.body().path("details").path("kind").asText()).isEqualTo("services");
        admin("POST", "/apis/rbac.authorization.k8s.io/v1/namespaces/default/roles",
                "{'metadata':{'name':'service-reader'},'rules':[{'apiGroups':[''],'resources':['services'],'verbs':['get','list']}]}");
        admin("POST", "/apis/rbac.authorization.k8s.io/v1/namespaces/default/rolebindings",
                "{'metadata':{'name':'service-reader'},'roleRef':{'apiGroup':'rbac.authorization.k8s.io','kind':'Role','name':'service-reader'},"
                        + "'subjects':[{'kind':'ServiceAccount','name':'alicek106','namespace':'default'}]}");
        assertThat(send("GET", "/api/v1/namespaces/default/services", ADMIN, as(sa), null).code()).isEqualTo(200);
        assertThat(send("GET", "/api/v1/namespaces/default/services/kubernetes", ADMIN, as(sa), null).code()).isEqualTo(200);
        // the role says get and list: not delete, not other namespaces, not pods
        Resp delete = send("DELETE", "/api/v1/namespaces/default/services/kubernetes", ADMIN, as(sa), null);
        assertThat(delete.body().path("message").asText()).isEqualTo("services \"kubernetes\" is forbidden: User \"" + sa
                + "\" cannot delete resource \"services\" in API group \"\" in the namespace \"default\"");
        assertThat(send("GET", "/api/v1/namespaces/ns-1/services", ADMIN, as(sa), null).code()).isEqualTo(403);
        assertThat(send("GET", "/api/v1/namespaces/default/pods", ADMIN, as(sa), null).code()).isEqualTo(403);
    }

    @Test
    void aBindingInAnotherNamespaceGrantsThatNamespaceOnly() throws Exception {
        admin("POST", "/api/v1/namespaces/ns-1/serviceaccounts", "{'metadata':{'name':'sa-1'}}");
        admin("POST", "/apis/rbac.authorization.k8s.io/v1/namespaces/ns-2/roles",
                "{'metadata':{'name':'view-pod'},'rules':[{'apiGroups':[''],'resources':['pods'],'verbs':['get','list']}]}");
        admin("POST", "/apis/rbac.authorization.k8s.io/v1/namespaces/ns-2/rolebindings",
                "{'metadata':{'name':'view-pod-rolebinding'},'roleRef':{'apiGroup':'rbac.authorization.k8s.io','kind':'Role','name':'view-pod'},"
                        + "'subjects':[{'kind':'ServiceAccount','name':'sa-1','namespace':'ns-1'}]}");
        String token = token("ns-1", "sa-1");
        Resp list = send("GET", "/api/v1/namespaces/ns-2/pods", token, null, null);
        assertThat(list.code()).as(list.raw()).isEqualTo(200);
        assertThat(list.body().path("kind").asText()).isEqualTo("PodList");
        assertThat(send("GET", "/api/v1/namespaces/ns-1/pods", token, null, null).code()).isEqualTo(403);
        Resp cluster = send("GET", "/api/v1/pods", token, null, null);
        assertThat(cluster.body().path("message").asText()).isEqualTo("pods is forbidden: User \"system:serviceaccount:ns-1:sa-1\" "
                + "cannot list resource \"pods\" in API group \"\" at the cluster scope");
        // authorization comes before routing: a resource that does not exist is a 403 too, not a 404
        Resp typo = send("GET", "/api/v1/namespace", token, null, null);
        assertThat(typo.code()).isEqualTo(403);
        assertThat(typo.body().path("message").asText()).isEqualTo("namespace is forbidden: User \"system:serviceaccount:ns-1:sa-1\" "
                + "cannot list resource \"namespace\" in API group \"\" at the cluster scope");
        // every authenticated user may discover the API
        assertThat(send("GET", "/api", token, null, null).code()).isEqualTo(200);
    }

    @Test
    void aClusterRoleBindingGrantsClusterScopedAndNonResourceAccess() throws Exception {
        admin("POST", "/api/v1/namespaces/default/serviceaccounts", "{'metadata':{'name':'node-viewer'}}");
        String sa = "system:serviceaccount:default:node-viewer";
        assertThat(send("GET", "/api/v1/nodes", ADMIN, as(sa), null).code()).isEqualTo(403);
        assertThat(send("GET", "/metrics", ADMIN, as(sa), null).code()).isEqualTo(403);
        admin("POST", "/apis/rbac.authorization.k8s.io/v1/clusterroles",
                "{'metadata':{'name':'nodes-reader'},'rules':[{'apiGroups':[''],'resources':['nodes'],'verbs':['get','list','watch']},"
                        + "{'nonResourceURLs':['/metrics','/logs'],'verbs':['get']}]}");
        admin("POST", "/apis/rbac.authorization.k8s.io/v1/clusterrolebindings",
                "{'metadata':{'name':'nodes-reader'},'roleRef':{'apiGroup':'rbac.authorization.k8s.io','kind':'ClusterRole','name':'nodes-reader'},"
                        + "'subjects':[{'kind':'ServiceAccount','name':'node-viewer','namespace':'default'}]}");
        assertThat(send("GET", "/api/v1/nodes", ADMIN, as(sa), null).code()).isEqualTo(200);
        assertThat(send("GET", "/metrics", ADMIN, as(sa), null).code()).isEqualTo(200);
        assertThat(send("DELETE", "/api/v1/nodes/x", ADMIN, as(sa), null).code()).isEqualTo(403);
    }

    @Test
    void onlyThoseAllowedToImpersonateMayDoIt() throws Exception {
        admin("POST", "/api/v1/namespaces/default/serviceaccounts", "{'metadata':{'name':'plain'}}");
        String token = token("default", "plain");
        Resp r = send("GET", "/api/v1/namespaces/default/pods", token, as("bob"), null);
        assertThat(r.code()).isEqualTo(403);
        assertThat(r.body().path("message").asText()).isEqualTo("users \"bob\" is forbidden: User \"system:serviceaccount:default:plain\" "
                + "cannot impersonate resource \"users\" in API group \"\" at the cluster scope");
        Resp groupsOnly = send("GET", "/api/v1/namespaces/default/pods", ADMIN, Map.of("Impersonate-Group", "devs"), null);
        assertThat(groupsOnly.code()).isEqualTo(400);
        // admin impersonating a user in system:masters keeps the privilege
        Resp master = send("GET", "/api/v1/nodes", ADMIN, Map.of("Impersonate-User", "carol", "Impersonate-Group", "system:masters"), null);
        assertThat(master.code()).isEqualTo(200);
        Resp whoami = send("POST", "/apis/authentication.k8s.io/v1/selfsubjectreviews", ADMIN, Map.of("Impersonate-User", "carol",
                "Impersonate-Group", "devs"), q("{'apiVersion':'authentication.k8s.io/v1','kind':'SelfSubjectReview'}"));
        assertThat(whoami.code()).isEqualTo(201);
        assertThat(whoami.body().path("status").path("userInfo").path("username").asText()).isEqualTo("carol");
        assertThat(M.convertValue(whoami.body().path("status").path("userInfo").path("groups"), List.class))
                .containsExactly("devs", "system:authenticated");
    }

    @Test
    void serviceAccountTokensWorkWhileTheirServiceAccountExists() throws Exception {
        admin("POST", "/api/v1/namespaces/default/serviceaccounts", "{'metadata':{'name':'short-lived'}}");
        String token = token("default", "short-lived");
        assertThat(token.split("\\.")).hasSize(3);
        Resp review = send("POST", "/apis/authentication.k8s.io/v1/tokenreviews", ADMIN, null,
                q("{'apiVersion':'authentication.k8s.io/v1','kind':'TokenReview','spec':{'token':'" + token + "'}}"));
        assertThat(review.body().path("status").path("authenticated").asBoolean()).isTrue();
        assertThat(review.body().path("status").path("user").path("username").asText()).isEqualTo("system:serviceaccount:default:short-lived");
        assertThat(send("GET", "/api", token, null, null).code()).isEqualTo(200);
        Resp tooShort = send("POST", "/api/v1/namespaces/default/serviceaccounts/short-lived/token", ADMIN, null,
                q("{'spec':{'expirationSeconds':60}}"));
        assertThat(tooShort.code()).isEqualTo(422);
        assertThat(tooShort.body().path("message").asText()).isEqualTo("TokenRequest.authentication.k8s.io \"short-lived\" is invalid: "
                + "spec.expirationSeconds: Invalid value: 60: may not specify a duration less than 10 minutes");
        assertThat(send("POST", "/api/v1/namespaces/default/serviceaccounts/nope/token", ADMIN, null, "{}").code()).isEqualTo(404);
        assertThat(send("POST", "/api/v1/namespaces/default/serviceaccounts/short-lived/token", ADMIN, null, "{not json").code()).isEqualTo(400);
        admin("DELETE", "/api/v1/namespaces/default/serviceaccounts/short-lived", "{}");
        assertThat(send("GET", "/api", token, null, null).code()).isEqualTo(401);
        // a new ServiceAccount of the same name has another uid: the old token stays dead
        admin("POST", "/api/v1/namespaces/default/serviceaccounts", "{'metadata':{'name':'short-lived'}}");
        assertThat(send("GET", "/api", token, null, null).code()).isEqualTo(401);
    }

    @Test
    void theDefaultUserFacingRolesGrantFromTheStartWithoutControllers() throws Exception {
        // this server runs no controllers: edit, view and admin carry their aggregated rules from the bootstrap
        Resp edit = send("GET", "/apis/rbac.authorization.k8s.io/v1/clusterroles/edit", ADMIN, null, null);
        assertThat(edit.body().path("aggregationRule").path("clusterRoleSelectors").path(0).path("matchLabels").toString())
                .isEqualTo(q("{'rbac.authorization.k8s.io/aggregate-to-edit':'true'}"));
        assertThat(edit.body().path("rules").size()).isGreaterThan(10);
        for (String[] b : new String[][]{{"dev-edit", "edit", "dana"}, {"dev-view", "view", "victor"}, {"dev-admin", "admin", "ada"}}) {
            admin("POST", "/apis/rbac.authorization.k8s.io/v1/namespaces/ns-1/rolebindings", "{'metadata':{'name':'" + b[0] + "'},"
                    + "'roleRef':{'apiGroup':'rbac.authorization.k8s.io','kind':'ClusterRole','name':'" + b[1] + "'},"
                    + "'subjects':[{'kind':'User','name':'" + b[2] + "'}]}");
        }
        String deployment = q("{'apiVersion':'apps/v1','kind':'Deployment','metadata':{'name':'web'},'spec':{'selector':{'matchLabels':"
                + "{'app':'web'}},'template':{'metadata':{'labels':{'app':'web'}},'spec':{'containers':[{'name':'c','image':'nginx'}]}}}}");
        Resp viewer = send("POST", "/apis/apps/v1/namespaces/ns-1/deployments", ADMIN, as("victor"), deployment);
        assertThat(viewer.code()).as(viewer.raw()).isEqualTo(403);
        assertThat(send("GET", "/apis/apps/v1/namespaces/ns-1/deployments", ADMIN, as("victor"), null).code()).isEqualTo(200);
        Resp editor = send("POST", "/apis/apps/v1/namespaces/ns-1/deployments", ADMIN, as("dana"), deployment);
        assertThat(editor.code()).as(editor.raw()).isEqualTo(201);
        assertThat(send("GET", "/api/v1/namespaces/ns-1/secrets", ADMIN, as("dana"), null).code()).isEqualTo(200);
        assertThat(send("GET", "/api/v1/namespaces/ns-2/secrets", ADMIN, as("dana"), null).code()).isEqualTo(403);
        assertThat(send("GET", "/apis/rbac.authorization.k8s.io/v1/namespaces/ns-1/roles", ADMIN, as("dana"), null).code()).isEqualTo(403);
        assertThat(send("GET", "/apis/rbac.authorization.k8s.io/v1/namespaces/ns-1/roles", ADMIN, as("ada"), null).code()).isEqualTo(200);
        assertThat(send("DELETE", "/apis/apps/v1/namespaces/ns-1/deployments/web", ADMIN, as("ada"), null).code()).isEqualTo(200);
    }

    @Test
    void anAggregationRuleNeedsASelector() throws Exception {
        Resp empty = send("POST", "/apis/rbac.authorization.k8s.io/v1/clusterroles", ADMIN, null,
                q("{'metadata':{'name':'agg-empty'},'aggregationRule':{'clusterRoleSelectors':[]}}"));
        assertThat(empty.code()).isEqualTo(422);
        assertThat(empty.body().path("message").asText()).isEqualTo("ClusterRole.rbac.authorization.k8s.io \"agg-empty\" is invalid: "
                + "aggregationRule.clusterRoleSelectors: Required value: at least one clusterRoleSelector required if aggregationRule is non-nil");
        Resp badOp = send("POST", "/apis/rbac.authorization.k8s.io/v1/clusterroles", ADMIN, null,
                q("{'metadata':{'name':'agg-bad'},'aggregationRule':{'clusterRoleSelectors':[{'matchExpressions':[{'key':'a','operator':'Like'}]}]}}"));
        assertThat(badOp.code()).isEqualTo(422);
        assertThat(badOp.body().path("message").asText()).contains("aggregationRule.clusterRoleSelectors[0].matchExpressions[0].operator");
        Resp ok = send("POST", "/apis/rbac.authorization.k8s.io/v1/clusterroles", ADMIN, null,
                q("{'metadata':{'name':'agg-ok'},'aggregationRule':{'clusterRoleSelectors':[{'matchLabels':{'a':'b'}}]}}"));
        assertThat(ok.code()).as(ok.raw()).isEqualTo(201);
        assertThat(ok.body().path("aggregationRule").toString()).isEqualTo(q("{'clusterRoleSelectors':[{'matchLabels':{'a':'b'}}]}"));
    }

    @Test
    void accessReviewsAnswerCanI() throws Exception {
        admin("POST", "/api/v1/namespaces/default/serviceaccounts", "{'metadata':{'name':'reviewer'}}");
        String sa = "system:serviceaccount:default:reviewer";
        String ssar = q("{'apiVersion':'authorization.k8s.io/v1','kind':'SelfSubjectAccessReview','spec':{'resourceAttributes':"
                + "{'namespace':'default','verb':'list','resource':'configmaps'}}}");
        Resp no = send("POST", "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews", ADMIN, as(sa), ssar);
        assertThat(no.code()).as(no.raw()).isEqualTo(201);
        assertThat(no.body().path("status").path("allowed").asBoolean()).isFalse();
        Resp yes = send("POST", "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews", ADMIN, null, ssar);
        assertThat(yes.body().path("status").path("allowed").asBoolean()).isTrue();
        Resp sar = send("POST", "/apis/authorization.k8s.io/v1/subjectaccessreviews", ADMIN, null,
                q("{'spec':{'user':'x','groups':['system:masters'],'nonResourceAttributes':{'path':'/metrics','verb':'get'}}}"));
        assertThat(sar.body().path("status").path("allowed").asBoolean()).isTrue();
        Resp invalid = send("POST", "/apis/authorization.k8s.io/v1/subjectaccessreviews", ADMIN, null, q("{'spec':{'user':'x'}}"));
        assertThat(invalid.code()).isEqualTo(422);
        Resp rules = send("POST", "/apis/authorization.k8s.io/v1/selfsubjectrulesreviews", ADMIN, as(sa), q("{'spec':{'namespace':'default'}}"));
        assertThat(rules.body().path("status").path("nonResourceRules").toString()).contains("/api");
        assertThat(send("GET", "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews", ADMIN, null, null).code()).isEqualTo(405);
    }

    @Test
    void aServiceAccountTokenSecretIsFilledAndItsTokenWorksUntilTheSecretGoes() throws Exception {
        admin("POST", "/api/v1/namespaces/default/serviceaccounts", "{'metadata':{'name':'legacy'}}");
        Resp missing = send("POST", "/api/v1/namespaces/default/secrets", ADMIN, null,
                q("{'metadata':{'name':'no-sa'},'type':'kubernetes.io/service-account-token'}"));
        assertThat(missing.code()).isEqualTo(422);
        assertThat(missing.body().path("message").asText()).contains("metadata.annotations[kubernetes.io/service-account.name]: Required value");
        Resp created = send("POST", "/api/v1/namespaces/default/secrets", ADMIN, null, q("{'metadata':{'name':'legacy-token',"
                + "'annotations':{'kubernetes.io/service-account.name':'legacy'}},'type':'kubernetes.io/service-account-token'}"));
        assertThat(created.code()).as(created.raw()).isEqualTo(201);
        String token = new String(Base64.getDecoder().decode(created.body().path("data").path("token").asText()));
        assertThat(new String(Base64.getDecoder().decode(created.body().path("data").path("namespace").asText()))).isEqualTo("default");
        assertThat(created.body().path("metadata").path("annotations").path("kubernetes.io/service-account.uid").asText()).isNotEmpty();
        Resp whoami = send("POST", "/apis/authentication.k8s.io/v1/selfsubjectreviews", token, null, "{}");
        assertThat(whoami.body().path("status").path("userInfo").path("username").asText()).isEqualTo("system:serviceaccount:default:legacy");
        admin("DELETE", "/api/v1/namespaces/default/secrets/legacy-token", "{}");
        assertThat(send("GET", "/api", token, null, null).code()).isEqualTo(401);
    }
}
