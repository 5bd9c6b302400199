package io.kuberaft.chaos.nemesis;

import io.kuberaft.chaos.cluster.ChaosCluster;
import io.kuberaft.chaos.history.History;
import io.kuberaft.chaos.history.Op;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;

/**
 * The seeded nemesis schedule: quiet for 4–8 s, then one of the nemeses (drawn with the seed) held for
 * its hold time, then healed; repeated until the deadline. Every choice (which nemesis, how long,
 * which replicas, how far) comes from one Random of the run's seed; only "the leader" depends on the
 * run. Each start and stop is recorded in the
 * history as an {@code info} op of process -1 ({@code f} = nemesis), and as an {@link Interval}.
 */
public final class Schedule {
    private static final Logger LOG = LoggerFactory.getLogger(Schedule.class);

    public record Interval(String nemesis, String detail, long startNanos, long endNanos) {
    }

    private final List<Nemesis> nemeses;
    private final Random rnd;
    private final List<Interval> intervals = Collections.synchronizedList(new ArrayList<>());

    public Schedule(List<Nemesis> nemeses, long seed) {
        this.nemeses = nemeses;
        this.rnd = new Random(seed);
    }

    public List<Interval> intervals() {
        return List.copyOf(intervals);
    }

    public void run(ChaosCluster c, History h, long deadlineNanos) throws InterruptedException {
        while (true) {
            long quiet = 4_000 + rnd.nextInt(4_000);
            Nemesis n = nemeses.get(rnd.nextInt(nemeses.size()));
            long hold = n.holdMs(rnd);
            if (System.nanoTime() + (quiet + hold) * 1_000_000L > deadlineNanos) {
                return;
            }
            Thread.sleep(quiet);
            long t0 = h.now();
            String detail = n.start(c, rnd);
            LOG.info("nemesis {} start: {}", n.name(), detail);
            h.add(new Op(-1, Op.Type.info, n.name(), null, History.v("start: " + detail), t0, null, null));
            try {
                // what start itself took (a rolling restart) counts against the hold
                Thread.sleep(Math.max(0, hold - (h.now() - t0) / 1_000_000));
            } finally {
                n.stop(c);
                long t1 = h.now();
                h.add(new Op(-1, Op.Type.info, n.name(), null, History.v("stop"), t1, null, null));
                intervals.add(new Interval(n.name(), detail, t0, t1));
                LOG.info("nemesis {} stop", n.name());
            }
        }
    }
}
