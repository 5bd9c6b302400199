package io.kuberaft.controllers.scheduler;

import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.Pod;
import io.kuberaft.controllers.runtime.Keys;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The scheduler's view of node usage, kept from informer events and from its own decisions (assumed
 * pods, counted before their binding is written, as upstream's cache): no listing per pod. Callers
 * hold the cache's monitor while they read it.
 */
public final class SchedulerCache {
    private final Map<String, NodeInfo> nodes = new HashMap<>();
    /** pod key → node it is counted on (bound or assumed). */
    private final Map<String, String> podNode = new HashMap<>();
    private final Map<String, PodInfo> assumed = new HashMap<>();
    private List<NodeInfo> ordered;

    public synchronized void upsertNode(Node node) {
        NodeInfo ni = nodes.get(node.getMetadata().getName());
        if (ni == null) {
            nodes.put(node.getMetadata().getName(), new NodeInfo(node));
            ordered = null;
        } else {
            if (ni.node == null) {
                ordered = null;
            }
            ni.setNode(node);
        }
    }

    public synchronized void removeNode(String name) {
        NodeInfo ni = nodes.get(name);
        if (ni != null) {
            ni.node = null;
            if (ni.pods.isEmpty()) {
                nodes.remove(name);
            }
            ordered = null;
        }
    }

    /** An assigned, non-terminal pod from the informer: counted on its node (replacing the assumed copy). */
    public synchronized void addOrUpdatePod(Pod pod) {
        String key = Keys.of(pod);
        removePodLocked(key);
        assumed.remove(key);
        String node = pod.getSpec().getNodeName();
        NodeInfo ni = nodes.computeIfAbsent(node, NodeInfo::new);
        ni.addPod(new PodInfo(pod));
        podNode.put(key, node);
    }

    public synchronized void removePod(String key) {
        removePodLocked(key);
        assumed.remove(key);
    }

    private void removePodLocked(String key) {
        String node = podNode.remove(key);
        if (node != null) {
            NodeInfo ni = nodes.get(node);
            if (ni != null) {
                ni.removePod(key);
                if (ni.node == null && ni.pods.isEmpty()) {
                    nodes.remove(node);
                }
            }
        }
    }

    /** The scheduler decided: count the pod on {@code node} until the binding shows up (or fails). */
    public synchronized void assume(PodInfo pod, String node) {
        removePodLocked(pod.key);
        NodeInfo ni = nodes.computeIfAbsent(node, NodeInfo::new);
        ni.addPod(pod);
        podNode.put(pod.key, node);
        assumed.put(pod.key, pod);
    }

    /** The binding failed: forget the assumed pod (a bound one from the informer stays). */
    public synchronized void forget(String key) {
        if (assumed.remove(key) != null) {
            removePodLocked(key);
        }
    }

    public synchronized boolean isAssumedOrBound(String key) {
        return podNode.containsKey(key);
    }

    /** The nodes to schedule on, in a stable order (upstream's snapshot node list); call with the monitor held. */
    List<NodeInfo> nodeList() {
        if (ordered == null) {
            ordered = new ArrayList<>();
            nodes.values().stream().filter(n -> n.node != null).sorted((a, b) -> a.name.compareTo(b.name)).forEach(ordered::add);
        }
        return ordered;
    }

    public synchronized int nodeCount() {
        return nodeList().size();
    }
}
