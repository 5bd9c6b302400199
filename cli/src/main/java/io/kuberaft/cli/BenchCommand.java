package io.kuberaft.cli;

import picocli.CommandLine.Command;

/** Benchmarks, run side by side with their reference (etcd, upstream numbers). */
@Command(name = "bench", mixinStandardHelpOptions = true, description = "Benchmarks (results go to the README).",
        subcommands = {StoreBenchCommand.class, FailoverBenchCommand.class, ApiBenchCommand.class, SchedulerBenchCommand.class,
                NodesBenchCommand.class})
public final class BenchCommand implements Runnable {
    @Override
    public void run() {
        new picocli.CommandLine(this).usage(System.out);
    }
}
