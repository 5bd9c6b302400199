package io.kuberaft.cli;

import io.kuberaft.nodeagent.AgentConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** `kuberaft agent --config`: a kubelet config file read as the kubelet does, flags given winning over it. */
class AgentCommandTest {
    /** The tutorial's standalone kubelet config (seed 003:1343, a shell heredoc): the YAML between the EOF markers. */
    private static String seedKubeletConfig() throws Exception {
        Path seed = Path.of(System.getProperty("kuberaft.shared", "/work/shared"), "manifests/seed/003_1343_KubeletConfiguration.yaml");
        assumeTrue(Files.isReadable(seed), "seed " + seed + " missing");
        String shell = Files.readString(seed);
        String body = shell.substring(shell.indexOf("<<EOF\n") + 6, shell.lastIndexOf("EOF"));
        return body.stripIndent();
    }

    private static AgentConfig config(String... args) {
        AgentCommand cmd = new AgentCommand();
        new CommandLine(cmd).parseArgs(args);
        return cmd.config();
    }

    @Test
    void theTutorialsKubeletConfigRunsAStandaloneAgentWithTheReadOnlyPort(@TempDir Path dir) throws Exception {
        Path file = Files.writeString(dir.resolve("kubelet.yaml"), seedKubeletConfig());
        AgentConfig c = config("--config", file.toString(), "--name", "n1");
        assertThat(c.podManifestPath()).isEqualTo(Path.of("/etc/kubernetes/manifests"));
        assertThat(c.readOnlyPort()).isEqualTo(10255);
        assertThat(c.enableServer()).isFalse();
        assertThat(c.bindAddress()).isEqualTo("127.0.0.1");
        assertThat(c.containerLogMaxBytes()).isEqualTo(10L * 1024 * 1024);
        assertThat(c.containerLogMaxFiles()).isEqualTo(5);

        // flags given on the command line win over the file
        AgentConfig flags = config("--config", file.toString(), "--name", "n1", "--read-only-port", "0", "--pod-manifest-path", dir.toString());
        assertThat(flags.readOnlyPort()).isZero();
        assertThat(flags.podManifestPath()).isEqualTo(dir.toAbsolutePath());
    }

    @Test
    void theFileSetsLogRotationPodsTaintsAndTheLease(@TempDir Path dir) throws Exception {
        Path file = Files.writeString(dir.resolve("kubelet.yaml"), """
                apiVersion: kubelet.config.k8s.io/v1beta1
                kind: KubeletConfiguration
                containerLogMaxSize: 2Mi
                containerLogMaxFiles: 3
                maxPods: 30
                nodeLeaseDurationSeconds: 20
                registerWithTaints:
                - {key: dedicated, value: infra, effect: NoSchedule}
                cgroupDriver: systemd
                """);
        AgentConfig c = config("--config", file.toString(), "--kubeconfig", file.toString(), "--name", "n1", "--client-ca-file", file.toString());
        assertThat(c.containerLogMaxBytes()).isEqualTo(2L * 1024 * 1024);
        assertThat(c.containerLogMaxFiles()).isEqualTo(3);
        assertThat(c.capacity()).containsEntry("pods", "30");
        assertThat(c.leaseDurationSeconds()).isEqualTo(20);
        assertThat(c.leaseRenewInterval().toMillis()).isEqualTo(5_000);
        assertThat(c.taints()).extracting(t -> t.key() + "=" + t.value() + ":" + t.effect()).containsExactly("dedicated=infra:NoSchedule");
    }

    @Test
    void aBadFileIsAClearErrorNamingTheFieldOrKind(@TempDir Path dir) throws Exception {
        Path kind = Files.writeString(dir.resolve("a.yaml"), "apiVersion: v1\nkind: Pod\n");
        assertThatThrownBy(() -> config("--config", kind.toString(), "--pod-manifest-path", dir.toString()))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("failed to load Kubelet config file " + kind)
                .hasMessageContaining("no kind \"Pod\" is registered for version \"v1\"");
        Path port = Files.writeString(dir.resolve("b.yaml"), "apiVersion: kubelet.config.k8s.io/v1beta1\nkind: KubeletConfiguration\nreadOnlyPort: 70000\n");
        assertThatThrownBy(() -> config("--config", port.toString(), "--pod-manifest-path", dir.toString()))
                .hasMessageContaining("readOnlyPort (70000) must be between 0 and 65535, inclusive");
        Path type = Files.writeString(dir.resolve("c.yaml"), "apiVersion: kubelet.config.k8s.io/v1beta1\nkind: KubeletConfiguration\nenableServer: \"no\"\n");
        assertThatThrownBy(() -> config("--config", type.toString(), "--pod-manifest-path", dir.toString()))
                .hasMessageContaining("field enableServer: wrong type string");
        Path size = Files.writeString(dir.resolve("d.yaml"), "apiVersion: kubelet.config.k8s.io/v1beta1\nkind: KubeletConfiguration\ncontainerLogMaxSize: lots\n");
        assertThatThrownBy(() -> config("--config", size.toString(), "--pod-manifest-path", dir.toString()))
                .hasMessageContaining("containerLogMaxSize (lots)");
        assertThatThrownBy(() -> config("--config", dir.resolve("missing.yaml").toString(), "--pod-manifest-path", dir.toString()))
                .hasMessageStartingWith("failed to load Kubelet config file");
        assertThatThrownBy(() -> config("--pod-manifest-path", dir.toString(), "--container-log-max-files", "1"))
                .hasMessage("--container-log-max-files must be at least 2, got 1");
    }
}
