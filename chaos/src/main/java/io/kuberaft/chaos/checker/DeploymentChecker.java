package io.kuberaft.chaos.checker;

import com.fasterxml.jackson.databind.JsonNode;
import io.kuberaft.chaos.history.Op;
import io.kuberaft.chaos.history.Pairing;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The controllers workload's checker. It replays, in resourceVersion order, what the reflectors
 * recorded of the namespace's pods, ReplicaSets and Deployment ({@code list} snapshots and {@code
 * watch} events; resourceVersions are the store's global revisions, so the three streams merge into
 * one timeline), up to the revision every reflector covered, and checks:
 * <ul>
 * <li>{@code too-many-pods}: when a pod is created, its ReplicaSet has no more live (not deleting, not
 * finished) pods than its spec asked for, in its current version or one of the {@link #STALE_VERSIONS}
 * before (a controller acting on a slightly stale cache is upstream behaviour; a pod created twice for one
 * slot, e.g. by an ex-leader and the new leader, is not);</li>
 * <li>{@code too-many-replicas}: the Deployment's ReplicaSets never ask for more than its replicas
 * (current or previous version) plus maxSurge;</li>
 * <li>{@code lost-update}: the Deployment converged to the last acknowledged scale and roll, or to a later
 * indeterminate one (the operator is one sequential process);</li>
 * <li>{@code not-converged}: after the nemesis healed, the rollout finished: every wanted pod ready, of the
 * ReplicaSet of the wanted template, and nothing else.</li>
 * </ul>
 */
public final class DeploymentChecker {
    /** How many earlier versions of a ReplicaSet's replicas a pod creation may still be justified by. */
    static final int STALE_VERSIONS = 2;
    private static final List<String> KINDS = List.of("pod", "rs", "deploy");

    private final int maxSurge;
    private final int initialReplicas;

    public DeploymentChecker(int maxSurge, int initialReplicas) {
        this.maxSurge = maxSurge;
        this.initialReplicas = initialReplicas;
    }

    public CheckResult check(List<Op> history) {
        CheckResult r = new CheckResult("controllers");
        Pairing ops = Pairing.of(history);
        JsonNode fin = null;
        List<Pairing.Completed> operator = new ArrayList<>();
        for (Pairing.Completed c : ops.completed()) {
            switch (c.invoke().f()) {
                case "final" -> fin = c.completion().type() == Op.Type.ok ? c.completion().value() : null;
                case "scale", "roll" -> operator.add(c);
                default -> {
                }
            }
        }
        Timeline timeline = Timeline.of(ops.completed(), KINDS);
        r.stats.put("horizon-rv", timeline.horizon);
        replay(timeline, r);
        checkUpdates(operator, ops.open().values(), fin, r);
        if (fin == null) {
            return r.unknown("no final state");
        }
        if (!fin.path("converged").asBoolean()) {
            r.anomaly("not-converged", null, "after the heal: " + fin);
        }
        return r;
    }

    private void replay(Timeline timeline, CheckResult r) {
        Map<String, JsonNode> pods = new HashMap<>();
        Map<String, JsonNode> rss = new HashMap<>();
        Map<String, Deque<Integer>> rsReplicas = new HashMap<>();
        Deque<Integer> deployReplicas = new ArrayDeque<>();
        Set<String> created = new HashSet<>();
        int checkedCreations = 0;
        int rsChecks = 0;
        for (Timeline.Entry e : timeline.entries) {
            if (e.isList()) {
                switch (e.kind()) {
                    case "pod" -> {
                        pods.clear();
                        e.items().forEach(p -> pods.put(p.path("name").asText(), p));
                    }
                    case "rs" -> {
                        rss.clear();
                        for (JsonNode s : e.items()) {
                            rss.put(s.path("name").asText(), s);
                            push(rsReplicas.computeIfAbsent(s.path("name").asText(), k -> new ArrayDeque<>()), s.path("replicas").asInt(), STALE_VERSIONS + 1);
                        }
                    }
                    default -> e.items().forEach(d -> push(deployReplicas, d.path("replicas").asInt(), 2));
                }
                continue;
            }
            JsonNode o = e.object();
            String name = o.path("name").asText();
            boolean deleted = e.type().equals("DELETED");
            switch (e.kind()) {
                case "pod" -> {
                    if (deleted) {
                        pods.remove(name);
                        continue;
                    }
                    boolean isNew = !pods.containsKey(name) && created.add(name);
                    pods.put(name, o);
                    String owner = o.path("owner").asText(null);
                    if (!isNew || !live(o) || owner == null) {
                        continue;
                    }
                    Deque<Integer> allowed = rsReplicas.get(owner);
                    if (allowed == null) {
                        r.stats.merge("pods-of-unknown-replicasets", 1, (a, b) -> (Integer) a + (Integer) b);
                        continue;
                    }
                    checkedCreations++;
                    long live = pods.values().stream().filter(p -> owner.equals(p.path("owner").asText(null)) && live(p)).count();
                    int bound = allowed.stream().mapToInt(Integer::intValue).max().orElse(0);
                    if (live > bound) {
                        r.anomaly("too-many-pods", owner, "pod " + name + " created at revision " + e.rv() + ": " + live
                                + " live pods of " + owner + ", whose replicas were at most " + bound + " in its last versions " + allowed);
                    }
                }
                case "rs" -> {
                    if (deleted) {
                        rss.remove(name);
                        rsReplicas.remove(name);
                        continue;
                    }
                    rss.put(name, o);
                    push(rsReplicas.computeIfAbsent(name, k -> new ArrayDeque<>()), o.path("replicas").asInt(), STALE_VERSIONS + 1);
                    if (deployReplicas.isEmpty()) {
                        continue;
                    }
                    rsChecks++;
                    int sum = rss.values().stream().mapToInt(s -> s.path("replicas").asInt()).sum();
                    int bound = deployReplicas.stream().mapToInt(Integer::intValue).max().orElse(0) + maxSurge;
                    if (sum > bound) {
                        r.anomaly("too-many-replicas", name, "at revision " + e.rv() + " the ReplicaSets ask for " + sum
                                + " pods; the Deployment's replicas were at most " + (bound - maxSurge) + " (+ maxSurge " + maxSurge + ")");
                    }
                }
                default -> {
                    if (!deleted) {
                        push(deployReplicas, o.path("replicas").asInt(), 2);
                    }
                }
            }
        }
        r.stats.put("pods-created", created.size());
        r.stats.put("pod-creations-checked", checkedCreations);
        r.stats.put("replicaset-versions-checked", rsChecks);
    }

    private static boolean live(JsonNode pod) {
        String phase = pod.path("phase").asText();
        return !pod.path("deleting").asBoolean() && !phase.equals("Succeeded") && !phase.equals("Failed");
    }

    /** Records a new value of a field (a status-only update repeats it and is not a new version). */
    private static void push(Deque<Integer> versions, int value, int keep) {
        if (!versions.isEmpty() && versions.peekLast() == value) {
            return;
        }
        versions.addLast(value);
        while (versions.size() > keep) {
            versions.removeFirst();
        }
    }

    /**
     * The final spec must be a write that can be linearized last: an acknowledged write that no other acknowledged
     * write was invoked after, or any indeterminate one. A write whose client gave up may take effect at any time
     * after it was sent, even after later acknowledged writes (a paused leader's API server retries it at the new
     * leader when it resumes, as kube-apiserver's etcd client retries within the request): Jepsen's :info.
     */
    private void checkUpdates(List<Pairing.Completed> operator, java.util.Collection<Op> open, JsonNode fin, CheckResult r) {
        Map<String, Map<String, Integer>> counts = new LinkedHashMap<>();
        for (String f : List.of("scale", "roll")) {
            List<Pairing.Completed> mine = operator.stream().filter(c -> c.invoke().f().equals(f)).toList();
            Map<String, Integer> n = new LinkedHashMap<>();
            for (Pairing.Completed c : mine) {
                n.merge(c.completion().type().name(), 1, Integer::sum);
            }
            counts.put(f, n);
            if (fin == null) {
                continue;
            }
            List<Pairing.Completed> acked = mine.stream().filter(c -> c.completion().type() == Op.Type.ok).toList();
            long lastInvoke = acked.stream().mapToLong(c -> c.invoke().time()).max().orElse(Long.MIN_VALUE);
            Set<String> allowed = new java.util.TreeSet<>();
            if (acked.isEmpty()) {
                allowed.add(f.equals("scale") ? Integer.toString(initialReplicas) : "0");
            }
            for (Pairing.Completed c : acked) {
                if (c.completion().time() > lastInvoke) {
                    allowed.add(c.invoke().value().asText()); // no acknowledged write was sent after it returned
                }
            }
            Set<String> indeterminate = new java.util.TreeSet<>();
            for (Pairing.Completed c : mine) {
                if (c.completion().type() == Op.Type.info) {
                    indeterminate.add(c.invoke().value().asText());
                }
            }
            for (Op inv : open) {
                if (inv.f().equals(f)) {
                    indeterminate.add(inv.value().asText());
                }
            }
            String got = f.equals("scale") ? fin.path("replicas").asText() : fin.path("chaosRev").asText();
            if (!allowed.contains(got) && !indeterminate.contains(got)) {
                r.anomaly("lost-update", f, "the Deployment ended with " + (f.equals("scale") ? "replicas " : "chaos/rev ") + got
                        + "; the acknowledged " + f + " that can be last: " + allowed + ", indeterminate ones: " + indeterminate);
            }
        }
        r.stats.put("operations", counts);
    }
}
