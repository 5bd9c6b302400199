package io.kuberaft.nodeagent;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import io.kuberaft.controllers.runtime.DirectRequests;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Clock;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.UUID;

/**
 * Registers one node and keeps its status: creates the Node (labels, taints, capacity, addresses,
 * nodeInfo, conditions), adopts an existing one (merging our labels), and posts status when it changes
 * and at least every status-report interval (the Lease is the heartbeat; upstream 5 min).
 */
final class NodeStatusReporter {
    private static final Logger LOG = LoggerFactory.getLogger(NodeStatusReporter.class);
    private final KubernetesClient client;
    private final AgentConfig config;
    private final String name;
    private final String podCidr;
    private final String runtimeVersion;
    private final Clock clock;
    private final String machineId = UUID.randomUUID().toString().replace("-", "");
    private final String bootId = UUID.randomUUID().toString();
    private volatile int agentPort;
    private volatile String uid;
    private volatile boolean created;
    private ObjectNode lastPosted;
    private Instant lastPostedAt = Instant.EPOCH;
    private Instant lastCheckedAt = Instant.EPOCH;
    private String readySince;

    NodeStatusReporter(KubernetesClient client, AgentConfig config, String name, String podCidr, String runtimeVersion, int agentPort,
                       Clock clock) {
        this.client = client;
        this.config = config;
        this.name = name;
        this.podCidr = podCidr;
        this.runtimeVersion = runtimeVersion;
        this.agentPort = agentPort;
        this.clock = clock;
    }

    String name() {
        return name;
    }

    String uid() {
        return uid;
    }

    /** Whether the last registration created the Node (rather than adopting one already there). */
    boolean created() {
        return created;
    }

    String podCidr() {
        return podCidr;
    }

    Map<String, String> labels() {
        Map<String, String> l = new LinkedHashMap<>();
        l.put("beta.kubernetes.io/arch", "amd64");
        l.put("beta.kubernetes.io/os", "linux");
        l.put("kubernetes.io/arch", "amd64");
        l.put("kubernetes.io/hostname", name);
        l.put("kubernetes.io/os", "linux");
        l.put("node.kubernetes.io/instance-type", "kuberaft-" + config.runtime());
        l.putAll(config.labels());
        return l;
    }

    /** Creates the Node, or adopts the one already registered under this name. */
    void register() {
        ObjectNode node = PodWorker.JSON.createObjectNode();
        node.put("apiVersion", "v1").put("kind", "Node");
        ObjectNode meta = node.putObject("metadata");
        meta.put("name", name);
        ObjectNode labels = meta.putObject("labels");
        labels().forEach(labels::put);
        meta.putObject("annotations").put("node.alpha.kubernetes.io/ttl", "0")
                .put("volumes.kubernetes.io/controller-managed-attach-detach", "true");
        ObjectNode spec = node.putObject("spec");
        spec.put("podCIDR", podCidr);
        spec.putArray("podCIDRs").add(podCidr);
        if (!config.taints().isEmpty()) {
            ArrayNode taints = spec.putArray("taints");
            for (Flags.Taint t : config.taints()) {
                ObjectNode o = taints.addObject().put("key", t.key()).put("effect", t.effect());
                if (t.value() != null) {
                    o.put("value", t.value());
                }
            }
        }
        ObjectNode status = status(clock.instant());
        node.set("status", status);
        try {
            Node created = client.nodes().resource(PodWorker.JSON.convertValue(node, Node.class)).create();
            uid = created.getMetadata().getUid();
            this.created = true;
            LOG.info("event=node-registered node={} uid={}", name, uid);
        } catch (KubernetesClientException e) {
            if (e.getCode() != 409) {
                throw e;
            }
            // Already registered (an agent restart): keep the object, make labels and status ours again.
            ObjectNode patch = PodWorker.JSON.createObjectNode();
            patch.putObject("metadata").set("labels", labels);
            Node existing = DirectRequests.patch(client, client.nodes().withName(name), PatchType.JSON_MERGE, patch.toString(), Node.class);
            uid = existing.getMetadata().getUid();
            this.created = false;
            LOG.info("event=node-adopted node={} uid={}", name, uid);
        }
        post(status);
    }

