package io.kuberaft.controllers.scheduler;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * kube-scheduler's DefaultPreemption post-filter, on the scheduler's snapshot: for a pod no node fits, find the node
 * where evicting pods of lower priority makes it fit, with the fewest and least important victims. Per node (upstream's
 * selectVictimsOnNode): remove every lower-priority pod, check the pod fits, then give pods back from the most
 * important down while it still fits; what could not be given back are the victims. Between nodes (upstream's
 * pickOneNodeForPreemption, without its PodDisruptionBudget criterion): the lowest highest-victim priority, then the
 * lowest sum of victim priorities, then the fewest victims. The preemptor is nominated to the node, which keeps the
 * room for it ({@link Algorithm#schedule} with the nominated pods) while its victims terminate. Not done here:
 * PodDisruptionBudgets are not consulted.
 */
final class Preemption {
    private Preemption() {
    }

    /** Where to preempt and whom. */
    record Candidate(String node, List<PodInfo> victims) {
        int highest() {
            return victims.stream().mapToInt(PodInfo::priority).max().orElse(Integer.MIN_VALUE);
        }

        long sum() {
            // upstream adds MaxInt32 + 1 to each so negative priorities still count as victims
            return victims.stream().mapToLong(v -> (long) v.priority() + Integer.MAX_VALUE + 1).sum();
        }
    }

    /** Upstream's PodEligibleToPreemptOthers: null when the pod may preempt, else why not (its FailedScheduling postfix). */
    static String notEligible(PodInfo pod, List<NodeInfo> nodes) {
        if ("Never".equals(pod.pod.getSpec().getPreemptionPolicy())) {
            return "not eligible due to preemptionPolicy=Never.";
        }
        String nominated = pod.pod.getStatus() == null ? null : pod.pod.getStatus().getNominatedNodeName();
        if (nominated == null || nominated.isEmpty()) {
            return null;
        }
        for (NodeInfo ni : nodes) {
            if (ni.name.equals(nominated) && ni.pods.values().stream().anyMatch(p -> p.pod.getMetadata().getDeletionTimestamp() != null
                    && p.priority() < pod.priority())) {
                return "not eligible due to a terminating pod on the nominated node."; // its victims are on their way out
            }
        }
        return null;
    }

    /** The best candidate, or null when evicting lower-priority pods helps on no node. */
    static Candidate find(PodInfo pod, List<NodeInfo> nodes) {
        Algorithm.CycleState state = Algorithm.CycleState.of(pod, nodes);
        Candidate best = null;
        for (NodeInfo ni : nodes) {
            Algorithm.Status st = Algorithm.filter(pod, ni, state);
            if (st == null || st.unresolvable()) {
                continue; // fits already (the cache moved on), or eviction cannot help (taints, affinity, cordon)
            }
            Candidate c = victimsOn(pod, ni, state);
            if (c != null && (best == null || better(c, best))) {
                best = c;
            }
        }
        return best;
    }

    private static Candidate victimsOn(PodInfo pod, NodeInfo ni, Algorithm.CycleState state) {
        NodeInfo sim = new NodeInfo(ni.node);
        List<PodInfo> lower = new ArrayList<>();
        for (PodInfo p : ni.pods.values()) {
            if (p.priority() < pod.priority() && p.pod.getMetadata().getDeletionTimestamp() == null) {
                lower.add(p);
            } else {
                sim.addPod(p);
            }
        }
        if (lower.isEmpty() || Algorithm.filter(pod, sim, state) != null) {
            return null;
        }
        // reprieve the most important first: higher priority, then the longer running
        lower.sort(Comparator.comparingInt(PodInfo::priority).reversed()
                .thenComparing(p -> p.pod.getStatus() == null || p.pod.getStatus().getStartTime() == null ? "~" : p.pod.getStatus().getStartTime()));
        List<PodInfo> victims = new ArrayList<>();
        for (PodInfo p : lower) {
            sim.addPod(p);
            if (Algorithm.filter(pod, sim, state) != null) {
                sim.removePod(p.key);
                victims.add(p);
            }
        }
        return victims.isEmpty() ? null : new Candidate(ni.name, victims);
    }

    private static boolean better(Candidate a, Candidate b) {
        if (a.highest() != b.highest()) {
            return a.highest() < b.highest();
        }
        if (a.sum() != b.sum()) {
            return a.sum() < b.sum();
        }
        return a.victims().size() < b.victims().size();
    }
}
