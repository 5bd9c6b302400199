package io.kuberaft.controllers.scheduler;

import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodAffinityTerm;
import io.fabric8.kubernetes.api.model.PreferredSchedulingTerm;
import io.fabric8.kubernetes.api.model.Taint;
import io.fabric8.kubernetes.api.model.TaintBuilder;
import io.fabric8.kubernetes.api.model.TopologySpreadConstraint;
import io.fabric8.kubernetes.api.model.WeightedPodAffinityTerm;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.IntStream;

/**
 * The default scheduler's algorithm on an in-memory snapshot: upstream's default filter plugins in their
 * order (NodeUnschedulable, TaintToleration, NodeAffinity, NodePorts, NodeResourcesFit, PodTopologySpread,
 * InterPodAffinity; a node fails at its first failing filter), then the default scores with their weights
 * (NodeResourcesFit LeastAllocated 1, NodeResourcesBalancedAllocation 1, NodeAffinity 2, TaintToleration 3,
 * PodTopologySpread 2, InterPodAffinity 2), highest total wins with a random tie-break. As upstream, only
 * enough feasible nodes are looked for in big clusters (percentageOfNodesToScore, adaptive), starting where
 * the previous pod stopped, and nodes are filtered in parallel chunks. Failures produce upstream's
 * FitError message with the preemption postfilter's summary.
 */
public final class Algorithm {
    public static final String UNSCHEDULABLE = "node(s) were unschedulable";
    public static final String NODE_AFFINITY = "node(s) didn't match Pod's node affinity/selector";
    public static final String PORTS = "node(s) didn't have free ports for the requested pod ports";
    public static final String SPREAD = "node(s) didn't match pod topology spread constraints";
    public static final String SPREAD_LABEL = "node(s) didn't match pod topology spread constraints (missing required label)";
    public static final String AFFINITY = "node(s) didn't match pod affinity rules";
    public static final String ANTI_AFFINITY = "node(s) didn't match pod anti-affinity rules";
    public static final String EXISTING_ANTI_AFFINITY = "node(s) didn't satisfy existing pods anti-affinity rules";
    static final int PARALLEL_CHUNK = 256;
    private static final Taint UNSCHEDULABLE_TAINT = new TaintBuilder().withKey("node.kubernetes.io/unschedulable").withEffect("NoSchedule").build();

    private Algorithm() {
    }

    /** Why a node does not fit; {@code unresolvable}: preemption cannot help (UnschedulableAndUnresolvable). */
    public record Status(List<String> reasons, boolean unresolvable) {
        static Status of(String reason, boolean unresolvable) {
            return new Status(List.of(reason), unresolvable);
        }
    }

    /** The chosen node, or null with upstream's FitError message; {@code processed}: how many nodes were looked at. */
    public record Result(String node, String message, int processed, int feasible) {
    }

    /** upstream's numFeasibleNodesToFind with the adaptive percentage (50 % − nodes/125, at least 5 %, at least 100 nodes). */
    static int feasibleNodesToFind(int n) {
        if (n < 100) {
            return n;
        }
        int pct = Math.max(5, 50 - n / 125);
        return Math.min(n, Math.max(100, n * pct / 100));
    }

    public static Result schedule(PodInfo pod, List<NodeInfo> nodes, int start, Random random) {
        return schedule(pod, nodes, start, random, Map.of());
    }

