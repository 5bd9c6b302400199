package io.kuberaft.controllers.scheduler;

import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.Pod;

import java.util.List;
import java.util.Random;

/**
 * The scheduling cycles alone, without the API: every pod through {@link Algorithm} on a {@link SchedulerCache}
 * and assumed on its node, as the scheduler does between its informer and its binder. The benchmark reports
 * it next to the end-to-end figure so the scheduler's own cost is told apart from the API's write path.
 */
public final class Simulation {
    private Simulation() {
    }

    /** Schedules {@code pods} on {@code nodes}; returns {scheduled, nanos}. */
    public static long[] run(List<Node> nodes, List<Pod> pods) {
        SchedulerCache cache = new SchedulerCache();
        nodes.forEach(cache::upsertNode);
        Random random = new Random(1);
        int start = 0;
        long scheduled = 0;
        long t0 = System.nanoTime();
        for (Pod p : pods) {
            PodInfo pi = new PodInfo(p);
            synchronized (cache) {
                List<NodeInfo> list = cache.nodeList();
                Algorithm.Result r = Algorithm.schedule(pi, list, start, random);
                start = (start + r.processed()) % list.size();
                if (r.node() != null) {
                    cache.assume(pi, r.node());
                    scheduled++;
                }
            }
        }
        return new long[] {scheduled, System.nanoTime() - t0};
    }
}
