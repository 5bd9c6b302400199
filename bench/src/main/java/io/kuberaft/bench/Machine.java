package io.kuberaft.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** What a benchmark report should say about the machine it ran on. */
public final class Machine {
    private Machine() {
    }

    /** {@code /proc/loadavg}'s 1, 5 and 15 minute load averages and the CPU count, e.g. "0.52 0.80 0.91 on 2 CPUs". */
    public static String loadAverage() {
        try {
            String[] f = Files.readString(Path.of("/proc/loadavg")).trim().split("\\s+");
            return f[0] + " " + f[1] + " " + f[2] + " on " + Runtime.getRuntime().availableProcessors() + " CPUs";
        } catch (IOException | RuntimeException e) {
            return "unknown load on " + Runtime.getRuntime().availableProcessors() + " CPUs";
        }
    }
}
