package io.kuberaft.apiserver.registry;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.kuberaft.apiserver.admission.Cluster;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import static org.assertj.core.api.Assertions.assertThat;

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
}
