package io.kuberaft.apiserver.patch;

import io.kuberaft.apiserver.ApiServer;
import io.kuberaft.apiserver.InProcessKubectl;
import io.kuberaft.apiserver.InProcessKubectl.Result;
import com.fasterxml.jackson.databind.JsonNode;
import io.kuberaft.raftstore.LocalKvStore;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The real kubectl (1.32) against an in-process server: client-side apply (strategic merge patch with the
 * last-applied-configuration annotation), {@code patch} of the three types, {@code label}/{@code annotate},
 * {@code set image}, server-side apply with conflicts and {@code --force-conflicts}, and the migration of
 * client-side apply ownership to server-side apply. Skipped when /usr/bin/kubectl is absent.
 */
class KubectlPatchTest {

    @TempDir
    static Path tmp;
    static InProcessKubectl fixture;
    static LocalKvStore store;
    static ApiServer server;

    @BeforeAll
    static void start() {
        Assumptions.assumeTrue(InProcessKubectl.available(), "kubectl not installed at /usr/bin/kubectl: skipping the kubectl end-to-end test");
        fixture = new InProcessKubectl(tmp);
        store = fixture.store();
        server = fixture.server();
    }

    @AfterAll
    static void stop() {
        if (fixture != null) {
            fixture.close();
        }
    }

    static Result kubectl(String... args) throws Exception {
        return fixture.kubectl(90, args);
    }

    static Path manifest(String name, String yaml) throws Exception {
        Path p = tmp.resolve(name + ".yaml");
        Files.writeString(p, yaml);
        return p;
    }

    static String deployment(String name, int replicas, String webImage, String webPorts, String extraContainers) {
        return """
                apiVersion: apps/v1
                kind: Deployment
                metadata:
                  name: %s
                  labels:
                    app: %s
                spec:
                  replicas: %d
                  selector:
                    matchLabels:
                      app: %s
                  template:
                    metadata:
                      labels:
                        app: %s
                    spec:
                      containers:
                      - name: web
                        image: %s
                        ports:
                %s%s""".formatted(name, name, replicas, name, name, webImage, webPorts, extraContainers);
    }

    static String ports(int... ports) {
        StringBuilder b = new StringBuilder();
        for (int p : ports) {
            b.append("        - containerPort: ").append(p).append('\n');
        }
        return b.toString();
    }

    static final String SIDECAR = """
                  - name: sidecar
                    image: busybox
            """;

    static JsonNode get(String name) throws Exception {
        return Json.MAPPER.readTree(kubectl("get", "deployment", name, "-o", "json", "--show-managed-fields").ok().out());
    }

    static JsonNode container(JsonNode deploy, String name) {
        for (JsonNode c : deploy.path("spec").path("template").path("spec").path("containers")) {
            if (c.path("name").asText().equals(name)) {
                return c;
            }
        }
        return null;
    }

    static List<String> managers(JsonNode obj) {
        List<String> out = new ArrayList<>();
        obj.path("metadata").path("managedFields").forEach(e -> out.add(e.path("manager").asText() + "/" + e.path("operation").asText()));
        return out;
    }

    static List<Integer> webPorts(JsonNode deploy) {
        List<Integer> out = new ArrayList<>();
        container(deploy, "web").path("ports").forEach(p -> out.add(p.path("containerPort").asInt()));
        return out;
    }

