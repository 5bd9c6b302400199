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
    void nobodyGrantsPermissionsItDoesNotHoldUnlessItMayEscalateOrBind() throws Exception {
        String sa = "system:serviceaccount:default:deployer";
        k.kubectl(30, "create", "serviceaccount", "deployer").ok();
        k.kubectl(30, "create", "role", "rbac-writer", "--verb=create,get,list,update,patch", "--resource=roles,rolebindings,pods").ok();
        k.kubectl(30, "create", "rolebinding", "rbac-writer", "--role=rbac-writer", "--serviceaccount=default:deployer").ok();
        Instant deadline = Instant.now().plus(Duration.ofSeconds(10));
        while (k.kubectl(30, "get", "pods", "--as", sa).code() != 0) {
            assertThat(Instant.now()).as("the binding takes effect").isBefore(deadline);
        }
        String held = "user \"" + sa + "\" (groups=[\"system:serviceaccounts\" \"system:serviceaccounts:default\" \"system:authenticated\"])"
                + " is attempting to grant RBAC permissions not currently held:\n";

        // a role within what it holds: fine; one with more: refused, naming what is missing, and nothing is written
        k.kubectl(30, "create", "role", "pod-reader", "--verb=get,list", "--resource=pods", "--as", sa).ok();
        InProcessKubectl.Result more = k.kubectl(30, "create", "role", "secret-reader", "--verb=get,list", "--resource=secrets,pods", "--as", sa);
        assertThat(more.code()).isEqualTo(1);
        assertThat(more.err()).isEqualTo("Error from server (Forbidden): roles.rbac.authorization.k8s.io \"secret-reader\" is forbidden: " + held
                + "{APIGroups:[\"\"], Resources:[\"secrets\"], Verbs:[\"get\" \"list\"]}\n");
        assertThat(k.kubectl(30, "get", "role", "secret-reader").code()).isEqualTo(1);
        InProcessKubectl.Result patch = k.kubectl(30, "patch", "role", "pod-reader", "--type=json", "-p",
                "[{\"op\":\"add\",\"path\":\"/rules/-\",\"value\":{\"apiGroups\":[\"\"],\"resources\":[\"secrets\"],\"verbs\":[\"delete\"]}}]",
                "--as", sa);
        assertThat(patch.err()).endsWith(held + "{APIGroups:[\"\"], Resources:[\"secrets\"], Verbs:[\"delete\"]}\n");
        assertThat(k.kubectl(30, "get", "role", "pod-reader", "-o", "jsonpath={.rules[*].resources}").ok().out()).isEqualTo("[\"pods\"]");
        k.kubectl(30, "label", "role", "pod-reader", "team=a", "--as", sa).ok();

        // binding: a role it holds every permission of, yes; cluster-admin to itself, no
        k.kubectl(30, "create", "rolebinding", "readers", "--role=pod-reader", "--serviceaccount=default:deployer", "--as", sa).ok();
        InProcessKubectl.Result admin = k.kubectl(30, "create", "rolebinding", "me-admin", "--clusterrole=cluster-admin",
                "--serviceaccount=default:deployer", "--as", sa);
        assertThat(admin.code()).isEqualTo(1);
        assertThat(admin.err()).startsWith("error: failed to create rolebinding: rolebindings.rbac.authorization.k8s.io \"me-admin\" is forbidden: "
                + held + "{APIGroups:[\"*\"], Resources:[\"*\"], Verbs:[\"*\"]}\n");
        assertThat(k.kubectl(30, "auth", "can-i", "delete", "secrets", "--as", sa).out()).isEqualTo("no\n");

        // `bind` on one ClusterRole lets it hand out exactly that one; `escalate` lets it write any Role
        k.kubectl(30, "create", "role", "view-binder", "--verb=bind", "--resource=clusterroles.rbac.authorization.k8s.io",
                "--resource-name=view").ok();
        k.kubectl(30, "create", "rolebinding", "view-binder", "--role=view-binder", "--serviceaccount=default:deployer").ok();
        deadline = Instant.now().plus(Duration.ofSeconds(10));
        while (k.kubectl(30, "create", "rolebinding", "viewers", "--clusterrole=view", "--group=viewers", "--as", sa).code() != 0) {
            assertThat(Instant.now()).as("bind on the view ClusterRole takes effect").isBefore(deadline);
        }
        assertThat(k.kubectl(30, "create", "rolebinding", "editors", "--clusterrole=edit", "--group=editors", "--as", sa).err())
                .contains("is attempting to grant RBAC permissions not currently held");
        k.kubectl(30, "create", "role", "escalator", "--verb=escalate", "--resource=roles.rbac.authorization.k8s.io").ok();
        k.kubectl(30, "create", "rolebinding", "escalator", "--role=escalator", "--serviceaccount=default:deployer").ok();
        deadline = Instant.now().plus(Duration.ofSeconds(10));
        while (k.kubectl(30, "create", "role", "secret-reader", "--verb=get", "--resource=secrets", "--as", sa).code() != 0) {
            assertThat(Instant.now()).as("escalate takes effect").isBefore(deadline);
        }
        // the binding of a role that does not exist is a 404 for a checked user (an admin may create it dangling)
        assertThat(k.kubectl(30, "create", "rolebinding", "ghost", "--role=no-such-role", "--group=g", "--as", sa).err())
                .isEqualTo("error: failed to create rolebinding: roles.rbac.authorization.k8s.io \"no-such-role\" not found\n");
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
