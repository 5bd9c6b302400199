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
        System.exit(new CommandLine(new Main()).setCaseInsensitiveEnumValuesAllowed(true).execute(args));
    }
}