    /**
     * @param nominated pods waiting for the room their preemption is making, by nominated node: on those nodes the
     *                  pod must fit next to the ones of its priority or higher (upstream's RunFilterPluginsWithNominatedPods)
     */
    public static Result schedule(PodInfo pod, List<NodeInfo> nodes, int start, Random random, Map<String, List<PodInfo>> nominated) {
        int n = nodes.size();
        if (n == 0) {
            return new Result(null, "no nodes available to schedule pods", 0, 0);
        }
        CycleState state = CycleState.of(pod, nodes);
        state.nominated = nominated;
        int want = feasibleNodesToFind(n);
        List<NodeInfo> feasible = new ArrayList<>();
        Map<String, Status> failed = new ConcurrentHashMap<>();
        int processed = 0;
        while (processed < n && feasible.size() < want) {
            int from = processed;
            int len = Math.min(n - from, n > PARALLEL_CHUNK * 2 ? PARALLEL_CHUNK * 4 : n);
            Status[] out = new Status[len];
            IntStream range = IntStream.range(0, len);
            (len > PARALLEL_CHUNK ? range.parallel() : range).forEach(i -> {
                NodeInfo ni = nodes.get((start + from + i) % n);
                out[i] = filter(pod, ni, state);
            });
            for (int i = 0; i < len && feasible.size() < want; i++) {
                NodeInfo ni = nodes.get((start + from + i) % n);
                processed++;
                if (out[i] == null) {
                    feasible.add(ni);
                } else {
                    failed.put(ni.name, out[i]);
                }
            }
        }
        if (feasible.isEmpty()) {
            return new Result(null, fitError(pod, n, failed), processed, 0);
        }
        if (feasible.size() == 1) {
            return new Result(feasible.get(0).name, null, processed, 1);
        }
        double[] scores = score(pod, feasible, state);
        int best = -1;
        int ties = 0;
        for (int i = 0; i < scores.length; i++) {
            if (best < 0 || scores[i] > scores[best]) {
                best = i;
                ties = 1;
            } else if (scores[i] == scores[best] && random.nextInt(++ties) == 0) {
                best = i; // reservoir sampling: each tied node equally likely
            }
        }
        return new Result(feasible.get(best).name, null, processed, feasible.size());
    }

    /**
     * upstream's FitError.Error() plus DefaultPreemption's summary when it found no victims (a pod that preempts gets
     * the message without it: the Scheduler cuts it off).
     */
    static String fitError(PodInfo pod, int numNodes, Map<String, Status> failed) {
        Map<String, Integer> reasons = new HashMap<>();
        int unresolvable = 0;
        for (Status s : failed.values()) {
            s.reasons().forEach(r -> reasons.merge(r, 1, Integer::sum));
            if (s.unresolvable()) {
                unresolvable++;
            }
        }
        List<String> parts = new ArrayList<>();
        reasons.forEach((r, c) -> parts.add(c + " " + r));
        parts.sort(null);
        StringBuilder b = new StringBuilder("0/").append(numNodes).append(" nodes are available: ").append(String.join(", ", parts)).append('.');
        String policy = pod.pod.getSpec().getPreemptionPolicy();
        String post;
        if ("Never".equals(policy)) {
            post = "preemption: not eligible due to preemptionPolicy=Never.";
        } else {
            Map<String, Integer> pre = new TreeMap<>();
            if (unresolvable > 0) {
                pre.put(unresolvable + " Preemption is not helpful for scheduling", 0);
            }
            if (failed.size() - unresolvable > 0) {
                pre.put((failed.size() - unresolvable) + " No preemption victims found for incoming pod", 0);
            }
            post = "preemption: 0/" + numNodes + " nodes are available: " + String.join(", ", pre.keySet()) + ".";
        }
        return b.append(' ').append(post).append('.').toString();
    }

    /** Runs the filters in upstream's order; null when the node fits. */
    public static Status filter(PodInfo pod, NodeInfo ni, CycleState state) {
        Node node = ni.node;
        if (node == null) {
            return Status.of("node(s) not found", true);
        }
        var tolerations = Predicates.tolerations(pod.pod);
        if (node.getSpec() != null && Boolean.TRUE.equals(node.getSpec().getUnschedulable()) && !Predicates.tolerated(tolerations, UNSCHEDULABLE_TAINT)) {
            return Status.of(UNSCHEDULABLE, true);
        }
        for (Taint t : Predicates.taints(node)) {
            if (("NoSchedule".equals(t.getEffect()) || "NoExecute".equals(t.getEffect())) && !Predicates.tolerated(tolerations, t)) {
                return Status.of("node(s) had untolerated taint {" + t.getKey() + ": " + (t.getValue() == null ? "" : t.getValue()) + "}", true);
            }
        }
        if (!Predicates.nodeAffinityMatches(pod.pod, node)) {
            return Status.of(NODE_AFFINITY, true);
        }
        for (PodInfo.HostPort p : pod.hostPorts) {
            for (PodInfo.HostPort used : ni.usedPorts) {
                if (p.conflicts(used)) {
                    return Status.of(PORTS, false);
                }
            }
        }
        Status fit = fits(pod, ni);
        if (fit != null) {
            return fit;
        }
        List<PodInfo> reserved = state.nominatedAhead(ni.name);
        if (!reserved.isEmpty()) {
            NodeInfo with = new NodeInfo(node);
            ni.pods.values().forEach(with::addPod);
            reserved.forEach(with::addPod);
            fit = fits(pod, with);
            if (fit != null) {
                return fit;
            }
        }
        Status spread = state.spreadFilter(ni);
        if (spread != null) {
            return spread;
        }
        return state.affinityFilter(ni);
    }