    /**
     * Posts the status if it changed, if the node's status on the server says otherwise (checked every
     * Lease interval: the node-lifecycle controller marks a node Unknown when a heartbeat was late, and the
     * kubelet must then post Ready again, as upstream's comparison with the server's node does) or if the
     * report interval has passed; re-registers a node that was deleted.
     */
    void maybePost() {
        Instant now = clock.instant();
        ObjectNode s = status(now);
        boolean post = !now.isBefore(lastPostedAt.plus(config.statusReportInterval()))
                || !withoutHeartbeats(s).equals(withoutHeartbeats(lastPosted));
        try {
            if (!post && !now.isBefore(lastCheckedAt.plus(config.leaseRenewInterval()))) {
                lastCheckedAt = now;
                // as the kubelet's tryUpdateNodeStatus: resourceVersion=0, any version will do (no quorum read per node)
                Node onServer = DirectRequests.getAnyVersion(client, client.nodes().withName(name), Node.class);
                Map<String, String> theirs = conditionStatuses(PodWorker.JSON.valueToTree(onServer.getStatus()));
                if (!theirs.equals(conditionStatuses(s))) {
                    LOG.info("event=node-status-differs node={} server={} agent={} action=post", name, theirs, conditionStatuses(s));
                    post = true;
                }
            }
            if (post) {
                post(s);
            }
        } catch (KubernetesClientException e) {
            if (e.getCode() == 404) {
                LOG.warn("event=node-missing node={} action=re-register", name);
                register();
                return;
            }
            throw e;
        }
    }

    private static Map<String, String> conditionStatuses(com.fasterxml.jackson.databind.JsonNode status) {
        Map<String, String> out = new java.util.TreeMap<>();
        if (status != null) {
            status.path("conditions").forEach(c -> out.put(c.path("type").asText(), c.path("status").asText()));
        }
        return out;
    }

    private void post(ObjectNode status) {
        ObjectNode patch = PodWorker.JSON.createObjectNode();
        patch.set("status", status);
        DirectRequests.patch(client, client.nodes().withName(name).subresource("status"), PatchType.JSON_MERGE, patch.toString(), null);
        lastPosted = status;
        lastPostedAt = clock.instant();
    }

    private static ObjectNode withoutHeartbeats(ObjectNode status) {
        if (status == null) {
            return null;
        }
        ObjectNode copy = status.deepCopy();
        copy.path("conditions").forEach(c -> ((ObjectNode) c).remove("lastHeartbeatTime"));
        return copy;
    }

    ObjectNode status(Instant now) {
        String at = PodWorker.format(now);
        if (readySince == null) {
            readySince = at;
        }
        ObjectNode s = PodWorker.JSON.createObjectNode();
        ObjectNode cap = s.putObject("capacity");
        config.capacity().forEach(cap::put);
        s.set("allocatable", cap.deepCopy());
        ArrayNode conds = s.putArray("conditions");
        condition(conds, "MemoryPressure", "False", "KubeletHasSufficientMemory", "kubelet has sufficient memory available", at);
        condition(conds, "DiskPressure", "False", "KubeletHasNoDiskPressure", "kubelet has no disk pressure", at);
        condition(conds, "PIDPressure", "False", "KubeletHasSufficientPID", "kubelet has sufficient PID available", at);
        condition(conds, "Ready", "True", "KubeletReady", "kubelet is posting ready status", at);
        ArrayNode addrs = s.putArray("addresses");
        addrs.addObject().put("type", "InternalIP").put("address", config.nodeIP());
        addrs.addObject().put("type", "Hostname").put("address", name);
        s.putObject("daemonEndpoints").putObject("kubeletEndpoint").put("Port", agentPort);
        ObjectNode info = s.putObject("nodeInfo");
        info.put("machineID", machineId).put("systemUUID", UUID.nameUUIDFromBytes(name.getBytes()).toString()).put("bootID", bootId)
                .put("kernelVersion", System.getProperty("os.version")).put("osImage", "kuberaft " + config.runtime() + " node")
                .put("containerRuntimeVersion", runtimeVersion).put("kubeletVersion", AgentConfig.KUBELET_VERSION)
                .put("kubeProxyVersion", AgentConfig.KUBELET_VERSION).put("operatingSystem", "linux").put("architecture", "amd64");
        return s;
    }

    private void condition(ArrayNode conds, String type, String status, String reason, String message, String heartbeat) {
        conds.addObject().put("type", type).put("status", status).put("lastHeartbeatTime", heartbeat)
                .put("lastTransitionTime", readySince).put("reason", reason).put("message", message);
    }
}
