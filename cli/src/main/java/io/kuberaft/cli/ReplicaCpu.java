package io.kuberaft.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** utime+stime and VmRSS of the replica processes, from /proc (Linux; a replica it cannot read counts 0 ticks). */
record ReplicaCpu(long nanos, long ticks, List<Long> rssKb) {
    static ReplicaCpu of(List<Long> pids) {
        long ticks = 0;
        List<Long> rss = new ArrayList<>();
        for (long pid : pids) {
            try {
                String stat = Files.readString(Path.of("/proc/" + pid + "/stat"));
                String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
                ticks += Long.parseLong(f[11]) + Long.parseLong(f[12]);
                for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/status"))) {
                    if (line.startsWith("VmRSS:")) {
                        rss.add(Long.parseLong(line.replaceAll("[^0-9]", "")));
                    }
                }
            } catch (IOException | RuntimeException e) {
                rss.add(-1L);
            }
        }
        return new ReplicaCpu(System.nanoTime(), ticks, rss);
    }

    /** CPU seconds used between this sample and {@code later} (CLK_TCK 100). */
    double cpuSeconds(ReplicaCpu later) {
        return (later.ticks - ticks) / 100.0;
    }

    /** CPU used between this sample and {@code later}, in % of one core (CLK_TCK 100). */
    double cpuPercent(ReplicaCpu later) {
        double secs = (later.nanos - nanos) / 1e9;
        return secs <= 0 ? 0 : cpuSeconds(later) / secs * 100;
    }

    String rssMiB() {
        return String.join(", ", rssKb.stream().map(k -> k < 0 ? "?" : String.valueOf(k / 1024)).toList());
    }
}
