package io.kuberaft.controllers.nodelifecycle;

import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodCondition;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.utils.Serialization;
import io.kuberaft.controllers.runtime.ControllerContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.temporal.ChronoUnit;
import java.util.List;

/**
 * upstream's MarkPodsNotReady: when a node stops being Ready its kubelet can no longer report its pods, so the
 * node controller sets each pod's Ready condition to False itself (through pods/status) and records
 * {@code NodeNotReady} on the pod. Endpoints and EndpointSlices then move the pods to not-ready within the
 * node's grace period instead of keeping them until the NoExecute eviction, minutes later.
 */
final class PodsNotReady {
    private static final Logger LOG = LoggerFactory.getLogger(PodsNotReady.class);

    private PodsNotReady() {
    }

    /** Marks {@code pods} of {@code node} not ready; false when a write failed (the caller retries the node). */
    static boolean mark(ControllerContext ctx, List<Pod> pods, String node) {
        boolean ok = true;
        String now = ctx.clock().instant().truncatedTo(ChronoUnit.SECONDS).toString();
        for (Pod cached : pods) {
            if (cached.getSpec() == null || !node.equals(cached.getSpec().getNodeName())) {
                continue; // defensive, as upstream: the index may be a moment behind a rebind
            }
            PodCondition ready = readyCondition(cached);
            if (ready == null || "False".equals(ready.getStatus())) {
                continue; // only a pod the kubelet reported Ready (or Unknown) has anything to withdraw
            }
            Pod pod = Serialization.clone(cached); // cached objects are shared: write a copy
            PodCondition c = readyCondition(pod);
            c.setStatus("False");
            c.setLastTransitionTime(now);
            try {
                ctx.client().pods().inNamespace(pod.getMetadata().getNamespace()).resource(pod).updateStatus();
            } catch (KubernetesClientException e) {
                if (e.getCode() == 404) {
                    continue; // deleted meanwhile: nothing left to mark
                }
                LOG.info("node {}: pod {}/{} not marked NotReady: {}", node, pod.getMetadata().getNamespace(),
                        pod.getMetadata().getName(), e.toString());
                ok = false;
                continue;
            }
            // after the write, as upstream: the event is about a pod that still exists
            ctx.events().warning(pod, "NodeNotReady", "Node is not ready");
        }
        return ok;
    }

    private static PodCondition readyCondition(Pod p) {
        if (p.getStatus() == null || p.getStatus().getConditions() == null) {
            return null;
        }
        return p.getStatus().getConditions().stream().filter(c -> "Ready".equals(c.getType())).findFirst().orElse(null);
    }
}
