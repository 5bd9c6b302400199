package io.kuberaft.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code kuberaft} command. */
@Command(name = "kuberaft", mixinStandardHelpOptions = true, version = "kuberaft 0.1.0",
        description = "A Kubernetes-compatible control plane whose state is replicated by Raft.",
        subcommands = {ServerCommand.class, UpCommand.class, DownCommand.class, StatusCommand.class,
                MemberCommand.class, BenchCommand.class, LoadBalancerCommand.class, AgentCommand.class})
public final class Main implements Runnable {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(System.out);
    }

    public static void main(String[] args) {
        // With 1 or 2 cores the common pool's parallelism is 1, and CompletableFuture then runs every *Async
        // stage without an executor (Ratis' client has them on each reply) on a new thread: ~10 thread
        // starts a second per replica under load (seen in a JFR of `bench api`). Set before the pool exists.
        if (System.getProperty("java.util.concurrent.ForkJoinPool.common.parallelism") == null
                && Runtime.getRuntime().availableProcessors() <= 2) {
            System.setProperty("java.util.concurrent.ForkJoinPool.common.parallelism", "2");
        }
        System.exit(new CommandLine(new Main()).setCaseInsensitiveEnumValuesAllowed(true).execute(args));
    }
}
