package io.kuberaft.controllers.scheduler;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerPort;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodAffinityTerm;
import io.fabric8.kubernetes.api.model.WeightedPodAffinityTerm;
import io.kuberaft.controllers.runtime.Keys;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** A pod with what scheduling needs from it computed once: requests, host ports, affinity terms. */
public final class PodInfo {
    final Pod pod;
    final String key;
    final Requests requests;
    final long nonZeroCpu;
    final long nonZeroMemory;
    final List<HostPort> hostPorts;
    final List<PodAffinityTerm> requiredAffinity;
    final List<PodAffinityTerm> requiredAntiAffinity;
    final List<WeightedPodAffinityTerm> preferredAffinity;
    final List<WeightedPodAffinityTerm> preferredAntiAffinity;

    record HostPort(String ip, String protocol, int port) {
        boolean conflicts(HostPort o) {
            return port == o.port && protocol.equals(o.protocol)
                    && (ip.equals(o.ip) || ip.equals("0.0.0.0") || o.ip.equals("0.0.0.0"));
        }
    }

    public PodInfo(Pod pod) {
        this.pod = pod;
        this.key = Keys.of(pod);
        this.requests = Requests.ofPod(pod);
        long[] nz = Requests.nonZero(pod);
        this.nonZeroCpu = nz[0];
        this.nonZeroMemory = nz[1];
        List<HostPort> ports = new ArrayList<>();
        List<Container> cs = new ArrayList<>(pod.getSpec().getContainers() == null ? List.of() : pod.getSpec().getContainers());
        for (Container c : cs) {
            if (c.getPorts() != null) {
                for (ContainerPort p : c.getPorts()) {
                    if (p.getHostPort() != null && p.getHostPort() > 0) {
                        String ip = p.getHostIP() == null || p.getHostIP().isEmpty() ? "0.0.0.0" : p.getHostIP();
                        ports.add(new HostPort(ip, p.getProtocol() == null ? "TCP" : p.getProtocol(), p.getHostPort()));
                    }
                }
            }
        }
        this.hostPorts = ports;
        var aff = pod.getSpec().getAffinity();
        var pa = aff == null ? null : aff.getPodAffinity();
        var paa = aff == null ? null : aff.getPodAntiAffinity();
        this.requiredAffinity = pa == null || pa.getRequiredDuringSchedulingIgnoredDuringExecution() == null ? List.of()
                : pa.getRequiredDuringSchedulingIgnoredDuringExecution();
        this.preferredAffinity = pa == null || pa.getPreferredDuringSchedulingIgnoredDuringExecution() == null ? List.of()
                : pa.getPreferredDuringSchedulingIgnoredDuringExecution();
        this.requiredAntiAffinity = paa == null || paa.getRequiredDuringSchedulingIgnoredDuringExecution() == null ? List.of()
                : paa.getRequiredDuringSchedulingIgnoredDuringExecution();
        this.preferredAntiAffinity = paa == null || paa.getPreferredDuringSchedulingIgnoredDuringExecution() == null ? List.of()
                : paa.getPreferredDuringSchedulingIgnoredDuringExecution();
    }

    public Pod pod() {
        return pod;
    }

    String namespace() {
        return pod.getMetadata().getNamespace();
    }

    Map<String, String> labels() {
        return Predicates.labels(pod);
    }

    int priority() {
        return pod.getSpec().getPriority() == null ? 0 : pod.getSpec().getPriority();
    }

    /** The term selects {@code other}: its namespaces (or the owner's) and its label selector. */
    static boolean termMatches(PodAffinityTerm term, String ownerNamespace, Pod other) {
        String ns = other.getMetadata().getNamespace();
        boolean nsOk;
        if (term.getNamespaceSelector() != null && (term.getNamespaceSelector().getMatchLabels() == null
                || term.getNamespaceSelector().getMatchLabels().isEmpty())
                && (term.getNamespaceSelector().getMatchExpressions() == null || term.getNamespaceSelector().getMatchExpressions().isEmpty())) {
            nsOk = true; // an empty namespaceSelector selects every namespace
        } else if (term.getNamespaces() != null && !term.getNamespaces().isEmpty()) {
            nsOk = term.getNamespaces().contains(ns);
        } else {
            nsOk = ownerNamespace.equals(ns);
        }
        return nsOk && Predicates.matches(term.getLabelSelector(), Predicates.labels(other));
    }
}
