package io.kuberaft.nodeagent;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.kuberaft.nodeagent.runtime.CannotStartException;
import io.kuberaft.nodeagent.runtime.ContainerRuntime;
import io.kuberaft.nodeagent.runtime.PodContext;
import io.kuberaft.nodeagent.runtime.RuntimeContainer;
import io.kuberaft.nodeagent.runtime.SimulatedRuntime;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * A simulated container's files: its volumes as {@code kubectl exec -- cat|ls} show them, what its own command and
 * {@code kubectl exec -- rm} change over time, and exec probes played on them — the seeds' and the docs' liveness
 * examples with the messages upstream's images print.
 */
class SimulatedFilesTest {
    private static final Instant T0 = Instant.parse("2026-11-24T10:00:00Z");
    private final ManualClock clock = new ManualClock(T0);
    private final SimulatedRuntime runtime = new SimulatedRuntime(clock, Duration.ofSeconds(2));

    private RuntimeContainer start(Pod pod, Map<String, Map<String, String>> configMaps, Map<String, Map<String, byte[]>> secrets)
            throws CannotStartException {
        return runtime.start(new PodContext(pod, "10.244.1.5", "127.0.0.1", "n1", Map.of(), configMaps, secrets, Map.of(), Map.of(), Map.of()),
                pod.getSpec().getContainers().get(0), 0);
    }

    private static Pod pod(String image, List<String> command) {
        return new PodBuilder().withNewMetadata().withName("web").withNamespace("default").withUid("uid-1")
                .withLabels(Map.of("app", "node", "version", "1.0.0")).endMetadata()
                .withNewSpec().withRestartPolicy("Always").addNewContainer().withName("c").withImage(image).withCommand(command)
                .endContainer().endSpec().build();
    }

    record Output(int code, String out, String err) {
    }

    private Output exec(RuntimeContainer c, String... command) throws Exception {
        Process p = runtime.startExec(c, List.of(command), null);
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
        return new Output(p.waitFor(), out, err);
    }

    @Test
    void theDocsLivenessExampleFailsItsProbeOnceTheCommandRemovedTheFile() throws Exception {
        // kubernetes.io's exec-liveness.yaml (image registry.k8s.io/busybox)
        RuntimeContainer c = start(pod("registry.k8s.io/busybox", List.of("/bin/sh", "-c",
                "touch /tmp/healthy; sleep 30; rm -f /tmp/healthy; sleep 600")), Map.of(), Map.of());
        clock.advance(Duration.ofSeconds(5));
        assertThat(runtime.exec(c, List.of("cat", "/tmp/healthy"), Duration.ofSeconds(1)).exitCode()).isZero();
        clock.advance(Duration.ofSeconds(26));
        ContainerRuntime.ExecResult r = runtime.exec(c, List.of("cat", "/tmp/healthy"), Duration.ofSeconds(1));
        assertThat(r.exitCode()).isEqualTo(1);
        assertThat(r.output()).isEqualTo("cat: can't open '/tmp/healthy': No such file or directory\n");
        assertThat(c.exit()).as("the container itself runs on").isEmpty();
    }

    @Test
    void rmOfAnImagesFileFailsTheProbeUntilTheContainerIsRestarted() throws Exception {
        // the seeds' rs-liveness: an image whose /start exists, probe ['/bin/cat', '/start'], then `kubectl exec -- rm /start`
        Pod p = pod("kim0lil/80700:v-0.0.4", null);
        RuntimeContainer c = start(p, Map.of(), Map.of());
        assertThat(runtime.exec(c, List.of("/bin/cat", "/start"), Duration.ofSeconds(1)).exitCode()).as("the image's file").isZero();
        assertThat(exec(c, "rm", "/start")).isEqualTo(new Output(0, "", ""));
        clock.advance(Duration.ofSeconds(1));
        ContainerRuntime.ExecResult r = runtime.exec(c, List.of("/bin/cat", "/start"), Duration.ofSeconds(1));
        assertThat(r.exitCode()).isEqualTo(1);
        assertThat(r.output()).isEqualTo("/bin/cat: /start: No such file or directory\n");
        assertThat(exec(c, "rm", "/start")).isEqualTo(new Output(1, "", "rm: cannot remove '/start': No such file or directory\n"));
        RuntimeContainer restarted = start(p, Map.of(), Map.of());
        assertThat(runtime.exec(restarted, List.of("/bin/cat", "/start"), Duration.ofSeconds(1)).exitCode()).as("a new container").isZero();
    }