    @Test
    void clientSideApplyPatchLabelAnnotateAndSetImage() throws Exception {
        Path v1 = manifest("web-v1", deployment("web", 2, "nginx:1.24", ports(80, 8080), SIDECAR));
        assertThat(kubectl("apply", "--validate=false", "-f", v1.toString()).ok().out()).contains("deployment.apps/web created");
        JsonNode created = get("web");
        assertThat(created.path("metadata").path("annotations").has("kubectl.kubernetes.io/last-applied-configuration")).isTrue();
        assertThat(managers(created)).contains("kubectl-client-side-apply/Update");

        // Change replicas and drop port 8080 from the manifest: configured, the port is gone, the sidecar stays.
        Path v2 = manifest("web-v2", deployment("web", 3, "nginx:1.24", ports(80), SIDECAR));
        assertThat(kubectl("apply", "--validate=false", "-f", v2.toString()).ok().out()).contains("deployment.apps/web configured");
        JsonNode configured = get("web");
        assertThat(configured.path("spec").path("replicas").asInt()).isEqualTo(3);
        assertThat(webPorts(configured)).containsExactly(80);
        assertThat(container(configured, "sidecar")).isNotNull();
        assertThat(kubectl("apply", "--validate=false", "-f", v2.toString()).ok().out()).contains("deployment.apps/web unchanged");

        // Removing the sidecar from the manifest removes it.
        Path v3 = manifest("web-v3", deployment("web", 3, "nginx:1.24", ports(80, 443), ""));
        assertThat(kubectl("apply", "--validate=false", "-f", v3.toString()).ok().out()).contains("configured");
        JsonNode noSidecar = get("web");
        assertThat(container(noSidecar, "sidecar")).isNull();
        assertThat(webPorts(noSidecar)).containsExactly(80, 443);
        kubectl("apply", "--validate=false", "-f", v1.toString()).ok();
        assertThat(container(get("web"), "sidecar")).isNotNull();

        // kubectl patch (strategic by default) merges containers by name.
        assertThat(kubectl("patch", "deploy", "web", "-p",
                "{\"spec\":{\"template\":{\"spec\":{\"containers\":[{\"name\":\"web\",\"image\":\"nginx:1.25\"}]}}}}").ok().out())
                .contains("deployment.apps/web patched");
        JsonNode patched = get("web");
        assertThat(container(patched, "web").path("image").asText()).isEqualTo("nginx:1.25");
        assertThat(container(patched, "sidecar").path("image").asText()).isEqualTo("busybox");
        assertThat(webPorts(patched)).containsExactly(80, 8080);
        assertThat(managers(patched)).contains("kubectl-patch/Update");

        kubectl("patch", "deploy", "web", "--type=json", "-p", "[{\"op\":\"replace\",\"path\":\"/spec/replicas\",\"value\":4}]").ok();
        assertThat(get("web").path("spec").path("replicas").asInt()).isEqualTo(4);
        kubectl("patch", "deploy", "web", "--type=merge", "-p", "{\"metadata\":{\"labels\":{\"tier\":\"front\"}}}").ok();
        assertThat(get("web").path("metadata").path("labels").path("tier").asText()).isEqualTo("front");
        Result badJson = kubectl("patch", "deploy", "web", "--type=json", "-p", "[{\"op\":\"test\",\"path\":\"/spec/replicas\",\"value\":9}]");
        assertThat(badJson.code()).isNotZero();

        // label / annotate, with and without --overwrite
        assertThat(kubectl("label", "deploy", "web", "env=prod").ok().out()).contains("deployment.apps/web labeled");
        Result refused = kubectl("label", "deploy", "web", "env=dev");
        assertThat(refused.code()).isNotZero();
        assertThat(refused.err()).contains("already has a value (prod)");
        kubectl("label", "deploy", "web", "env=dev", "--overwrite").ok();
        kubectl("annotate", "deploy", "web", "note=a").ok();
        kubectl("annotate", "deploy", "web", "note=b", "--overwrite").ok();
        JsonNode labeled = get("web");
        assertThat(labeled.path("metadata").path("labels").path("env").asText()).isEqualTo("dev");
        assertThat(labeled.path("metadata").path("annotations").path("note").asText()).isEqualTo("b");
        assertThat(managers(labeled)).contains("kubectl-label/Update", "kubectl-annotate/Update");
        kubectl("label", "deploy", "web", "env-").ok();
        assertThat(get("web").path("metadata").path("labels").has("env")).isFalse();

        // set image changes one container
        assertThat(kubectl("set", "image", "deployment/web", "web=nginx:1.26").ok().out()).contains("image updated");
        JsonNode imaged = get("web");
        assertThat(container(imaged, "web").path("image").asText()).isEqualTo("nginx:1.26");
        assertThat(container(imaged, "sidecar").path("image").asText()).isEqualTo("busybox");
        assertThat(managers(imaged)).contains("kubectl-set/Update");
    }

    @Test
    void writesThatChangeNothingKeepTheResourceVersion() throws Exception {
        Path v1 = manifest("noop", deployment("noop", 2, "nginx:1.24", ports(80), ""));
        assertThat(kubectl("apply", "--validate=false", "-f", v1.toString()).ok().out()).contains("deployment.apps/noop created");
        String rv = get("noop").path("metadata").path("resourceVersion").asText();

        assertThat(kubectl("patch", "deployment", "noop", "-p", "{\"spec\":{\"replicas\":2}}").ok().out())
                .contains("deployment.apps/noop patched (no change)");
        assertThat(kubectl("label", "deployment", "noop", "app=noop", "--overwrite").ok().out())
                .contains("deployment.apps/noop not labeled");
        assertThat(kubectl("apply", "--server-side", "--validate=false", "-f", v1.toString()).ok().out())
                .contains("deployment.apps/noop serverside-applied");
        String afterSsa = get("noop").path("metadata").path("resourceVersion").asText();
        // the first server-side apply takes ownership (managedFields change): a real write; the second is a no-op
        assertThat(kubectl("apply", "--server-side", "--validate=false", "-f", v1.toString()).ok().out())
                .contains("deployment.apps/noop serverside-applied");
        assertThat(get("noop").path("metadata").path("resourceVersion").asText()).isEqualTo(afterSsa);
        assertThat(kubectl("patch", "deployment", "noop", "-p", "{\"spec\":{\"replicas\":3}}").ok().out())
                .contains("deployment.apps/noop patched");
        assertThat(get("noop").path("metadata").path("resourceVersion").asText()).isNotIn(rv, afterSsa);
    }