    /** NodeResourcesFit: pod count, then every requested resource against allocatable minus requested. */
    static Status fits(PodInfo pod, NodeInfo ni) {
        List<String> reasons = new ArrayList<>();
        if (ni.pods.size() + 1 > ni.allocatable.pods) {
            reasons.add("Too many pods");
        }
        Requests r = pod.requests;
        if (!r.isZero()) {
            if (r.milliCpu > 0 && r.milliCpu > ni.allocatable.milliCpu - ni.requested.milliCpu) {
                reasons.add("Insufficient cpu");
            }
            if (r.memory > 0 && r.memory > ni.allocatable.memory - ni.requested.memory) {
                reasons.add("Insufficient memory");
            }
            if (r.ephemeral > 0 && r.ephemeral > ni.allocatable.ephemeral - ni.requested.ephemeral) {
                reasons.add("Insufficient ephemeral-storage");
            }
            for (var e : new TreeMap<>(r.scalar).entrySet()) {
                if (e.getValue() > 0 && e.getValue() > ni.allocatable.scalar.getOrDefault(e.getKey(), 0L)
                        - ni.requested.scalar.getOrDefault(e.getKey(), 0L)) {
                    reasons.add("Insufficient " + e.getKey());
                }
            }
        }
        return reasons.isEmpty() ? null : new Status(reasons, false);
    }

    /** Weighted sum of the default scores for each feasible node. */
    static double[] score(PodInfo pod, List<NodeInfo> feasible, CycleState state) {
        int n = feasible.size();
        double[] total = new double[n];
        double[] nodeAff = new double[n];
        double[] taint = new double[n];
        double[] podAff = new double[n];
        double[] spread = new double[n];
        boolean[] spreadMissing = new boolean[n];
        List<PreferredSchedulingTerm> preferred = pod.pod.getSpec().getAffinity() == null
                || pod.pod.getSpec().getAffinity().getNodeAffinity() == null
                || pod.pod.getSpec().getAffinity().getNodeAffinity().getPreferredDuringSchedulingIgnoredDuringExecution() == null
                ? List.of() : pod.pod.getSpec().getAffinity().getNodeAffinity().getPreferredDuringSchedulingIgnoredDuringExecution();
        var tolerations = Predicates.tolerations(pod.pod);
        for (int i = 0; i < n; i++) {
            NodeInfo ni = feasible.get(i);
            total[i] = leastAllocated(pod, ni) + balanced(pod, ni);
            for (PreferredSchedulingTerm t : preferred) {
                if (t.getWeight() != null && t.getPreference() != null && Predicates.matches(t.getPreference(), ni.node)) {
                    nodeAff[i] += t.getWeight();
                }
            }
            for (Taint t : Predicates.taints(ni.node)) {
                if ("PreferNoSchedule".equals(t.getEffect()) && !Predicates.tolerated(tolerations, t)) {
                    taint[i]++;
                }
            }
            podAff[i] = state.preferredAffinityScore(ni);
            Double s = state.spreadScore(ni);
            if (s == null) {
                spreadMissing[i] = true;
            } else {
                spread[i] = s;
            }
        }
        normalize(nodeAff, false);
        normalize(taint, true);
        minMaxNormalize(podAff);
        if (state.hasSoftSpread()) {
            reverseMinMax(spread, spreadMissing);
        }
        for (int i = 0; i < n; i++) {
            total[i] += 2 * nodeAff[i] + 3 * taint[i] + 2 * podAff[i] + (state.hasSoftSpread() ? 2 * spread[i] : 0);
        }
        return total;
    }

    /** LeastAllocated over cpu and memory (weight 1 each), with the non-zero requests. */
    static double leastAllocated(PodInfo pod, NodeInfo ni) {
        return (least(ni.nonZeroCpu + pod.nonZeroCpu, ni.allocatable.milliCpu)
                + least(ni.nonZeroMemory + pod.nonZeroMemory, ni.allocatable.memory)) / 2;
    }

    private static double least(long requested, long capacity) {
        if (capacity <= 0 || requested > capacity) {
            return 0;
        }
        return (double) (capacity - requested) * 100 / capacity;
    }

