package io.kuberaft.cli;

import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;

/** Stops every process `up` started; keeps the data unless --purge. */
@Command(name = "down", mixinStandardHelpOptions = true,
        description = "Stop the local cluster (SIGTERM, then SIGKILL after a grace period). Data is kept unless --purge.")
public final class DownCommand implements Callable<Integer> {
    @Option(names = "--dir", defaultValue = ".kuberaft", description = "Cluster directory (default: ${DEFAULT-VALUE}).")
    Path dir;

    @Option(names = "--purge", description = "Also delete the cluster directory (all data).")
    boolean purge;

    @Option(names = "--grace-ms", defaultValue = "10000", description = "Wait this long after SIGTERM before SIGKILL (default: ${DEFAULT-VALUE}).")
    long graceMs;

    @Override
    public Integer call() throws Exception {
        LocalCluster cluster = new LocalCluster(dir, System.out);
        int stopped = cluster.down(graceMs);
        System.out.println("kuberaft: stopped " + stopped + " process(es) of " + cluster.dir());
        if (purge && Files.exists(cluster.dir())) {
            cluster.purge();
            System.out.println("kuberaft: purged " + cluster.dir());
        }
        return 0;
    }
}
