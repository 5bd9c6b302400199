package io.kuberaft.cli;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.etcd.jetcd.api.StatusResponse;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Callable;

/** Per replica: pid, alive, role, term, commit and applied index. */
@Command(name = "status", mixinStandardHelpOptions = true, description = "Show each replica's process and Raft state.")
public final class StatusCommand implements Callable<Integer> {
    @Option(names = "--dir", defaultValue = ".kuberaft", description = "Cluster directory (default: ${DEFAULT-VALUE}).")
    Path dir;

    @Option(names = "--json", description = "Print {\"masters\":[{id,pid,alive,role,term,commitIndex,appliedIndex}]}.")
    boolean json;

    @Override
    public Integer call() throws Exception {
        LocalCluster cluster = new LocalCluster(dir, System.out);
        if (!ClusterFile.exists(cluster.dir())) {
            System.err.println("kuberaft status: no cluster in " + cluster.dir() + " (start one with `kuberaft up`)");
            return 1;
        }
        ClusterFile f = cluster.file();
        ObjectNode root = ClusterFile.JSON.createObjectNode();
        ArrayNode arr = root.putArray("masters");
        if (!json) {
            System.out.printf("%-5s %-8s %-6s %-10s %-6s %-8s %-8s %s%n", "ID", "PID", "ALIVE", "ROLE", "TERM", "COMMIT", "APPLIED", "ETCD");
        }
        // Every replica at once, each asked twice at most: the first gRPC call of this fresh JVM also pays for loading
        // and initialising Netty and gRPC, which on a loaded machine took more than the 2 s deadline, so the first
        // replica asked (usually the leader, m1) showed as UNKNOWN while etcdctl got its answer in 10-90 ms.
        List<CompletableFuture<Optional<StatusResponse>>> probes = new ArrayList<>();
        for (ClusterFile.Master m : f.masters) {
            probes.add(LocalCluster.alive(m.pid) ? CompletableFuture.supplyAsync(() -> probe(m.etcdEndpoint), PROBES)
                    : CompletableFuture.completedFuture(Optional.empty()));
        }
        for (int i = 0; i < f.masters.size(); i++) {
            ClusterFile.Master m = f.masters.get(i);
            boolean alive = LocalCluster.alive(m.pid);
            Optional<StatusResponse> s = alive ? probes.get(i).join() : Optional.empty();
            String role = !alive ? "DOWN" : s.map(StoreProbe::role).orElse("UNKNOWN");
            ObjectNode n = arr.addObject();
            n.put("id", m.id).put("pid", m.pid).put("alive", alive).put("role", role);
            if (s.isPresent()) {
                n.put("term", s.get().getRaftTerm()).put("commitIndex", s.get().getRaftIndex())
                        .put("appliedIndex", s.get().getRaftAppliedIndex());
            } else {
                n.putNull("term").putNull("commitIndex").putNull("appliedIndex");
            }
            if (!json) {
                System.out.printf("%-5s %-8d %-6s %-10s %-6s %-8s %-8s %s%n", m.id, m.pid, alive, role,
                        s.map(x -> String.valueOf(x.getRaftTerm())).orElse("-"),
                        s.map(x -> String.valueOf(x.getRaftIndex())).orElse("-"),
                        s.map(x -> String.valueOf(x.getRaftAppliedIndex())).orElse("-"), m.etcdEndpoint);
            }
        }
        if (json) {
            System.out.println(ClusterFile.JSON.writeValueAsString(root));
        }
        return 0;
    }

    private static final java.util.concurrent.Executor PROBES = r -> {
        Thread t = new Thread(r, "status-probe");
        t.setDaemon(true);
        t.start();
    };

    /** A replica's status; asked once more when the first call fails or times out (see call()). */
    static Optional<StatusResponse> probe(String endpoint) {
        Optional<StatusResponse> s = StoreProbe.status(endpoint, 2000);
        return s.isPresent() ? s : StoreProbe.status(endpoint, 2000);
    }
}
