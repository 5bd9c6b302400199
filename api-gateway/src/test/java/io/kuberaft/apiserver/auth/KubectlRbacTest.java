package io.kuberaft.apiserver.auth;

import io.kuberaft.apiserver.InProcessKubectl;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Real kubectl with {@code --as} (the server is the admin's without authentication; impersonating a ServiceAccount
 * puts its requests through RBAC): the seed's impersonation session (002:651-782) with upstream's texts.
 */
class KubectlRbacTest {
    @TempDir
    static Path tmp;
    static InProcessKubectl k;
    static final String SA = "system:serviceaccount:default:alicek106";

    @BeforeAll
    static void start() throws Exception {
        assumeTrue(InProcessKubectl.available(), "kubectl is not installed");
        k = new InProcessKubectl(tmp);
        Instant deadline = Instant.now().plus(Duration.ofSeconds(30));
        while (k.kubectl(30, "get", "clusterrolebinding", "system:basic-user").code() != 0) {
            assertThat(Instant.now()).as("default RBAC policy created").isBefore(deadline);
            Thread.sleep(100);
        }
        k.kubectl(30, "create", "serviceaccount", "alicek106").ok();
    }

    @AfterAll
    static void stop() {
        if (k != null) {
            k.close();
        }
    }

    @Test
    void aServiceAccountIsForbiddenUntilARoleIsBoundToIt() throws Exception {
        InProcessKubectl.Result denied = k.kubectl(30, "get", "services", "--as", SA);
        assertThat(denied.code()).isEqualTo(1);
        assertThat(denied.err()).isEqualTo("Error from server (Forbidden): services is forbidden: User \"" + SA
                + "\" cannot list resource \"services\" in API group \"\" in the namespace \"default\"\n");
        assertThat(k.kubectl(30, "auth", "can-i", "list", "services", "--as", SA).out()).isEqualTo("no\n");
        k.kubectl(30, "create", "role", "service-reader", "--verb=get,list", "--resource=services").ok();
        assertThat(k.kubectl(30, "create", "rolebinding", "service-reader", "--role=service-reader", "--serviceaccount=default:alicek106")
                .ok().out()).isEqualTo("rolebinding.rbac.authorization.k8s.io/service-reader created\n");
        assertThat(k.kubectl(30, "get", "rolebinding", "service-reader").ok().out()).contains("Role/service-reader");
        Instant deadline = Instant.now().plus(Duration.ofSeconds(10));
        while (k.kubectl(30, "get", "services", "--as", SA).code() != 0) {
            assertThat(Instant.now()).as("the binding takes effect").isBefore(deadline);
        }
        assertThat(k.kubectl(30, "auth", "can-i", "list", "services", "--as", SA).ok().out()).isEqualTo("yes\n");
        assertThat(k.kubectl(30, "auth", "can-i", "delete", "services", "--as", SA).out()).isEqualTo("no\n");
    }

    @Test
    void aClusterRoleBindingLetsItListNodes() throws Exception {
        k.kubectl(30, "create", "serviceaccount", "node-watcher").ok();
        String sa = "system:serviceaccount:default:node-watcher";
        assertThat(k.kubectl(30, "get", "nodes", "--as", sa).err()).isEqualTo("Error from server (Forbidden): nodes is forbidden: User \""
                + sa + "\" cannot list resource \"nodes\" in API group \"\" at the cluster scope\n");
        assertThat(k.kubectl(30, "create", "clusterrole", "nodes-reader", "--verb=get,list,watch", "--resource=nodes").ok().out())
                .isEqualTo("clusterrole.rbac.authorization.k8s.io/nodes-reader created\n");
        k.kubectl(30, "create", "clusterrolebinding", "nodes-reader", "--clusterrole=nodes-reader", "--serviceaccount=default:node-watcher").ok();
        assertThat(k.kubectl(30, "get", "nodes", "--as", sa).ok().err()).isEqualTo("No resources found\n");
        assertThat(k.kubectl(30, "get", "clusterrole", "cluster-admin").ok().out()).startsWith("NAME            CREATED AT\ncluster-admin");
    }

    @Test
    void whoamiShowsTheImpersonatedUser() throws Exception {
        String out = k.kubectl(30, "auth", "whoami", "--as", "bob", "--as-group", "devs").ok().out();
        assertThat(out).contains("Username    bob").contains("Groups      [devs system:authenticated]");
    }

    @Test
    void theDefaultEditRoleGrantsFromTheStart() throws Exception {
        // an API server alone, no controllers: edit is bootstrapped with its aggregated rules filled
        assertThat(k.kubectl(30, "auth", "can-i", "create", "deployments", "--as", "erin").out()).isEqualTo("no\n");
        k.kubectl(30, "create", "rolebinding", "erin-edit", "--clusterrole=edit", "--user=erin").ok();
        Instant deadline = Instant.now().plus(Duration.ofSeconds(10));
        while (!k.kubectl(30, "auth", "can-i", "create", "deployments", "--as", "erin").out().equals("yes\n")) {
            assertThat(Instant.now()).as("the binding takes effect").isBefore(deadline);
        }
        assertThat(k.kubectl(30, "auth", "can-i", "get", "secrets", "--as", "erin").out()).isEqualTo("yes\n");
        assertThat(k.kubectl(30, "auth", "can-i", "create", "rolebindings", "--as", "erin").out()).isEqualTo("no\n");
        assertThat(k.kubectl(30, "auth", "can-i", "create", "deployments", "--as", "erin", "-n", "kube-system").out()).isEqualTo("no\n");
        assertThat(k.kubectl(30, "get", "clusterrole", "edit", "-o", "jsonpath={.aggregationRule.clusterRoleSelectors[0].matchLabels}")
                .ok().out()).isEqualTo("{\"rbac.authorization.k8s.io/aggregate-to-edit\":\"true\"}");
    }
}