    /** BalancedAllocation: 100 × (1 − standard deviation of the cpu and memory fractions). */
    static double balanced(PodInfo pod, NodeInfo ni) {
        double c = fraction(ni.nonZeroCpu + pod.nonZeroCpu, ni.allocatable.milliCpu);
        double m = fraction(ni.nonZeroMemory + pod.nonZeroMemory, ni.allocatable.memory);
        return (1 - Math.abs(c - m) / 2) * 100;
    }

    private static double fraction(long requested, long capacity) {
        return capacity <= 0 ? 1 : Math.min(1, (double) requested / capacity);
    }

    /** upstream's DefaultNormalizeScore: scale to 0..100 by the maximum, reversed for "fewer is better". */
    static void normalize(double[] s, boolean reverse) {
        double max = 0;
        for (double v : s) {
            max = Math.max(max, v);
        }
        for (int i = 0; i < s.length; i++) {
            if (max == 0) {
                s[i] = reverse ? 100 : 0;
            } else {
                s[i] = s[i] * 100 / max;
                if (reverse) {
                    s[i] = 100 - s[i];
                }
            }
        }
    }

    static void minMaxNormalize(double[] s) {
        double min = Double.MAX_VALUE;
        double max = -Double.MAX_VALUE;
        for (double v : s) {
            min = Math.min(min, v);
            max = Math.max(max, v);
        }
        for (int i = 0; i < s.length; i++) {
            s[i] = max > min ? (s[i] - min) * 100 / (max - min) : 0;
        }
    }

    static void reverseMinMax(double[] s, boolean[] missing) {
        double min = Double.MAX_VALUE;
        double max = -Double.MAX_VALUE;
        for (int i = 0; i < s.length; i++) {
            if (!missing[i]) {
                min = Math.min(min, s[i]);
                max = Math.max(max, s[i]);
            }
        }
        for (int i = 0; i < s.length; i++) {
            s[i] = missing[i] ? 0 : max > min ? (max - s[i]) * 100 / (max - min) : 100;
        }
    }

    /** PreFilter/PreScore state of one scheduling cycle: affinity domains and spread counts, computed once per pod. */
    public static final class CycleState {
        private final PodInfo pod;
        private final List<Set<String>> affinityValues = new ArrayList<>();
        private boolean anyAffinityMatch;
        private final List<Set<String>> antiValues = new ArrayList<>();
        private final Set<String> existingAnti = new HashSet<>();
        private final Map<String, Long> preferredPairs = new HashMap<>();
        private final List<Spread> hardSpread = new ArrayList<>();
        private final List<Spread> softSpread = new ArrayList<>();
        private Map<String, List<PodInfo>> nominated = Map.of();

        /** One constraint's matching pods per domain; {@code systemDefault}: upstream's default constraints, which nodes may lack. */
        private record Spread(TopologySpreadConstraint c, Map<String, Integer> counts, int min, int selfMatch, boolean systemDefault) {
        }

        /**
         * The scheduler's system default spreading (upstream's PodTopologySpread {@code defaultingType: System}): a pod
         * with no constraints of its own that belongs to a ReplicaSet, ReplicationController or StatefulSet is spread
         * softly over hostnames (maxSkew 3) and zones (maxSkew 5) against the pods of the same owner. Upstream's
         * default selector also ANDs the selectors of Services that select the pod; same-owner pods are what those
         * select in practice, and the snapshot needs no Service lookup for it.
         */
        static final List<TopologySpreadConstraint> SYSTEM_DEFAULT_SPREAD = List.of(
                new io.fabric8.kubernetes.api.model.TopologySpreadConstraintBuilder().withMaxSkew(3)
                        .withTopologyKey("kubernetes.io/hostname").withWhenUnsatisfiable("ScheduleAnyway").build(),
                new io.fabric8.kubernetes.api.model.TopologySpreadConstraintBuilder().withMaxSkew(5)
                        .withTopologyKey("topology.kubernetes.io/zone").withWhenUnsatisfiable("ScheduleAnyway").build());
        private static final Set<String> SPREAD_OWNERS = Set.of("ReplicaSet", "ReplicationController", "StatefulSet");

        private CycleState(PodInfo pod) {
            this.pod = pod;
        }

