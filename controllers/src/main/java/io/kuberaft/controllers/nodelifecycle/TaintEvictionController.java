package io.kuberaft.controllers.nodelifecycle;

import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.Taint;
import io.fabric8.kubernetes.api.model.Toleration;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import io.fabric8.kubernetes.client.utils.Serialization;
import io.kuberaft.controllers.runtime.Controller;
import io.kuberaft.controllers.runtime.ControllerContext;
import io.kuberaft.controllers.runtime.Keys;
import io.kuberaft.controllers.runtime.DirectRequests;
import io.kuberaft.controllers.runtime.WorkQueue;
import io.kuberaft.controllers.scheduler.Predicates;

import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;

/**
 * upstream's taint-eviction-controller (the former taint manager): a pod bound to a node with a NoExecute
 * taint it does not tolerate is deleted at once; one it tolerates for N seconds ({@code tolerationSeconds})
 * is deleted N seconds after the taint's {@code timeAdded}. The deadline is computed from that replicated
 * timestamp, never from when this leader saw the taint, so a leader change in between does not restart
 * the countdown (upstream does restart it: kubernetes#108268). Before deleting it sets the pod's
 * {@code DisruptionTarget} condition (reason {@code DeletionByTaintManager}) and records
 * {@code TaintManagerEviction}, as upstream 1.32; a countdown that ends without an eviction (the taint went, the pod
 * came to tolerate it, or the pod was deleted) records upstream's {@code TaintManagerEviction} "Cancelling deletion".
 */
public final class TaintEvictionController implements Controller {
    static final String BY_NODE = "byNode";
    private ControllerContext ctx;
    private WorkQueue queue;
    private SharedIndexInformer<Pod> pods;
    private SharedIndexInformer<Node> nodes;
    /** Taints without timeAdded (written by hand, unreplicated): first seen by this leader. */
    private final Map<String, Instant> firstSeen = new ConcurrentHashMap<>();
    /** Pods with a deletion counting down (upstream's timed workers), as last seen: for the cancelling event. */
    private final Map<String, Pod> scheduled = new ConcurrentHashMap<>();
    private NoExecuteTaintFence fence;

    @Override
    public String name() {
        return "taint-eviction-controller";
    }

    @Override
    public void register(ControllerContext ctx, WorkQueue queue) {
        this.ctx = ctx;
        this.queue = queue;
        ctx.informers().index(Pod.class, BY_NODE, p -> p.getSpec() == null || p.getSpec().getNodeName() == null
                ? List.of() : List.of(p.getSpec().getNodeName()));
        this.pods = ctx.informers().of(Pod.class);
        this.nodes = ctx.informers().of(Node.class);
        this.fence = ctx.shared(NoExecuteTaintFence.class, NoExecuteTaintFence::new);
        pods.addEventHandler(Keys.on(p -> {
            // a terminating pod only when its deletion was counting down: its removal cancels the countdown
            if (p.getSpec() != null && p.getSpec().getNodeName() != null
                    && (p.getMetadata().getDeletionTimestamp() == null || scheduled.containsKey(Keys.of(p)))) {
                queue.add(Keys.of(p));
            }
        }));
        nodes.addEventHandler(new ResourceEventHandler<>() {
            @Override
            public void onAdd(Node obj) {
                if (!noExecute(obj).isEmpty()) {
                    enqueuePods(obj);
                }
            }

            @Override
            public void onUpdate(Node oldObj, Node newObj) {
                if (!Objects.equals(noExecute(oldObj), noExecute(newObj))) {
                    enqueuePods(newObj);
                }
            }

            @Override
            public void onDelete(Node obj, boolean deletedFinalStateUnknown) {
            }
        });
    }

    private void enqueuePods(Node node) {
        for (Pod p : pods.getIndexer().byIndex(BY_NODE, node.getMetadata().getName())) {
            queue.add(Keys.of(p));
        }
    }

    static List<Taint> noExecute(Node n) {
        return Predicates.taints(n).stream().filter(t -> "NoExecute".equals(t.getEffect())).toList();
    }

