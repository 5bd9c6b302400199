package io.kuberaft.apiserver.admission;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.kuberaft.apiserver.registry.GenericRegistry;
import io.kuberaft.kubeapi.StatusException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import static io.kuberaft.apiserver.admission.Cluster.error;
import static io.kuberaft.apiserver.admission.Cluster.fails;
import static org.assertj.core.api.Assertions.assertThat;

class NamespaceLifecycleTest {
    @TempDir
    Path dir;
    Cluster c;

    @BeforeEach
    void start() {
        c = new Cluster(dir);
    }

    @AfterEach
    void stop() {
        c.close();
    }

    @Test
    void systemNamespacesExistAndBootstrapIsIdempotentAcrossReplicas() throws Exception {
        assertThat(c.list("", "namespaces", null)).extracting(n -> n.path("metadata").path("name").asText())
                .containsExactlyInAnyOrder("default", "kube-node-lease", "kube-public", "kube-system");
        String uid = c.get("", "namespaces", null, "default").path("metadata").path("uid").asText();
        ExecutorService pool = Executors.newFixedThreadPool(4);
        List<Future<?>> runs = new ArrayList<>();
        for (int i = 0; i < 8; i++) {
            GenericRegistry replica = c.replica();
            runs.add(pool.submit(() -> new SystemBootstrap(new Lookup(c.resources, c.store)).ensureAll(replica)));
        }
        for (Future<?> f : runs) {
            f.get();
        }
        pool.shutdown();
        assertThat(c.list("", "namespaces", null)).hasSize(4);
        assertThat(c.get("", "namespaces", null, "default").path("metadata").path("uid").asText()).isEqualTo(uid);
        assertThat(c.list("", "services", "default")).hasSize(1);
        assertThat(c.list("scheduling.k8s.io", "priorityclasses", null)).extracting(p -> p.path("metadata").path("name").asText())
                .containsExactlyInAnyOrder("system-cluster-critical", "system-node-critical");
    }

    @Test
    void missingSystemNamespacesAreCreatedOnDemand() {
        c.store.delete(c.def("", "namespaces"), null, "kube-public", 0);
        ObjectNode cm = c.create("", "configmaps", "kube-public", "metadata: {name: cluster-info}");
        assertThat(cm).isNotNull();
        assertThat(c.get("", "namespaces", null, "kube-public").path("status").path("phase").asText()).isEqualTo("Active");
    }

    @Test
    void noContentInMissingNamespaces() {
        fails(() -> c.create("", "configmaps", "nowhere", "metadata: {name: x}"), 404, "namespaces \"nowhere\" not found");
        fails(() -> c.create("apps", "deployments", "nowhere", "metadata: {name: x}\nspec: {selector: {matchLabels: {a: b}}, template: "
                + "{metadata: {labels: {a: b}}, spec: {containers: [{name: a, image: x}]}}}"), 404, "namespaces \"nowhere\" not found");
    }

    @Test
    void noNewContentInTerminatingNamespaces() {
        c.namespace("doomed");
        c.create("", "configmaps", "doomed", "metadata: {name: before}");
        c.delete("", "namespaces", null, "doomed");
        StatusException e = error(() -> c.create("", "configmaps", "doomed", "metadata: {name: after}"));
        assertThat(e.code()).isEqualTo(403);
        assertThat(e.reason()).isEqualTo("Forbidden");
        assertThat(e.getMessage()).isEqualTo("configmaps \"after\" is forbidden: unable to create new content in namespace doomed because it is being terminated");
        assertThat(e.causes()).singleElement().satisfies(cause -> {
            assertThat(cause.reason()).isEqualTo("NamespaceTerminating");
            assertThat(cause.field()).isEqualTo("metadata.namespace");
            assertThat(cause.message()).isEqualTo("namespace doomed is being terminated");
        });
        // existing content can still be updated and deleted
        ObjectNode before = c.get("", "configmaps", "doomed", "before");
        before.putObject("data").put("k", "v");
        c.update("", "configmaps", "doomed", before);
        c.delete("", "configmaps", "doomed", "before");
    }

    /** A namespace that starts terminating between admission's read and the create's commit is noticed (txn compare). */
    @Test
    void theNamespaceReadIsPinnedInTheCreateTxn() {
        c.namespace("racy");
        var chain = StandardAdmission.chain(c.resources, c.store);
        ObjectNode obj = Cluster.yaml("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x, namespace: racy}");
        var ops = chain.admit(io.kuberaft.apiserver.admission.AdmissionPlugin.Operation.CREATE, c.def("", "configmaps"), "racy", obj, null);
        c.delete("", "namespaces", null, "racy");
        StatusException e = error(() -> c.store.create(c.def("", "configmaps"), "racy", "x", obj, ops));
        assertThat(e).isInstanceOf(io.kuberaft.apiserver.registry.StoreOps.Conflict.class);
    }

    @Test
    void immortalNamespacesCannotBeDeleted() {
        for (String ns : List.of("default", "kube-system", "kube-public")) {
            fails(() -> c.delete("", "namespaces", null, ns), 403, "namespaces \"" + ns + "\" is forbidden: this namespace may not be deleted");
        }
    }
}