        static CycleState of(PodInfo pod, List<NodeInfo> nodes) {
            CycleState s = new CycleState(pod);
            boolean needAffinity = !pod.requiredAffinity.isEmpty() || !pod.requiredAntiAffinity.isEmpty()
                    || !pod.preferredAffinity.isEmpty() || !pod.preferredAntiAffinity.isEmpty();
            pod.requiredAffinity.forEach(t -> s.affinityValues.add(new HashSet<>()));
            pod.requiredAntiAffinity.forEach(t -> s.antiValues.add(new HashSet<>()));
            for (NodeInfo ni : nodes) {
                if (ni.node == null) {
                    continue;
                }
                for (PodInfo other : ni.pods.values()) {
                    // existing pods' required anti-affinity against the incoming pod
                    for (PodAffinityTerm t : other.requiredAntiAffinity) {
                        String v = ni.label(t.getTopologyKey());
                        if (v != null && PodInfo.termMatches(t, other.namespace(), pod.pod)) {
                            s.existingAnti.add(t.getTopologyKey() + "\u0000" + v);
                        }
                    }
                    if (!needAffinity) {
                        continue;
                    }
                    for (int i = 0; i < pod.requiredAffinity.size(); i++) {
                        PodAffinityTerm t = pod.requiredAffinity.get(i);
                        if (PodInfo.termMatches(t, pod.namespace(), other.pod)) {
                            s.anyAffinityMatch = true;
                            String v = ni.label(t.getTopologyKey());
                            if (v != null) {
                                s.affinityValues.get(i).add(v);
                            }
                        }
                    }
                    for (int i = 0; i < pod.requiredAntiAffinity.size(); i++) {
                        PodAffinityTerm t = pod.requiredAntiAffinity.get(i);
                        String v = ni.label(t.getTopologyKey());
                        if (v != null && PodInfo.termMatches(t, pod.namespace(), other.pod)) {
                            s.antiValues.get(i).add(v);
                        }
                    }
                    for (WeightedPodAffinityTerm w : pod.preferredAffinity) {
                        addPreferred(s, ni, other, w, 1);
                    }
                    for (WeightedPodAffinityTerm w : pod.preferredAntiAffinity) {
                        addPreferred(s, ni, other, w, -1);
                    }
                }
            }
            List<TopologySpreadConstraint> constraints = pod.pod.getSpec().getTopologySpreadConstraints();
            if (constraints != null && !constraints.isEmpty()) {
                for (TopologySpreadConstraint c : constraints) {
                    Spread sp = spread(pod, c, nodes, other -> Predicates.matches(c.getLabelSelector(), other.labels()),
                            Predicates.matches(c.getLabelSelector(), pod.labels()), false);
                    ("DoNotSchedule".equals(c.getWhenUnsatisfiable()) ? s.hardSpread : s.softSpread).add(sp);
                }
            } else {
                String owner = spreadOwner(pod.pod);
                if (owner != null) {
                    for (TopologySpreadConstraint c : SYSTEM_DEFAULT_SPREAD) {
                        s.softSpread.add(spread(pod, c, nodes, other -> owner.equals(spreadOwner(other.pod)), true, true));
                    }
                }
            }
            return s;
        }

        private static void addPreferred(CycleState s, NodeInfo ni, PodInfo other, WeightedPodAffinityTerm w, int sign) {
            PodAffinityTerm t = w.getPodAffinityTerm();
            String v = t == null ? null : ni.label(t.getTopologyKey());
            if (v != null && PodInfo.termMatches(t, s.pod.namespace(), other.pod)) {
                s.preferredPairs.merge(t.getTopologyKey() + "\u0000" + v, (long) sign * w.getWeight(), Long::sum);
            }
        }

        /** The uid of the pod's controller if it is one whose pods are spread by default, else null. */
        private static String spreadOwner(Pod p) {
            if (p.getMetadata().getOwnerReferences() == null) {
                return null;
            }
            for (var ref : p.getMetadata().getOwnerReferences()) {
                if (Boolean.TRUE.equals(ref.getController()) && SPREAD_OWNERS.contains(ref.getKind())) {
                    return ref.getUid();
                }
            }
            return null;
        }

