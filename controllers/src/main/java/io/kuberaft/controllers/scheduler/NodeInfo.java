package io.kuberaft.controllers.scheduler;

import io.fabric8.kubernetes.api.model.Node;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** One node as the scheduler sees it: the Node, and the pods bound or assumed to it with their summed requests. */
public final class NodeInfo {
    final String name;
    Node node;
    Requests allocatable = new Requests();
    final Requests requested = new Requests();
    long nonZeroCpu;
    long nonZeroMemory;
    final Map<String, PodInfo> pods = new LinkedHashMap<>();
    final List<PodInfo.HostPort> usedPorts = new ArrayList<>();

    public NodeInfo(String name) {
        this.name = name;
    }

    public NodeInfo(Node node) {
        this(node.getMetadata().getName());
        setNode(node);
    }

    public void setNode(Node node) {
        this.node = node;
        var status = node.getStatus();
        this.allocatable = status == null ? new Requests()
                : Requests.ofList(status.getAllocatable() != null && !status.getAllocatable().isEmpty() ? status.getAllocatable() : status.getCapacity());
    }

    public Node node() {
        return node;
    }

    public void addPod(PodInfo p) {
        if (pods.put(p.key, p) != null) {
            throw new IllegalStateException("pod " + p.key + " already on " + name);
        }
        requested.add(p.requests);
        nonZeroCpu += p.nonZeroCpu;
        nonZeroMemory += p.nonZeroMemory;
        usedPorts.addAll(p.hostPorts);
    }

    public boolean removePod(String key) {
        PodInfo p = pods.remove(key);
        if (p == null) {
            return false;
        }
        requested.subtract(p.requests);
        nonZeroCpu -= p.nonZeroCpu;
        nonZeroMemory -= p.nonZeroMemory;
        p.hostPorts.forEach(usedPorts::remove);
        return true;
    }

    String label(String key) {
        return node == null ? null : Predicates.labels(node).get(key);
    }
}