    @Test
    void volumesAreWhatCatAndLsShow() throws Exception {
        Pod p = pod("kim0lil/80700:v-1.0.0", null);
        Container c0 = p.getSpec().getContainers().get(0);
        c0.setVolumeMounts(List.of(
                new io.fabric8.kubernetes.api.model.VolumeMountBuilder().withName("cfile").withMountPath("/config").build(),
                new io.fabric8.kubernetes.api.model.VolumeMountBuilder().withName("sfile").withMountPath("/etc/app.properties")
                        .withSubPath("app.properties").build(),
                new io.fabric8.kubernetes.api.model.VolumeMountBuilder().withName("downward-api").withMountPath("/env").build(),
                new io.fabric8.kubernetes.api.model.VolumeMountBuilder().withName("scratch").withMountPath("/scratch").build()));
        p.getSpec().setVolumes(List.of(
                new io.fabric8.kubernetes.api.model.VolumeBuilder().withName("cfile").withNewConfigMap().withName("configmap-file")
                        .addNewItem().withKey("application.properties").withPath("app.properties").endItem().endConfigMap().build(),
                new io.fabric8.kubernetes.api.model.VolumeBuilder().withName("sfile").withNewSecret().withSecretName("secret-file").endSecret().build(),
                new io.fabric8.kubernetes.api.model.VolumeBuilder().withName("downward-api").withNewDownwardAPI()
                        .addNewItem().withPath("labels").withNewFieldRef().withFieldPath("metadata.labels").endFieldRef().endItem()
                        .addNewItem().withPath("pod_name").withNewFieldRef().withFieldPath("metadata.name").endFieldRef().endItem()
                        .endDownwardAPI().build(),
                new io.fabric8.kubernetes.api.model.VolumeBuilder().withName("scratch").withNewEmptyDir().endEmptyDir().build()));
        RuntimeContainer c = start(p, Map.of("configmap-file", Map.of("application.properties", "app.name = node\napp.version = 1.0.0\n",
                "application.version", "1.0.0")), Map.of("secret-file", Map.of("app.properties", "secret.user = admin\n".getBytes(StandardCharsets.UTF_8))));

        assertThat(exec(c, "cat", "/config/app.properties")).isEqualTo(new Output(0, "app.name = node\napp.version = 1.0.0\n", ""));
        assertThat(exec(c, "ls", "/config")).isEqualTo(new Output(0, "app.properties\n", ""));
        assertThat(exec(c, "cat", "/etc/app.properties").out()).isEqualTo("secret.user = admin\n");
        // the kubelet writes downward API files without a final newline, and cat adds none
        assertThat(exec(c, "cat", "/env/labels").out()).isEqualTo("app=\"node\"\nversion=\"1.0.0\"");
        assertThat(exec(c, "ls", "/env")).isEqualTo(new Output(0, "labels\npod_name\n", ""));
        assertThat(exec(c, "cat", "/env/pod_name", "/etc/hostname").out()).isEqualTo("webweb\n");
        assertThat(exec(c, "cat", "/config/nope")).isEqualTo(new Output(1, "", "cat: /config/nope: No such file or directory\n"));
        assertThat(exec(c, "cat", "/config")).isEqualTo(new Output(1, "", "cat: /config: Is a directory\n"));
        assertThat(exec(c, "rm", "/config/app.properties"))
                .isEqualTo(new Output(1, "", "rm: cannot remove '/config/app.properties': Read-only file system\n"));
        Output image = exec(c, "cat", "/app/server.js");
        assertThat(image.code()).isEqualTo(1);
        assertThat(image.err()).startsWith("cat: /app/server.js: not simulated").contains("use --runtime process");
        // an emptyDir is the container's to write
        assertThat(exec(c, "sh", "-c", "touch /scratch/a /scratch/b; ls /scratch; rm /scratch/a; ls /scratch"))
                .isEqualTo(new Output(0, "a\nb\nb\n", ""));
        assertThat(exec(c, "cat", "/etc/hostname").out()).isEqualTo("web\n");
    }