    @Override
    public void reconcile(String key) {
        Pod pod = pods.getStore().getByKey(key);
        if (pod == null) {
            cancel(key); // deleted by someone else before its deadline
            return;
        }
        if (pod.getMetadata().getDeletionTimestamp() != null || pod.getSpec().getNodeName() == null) {
            return;
        }
        Node node = nodes.getStore().getByKey(pod.getSpec().getNodeName());
        List<Taint> taints = node == null ? List.of() : noExecute(node);
        if (taints.isEmpty()) {
            cancel(key);
            return;
        }
        Instant now = ctx.clock().instant();
        Instant deadline = evictionDeadline(Predicates.tolerations(pod), taints, t -> {
            Instant added = NodeLifecycleController.parse(t.getTimeAdded());
            return added != null ? added
                    : firstSeen.computeIfAbsent(node.getMetadata().getName() + "/" + t.getKey() + "=" + t.getValue(), k -> now);
        });
        if (deadline == null) {
            cancel(key); // tolerated forever
            return;
        }
        if (deadline.isAfter(now)) {
            scheduled.put(key, pod);
            queue.addAfter(key, Math.max(1, deadline.toEpochMilli() - now.toEpochMilli()));
            return;
        }
        scheduled.remove(key);
        String nodeName = node.getMetadata().getName();
        if (!fence.evict(nodeName, () -> nodes.getStore().getByKey(nodeName), n -> !noExecute(n).isEmpty(), () -> evict(pod))) {
            // the node's taints were lifted meanwhile, maybe before this cache saw it: decide again from a newer one
            scheduled.put(key, pod);
            queue.addAfter(key, 100);
        }
    }

    /** upstream's cancelWorkWithEvent: the event only when a deletion was counting down for the pod. */
    private void cancel(String key) {
        Pod was = scheduled.remove(key);
        if (was != null) {
            ctx.events().normal(was, "TaintManagerEviction", "Cancelling deletion of Pod " + key);
        }
    }

    /**
     * When a pod with {@code tolerations} must go from a node with these NoExecute {@code taints}: at once (any
     * taint untolerated), {@code timeAdded + tolerationSeconds} (the smallest over the taints, each tolerated for the
     * least seconds any of its tolerations gives), or null (tolerated without limit).
     */
    public static Instant evictionDeadline(List<Toleration> tolerations, List<Taint> taints,
                                           java.util.function.Function<Taint, Instant> timeAdded) {
        Instant deadline = null;
        for (Taint taint : taints) {
            Long seconds = null;
            boolean tolerated = false;
            for (Toleration t : tolerations) {
                if (Predicates.tolerates(t, taint)) {
                    tolerated = true;
                    if (t.getTolerationSeconds() != null) {
                        long s = Math.max(0, t.getTolerationSeconds());
                        seconds = seconds == null ? s : Math.min(seconds, s);
                    }
                }
            }
            if (!tolerated) {
                return Instant.MIN;
            }
            if (seconds != null) {
                Instant d = timeAdded.apply(taint).plusSeconds(seconds);
                deadline = deadline == null || d.isBefore(deadline) ? d : deadline;
            }
        }
        return deadline;
    }

    private void evict(Pod pod) {
        String ns = pod.getMetadata().getNamespace();
        String name = pod.getMetadata().getName();
        var cond = Map.of("type", "DisruptionTarget", "status", "True", "reason", "DeletionByTaintManager",
                "message", "Taint manager: deleting due to NoExecute taint",
                "lastTransitionTime", ctx.clock().instant().truncatedTo(ChronoUnit.SECONDS).toString());
        try {
            DirectRequests.patch(ctx.client(), ctx.client().pods().inNamespace(ns).withName(name).subresource("status"),
                    PatchType.STRATEGIC_MERGE, Serialization.asJson(Map.of("status", Map.of("conditions", List.of(cond)))), null);
        } catch (KubernetesClientException e) {
            if (e.getCode() == 404) {
                return;
            }
            throw e;
        }
        ctx.events().normal(pod, "TaintManagerEviction", "Marking for deletion Pod " + ns + "/" + name);
        try {
            ctx.client().pods().inNamespace(ns).withName(name).delete();
        } catch (KubernetesClientException e) {
            if (e.getCode() != 404) {
                throw e;
            }
        }
    }
}
