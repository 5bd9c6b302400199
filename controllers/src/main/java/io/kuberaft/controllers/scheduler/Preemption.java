package io.kuberaft.controllers.scheduler;

import io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudget;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * kube-scheduler's DefaultPreemption post-filter, on the scheduler's snapshot: for a pod no node fits, find the node
 * where evicting pods of lower priority makes it fit, with the fewest and least important victims. Per node (upstream's
 * selectVictimsOnNode): remove every lower-priority pod, check the pod fits, then give pods back from the most
 * important down while it still fits; what could not be given back are the victims. Between nodes (upstream's
 * pickOneNodeForPreemption): the fewest victims whose eviction a PodDisruptionBudget does not allow (such pods are
 * also given back first on each node), then the lowest highest-victim priority, then the lowest sum of victim
 * priorities, then the fewest victims. The preemptor is nominated to the node, which keeps the room for it
 * ({@link Algorithm#schedule} with the nominated pods) while its victims terminate.
 */
final class Preemption {
    private Preemption() {
    }

    /** Where to preempt and whom; {@code violations}: victims a PodDisruptionBudget does not allow to be evicted. */
    record Candidate(String node, List<PodInfo> victims, int violations) {
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

    static Candidate find(PodInfo pod, List<NodeInfo> nodes) {
        return find(pod, nodes, List.of());
    }

    /** The best candidate, or null when evicting lower-priority pods helps on no node. */
    static Candidate find(PodInfo pod, List<NodeInfo> nodes, List<PodDisruptionBudget> budgets) {
        Algorithm.CycleState state = Algorithm.CycleState.of(pod, nodes);
        Candidate best = null;
        for (NodeInfo ni : nodes) {
            Algorithm.Status st = Algorithm.filter(pod, ni, state);
            if (st == null || st.unresolvable()) {
                continue; // fits already (the cache moved on), or eviction cannot help (taints, affinity, cordon)
            }
            Candidate c = victimsOn(pod, ni, state, budgets);
            if (c != null && (best == null || better(c, best))) {
                best = c;
            }
        }
        return best;
    }

    private static Candidate victimsOn(PodInfo pod, NodeInfo ni, Algorithm.CycleState state, List<PodDisruptionBudget> budgets) {
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
        // upstream's filterPodsWithPDBViolation: pods whose eviction a budget does not allow are given back first
        Set<PodInfo> violating = violating(lower, budgets);
        List<PodInfo> order = new ArrayList<>(lower.stream().filter(violating::contains).toList());
        order.addAll(lower.stream().filter(p -> !violating.contains(p)).toList());
        List<PodInfo> victims = new ArrayList<>();
        int violations = 0;
        for (PodInfo p : order) {
            sim.addPod(p);
            if (Algorithm.filter(pod, sim, state) != null) {
                sim.removePod(p.key);
                victims.add(p);
                if (violating.contains(p)) {
                    violations++;
                }
            }
        }
        return victims.isEmpty() ? null : new Candidate(ni.name, victims, violations);
    }

    /** The pods, in order, whose eviction would exceed a matching budget's disruptionsAllowed (counting down as it goes). */
    private static Set<PodInfo> violating(List<PodInfo> pods, List<PodDisruptionBudget> budgets) {
        Set<PodInfo> out = new HashSet<>();
        if (budgets.isEmpty()) {
            return out;
        }
        Map<PodDisruptionBudget, Integer> allowed = new HashMap<>();
        for (PodDisruptionBudget b : budgets) {
            allowed.put(b, b.getStatus() == null || b.getStatus().getDisruptionsAllowed() == null ? 0 : b.getStatus().getDisruptionsAllowed());
        }
        for (PodInfo p : pods) {
            for (PodDisruptionBudget b : budgets) {
                // policy/v1: an empty selector selects every pod of the namespace; a missing one none
                if (!b.getMetadata().getNamespace().equals(p.namespace()) || b.getSpec() == null || b.getSpec().getSelector() == null
                        || !Predicates.matches(b.getSpec().getSelector(), p.labels())) {
                    continue;
                }
                int left = allowed.merge(b, -1, Integer::sum);
                if (left < 0) {
                    out.add(p);
                }
            }
        }
        return out;
    }

    private static boolean better(Candidate a, Candidate b) {
        if (a.violations() != b.violations()) {
            return a.violations() < b.violations();
        }
        if (a.highest() != b.highest()) {
            return a.highest() < b.highest();
        }
        if (a.sum() != b.sum()) {
            return a.sum() < b.sum();
        }
        return a.victims().size() < b.victims().size();
    }
}
