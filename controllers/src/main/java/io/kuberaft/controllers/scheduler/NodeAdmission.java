package io.kuberaft.controllers.scheduler;

import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.Pod;

import java.util.Collection;
import java.util.Optional;
import java.util.TreeMap;

/**
 * The node agent's admission of a pod bound to its node, with the scheduler's own predicates as the kubelet's
 * PredicateAdmitHandler does (a pod given a nodeName directly never met the scheduler): node selector and required
 * node affinity, host ports, then resources against the pods already admitted. A rejection carries the kubelet's
 * reason and message ({@code OutOfcpu}: {@code Node didn't have enough resource: cpu, requested: 3000, used: 2000,
 * capacity: 4000}; {@code NodeAffinity}: {@code Predicate NodeAffinity failed}).
 */
public final class NodeAdmission {
    private NodeAdmission() {
    }

    public record Rejection(String reason, String message) {
    }

    public static Optional<Rejection> check(Pod pod, Node node, Collection<Pod> admitted) {
        if (!Predicates.nodeAffinityMatches(pod, node)) {
            return Optional.of(new Rejection("NodeAffinity", "Predicate NodeAffinity failed"));
        }
        NodeInfo ni = new NodeInfo(node);
        for (Pod p : admitted) {
            ni.addPod(new PodInfo(p));
        }
        PodInfo incoming = new PodInfo(pod);
        for (PodInfo.HostPort want : incoming.hostPorts) {
            for (PodInfo.HostPort used : ni.usedPorts) {
                if (want.conflicts(used)) {
                    return Optional.of(new Rejection("NodePorts", "Predicate NodePorts failed"));
                }
            }
        }
        if (ni.pods.size() + 1 > ni.allocatable.pods) {
            return Optional.of(outOf("pods", 1, ni.pods.size(), ni.allocatable.pods));
        }
        Requests r = incoming.requests;
        if (r.milliCpu > 0 && r.milliCpu > ni.allocatable.milliCpu - ni.requested.milliCpu) {
            return Optional.of(outOf("cpu", r.milliCpu, ni.requested.milliCpu, ni.allocatable.milliCpu));
        }
        if (r.memory > 0 && r.memory > ni.allocatable.memory - ni.requested.memory) {
            return Optional.of(outOf("memory", r.memory, ni.requested.memory, ni.allocatable.memory));
        }
        if (r.ephemeral > 0 && r.ephemeral > ni.allocatable.ephemeral - ni.requested.ephemeral) {
            return Optional.of(outOf("ephemeral-storage", r.ephemeral, ni.requested.ephemeral, ni.allocatable.ephemeral));
        }
        for (var e : new TreeMap<>(r.scalar).entrySet()) {
            long cap = ni.allocatable.scalar.getOrDefault(e.getKey(), 0L);
            long used = ni.requested.scalar.getOrDefault(e.getKey(), 0L);
            if (e.getValue() > 0 && e.getValue() > cap - used) {
                return Optional.of(outOf(e.getKey(), e.getValue(), used, cap));
            }
        }
        return Optional.empty();
    }

    private static Rejection outOf(String resource, long requested, long used, long capacity) {
        return new Rejection("OutOf" + resource, "Node didn't have enough resource: " + resource + ", requested: " + requested
                + ", used: " + used + ", capacity: " + capacity);
    }
}
