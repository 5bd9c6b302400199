package io.kuberaft.cli;

import io.kuberaft.raftstore.raft.MembershipAdmin;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;

/** Membership changes of a running local cluster (Ratis setConfiguration). */
@Command(name = "member", mixinStandardHelpOptions = true, description = "Add, remove or list the cluster's voting members.",
        subcommands = {MemberCommand.Add.class, MemberCommand.Remove.class, MemberCommand.ListMembers.class})
public final class MemberCommand implements Runnable {
    @Override
    public void run() {
        new picocli.CommandLine(this).usage(System.out);
    }

    static Map<String, String> peers(ClusterFile f) {
        Map<String, String> m = new LinkedHashMap<>();
        f.masters.forEach(x -> m.put(x.id, x.raftAddress));
        return m;
    }

    @Command(name = "add", mixinStandardHelpOptions = true, description = "Start a new replica and add it to the members.")
    static final class Add implements Callable<Integer> {
        @Option(names = "--dir", defaultValue = ".kuberaft", description = "Cluster directory (default: ${DEFAULT-VALUE}).")
        Path dir;

        @Option(names = "--id", description = "The new replica's id (default: the next mN).")
        String id;

        @Override
        public Integer call() throws Exception {
            LocalCluster cluster = new LocalCluster(dir, System.out);
            ClusterFile f = cluster.file();
            String newId = id != null ? id : "m" + (f.masters.size() + 1);
            if (f.master(newId) != null) {
                System.err.println("kuberaft member add: " + newId + " is already a member");
                return 1;
            }
            Map<String, String> before = peers(f);
            ClusterFile.Master m = cluster.newMaster(f, newId, f.masters.size());
            f.masters.add(m);
            m.pid = cluster.spawn(f, m, true);
            f.write(cluster.dir());
            MembershipAdmin.setMembers(before, peers(f));
            cluster.awaitReady(f, List.of(m));
            System.out.println("kuberaft: " + newId + " added (pid " + m.pid + ", etcd " + m.etcdEndpoint + ")");
            return 0;
        }
    }

    @Command(name = "remove", mixinStandardHelpOptions = true, description = "Remove a replica from the members and stop it.")
    static final class Remove implements Callable<Integer> {
        @Option(names = "--dir", defaultValue = ".kuberaft", description = "Cluster directory (default: ${DEFAULT-VALUE}).")
        Path dir;

        @Option(names = "--id", required = true, description = "The replica to remove.")
        String id;

        @Override
        public Integer call() throws Exception {
            LocalCluster cluster = new LocalCluster(dir, System.out);
            ClusterFile f = cluster.file();
            ClusterFile.Master m = f.master(id);
            if (m == null) {
                System.err.println("kuberaft member remove: no member " + id);
                return 1;
            }
            Map<String, String> before = peers(f);
            f.masters.remove(m);
            MembershipAdmin.setMembers(before, peers(f));
            f.write(cluster.dir());
            ProcessHandle.of(m.pid).ifPresent(ProcessHandle::destroy);
            System.out.println("kuberaft: " + id + " removed and stopped (its data stays in " + m.dataDir + ")");
            return 0;
        }
    }

    @Command(name = "list", mixinStandardHelpOptions = true, description = "List the members recorded in DIR/cluster.json.")
    static final class ListMembers implements Callable<Integer> {
        @Option(names = "--dir", defaultValue = ".kuberaft", description = "Cluster directory (default: ${DEFAULT-VALUE}).")
        Path dir;

        @Override
        public Integer call() throws Exception {
            ClusterFile f = new LocalCluster(dir, System.out).file();
            for (ClusterFile.Master m : f.masters) {
                System.out.printf("%-5s raft %-18s etcd %s%n", m.id, m.raftAddress, m.etcdEndpoint);
            }
            return 0;
        }
    }
}