    @Test
    void aMissingConfigMapOfAVolumeStopsTheStart() {
        Pod p = mounting("cfg", new io.fabric8.kubernetes.api.model.VolumeBuilder().withName("cfg").withNewConfigMap()
                .withName("absent").endConfigMap().build());
        assertThatThrownBy(() -> start(p, Map.of(), Map.of())).isInstanceOf(CannotStartException.class)
                .hasMessage("MountVolume.SetUp failed for volume \"cfg\" : configmap \"absent\" not found")
                .extracting(e -> ((CannotStartException) e).reason()).as("the pod waits in ContainerCreating").isEqualTo("ContainerCreating");
    }

    @Test
    void anItemNamingAMissingKeyFailsTheVolumeUnlessItIsOptional() throws Exception {
        var volume = new io.fabric8.kubernetes.api.model.VolumeBuilder().withName("cfg").withNewConfigMap().withName("special-config")
                .addNewItem().withKey("SPECIAL_LEVEL").withPath("keys").endItem().endConfigMap().build();
        Map<String, Map<String, String>> cms = Map.of("special-config", Map.of("SPECIAL_TYPE", "charm"));
        assertThatThrownBy(() -> start(mounting("cfg", volume), cms, Map.of()))
                .hasMessage("MountVolume.SetUp failed for volume \"cfg\" : configmap references non-existent config key: SPECIAL_LEVEL");
        var secret = new io.fabric8.kubernetes.api.model.VolumeBuilder().withName("s").withNewSecret().withSecretName("creds")
                .addNewItem().withKey("password").withPath("pw").endItem().endSecret().build();
        assertThatThrownBy(() -> start(mounting("s", secret), Map.of(), Map.of("creds", Map.of())))
                .hasMessage("MountVolume.SetUp failed for volume \"s\" : secret references non-existent secret key: password");

        volume.getConfigMap().setOptional(true);
        RuntimeContainer c = start(mounting("cfg", volume), cms, Map.of());
        assertThat(exec(c, "ls", "/mnt")).isEqualTo(new Output(0, "", ""));
    }

    @Test
    void aProjectedVolumeShowsAllItsSources() throws Exception {
        // the docs' projected volume (configure-projected-volume-storage) plus the ServiceAccount's kube-api-access volume
        var projected = new io.fabric8.kubernetes.api.model.VolumeBuilder().withName("all-in-one").withNewProjected()
                .addNewSource().withNewSecret().withName("user").endSecret().endSource()
                .addNewSource().withNewSecret().withName("pass").endSecret().endSource()
                .addNewSource().withNewConfigMap().withName("kube-root-ca.crt").addNewItem().withKey("ca.crt").withPath("ca.crt").endItem()
                .endConfigMap().endSource()
                .addNewSource().withNewDownwardAPI().addNewItem().withPath("namespace").withNewFieldRef().withFieldPath("metadata.namespace")
                .endFieldRef().endItem().endDownwardAPI().endSource()
                .addNewSource().withNewServiceAccountToken().withPath("token").withExpirationSeconds(3607L).endServiceAccountToken().endSource()
                .endProjected().build();
        Pod p = mounting("all-in-one", projected);
        var ctx = new PodContext(p, "10.244.1.5", "127.0.0.1", "n1", Map.of(), Map.of("kube-root-ca.crt", Map.of("ca.crt", "PEM\n")),
                Map.of("user", Map.of("username.txt", "admin".getBytes(StandardCharsets.UTF_8)),
                        "pass", Map.of("password.txt", "1f2d1e2e67df".getBytes(StandardCharsets.UTF_8))),
                Map.of(), Map.of("/3607", "eyJhbGciOi.token"), Map.of());
        RuntimeContainer c = runtime.start(ctx, p.getSpec().getContainers().get(0), 0);
        assertThat(exec(c, "ls", "/mnt")).isEqualTo(new Output(0, "ca.crt\nnamespace\npassword.txt\ntoken\nusername.txt\n", ""));
        assertThat(exec(c, "cat", "/mnt/username.txt", "/mnt/password.txt").out()).isEqualTo("admin1f2d1e2e67df");
        assertThat(exec(c, "cat", "/mnt/namespace").out()).isEqualTo("default");
        assertThat(exec(c, "cat", "/mnt/token").out()).isEqualTo("eyJhbGciOi.token");
        assertThat(exec(c, "cat", "/mnt/ca.crt").out()).isEqualTo("PEM\n");

        assertThatThrownBy(() -> start(p, Map.of(), Map.of("user", Map.of())))
                .hasMessage("MountVolume.SetUp failed for volume \"all-in-one\" : [secret \"pass\" not found, configmap \"kube-root-ca.crt\" not found]");
    }

