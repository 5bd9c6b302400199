package io.kuberaft.controllers.nodelifecycle;

import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.NodeBuilder;
import io.fabric8.kubernetes.api.model.NodeCondition;
import io.fabric8.kubernetes.api.model.NodeConditionBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.Taint;
import io.fabric8.kubernetes.api.model.Toleration;
import io.fabric8.kubernetes.api.model.coordination.v1.Lease;
import io.fabric8.kubernetes.api.model.coordination.v1.LeaseBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;

import java.time.Instant;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** What a kubelet would write, done by the test through the API: Node objects, Lease heartbeats, Ready status. */
public final class Nodes {
    private final KubernetesClient k;

    public Nodes(KubernetesClient k) {
        this.k = k;
    }

    public Node create(String name, Map<String, String> labels, Instant heartbeat) {
        // no spec, as `kubectl create` of a manifest without one: the controllers must cope with a null spec
        Node n = new NodeBuilder().withNewMetadata().withName(name).withLabels(labels).endMetadata()
                .withNewStatus().withConditions(ready("True", heartbeat))
                .addToCapacity("cpu", new Quantity("4")).addToCapacity("memory", new Quantity("8Gi")).addToCapacity("pods", new Quantity("110"))
                .endStatus().build();
        return k.nodes().resource(n).create();
    }

    public static NodeCondition ready(String status, Instant heartbeat) {
        String ts = heartbeat.truncatedTo(ChronoUnit.SECONDS).toString();
        return new NodeConditionBuilder().withType("Ready").withStatus(status).withReason("KubeletReady")
                .withMessage("kubelet is posting ready status").withLastHeartbeatTime(ts).withLastTransitionTime(ts).build();
    }

    /** Renews (creates) the node's Lease with {@code at} as renewTime. */
    public void renew(String node, Instant at) {
        ZonedDateTime t = ZonedDateTime.ofInstant(at, ZoneOffset.UTC);
        Lease existing = k.leases().inNamespace("kube-node-lease").withName(node).get();
        if (existing == null) {
            if (k.namespaces().withName("kube-node-lease").get() == null) {
                k.namespaces().resource(new io.fabric8.kubernetes.api.model.NamespaceBuilder().withNewMetadata()
                        .withName("kube-node-lease").endMetadata().build()).create();
            }
            k.leases().inNamespace("kube-node-lease").resource(new LeaseBuilder().withNewMetadata().withName(node).endMetadata()
                    .withNewSpec().withHolderIdentity(node).withLeaseDurationSeconds(40).withRenewTime(t).endSpec().build()).create();
        } else {
            existing.getSpec().setRenewTime(t);
            k.leases().inNamespace("kube-node-lease").resource(existing).update();
        }
    }

    /** The kubelet posts Ready=True again (it re-posts after the controller marked it Unknown). */
    public void postReady(String node, Instant at) {
        // the controller writes the same node (taints, conditions): a conflict is read again, as the kubelet's retries
        for (int attempt = 1; ; attempt++) {
            Node n = k.nodes().withName(node).get();
            List<NodeCondition> conds = new ArrayList<>();
            conds.add(ready("True", at));
            n.getStatus().setConditions(conds);
            try {
                k.nodes().resource(n).updateStatus();
                return;
            } catch (KubernetesClientException e) {
                if (e.getCode() != 409 || attempt == 5) {
                    throw e;
                }
            }
        }
    }

    public String readyStatus(String node) {
        Node n = k.nodes().withName(node).get();
        NodeCondition c = NodeLifecycleController.condition(n, "Ready");
        return c == null ? null : c.getStatus();
    }

    public Taint taint(String node, String key, String effect) {
        Node n = k.nodes().withName(node).get();
        return io.kuberaft.controllers.scheduler.Predicates.taints(n).stream()
                .filter(t -> t.getKey().equals(key) && t.getEffect().equals(effect)).findFirst().orElse(null);
    }

    public Pod pod(String name, String node, Toleration... tolerations) {
        return k.pods().inNamespace("default").resource(new PodBuilder().withNewMetadata().withName(name).endMetadata()
                .withNewSpec().withNodeName(node).addNewContainer().withName("c").withImage("nginx").endContainer()
                .withTolerations(tolerations).endSpec().build()).create();
    }

    /** Deleted, or marked for deletion (a bound pod waits for its kubelet in its grace period). */
    public boolean deleting(String pod) {
        Pod p = k.pods().inNamespace("default").withName(pod).get();
        return p == null || p.getMetadata().getDeletionTimestamp() != null;
    }
}
