package io.kuberaft.controllers.endpoints;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerPort;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodCondition;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServicePort;

import java.time.Instant;
import java.util.Map;
import java.util.OptionalInt;

/**
 * What the Endpoints and EndpointSlice controllers share, as upstream's endpointsliceutil and podutil:
 * which pods belong in a service's endpoints, their readiness, and service target ports resolved
 * against a pod's container ports.
 */
public final class PodEndpoints {
    public static final String LAST_CHANGE_TRIGGER_TIME = "endpoints.kubernetes.io/last-change-trigger-time";
    public static final String HEADLESS_LABEL = "service.kubernetes.io/headless";

    private PodEndpoints() {
    }

    /** A selector service (not ExternalName): the only kind the controllers manage. */
    public static boolean managed(Service svc) {
        return svc.getSpec() != null && svc.getSpec().getSelector() != null && !svc.getSpec().getSelector().isEmpty()
                && !"ExternalName".equals(svc.getSpec().getType());
    }

    public static boolean selects(Service svc, Pod pod) {
        if (!managed(svc) || !svc.getMetadata().getNamespace().equals(pod.getMetadata().getNamespace())) {
            return false;
        }
        Map<String, String> labels = pod.getMetadata().getLabels() == null ? Map.of() : pod.getMetadata().getLabels();
        return svc.getSpec().getSelector().entrySet().stream().allMatch(e -> e.getValue().equals(labels.get(e.getKey())));
    }

    /** Upstream's ShouldPodBeInEndpoints: not terminal, has an IP, and not terminating unless those are included. */
    public static boolean shouldBeInEndpoints(Pod pod, boolean includeTerminating) {
        String phase = pod.getStatus() == null ? null : pod.getStatus().getPhase();
        if ("Succeeded".equals(phase) || "Failed".equals(phase)) {
            return false;
        }
        if (ip(pod) == null) {
            return false;
        }
        return includeTerminating || pod.getMetadata().getDeletionTimestamp() == null;
    }

    public static String ip(Pod pod) {
        if (pod.getStatus() == null) {
            return null;
        }
        String ip = pod.getStatus().getPodIP();
        if ((ip == null || ip.isEmpty()) && pod.getStatus().getPodIPs() != null && !pod.getStatus().getPodIPs().isEmpty()) {
            ip = pod.getStatus().getPodIPs().get(0).getIp();
        }
        return ip == null || ip.isEmpty() ? null : ip;
    }

    public static boolean isReady(Pod pod) {
        PodCondition c = readyCondition(pod);
        return c != null && "True".equals(c.getStatus());
    }

    private static PodCondition readyCondition(Pod pod) {
        if (pod.getStatus() == null || pod.getStatus().getConditions() == null) {
            return null;
        }
        return pod.getStatus().getConditions().stream().filter(c -> "Ready".equals(c.getType())).findFirst().orElse(null);
    }

    /** When the pod last changed as far as endpoints care: its Ready transition, else its creation. */
    public static Instant triggerTime(Pod pod) {
        PodCondition c = readyCondition(pod);
        String t = c != null && c.getLastTransitionTime() != null ? c.getLastTransitionTime() : pod.getMetadata().getCreationTimestamp();
        return parse(t);
    }

    public static Instant parse(String t) {
        try {
            return t == null ? null : Instant.parse(t);
        } catch (RuntimeException e) {
            return null;
        }
    }

    /** The pod's hostname in a service's endpoints: spec.hostname when spec.subdomain names the service. */
    public static String hostname(Pod pod, Service svc) {
        String h = pod.getSpec() == null ? null : pod.getSpec().getHostname();
        if (h != null && !h.isEmpty() && svc.getMetadata().getName().equals(pod.getSpec().getSubdomain())
                && svc.getMetadata().getNamespace().equals(pod.getMetadata().getNamespace())) {
            return h;
        }
        return null;
    }

    /**
     * Upstream's podutil.FindPort: a numeric target port as is; a named one from the pod's container
     * port of that name and the service port's protocol; empty when the pod has no such port.
     */
    public static OptionalInt findPort(Pod pod, ServicePort sp) {
        IntOrString target = sp.getTargetPort();
        if (target == null || (target.getIntVal() == null && (target.getStrVal() == null || target.getStrVal().isEmpty()))) {
            return OptionalInt.of(sp.getPort());
        }
        if (target.getIntVal() != null) {
            return OptionalInt.of(target.getIntVal());
        }
        String name = target.getStrVal();
        if (name.chars().allMatch(Character::isDigit)) {
            return OptionalInt.of(Integer.parseInt(name));
        }
        String protocol = sp.getProtocol() == null ? "TCP" : sp.getProtocol();
        if (pod.getSpec() != null && pod.getSpec().getContainers() != null) {
            for (Container c : pod.getSpec().getContainers()) {
                if (c.getPorts() == null) {
                    continue;
                }
                for (ContainerPort p : c.getPorts()) {
                    String pp = p.getProtocol() == null ? "TCP" : p.getProtocol();
                    if (name.equals(p.getName()) && protocol.equals(pp)) {
                        return OptionalInt.of(p.getContainerPort());
                    }
                }
            }
        }
        return OptionalInt.empty();
    }

    public static boolean headless(Service svc) {
        return "None".equals(svc.getSpec().getClusterIP());
    }
}
