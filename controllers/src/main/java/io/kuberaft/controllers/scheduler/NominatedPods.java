package io.kuberaft.controllers.scheduler;

import io.fabric8.kubernetes.api.model.Pod;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Waiting pods with a nominated node, indexed by that node (upstream's nominator). A scheduling cycle needs
 * only these, so it copies O(nominated pods) instead of walking every pending pod, which with thousands of
 * pending pods made the nominated lookup the scheduler's hottest path. Not thread-safe: the scheduler
 * updates and reads it under its queue lock.
 */
final class NominatedPods {
    private final Map<String, String> nodeOf = new HashMap<>();
    private final Map<String, Map<String, PodInfo>> byNode = new HashMap<>();

    /** Records that the pod of {@code key} waits for {@code node}; a null or empty node drops it. */
    void set(String key, Pod pod, String node) {
        remove(key);
        if (node == null || node.isEmpty()) {
            return;
        }
        nodeOf.put(key, node);
        // insertion order per node, as the pods were nominated: the order the cycle used to see them in
        byNode.computeIfAbsent(node, n -> new LinkedHashMap<>()).put(key, new PodInfo(pod));
    }

    void remove(String key) {
        String node = nodeOf.remove(key);
        if (node == null) {
            return;
        }
        Map<String, PodInfo> on = byNode.get(node);
        on.remove(key);
        if (on.isEmpty()) {
            byNode.remove(node);
        }
    }

    /** A copy for one scheduling cycle, which runs outside the lock that guards this. */
    Map<String, List<PodInfo>> snapshot() {
        Map<String, List<PodInfo>> out = new HashMap<>();
        byNode.forEach((node, pods) -> out.put(node, new ArrayList<>(pods.values())));
        return out;
    }

    int size() {
        return nodeOf.size();
    }
}