        private static Spread spread(PodInfo pod, TopologySpreadConstraint c, List<NodeInfo> nodes,
                                     java.util.function.Predicate<PodInfo> selects, boolean selfMatches, boolean systemDefault) {
            Map<String, Integer> counts = new HashMap<>();
            String key = c.getTopologyKey();
            for (NodeInfo ni : nodes) {
                if (ni.node == null) {
                    continue;
                }
                String v = ni.label(key);
                // nodeAffinityPolicy Honor (the default): only nodes the pod could go to make domains
                if (v == null || (!"Ignore".equals(c.getNodeAffinityPolicy()) && !Predicates.nodeAffinityMatches(pod.pod, ni.node))) {
                    continue;
                }
                int matching = 0;
                for (PodInfo other : ni.pods.values()) {
                    if (other.namespace().equals(pod.namespace()) && other.pod.getMetadata().getDeletionTimestamp() == null
                            && selects.test(other)) {
                        matching++;
                    }
                }
                counts.merge(v, matching, Integer::sum);
            }
            int min = counts.values().stream().mapToInt(Integer::intValue).min().orElse(0);
            if (c.getMinDomains() != null && counts.size() < c.getMinDomains()) {
                min = 0;
            }
            return new Spread(c, counts, min, selfMatches ? 1 : 0, systemDefault);
        }

        Status spreadFilter(NodeInfo ni) {
            for (Spread s : hardSpread) {
                String v = ni.label(s.c.getTopologyKey());
                if (v == null) {
                    return Status.of(SPREAD_LABEL, true);
                }
                int skew = s.counts.getOrDefault(v, 0) + s.selfMatch - s.min;
                if (skew > s.c.getMaxSkew()) {
                    return Status.of(SPREAD, false);
                }
            }
            return null;
        }

        Status affinityFilter(NodeInfo ni) {
            // upstream's order: the pod's affinity, its anti-affinity, then existing pods' anti-affinity
            if (!pod.requiredAffinity.isEmpty()) {
                // the first pod of a group that selects itself may go anywhere the topology keys exist
                boolean first = !anyAffinityMatch && pod.requiredAffinity.stream()
                        .allMatch(t -> PodInfo.termMatches(t, pod.namespace(), pod.pod));
                for (int i = 0; i < pod.requiredAffinity.size(); i++) {
                    String v = ni.label(pod.requiredAffinity.get(i).getTopologyKey());
                    if (v == null || (!first && !affinityValues.get(i).contains(v))) {
                        return Status.of(AFFINITY, true);
                    }
                }
            }
            for (int i = 0; i < pod.requiredAntiAffinity.size(); i++) {
                String v = ni.label(pod.requiredAntiAffinity.get(i).getTopologyKey());
                if (v != null && antiValues.get(i).contains(v)) {
                    return Status.of(ANTI_AFFINITY, false);
                }
            }
            for (String pair : existingAnti) {
                int i = pair.indexOf('\u0000');
                if (pair.substring(i + 1).equals(ni.label(pair.substring(0, i)))) {
                    return Status.of(EXISTING_ANTI_AFFINITY, false);
                }
            }
            return null;
        }

        double preferredAffinityScore(NodeInfo ni) {
            if (preferredPairs.isEmpty()) {
                return 0;
            }
            double s = 0;
            for (var e : preferredPairs.entrySet()) {
                int i = e.getKey().indexOf('\u0000');
                if (e.getKey().substring(i + 1).equals(ni.label(e.getKey().substring(0, i)))) {
                    s += e.getValue();
                }
            }
            return s;
        }

        /** Pods nominated to {@code node} that go before this one: priority at least its own, not itself. */
        List<PodInfo> nominatedAhead(String node) {
            List<PodInfo> on = nominated.get(node);
            if (on == null || on.isEmpty()) {
                return List.of();
            }
            List<PodInfo> out = new ArrayList<>();
            for (PodInfo p : on) {
                if (p.priority() >= pod.priority() && !p.key.equals(pod.key)) {
                    out.add(p);
                }
            }
            return out;
        }

        boolean hasSoftSpread() {
            return !softSpread.isEmpty();
        }

        /** Matching pods in the node's domains over the ScheduleAnyway constraints; null if the node lacks a key. */
        Double spreadScore(NodeInfo ni) {
            double s = 0;
            for (Spread sp : softSpread) {
                String v = ni.label(sp.c.getTopologyKey());
                if (v == null && sp.systemDefault) {
                    continue; // upstream does not require the default constraints' keys (few clusters label zones)
                }
                if (v == null) {
                    return null;
                }
                s += sp.counts.getOrDefault(v, 0) + sp.c.getMaxSkew() - 1;
            }
            return s;
        }
    }
}
