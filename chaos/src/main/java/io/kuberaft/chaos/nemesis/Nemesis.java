package io.kuberaft.chaos.nemesis;

import io.kuberaft.chaos.cluster.ChaosCluster;
import io.kuberaft.chaos.cluster.ChaosCluster.Node;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/** A fault: {@link #start} injects it (returning what it did), {@link #stop} undoes it. */
public interface Nemesis {
    List<String> NAMES = List.of("kill-leader", "kill-random", "pause-leader", "partition-majority", "partition-leader", "loss", "none");

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
            case "loss" -> new Loss();
            case "none" -> new None();
            default -> throw new IllegalArgumentException("unknown nemesis " + name + "; known: " + NAMES);
        };
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
