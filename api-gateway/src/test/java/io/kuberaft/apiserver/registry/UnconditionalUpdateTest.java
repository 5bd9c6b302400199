package io.kuberaft.apiserver.registry;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.kuberaft.apiserver.admission.AdmissionChain;
import io.kuberaft.apiserver.admission.AdmissionPlugin;
import io.kuberaft.apiserver.admission.Cluster;
import io.kuberaft.apiserver.admission.StandardAdmission;
import io.kuberaft.kubeapi.StatusException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.CopyOnWriteArrayList;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * A PUT without resourceVersion is unconditional: concurrent ones through two API replicas all succeed
 * (upstream retries them on conflict). Found by the chaos register workload (register-kube, seed 1):
 * writes failed with 409 "the object has been modified" although they carried no resourceVersion.
 */
class UnconditionalUpdateTest {
    @TempDir
    Path dir;

    @Test
    void concurrentUnconditionalPutsNeverConflict() throws Exception {
        try (Cluster c = new Cluster(dir)) {
            c.create("", "configmaps", "default", "metadata: {name: reg}\ndata: {value: '0'}");
            List<GenericRegistry> replicas = List.of(c.api, c.replica());
            List<Throwable> errors = new CopyOnWriteArrayList<>();
            List<Thread> threads = new ArrayList<>();
            for (int t = 0; t < 4; t++) {
                int id = t;
                threads.add(new Thread(() -> {
                    for (int i = 0; i < 40; i++) {
                        ObjectNode o = Cluster.yaml("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: reg}\ndata: {value: '" + (id * 100 + i) + "'}");
                        try {
                            replicas.get(id % 2).update(c.def("", "configmaps"), "default", "reg", o, GenericRegistry.WriteOptions.DEFAULT);
                        } catch (Throwable e) {
                            errors.add(e);
                        }
                    }
                }));
            }
            threads.forEach(Thread::start);
            for (Thread t : threads) {
                t.join();
            }
            assertThat(errors).isEmpty();
            assertThat(c.get("", "configmaps", "default", "reg").path("data").path("value").asText()).matches("\\d*39");
        }
    }

    /**
     * Found by CI (GarbageCollectorTest): a DELETE without preconditions got 409 because a controller
     * updated the object between the delete's read and its write. An admission plugin makes that race
     * happen every time: on the first DELETE it writes the object through another replica.
     */
    @Test
    void deletesWithoutPreconditionsRetryAfterAConcurrentWrite() throws Exception {
        try (Cluster c = new Cluster(dir)) {
            var def = c.def("", "configmaps");
            GenericRegistry other = c.replica();
            AtomicInteger raced = new AtomicInteger();
            AdmissionChain racing = StandardAdmission.chain(c.resources, c.store).register(new AdmissionPlugin() {
                public String name() {
                    return "RacingController";
                }

                public Set<Operation> operations() {
                    return Set.of(Operation.DELETE);
                }

                public boolean mutating() {
                    return false;
                }

                public void admit(Attributes a) {
                    if (raced.getAndIncrement() == 0) {
                        ObjectNode o = a.old().deepCopy();
                        ((ObjectNode) o.with("data")).put("v", "changed");
                        ((ObjectNode) o.get("metadata")).remove("resourceVersion");
                        other.update(def, "default", a.name(), o, GenericRegistry.WriteOptions.DEFAULT);
                    }
                }
            });
            GenericRegistry api = new GenericRegistry(c.store, racing);
            // with a finalizer the delete is an update (it sets deletionTimestamp); without one, a removal
            c.create("", "configmaps", "default", "metadata: {name: held, finalizers: [example.com/hold]}\ndata: {v: '0'}");
            api.delete(def, "default", "held", 0, null, null, null, GenericRegistry.WriteOptions.DEFAULT);
            assertThat(raced.get()).isEqualTo(2);
            assertThat(c.get("", "configmaps", "default", "held").path("metadata").has("deletionTimestamp")).isTrue();
            assertThat(c.get("", "configmaps", "default", "held").path("data").path("v").asText()).isEqualTo("changed");

            raced.set(0);
            c.create("", "configmaps", "default", "metadata: {name: plain}\ndata: {v: '0'}");
            api.delete(def, "default", "plain", 0, null, null, null, GenericRegistry.WriteOptions.DEFAULT);
            assertThat(raced.get()).isEqualTo(2);
            assertThat(c.store.getOrNull(def, "default", "plain", io.kuberaft.raftstore.ReadConsistency.LINEARIZABLE)).isNull();

            // a precondition still fails the delete when the object changed under it
            raced.set(0);
            ObjectNode pinned = c.create("", "configmaps", "default", "metadata: {name: pinned}\ndata: {v: '0'}");
            long rv = Objects.resourceVersion(pinned);
            assertThatThrownBy(() -> api.delete(def, "default", "pinned", rv, null, null, null, GenericRegistry.WriteOptions.DEFAULT))
                    .isInstanceOfSatisfying(StatusException.class, e -> assertThat(e.getMessage()).contains("Precondition failed"));
        }
    }
}