    @Test
    void aShellRedirectWritesTheFileThatCatThenShows() throws Exception {
        // the docs' "Get a Shell to a Running Container": nginx with an emptyDir at /usr/share/nginx/html
        Pod p = pod("nginx", null);
        p.getSpec().getContainers().get(0).setVolumeMounts(List.of(
                new io.fabric8.kubernetes.api.model.VolumeMountBuilder().withName("shared-data").withMountPath("/usr/share/nginx/html").build(),
                new io.fabric8.kubernetes.api.model.VolumeMountBuilder().withName("cfg").withMountPath("/etc/cfg").build()));
        p.getSpec().setVolumes(List.of(
                new io.fabric8.kubernetes.api.model.VolumeBuilder().withName("shared-data").withNewEmptyDir().endEmptyDir().build(),
                new io.fabric8.kubernetes.api.model.VolumeBuilder().withName("cfg").withNewConfigMap().withName("cfg").endConfigMap().build()));
        RuntimeContainer c = start(p, Map.of("cfg", Map.of("a", "1")), Map.of());
        assertThat(exec(c, "sh", "-c", "echo 'Hello shell demo' > /usr/share/nginx/html/index.html")).isEqualTo(new Output(0, "", ""));
        clock.advance(Duration.ofSeconds(1));
        assertThat(exec(c, "cat", "/usr/share/nginx/html/index.html").out()).isEqualTo("Hello shell demo\n");
        assertThat(exec(c, "sh", "-c", "cd /usr/share/nginx/html; echo again >> index.html; cat index.html; ls; echo gone > /dev/null"))
                .isEqualTo(new Output(0, "Hello shell demo\nagain\nindex.html\n", ""));
        assertThat(exec(c, "sh", "-c", "echo x > /etc/cfg/b; echo $?"))
                .isEqualTo(new Output(0, "1\n", "bash: /etc/cfg/b: Read-only file system\n"));
        assertThat(exec(c, "sh", "-c", "echo x > /etc/cfg")).isEqualTo(new Output(1, "", "bash: /etc/cfg: Is a directory\n"));
        assertThat(exec(c, "sh", "-c", "cat /etc/cfg/a > /tmp/copy; cat /tmp/copy")).isEqualTo(new Output(0, "1", ""));
        assertThatThrownBy(() -> runtime.startExec(c, List.of("sh", "-c", "echo x 2>/dev/null"), null))
                .as("other redirects are not simulated").hasMessageContaining("cannot run sh -c echo x 2>/dev/null");
    }

    private static Pod mounting(String volume, io.fabric8.kubernetes.api.model.Volume v) {
        Pod p = pod("busybox", List.of("sleep", "3600"));
        p.getSpec().getContainers().get(0).setVolumeMounts(List.of(new io.fabric8.kubernetes.api.model.VolumeMountBuilder()
                .withName(volume).withMountPath("/mnt").build()));
        p.getSpec().setVolumes(List.of(v));
        return p;
    }
}
