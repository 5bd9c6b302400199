package io.kuberaft.nodeagent;

import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.kuberaft.nodeagent.runtime.PodContext;
import io.kuberaft.nodeagent.runtime.RuntimeContainer;
import io.kuberaft.nodeagent.runtime.SimulatedRuntime;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/** The tar that `kubectl cp` runs in a simulated container: archives in and out of the simulation's files. */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class SimulatedTarTest {
    private final ManualClock clock = new ManualClock(Instant.parse("2026-11-25T10:00:00Z"));
    private final SimulatedRuntime runtime = new SimulatedRuntime(clock, Duration.ofSeconds(2));

    private RuntimeContainer start() throws Exception {
        Pod pod = new PodBuilder().withNewMetadata().withName("web").withNamespace("default").withUid("uid-1").endMetadata()
                .withNewSpec().withRestartPolicy("Always").addNewContainer().withName("c").withImage("busybox")
                .withCommand("sleep", "3600").endContainer().endSpec().build();
        return runtime.start(new PodContext(pod, "10.244.1.5", "127.0.0.1", "n1", Map.of(), Map.of(), Map.of(), Map.of(), Map.of(), Map.of()),
                pod.getSpec().getContainers().get(0), 0);
    }

    private static byte[] archive(Map<String, String> files) throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (TarArchiveOutputStream tar = new TarArchiveOutputStream(out)) {
            for (Map.Entry<String, String> f : files.entrySet()) {
                byte[] content = f.getValue().getBytes(StandardCharsets.UTF_8);
                TarArchiveEntry e = new TarArchiveEntry(f.getKey());
                e.setSize(content.length);
                tar.putArchiveEntry(e);
                tar.write(content);
                tar.closeArchiveEntry();
            }
        }
        return out.toByteArray();
    }

    private static Map<String, String> entries(byte[] archive) throws Exception {
        Map<String, String> out = new TreeMap<>();
        try (TarArchiveInputStream tar = new TarArchiveInputStream(new ByteArrayInputStream(archive))) {
            for (TarArchiveEntry e = tar.getNextEntry(); e != null; e = tar.getNextEntry()) {
                out.put(e.getName(), new String(tar.readAllBytes(), StandardCharsets.UTF_8));
            }
        }
        return out;
    }

    private String run(RuntimeContainer c, String... command) throws Exception {
        Process p = runtime.startExec(c, List.of(command), null);
        assertThat(p.waitFor()).isZero();
        return new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    }

    private int status(RuntimeContainer c, String... command) throws Exception {
        return runtime.startExec(c, List.of(command), null).waitFor();
    }

    @Test
    void anArchiveOnStdinIsUnpackedIntoTheContainerAndPackedAgain() throws Exception {
        RuntimeContainer c = start();
        // what `kubectl cp ./site web:/srv/site` runs
        Process x = runtime.startExec(c, List.of("tar", "-xmf", "-", "-C", "/srv"), null);
        assertThat(x.isAlive()).as("tar reads until stdin ends").isTrue();
        try (OutputStream in = x.getOutputStream()) {
            in.write(archive(Map.of("site/index.html", "<h1>hi</h1>\n", "site/css/a.css", "h1 {}\n")));
        }
        assertThat(x.waitFor()).isZero();
        assertThat(new String(x.getErrorStream().readAllBytes(), StandardCharsets.UTF_8)).isEmpty();
        assertThat(run(c, "cat", "/srv/site/index.html")).isEqualTo("<h1>hi</h1>\n");
        // kubectl cp first asks `test -d DEST` to know whether to copy into it
        assertThat(status(c, "test", "-d", "/srv/site")).isZero();
        assertThat(status(c, "test", "-d", "/tmp")).as("a directory every image has").isZero();
        assertThat(status(c, "test", "-f", "/srv/site/index.html")).isZero();
        assertThat(status(c, "test", "-d", "/srv/site/index.html")).isEqualTo(1);
        assertThat(status(c, "test", "-e", "/srv/site/missing")).isEqualTo(1);

        // what `kubectl cp web:/srv/site ./back` runs: member names without the leading slash, as GNU tar writes them
        Process cf = runtime.startExec(c, List.of("tar", "cf", "-", "/srv/site"), null);
        assertThat(cf.waitFor()).isZero();
        assertThat(entries(cf.getInputStream().readAllBytes())).containsExactlyEntriesOf(new TreeMap<>(Map.of(
                "srv/site/css/a.css", "h1 {}\n", "srv/site/index.html", "<h1>hi</h1>\n")));
        assertThat(new String(cf.getErrorStream().readAllBytes(), StandardCharsets.UTF_8)).isEqualTo("tar: Removing leading `/' from member names\n");
    }

    @Test
    void pathsTheSimulationCannotKnowOrThatAreGoneFailAsTarFails() throws Exception {
        RuntimeContainer c = start();
        Process image = runtime.startExec(c, List.of("tar", "cf", "-", "/bin/sh"), null);
        assertThat(image.waitFor()).isEqualTo(2);
        assertThat(new String(image.getErrorStream().readAllBytes(), StandardCharsets.UTF_8))
                .startsWith("tar: /bin/sh: not simulated").endsWith("tar: Exiting with failure status due to previous errors\n");
        run(c, "touch", "/tmp/x");
        run(c, "rm", "/tmp/x");
        Process gone = runtime.startExec(c, List.of("tar", "cf", "-", "/tmp/x"), null);
        assertThat(gone.waitFor()).isEqualTo(2);
        assertThat(new String(gone.getErrorStream().readAllBytes(), StandardCharsets.UTF_8))
                .startsWith("tar: /tmp/x: Cannot stat: No such file or directory\n");
        Process garbage = runtime.startExec(c, List.of("tar", "-xmf", "-"), null);
        try (OutputStream in = garbage.getOutputStream()) {
            in.write("not an archive".getBytes(StandardCharsets.UTF_8));
        }
        assertThat(garbage.waitFor()).isEqualTo(2);
        assertThat(new String(garbage.getErrorStream().readAllBytes(), StandardCharsets.UTF_8)).startsWith("tar: This does not look like a tar archive");
    }
}
