package io.kuberaft.controllers.podgc;

import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.NodeCondition;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import io.fabric8.kubernetes.client.utils.Serialization;
import io.kuberaft.controllers.runtime.Controller;
import io.kuberaft.controllers.runtime.ControllerContext;
import io.kuberaft.controllers.runtime.DirectRequests;
import io.kuberaft.controllers.runtime.WorkQueue;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * upstream's pod-garbage-collector, every 20 s: force-deletes terminated pods above
 * {@code terminatedPodGcThreshold} (oldest first), pods bound to nodes that no longer exist (after a 40 s
 * quarantine and a live check of the node; marked Failed with a DisruptionTarget condition first),
 * terminating pods that were never scheduled, and terminating pods on NotReady nodes tainted
 * {@code node.kubernetes.io/out-of-service}.
 */
public final class PodGCController implements Controller {
    private static final Logger LOG = LoggerFactory.getLogger(PodGCController.class);
    static final String KEY = "gc";
    public static final String OUT_OF_SERVICE = "node.kubernetes.io/out-of-service";
    private final Duration period;
    private final Duration quarantine;
    private ControllerContext ctx;
    private WorkQueue queue;
    private SharedIndexInformer<Pod> pods;
    private SharedIndexInformer<Node> nodes;
    /** Missing node → when this leader first saw it missing. */
    private final Map<String, Instant> missingSince = new HashMap<>();

    public PodGCController() {
        this(Duration.ofSeconds(20), Duration.ofSeconds(40));
    }

    public PodGCController(Duration period, Duration quarantine) {
        this.period = period;
        this.quarantine = quarantine;
    }

    @Override
    public String name() {
        return "pod-garbage-collector";
    }

    @Override
    public int workers() {
        return 1;
    }

    @Override
    public void register(ControllerContext ctx, WorkQueue queue) {
        this.ctx = ctx;
        this.queue = queue;
        this.pods = ctx.informers().of(Pod.class);
        this.nodes = ctx.informers().of(Node.class);
        queue.addAfter(KEY, period.toMillis());
    }

    @Override
    public void reconcile(String key) {
        try {
            gc();
        } catch (RuntimeException e) {
            // not rethrown: the work queue's retry would start a second periodic chain next to ours
            LOG.warn("pod GC pass failed, next in {}: {}", period, e.toString());
        }
        queue.addAfter(KEY, period.toMillis());
    }

    void gc() {
        List<Pod> all = pods.getStore().list();
        int threshold = ctx.options().terminatedPodGcThreshold();
        if (threshold > 0) {
            gcTerminated(all, threshold);
        }
        gcTerminating(all);
        gcOrphaned(all);
        gcUnscheduledTerminating(all);
    }

    private static boolean terminated(Pod p) {
        String phase = p.getStatus() == null ? null : p.getStatus().getPhase();
        return "Succeeded".equals(phase) || "Failed".equals(phase);
    }

    private void gcTerminated(List<Pod> all, int threshold) {
        List<Pod> done = new ArrayList<>(all.stream().filter(PodGCController::terminated).toList());
        int excess = done.size() - threshold;
        if (excess <= 0) {
            return;
        }
        done.sort(Comparator.comparing((Pod p) -> p.getMetadata().getCreationTimestamp()).thenComparing(p -> p.getMetadata().getName()));
        LOG.info("garbage collecting {} terminated pods", excess);
        for (int i = 0; i < excess; i++) {
            forceDelete(done.get(i));
        }
    }

    private void gcTerminating(List<Pod> all) {
        for (Pod p : all) {
            if (p.getMetadata().getDeletionTimestamp() == null || p.getSpec().getNodeName() == null) {
                continue;
            }
            Node n = nodes.getStore().getByKey(p.getSpec().getNodeName());
            if (n != null && !ready(n) && hasTaint(n, OUT_OF_SERVICE)) {
                markFailed(p, null);
                forceDelete(p);
            }
        }
    }

    private void gcOrphaned(List<Pod> all) {
        Instant now = ctx.clock().instant();
        Map<String, Boolean> stillMissing = new HashMap<>();
        for (Pod p : all) {
            String node = p.getSpec().getNodeName();
            if (node == null || node.isEmpty() || nodes.getStore().getByKey(node) != null) {
                continue;
            }
            Instant since = missingSince.computeIfAbsent(node, n -> now);
            stillMissing.put(node, true);
            if (now.isBefore(since.plus(quarantine))) {
                continue;
            }
            try {
                if (ctx.client().nodes().withName(node).get() != null) {
                    continue; // the cache is behind: the node exists
                }
            } catch (KubernetesClientException e) {
                continue;
            }
            LOG.info("pod {}/{} is bound to node {} which no longer exists: deleting it", p.getMetadata().getNamespace(),
                    p.getMetadata().getName(), node);
            markFailed(p, "PodGC: node no longer exists");
            forceDelete(p);
        }
        missingSince.keySet().retainAll(stillMissing.keySet());
    }

    private void gcUnscheduledTerminating(List<Pod> all) {
        for (Pod p : all) {
            if (p.getMetadata().getDeletionTimestamp() != null && (p.getSpec().getNodeName() == null || p.getSpec().getNodeName().isEmpty())) {
                forceDelete(p);
            }
        }
    }

    /** upstream's markFailedAndDeletePod: a pod not yet terminated is set Failed (with the DisruptionTarget condition) first. */
    private void markFailed(Pod p, String message) {
        if (terminated(p)) {
            return;
        }
        Map<String, Object> status = new HashMap<>();
        status.put("phase", "Failed");
        if (message != null) {
            status.put("conditions", List.of(Map.of("type", "DisruptionTarget", "status", "True", "reason", "DeletionByPodGC",
                    "message", message, "lastTransitionTime", ctx.clock().instant().truncatedTo(ChronoUnit.SECONDS).toString())));
        }
        try {
            DirectRequests.patch(ctx.client(),
                    ctx.client().pods().inNamespace(p.getMetadata().getNamespace())
                            .withName(p.getMetadata().getName()).subresource("status"),
                    PatchType.STRATEGIC_MERGE, Serialization.asJson(Map.of("status", status)), null);
        } catch (KubernetesClientException e) {
            LOG.debug("marking {} failed: {}", p.getMetadata().getName(), e.getMessage());
        }
    }

    private void forceDelete(Pod p) {
        try {
            ctx.client().pods().inNamespace(p.getMetadata().getNamespace()).withName(p.getMetadata().getName()).withGracePeriod(0).delete();
        } catch (KubernetesClientException e) {
            if (e.getCode() != 404) {
                throw e;
            }
        }
    }

    private static boolean ready(Node n) {
        if (n.getStatus() == null || n.getStatus().getConditions() == null) {
            return false;
        }
        for (NodeCondition c : n.getStatus().getConditions()) {
            if ("Ready".equals(c.getType())) {
                return "True".equals(c.getStatus());
            }
        }
        return false;
    }

    private static boolean hasTaint(Node n, String key) {
        return n.getSpec() != null && n.getSpec().getTaints() != null && n.getSpec().getTaints().stream()
                .anyMatch(t -> key.equals(t.getKey()));
    }
}
