package io.kuberaft.chaos.nemesis;

import io.kuberaft.chaos.cluster.ChaosCluster;
import io.kuberaft.chaos.cluster.ChaosCluster.Node;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/** A fault: {@link #start} injects it (returning what it did), {@link #stop} undoes it. */
public interface Nemesis {
    List<String> NAMES = List.of("kill-leader", "kill-random", "kill-majority", "rolling-restart", "pause-leader", "partition-majority",
            "partition-leader", "partition-bridge", "partition-oneway", "loss", "clock-skew", "membership", "none");

    String name();

    String start(ChaosCluster c, Random rnd);

    void stop(ChaosCluster c);

    /** How long the fault is held, in ms, drawn by the schedule. */
    default long holdMs(Random rnd) {
        return 6_000 + rnd.nextInt(8_000);
    }

    static Nemesis of(String name) {
        return switch (name) {
            case "kill-leader" -> new Kill(true);
            case "kill-random" -> new Kill(false);
            case "pause-leader" -> new Pause();
            case "partition-majority" -> new Partition(false);
            case "partition-leader" -> new Partition(true);
            case "kill-majority" -> new KillMajority();
            case "rolling-restart" -> new RollingRestart();
            case "partition-bridge" -> new Bridge();
            case "partition-oneway" -> new OneWay();
            case "clock-skew" -> new ClockSkew();
            case "loss" -> new Loss();
            case "membership" -> new Membership();
            case "none" -> new None();
            default -> throw new IllegalArgumentException("unknown nemesis " + name + "; known: " + NAMES);
        };
    }

    /** True when the replicas' JVMs must run with libfaketime preloaded (see ChaosCluster). */
    default boolean needsFakeTime() {
        return false;
    }

    private static Node leaderOrRandom(ChaosCluster c, Random rnd) {
        return c.leader().orElseGet(() -> c.nodes().get(rnd.nextInt(c.nodes().size())));
    }

    /** SIGKILL of the JVM of the leader (or a random replica), restarted with its data at stop. */
    final class Kill implements Nemesis {
        private final boolean leader;
        private Node victim;

        Kill(boolean leader) {
            this.leader = leader;
        }

        public String name() {
            return leader ? "kill-leader" : "kill-random";
        }

        public String start(ChaosCluster c, Random rnd) {
            victim = leader ? leaderOrRandom(c, rnd) : c.nodes().get(rnd.nextInt(c.nodes().size()));
            c.kill(victim);
            return "SIGKILL " + victim.id;
        }

        public void stop(ChaosCluster c) {
            if (victim != null) {
                c.restart(victim);
            }
        }
    }

    /** SIGSTOP of the leader's JVM for longer than the election timeout, then SIGCONT. */
    final class Pause implements Nemesis {
        private Node victim;

        public String name() {
            return "pause-leader";
        }

        public String start(ChaosCluster c, Random rnd) {
            victim = leaderOrRandom(c, rnd);
            c.pause(victim);
            return "SIGSTOP " + victim.id;
        }

        public void stop(ChaosCluster c) {
            if (victim != null) {
                c.resume(victim);
            }
        }
    }

    /** A random minority cut off from the majority, or the leader alone. */
    final class Partition implements Nemesis {
        private final boolean isolateLeader;

        Partition(boolean isolateLeader) {
            this.isolateLeader = isolateLeader;
        }

        public String name() {
            return isolateLeader ? "partition-leader" : "partition-majority";
        }

        public String start(ChaosCluster c, Random rnd) {
            List<Node> all = new ArrayList<>(c.nodes());
            List<Node> minority = new ArrayList<>();
            if (isolateLeader) {
                minority.add(leaderOrRandom(c, rnd));
            } else {
                java.util.Collections.shuffle(all, rnd);
                minority.addAll(all.subList(0, (all.size() - 1) / 2));
            }
            List<Node> majority = c.nodes().stream().filter(n -> !minority.contains(n)).toList();
            c.partition(List.of(minority, majority));
            return minority + " | " + majority;
        }

        public void stop(ChaosCluster c) {
            c.heal();
        }
    }

    /** 20 % of the packets between replicas dropped. */
    final class Loss implements Nemesis {
        public String name() {
            return "loss";
        }

        public String start(ChaosCluster c, Random rnd) {
            c.loss(0.2);
            return "20% packet loss between replicas";
        }

        public void stop(ChaosCluster c) {
            c.heal();
        }
    }

    /** SIGKILL of a random majority (the leader may or may not be in it): no quorum until they restart at stop. */
    final class KillMajority implements Nemesis {
        private List<Node> victims = List.of();

        public String name() {
            return "kill-majority";
        }

        public String start(ChaosCluster c, Random rnd) {
            List<Node> all = new ArrayList<>(c.nodes());
            java.util.Collections.shuffle(all, rnd);
            victims = List.copyOf(all.subList(0, all.size() / 2 + 1));
            victims.forEach(c::kill);
            return "SIGKILL " + victims;
        }

        public void stop(ChaosCluster c) {
            victims.forEach(c::restart);
        }
    }

    /**
     * Every replica in turn (seeded order): SIGTERM (SIGKILL after 10 s), restart, and wait until it
     * knows a leader again (at most 60 s) and its API answers (30 s) before the next. The whole roll happens in start.
     */
    final class RollingRestart implements Nemesis {
        public String name() {
            return "rolling-restart";
        }

        /** The schedule's budget for the roll (it sleeps only what start did not use). */
        public long holdMs(Random rnd) {
            return 12_000L * 3 + rnd.nextInt(2_000);
        }

