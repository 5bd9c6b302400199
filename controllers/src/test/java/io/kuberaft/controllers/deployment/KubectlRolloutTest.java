package io.kuberaft.controllers.deployment;

import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.kuberaft.controllers.ApiFixture;
import io.kuberaft.controllers.ControllerOptions;
import io.kuberaft.controllers.Controllers;
import io.kuberaft.controllers.replicaset.ReplicaSetControllerTest;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The real kubectl 1.32 against the in-JVM API server with every built-in controller: create, rollout
 * status, set image, history, undo, scale, delete (the test plays kubelet). The transcript is written to
 * {@code target/kubectl-rollout-transcript.txt}.
 */
class KubectlRolloutTest {
    static final Path KUBECTL = Path.of("/usr/bin/kubectl");
    @TempDir
    Path tmp;
    final StringBuilder transcript = new StringBuilder();

    @Test
    void createRolloutSetImageHistoryUndoScaleDelete() throws Exception {
        Assumptions.assumeTrue(Files.isExecutable(KUBECTL), "kubectl not installed at " + KUBECTL);
        try (ApiFixture api = new ApiFixture(tmp, ControllerOptions.defaults(), Controllers.all())) {
            KubernetesClient k = api.client();
            Thread kubelet = new Thread(() -> {
                while (!Thread.currentThread().isInterrupted()) {
                    try {
                        for (Pod p : k.pods().inNamespace("default").list().getItems()) {
                            if (p.getMetadata().getDeletionTimestamp() == null && (p.getStatus() == null || !"Running".equals(p.getStatus().getPhase()))) {
                                ReplicaSetControllerTest.markReady(k, p);
                            }
                        }
                        Thread.sleep(200);
                    } catch (InterruptedException e) {
                        return;
                    } catch (RuntimeException ignored) {
                        // a pod deleted meanwhile
                    }
                }
            }, "test-kubelet");
            kubelet.setDaemon(true);
            kubelet.start();
            try {
                run(api, "create", "deployment", "web", "--image=nginx:1.25", "--replicas=3");
                String status = run(api, "rollout", "status", "deployment/web", "--timeout=60s");
                assertThat(status).contains("deployment \"web\" successfully rolled out");
                // (annotated after the change: the controller copies the deployment's annotations to its current RS)
                run(api, "set", "image", "deployment/web", "nginx=nginx:1.26");
                run(api, "annotate", "deployment/web", "kubernetes.io/change-cause=nginx 1.26");
                assertThat(run(api, "rollout", "status", "deployment/web", "--timeout=60s")).contains("successfully rolled out");
                String history = run(api, "rollout", "history", "deployment/web");
                assertThat(history).contains("REVISION  CHANGE-CAUSE").containsPattern("1\\s+<none>").containsPattern("2\\s+nginx 1.26");
                assertThat(run(api, "rollout", "undo", "deployment/web")).contains("deployment.apps/web rolled back");
                assertThat(run(api, "rollout", "status", "deployment/web", "--timeout=60s")).contains("successfully rolled out");
                String after = run(api, "rollout", "history", "deployment/web");
                assertThat(after).containsPattern("2\\s+nginx 1.26").containsPattern("3\\s+<none>").doesNotContainPattern("(?m)^1\\s");
                run(api, "get", "rs", "-o", "wide");
                run(api, "scale", "deployment/web", "--replicas=5");
                assertThat(run(api, "rollout", "status", "deployment/web", "--timeout=60s")).contains("successfully rolled out");
                run(api, "get", "deployment", "web");
                run(api, "describe", "deployment", "web");
                run(api, "delete", "deployment", "web");
                ApiFixture.await(java.time.Duration.ofSeconds(30), "RSs and pods collected",
                        () -> k.apps().replicaSets().inNamespace("default").list().getItems().isEmpty()
                                && k.pods().inNamespace("default").list().getItems().isEmpty());
                run(api, "get", "rs,pods");
            } finally {
                kubelet.interrupt();
                Files.writeString(Path.of("target/kubectl-rollout-transcript.txt"), transcript.toString());
            }
        }
    }

    private String run(ApiFixture api, String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(KUBECTL.toString(), "--server", api.url(),
                "--cache-dir", tmp.resolve("kube-cache").toString(), "--request-timeout", "30s"));
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
        pb.environment().put("HOME", tmp.toString());
        pb.environment().put("KUBECONFIG", tmp.resolve("no-kubeconfig").toString());
        Path out = Files.createTempFile(tmp, "out", ".txt");
        pb.redirectOutput(out.toFile());
        Process p = pb.start();
        if (!p.waitFor(90, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError("kubectl " + String.join(" ", args) + " timed out: " + Files.readString(out));
        }
        String o = Files.readString(out);
        transcript.append("$ kubectl ").append(String.join(" ", args)).append('\n').append(o);
        assertThat(p.exitValue()).as("kubectl " + String.join(" ", args) + ": " + o).isZero();
        return o;
    }
}
