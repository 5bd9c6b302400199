package io.kuberaft.chaos.workload;

import io.kuberaft.chaos.checker.CheckResult;
import io.kuberaft.chaos.cluster.ChaosCluster;
import io.kuberaft.chaos.history.History;
import io.kuberaft.chaos.history.Op;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * What a run needs from a workload: client processes recording into the shared history until the
 * deadline, a final phase after the nemesis healed, and the checker of its part of the history.
 * Workloads sharing one history use disjoint process ranges ({@link #owns}).
 */
public interface ChaosWorkload {
    List<String> NAMES = List.of("register-kube", "register-etcd", "set-kube", "set-etcd", "watch", "controllers", "node-lifecycle");

    static ChaosWorkload of(String name, int index) {
        return switch (name) {
            case "watch" -> new WatchWorkload(index);
            case "controllers" -> new DeploymentWorkload(index);
            case "node-lifecycle" -> new NodeLifecycleWorkload(index);
            default -> new Workload(name, index);
        };
    }

    /** Node agents a workload needs: {@code count} agent containers of {@code nodesEach} simulated nodes, with extra flags. */
    record Agents(int count, int nodesEach, List<String> args) {
    }

    /** The node agents this workload needs started (behind a load balancer) before it runs; null: none. */
    default Agents agents() {
        return null;
    }

    String name();

    /** Client processes until {@code deadlineNanos} (System.nanoTime); may leave work running for {@link #finish}. */
    void run(ChaosCluster cluster, History h, int concurrency, double ratePerProcess, long deadlineNanos, long seed) throws InterruptedException;

    /** After the nemesis healed and a leader is known: final reads, at most {@code timeout}. */
    void finish(ChaosCluster cluster, History h, Duration timeout) throws InterruptedException;

    boolean owns(Op o);

    CheckResult check(List<Op> history);

    /** Extra `kuberaft server` flags this workload needs (e.g. a short compaction retention), unless already given. */
    default List<String> serverArgs() {
        return List.of();
    }

    /** {@code given} plus each flag of the workloads' {@link #serverArgs} (flag, value pairs) that {@code given} does not set. */
    static List<String> serverArgs(List<String> given, List<? extends ChaosWorkload> workloads) {
        List<String> out = new ArrayList<>(given);
        for (ChaosWorkload w : workloads) {
            List<String> extra = w.serverArgs();
            for (int i = 0; i + 1 < extra.size(); i += 2) {
                String flag = extra.get(i);
                if (out.stream().noneMatch(a -> a.equals(flag) || a.startsWith(flag + "="))) {
                    out.add(flag);
                    out.add(extra.get(i + 1));
                }
            }
        }
        return out;
    }
}