        public String start(ChaosCluster c, Random rnd) {
            List<Node> order = new ArrayList<>(c.nodes());
            java.util.Collections.shuffle(order, rnd);
            StringBuilder d = new StringBuilder("restarted");
            for (Node n : order) {
                long t0 = System.nanoTime();
                c.terminate(n);
                c.restart(n);
                try {
                    c.awaitLeader(java.time.Duration.ofSeconds(60), List.of(n));
                    c.awaitApi(java.time.Duration.ofSeconds(30), List.of(n));
                    d.append(' ').append(n.id).append(String.format(" (%.1f s)", (System.nanoTime() - t0) / 1e9));
                } catch (Exception e) {
                    d.append(' ').append(n.id).append(" (no leader after 60 s)");
                }
            }
            return d.toString();
        }

        public void stop(ChaosCluster c) {
            c.nodes().forEach(c::restart);
        }
    }

    /**
     * Jepsen's bridge: the replicas split in two sides that cannot reach each other, and one replica
     * (seeded) that reaches both. With 3 replicas: a | b | c, only a-c cut.
     */
    final class Bridge implements Nemesis {
        public String name() {
            return "partition-bridge";
        }

        public String start(ChaosCluster c, Random rnd) {
            List<Node> all = new ArrayList<>(c.nodes());
            java.util.Collections.shuffle(all, rnd);
            Node bridge = all.get(0);
            List<Node> rest = all.subList(1, all.size());
            List<Node> left = List.copyOf(rest.subList(0, rest.size() / 2));
            List<Node> right = List.copyOf(rest.subList(rest.size() / 2, rest.size()));
            for (Node a : left) {
                for (Node b : right) {
                    c.cut(a, b);
                }
            }
            return left + " | " + bridge + " (bridge) | " + right;
        }

        public void stop(ChaosCluster c) {
            c.heal();
        }
    }

    /**
     * A one-way partition around the leader (or a random replica): seeded, either nothing it sends
     * reaches the others, or nothing the others send reaches it. (TCP needs both directions, so new
     * connections fail both ways; what differs is which side's established streams still deliver.)
     */
    final class OneWay implements Nemesis {
        public String name() {
            return "partition-oneway";
        }

        public String start(ChaosCluster c, Random rnd) {
            Node x = rnd.nextBoolean() ? leaderOrRandom(c, rnd) : c.nodes().get(rnd.nextInt(c.nodes().size()));
            boolean outbound = rnd.nextBoolean();
            for (Node o : c.nodes()) {
                if (o != x) {
                    if (outbound) {
                        c.dropOneWay(x, o);
                    } else {
                        c.dropOneWay(o, x);
                    }
                }
            }
            return outbound ? x.id + " -/-> others (it receives, nothing it sends arrives)" : "others -/-> " + x.id + " (it sends, receives nothing)";
        }

        public void stop(ChaosCluster c) {
            c.heal();
        }
    }

    /**
     * The wall clock of one replica's JVM (the leader or a random one, seeded) moved 30–600 s ahead or
     * behind with libfaketime; reset at stop. Monotonic time is untouched (Ratis' election timers, the
     * JVM's timed waits). Containers share the host kernel's CLOCK_REALTIME and time namespaces do not
     * cover it, so `date -s` with CAP_SYS_TIME would move the clock of the whole machine: not used.
     */
    final class ClockSkew implements Nemesis {
        private Node victim;

        public String name() {
            return "clock-skew";
        }

        public boolean needsFakeTime() {
            return true;
        }

        public String start(ChaosCluster c, Random rnd) {
            victim = rnd.nextBoolean() ? leaderOrRandom(c, rnd) : c.nodes().get(rnd.nextInt(c.nodes().size()));
            long s = (30 + rnd.nextInt(571)) * (rnd.nextBoolean() ? 1 : -1);
            c.skewClock(victim, s);
            return victim.id + " clock " + (s > 0 ? "+" : "") + s + " s";
        }

        public void stop(ChaosCluster c) {
            if (victim != null) {
                c.skewClock(victim, 0);
            }
        }
    }

    /**
     * A membership change under load: a random follower (seeded) is removed from the voting members, stopped
     * and its data deleted; at stop it starts empty with --join and is added back, catching up from the
     * leader's log or snapshot. (With 3 replicas the group runs on 2 of 2 meanwhile: one more fault stops it.)
     */
    final class Membership implements Nemesis {
        private Node removed;

        public String name() {
            return "membership";
        }

        public String start(ChaosCluster c, Random rnd) {
            Node leader = c.leader().orElse(null);
            List<Node> followers = c.nodes().stream().filter(n -> n != leader).toList();
            Node x = followers.get(rnd.nextInt(followers.size()));
            List<Node> rest = c.nodes().stream().filter(n -> n != x).toList();
            try {
                c.setMembers(rest);
            } catch (java.io.IOException e) {
                return "removing " + x.id + " failed: " + e.getMessage();
            }
            removed = x;
            c.retire(x);
            return "removed " + x.id + " (members " + rest + ")";
        }

        public void stop(ChaosCluster c) {
            if (removed == null) {
                return;
            }
            Node x = removed;
            c.startJoining(x);
            try {
                c.setMembers(c.nodes());
                c.joined(x);
                removed = null;
            } catch (java.io.IOException e) {
                // the next start finds x still out of the group, and the final heal's awaitLeader reports it
                org.slf4j.LoggerFactory.getLogger(Membership.class).warn("adding {} back failed: {}", x.id, e.toString());
            }
        }
    }

    final class None implements Nemesis {
        public String name() {
            return "none";
        }

        public String start(ChaosCluster c, Random rnd) {
            return "nothing";
        }

        public void stop(ChaosCluster c) {
        }
    }
}
