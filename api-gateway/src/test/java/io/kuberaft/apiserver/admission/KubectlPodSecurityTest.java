package io.kuberaft.apiserver.admission;

import io.kuberaft.apiserver.InProcessKubectl;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/** The docs' "Enforce Pod Security Standards with Namespace Labels", through real kubectl. */
class KubectlPodSecurityTest {
    @TempDir
    static Path tmp;
    static InProcessKubectl k;

    @BeforeAll
    static void start() {
        Assumptions.assumeTrue(InProcessKubectl.available(), "kubectl not installed: skipping the end-to-end test");
        k = new InProcessKubectl(tmp);
    }

    @AfterAll
    static void stop() {
        if (k != null) {
            k.close();
        }
    }

    static final String RESTRICTED_NGINX = "allowPrivilegeEscalation != false (container \"nginx\" must set securityContext.allowPrivilegeEscalation=false), "
            + "unrestricted capabilities (container \"nginx\" must set securityContext.capabilities.drop=[\"ALL\"]), "
            + "runAsNonRoot != true (pod or container \"nginx\" must set securityContext.runAsNonRoot=true), "
            + "seccompProfile (pod or container \"nginx\" must set securityContext.seccompProfile.type to \"RuntimeDefault\" or \"Localhost\")";

    @Test
    void anEnforcedLevelRefusesPodsAndWarnsForWorkloads() throws Exception {
        k.kubectl(30, "create", "namespace", "psa").ok();
        k.kubectl(30, "label", "namespace", "psa", "pod-security.kubernetes.io/enforce=restricted").ok();

        InProcessKubectl.Result refused = k.kubectl(30, "run", "nginx", "--image=nginx", "-n", "psa");
        assertThat(refused.code()).isNotZero();
        assertThat(refused.err()).isEqualTo("Error from server (Forbidden): pods \"nginx\" is forbidden: violates PodSecurity "
                + "\"restricted:latest\": " + RESTRICTED_NGINX + "\n");

        InProcessKubectl.Result deployment = k.kubectl(30, "create", "deployment", "nginx", "--image=nginx", "-n", "psa").ok();
        assertThat(deployment.out()).contains("deployment.apps/nginx created");
        assertThat(deployment.err()).isEqualTo("Warning: would violate PodSecurity \"restricted:latest\": " + RESTRICTED_NGINX + "\n");

        Path ok = tmp.resolve("restricted-ok.yaml");
        Files.writeString(ok, """
                apiVersion: v1
                kind: Pod
                metadata: {name: compliant, namespace: psa}
                spec:
                  securityContext: {runAsNonRoot: true, seccompProfile: {type: RuntimeDefault}}
                  containers:
                  - name: app
                    image: nginx
                    securityContext: {allowPrivilegeEscalation: false, capabilities: {drop: [ALL]}}
                """);
        InProcessKubectl.Result created = k.kubectl(30, "apply", "-f", ok.toString()).ok();
        assertThat(created.out()).contains("pod/compliant created");
        assertThat(created.err()).isEmpty();
    }

    @Test
    void baselineRefusesHostNamespacesAndPrivilegedAndWarnsAtItsWarnLevel() throws Exception {
        k.kubectl(30, "create", "namespace", "psb").ok();
        k.kubectl(30, "label", "namespace", "psb", "pod-security.kubernetes.io/enforce=baseline",
                "pod-security.kubernetes.io/warn=restricted", "pod-security.kubernetes.io/warn-version=v1.32").ok();
        Path host = tmp.resolve("host.yaml");
        Files.writeString(host, """
                apiVersion: v1
                kind: Pod
                metadata: {name: host, namespace: psb}
                spec:
                  hostNetwork: true
                  containers:
                  - {name: a, image: nginx, securityContext: {privileged: true}}
                  - {name: b, image: nginx, securityContext: {privileged: true}, ports: [{containerPort: 80, hostPort: 8080}]}
                """);
        InProcessKubectl.Result refused = k.kubectl(30, "apply", "-f", host.toString());
        assertThat(refused.err()).contains("pods \"host\" is forbidden: violates PodSecurity \"baseline:latest\": host namespaces (hostNetwork=true), "
                + "hostPort (container \"b\" uses hostPort 8080), privileged (containers \"a\", \"b\" must not set securityContext.privileged=true)");
        InProcessKubectl.Result admitted = k.kubectl(30, "run", "plain", "--image=nginx", "-n", "psb").ok();
        assertThat(admitted.err()).as("baseline lets it in, the restricted warn level warns")
                .startsWith("Warning: would violate PodSecurity \"restricted:v1.32\": allowPrivilegeEscalation != false (container \"plain\"");
        assertThat(k.kubectl(30, "run", "free", "--image=nginx").ok().err()).as("an unlabelled namespace is privileged").isEmpty();
    }

    /** Labelling a namespace with an enforce level warns about the pods already there that violate it (they keep running). */
    @Test
    void aNewEnforceLevelWarnsAboutExistingPods() throws Exception {
        k.kubectl(30, "create", "namespace", "psc").ok();
        for (String pod : new String[] {"web-1", "web-2", "web-3"}) {
            k.kubectl(30, "run", pod, "--image=nginx", "-n", "psc").ok();
        }
        InProcessKubectl.Result dry = k.kubectl(30, "label", "--dry-run=server", "--overwrite", "ns", "psc",
                "pod-security.kubernetes.io/enforce=baseline").ok();
        assertThat(dry.err()).as("nginx passes baseline").isEmpty();
        InProcessKubectl.Result labelled = k.kubectl(30, "label", "ns", "psc", "pod-security.kubernetes.io/enforce=restricted").ok();
        assertThat(labelled.out()).contains("namespace/psc labeled");
        assertThat(labelled.err()).isEqualTo("""
                Warning: existing pods in namespace "psc" violate the new PodSecurity enforce level "restricted:latest"
                Warning: web-1 (and 2 other pods): allowPrivilegeEscalation != false, unrestricted capabilities, runAsNonRoot != true, seccompProfile
                """);
        assertThat(k.kubectl(30, "get", "pods", "-n", "psc", "-o", "name").ok().out().lines().count()).isEqualTo(3);
        assertThat(k.kubectl(30, "label", "--overwrite", "ns", "psc", "team=a").ok().err()).as("the level did not change").isEmpty();
    }
}