    @Test
    void serverSideApplyConflictsAndForce() throws Exception {
        Path v1 = manifest("ssa-v1", deployment("ssa", 2, "nginx:1.24", ports(80, 8080), SIDECAR));
        assertThat(kubectl("apply", "--server-side", "--validate=false", "-f", v1.toString()).ok().out())
                .contains("deployment.apps/ssa serverside-applied");
        assertThat(kubectl("apply", "--server-side", "--validate=false", "-f", v1.toString()).ok().out())
                .contains("deployment.apps/ssa serverside-applied");
        JsonNode applied = get("ssa");
        assertThat(managers(applied)).containsExactly("kubectl/Apply");

        // Fields dropped from the configuration are removed.
        Path v2 = manifest("ssa-v2", deployment("ssa", 2, "nginx:1.24", ports(80), ""));
        kubectl("apply", "--server-side", "--validate=false", "-f", v2.toString()).ok();
        JsonNode pruned = get("ssa");
        assertThat(webPorts(pruned)).containsExactly(80);
        assertThat(container(pruned, "sidecar")).isNull();

        // Another manager changing replicas conflicts, --force-conflicts takes the field over.
        Path other = manifest("ssa-other", deployment("ssa", 5, "nginx:1.24", ports(80), ""));
        Result conflict = kubectl("apply", "--server-side", "--validate=false", "--field-manager=other", "-f", other.toString());
        assertThat(conflict.code()).isNotZero();
        assertThat(conflict.err()).contains("Apply failed with 1 conflict: conflict with \"kubectl\": .spec.replicas")
                .contains("--force-conflicts");
        assertThat(get("ssa").path("spec").path("replicas").asInt()).isEqualTo(2);
        kubectl("apply", "--server-side", "--validate=false", "--field-manager=other", "--force-conflicts", "-f", other.toString()).ok();
        JsonNode forced = get("ssa");
        assertThat(forced.path("spec").path("replicas").asInt()).isEqualTo(5);
        assertThat(managers(forced)).contains("kubectl/Apply", "other/Apply");

        // kubectl patch on an applied object, then the applier conflicts with kubectl-patch.
        kubectl("patch", "deploy", "ssa", "-p", "{\"spec\":{\"template\":{\"spec\":{\"containers\":[{\"name\":\"web\",\"image\":\"nginx:1.27\"}]}}}}").ok();
        Result withPatch = kubectl("apply", "--server-side", "--validate=false", "-f", v2.toString());
        assertThat(withPatch.code()).isNotZero();
        assertThat(withPatch.err()).contains("Apply failed with 2 conflicts: conflicts with \"kubectl-patch\" using apps/v1:\n"
                + "- .spec.template.spec.containers[name=\"web\"].image\nconflicts with \"other\":\n- .spec.replicas\n");
    }

    @Test
    void clientSideApplyOwnershipAndTheMoveToServerSideApply() throws Exception {
        Path v1 = manifest("mig-v1", deployment("mig", 2, "nginx:1.24", ports(80), SIDECAR));
        kubectl("apply", "--validate=false", "-f", v1.toString()).ok();

        // A different server-side applier conflicts with client-side apply's fields.
        Path changed = manifest("mig-other", deployment("mig", 3, "nginx:1.24", ports(80), SIDECAR));
        Result conflict = kubectl("apply", "--server-side", "--validate=false", "--field-manager=other", "-f", changed.toString());
        assertThat(conflict.code()).isNotZero();
        assertThat(conflict.err()).contains("Apply failed with 1 conflict: conflict with \"kubectl-client-side-apply\" using apps/v1: .spec.replicas");

        // kubectl's own server-side apply takes over what client-side apply last applied, without conflicts.
        assertThat(kubectl("apply", "--server-side", "--validate=false", "-f", changed.toString()).ok().out())
                .contains("deployment.apps/mig serverside-applied");
        JsonNode migrated = get("mig");
        assertThat(migrated.path("spec").path("replicas").asInt()).isEqualTo(3);
        assertThat(managers(migrated)).contains("kubectl/Apply").doesNotContain("kubectl-client-side-apply/Update");
        assertThat(migrated.path("metadata").path("annotations").path("kubectl.kubernetes.io/last-applied-configuration").asText())
                .contains("\"replicas\":3");

        // From now on server-side apply removes what the manifest drops.
        Path v2 = manifest("mig-v2", deployment("mig", 3, "nginx:1.24", ports(80), ""));
        kubectl("apply", "--server-side", "--validate=false", "-f", v2.toString()).ok();
        assertThat(container(get("mig"), "sidecar")).isNull();
    }
}
