package io.kuberaft.nodeagent;

import io.fabric8.kubernetes.api.model.OwnerReferenceBuilder;
import io.fabric8.kubernetes.api.model.coordination.v1.Lease;
import io.fabric8.kubernetes.api.model.coordination.v1.LeaseBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Clock;
import java.time.Duration;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.util.function.Supplier;

/**
 * The node's heartbeat: {@code kube-node-lease/<node>} with holderIdentity = the node, renewed every renew
 * interval (upstream 10 s); a failed renewal is retried with back-off from 200 ms doubling to 7 s, as the
 * kubelet's lease controller does. Returns the delay until it wants to run again.
 */
final class LeaseHeartbeat {
    static final String NAMESPACE = "kube-node-lease";
    private static final Logger LOG = LoggerFactory.getLogger(LeaseHeartbeat.class);
    private static final Duration BACKOFF_MIN = Duration.ofMillis(200);
    private static final Duration BACKOFF_MAX = Duration.ofSeconds(7);
    private final HeartbeatClient heartbeats;
    private final AgentConfig config;
    private final String node;
    private final Supplier<String> nodeUid;
    private final Clock clock;
    private Duration backoff = BACKOFF_MIN;
    private long renewals;
    /** The Lease as the last successful write returned it: renewed without reading it again (as the kubelet). */
    private Lease last;
    /**
     * Whether the Lease may exist already: the kubelet reads it before creating it, but a node this agent has just
     * created has none (a Lease is garbage-collected with its Node), so its first renewal is the create alone, one
     * request instead of two for each of thousands of nodes registering at once. After any failed create: read first.
     */
    private boolean mayExist = true;

    LeaseHeartbeat(HeartbeatClient heartbeats, AgentConfig config, String node, Supplier<String> nodeUid, Clock clock) {
        this.heartbeats = heartbeats;
        this.config = config;
        this.node = node;
        this.nodeUid = nodeUid;
        this.clock = clock;
    }

    long renewals() {
        return renewals;
    }

    /** The node was just created by this agent: no Lease of it can exist yet. */
    LeaseHeartbeat nodeIsNew() {
        mayExist = false;
        return this;
    }

    /** One renewal attempt; the delay before the next one. */
    Duration renew() {
        KubernetesClient client = heartbeats.get();
        try {
            ZonedDateTime now = ZonedDateTime.ofInstant(clock.instant(), ZoneOffset.UTC);
            Lease current = last != null ? last : mayExist ? client.leases().inNamespace(NAMESPACE).withName(node).get() : null;
            if (current == null) {
                LeaseBuilder b = new LeaseBuilder().withNewMetadata().withName(node).withNamespace(NAMESPACE).endMetadata()
                        .withNewSpec().withHolderIdentity(node).withLeaseDurationSeconds(config.leaseDurationSeconds())
                        .withRenewTime(now).endSpec();
                if (nodeUid.get() != null) {
                    b.editMetadata().withOwnerReferences(new OwnerReferenceBuilder().withApiVersion("v1").withKind("Node")
                            .withName(node).withUid(nodeUid.get()).build()).endMetadata();
                }
                mayExist = true; // if this create fails (or times out after all), read it next time
                last = client.leases().inNamespace(NAMESPACE).resource(b.build()).create();
            } else {
                current.getSpec().setRenewTime(now);
                current.getSpec().setHolderIdentity(node);
                current.getSpec().setLeaseDurationSeconds(config.leaseDurationSeconds());
                // Optimistic: the update carries the resourceVersion just read.
                last = client.leases().inNamespace(NAMESPACE).resource(current).update();
            }
            renewals++;
            backoff = BACKOFF_MIN;
            return config.leaseRenewInterval();
        } catch (RuntimeException e) {
            // a KubernetesClientException with the API's code, or a timeout / connection failure (code 0)
            int code = e instanceof KubernetesClientException k ? k.getCode() : 0;
            last = null; // a conflict (someone else wrote it) or an outage: read it again next time
            if (code == 0 || code >= 500) {
                heartbeats.reset(client); // no answer: the replica behind this connection may be frozen or gone
            }
            Duration wait = backoff;
            backoff = backoff.multipliedBy(2).compareTo(BACKOFF_MAX) > 0 ? BACKOFF_MAX : backoff.multipliedBy(2);
            LOG.warn("event=lease-renew-failed node={} code={} retry-in-ms={} error={}", node, code, wait.toMillis(), e.getMessage());
            return wait;
        }
    }
}
