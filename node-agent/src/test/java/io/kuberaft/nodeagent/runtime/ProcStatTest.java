package io.kuberaft.nodeagent.runtime;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** CPU time and resident memory of real processes from /proc. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class ProcStatTest {

    @Test
    void aBusyLoopAccruesCpuTimeAndASleepingProcessNone() throws Exception {
        assumeTrue(Files.isDirectory(Path.of("/proc/self")), "needs Linux /proc");
        Process busy = new ProcessBuilder("sh", "-c", "while :; do :; done").start();
        Process sleeper = new ProcessBuilder("sleep", "60").start();
        try {
            long start = System.nanoTime();
            long busy0 = ProcStat.read(busy.pid()).orElseThrow().cpuNanos();
            long sleep0 = ProcStat.read(sleeper.pid()).orElseThrow().cpuNanos();
            // until the loop has had 300 ms of CPU (it gets about a core: a third of a second), at most 20 s
            long deadline = start + TimeUnit.SECONDS.toNanos(20);
            long busyNow = busy0;
            while (busyNow - busy0 < 300_000_000L && System.nanoTime() < deadline) {
                Thread.sleep(50);
                busyNow = ProcStat.read(busy.pid()).orElseThrow().cpuNanos();
            }
            double elapsed = (System.nanoTime() - start) / 1e9;
            double busyCores = (busyNow - busy0) / 1e9 / elapsed;
            ProcStat sleeping = ProcStat.read(sleeper.pid()).orElseThrow();
            assertThat(busyCores).as("the busy loop's cores over %.2f s", elapsed).isGreaterThan(0.1);
            assertThat(sleeping.cpuNanos() - sleep0).as("the sleeping process's CPU time").isLessThan(20_000_000L);
            assertThat(sleeping.rssBytes()).as("resident memory").isGreaterThan(4096).isLessThan(100L * 1024 * 1024);
        } finally {
            busy.destroyForcibly();
            sleeper.destroyForcibly();
        }
        busy.waitFor();
        assertThat(ProcStat.read(busy.pid())).as("a reaped process has no stat").isEmpty();
    }

    @Test
    void fieldsAreCountedAfterTheCommandNameEvenWithSpacesAndParentheses() throws Exception {
        assumeTrue(Files.isDirectory(Path.of("/proc/self")), "needs Linux /proc");
        Path dir = Files.createTempDirectory("procstat");
        Path link = dir.resolve("x) y");
        Files.createSymbolicLink(link, Path.of("/bin/sleep"));
        Process p = new ProcessBuilder(link.toString(), "60").start();
        try {
            String stat = Files.readString(Path.of("/proc", Long.toString(p.pid()), "stat"));
            assertThat(stat).contains("(x) y)");
            // a just-exec'd process may show 0 resident pages for a moment (the kernel syncs per-thread RSS counters lazily)
            ProcStat s = ProcStat.read(p.pid()).orElseThrow();
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
            while (s.rssBytes() == 0 && System.nanoTime() < deadline) {
                Thread.sleep(20);
                s = ProcStat.read(p.pid()).orElseThrow();
            }
            assertThat(s.rssBytes()).isGreaterThan(0);
            assertThat(s.cpuNanos()).isGreaterThanOrEqualTo(0).isLessThan(1_000_000_000L);
        } finally {
            p.destroyForcibly();
            Files.deleteIfExists(link);
            Files.deleteIfExists(dir);
        }
    }
}
