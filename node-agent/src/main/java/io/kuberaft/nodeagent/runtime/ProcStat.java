package io.kuberaft.nodeagent.runtime;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/**
 * One process's CPU time and resident memory from {@code /proc/<pid>/stat} (proc(5)): what a container engine's
 * cgroup accounting gives for the process runtime, whose containers are plain processes.
 *
 * @param cpuNanos CPU time of the process and of its children it has waited for (utime + stime + cutime + cstime)
 * @param rssBytes resident set size
 */
record ProcStat(long cpuNanos, long rssBytes) {
    /** USER_HZ: the unit of the time fields, 100 on every Linux architecture this runs on. */
    private static final long NANOS_PER_TICK = 1_000_000_000L / 100;
    private static final long PAGE_SIZE = 4096;

    /** Empty when the process is gone (or this is not Linux). */
    static Optional<ProcStat> read(long pid) {
        String line;
        try {
            line = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
        } catch (IOException | RuntimeException e) {
            return Optional.empty();
        }
        // The command name (field 2) is in parentheses and may contain spaces: fields are counted after the last ')'.
        int close = line.lastIndexOf(')');
        if (close < 0) {
            return Optional.empty();
        }
        String[] f = line.substring(close + 2).trim().split("\\s+");
        // f[0] is field 3 (state): utime is field 14 → f[11], stime f[12], cutime f[13], cstime f[14], rss (field 24) f[21]
        if (f.length < 22) {
            return Optional.empty();
        }
        try {
            long ticks = Long.parseLong(f[11]) + Long.parseLong(f[12]) + Long.parseLong(f[13]) + Long.parseLong(f[14]);
            return Optional.of(new ProcStat(ticks * NANOS_PER_TICK, Long.parseLong(f[21]) * PAGE_SIZE));
        } catch (NumberFormatException e) {
            return Optional.empty();
        }
    }
}
