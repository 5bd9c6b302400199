package io.kuberaft.apiserver.admission;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.kuberaft.apiserver.registry.GenericRegistry;
import io.kuberaft.apiserver.registry.Objects;
import io.kuberaft.apiserver.registry.ResourceDefinition;
import io.kuberaft.kubeapi.StatusException;
import io.kuberaft.raftstore.ReadConsistency;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Map;
import java.util.TreeMap;

/**
 * What kube-apiserver's kubernetes-service controller and lease endpoint reconciler do, run by every
 * replica every {@link #INTERVAL}: the system objects are there again (a user's {@code kubectl delete
 * service --all} deletes the {@code kubernetes} service, which comes back), this replica renews its
 * identity Lease {@code kube-system/kube-apiserver-<replica>} (label {@code apiserver.kubernetes.io/identity},
 * its address in an annotation), and the {@code kubernetes} Endpoints list every replica whose Lease was
 * renewed within {@link #TTL} — so a dead replica leaves them, as upstream's master leases expire.
 * Every replica computes the same Endpoints from the same Leases, so they agree; writes happen only on change.
 */
public final class KubernetesServiceController {
    private static final Logger LOG = LoggerFactory.getLogger(KubernetesServiceController.class);
    public static final Duration INTERVAL = Duration.ofSeconds(10);
    /** upstream's master lease TTL. */
    public static final Duration TTL = Duration.ofSeconds(15);
    public static final String IDENTITY_LABEL = "apiserver.kubernetes.io/identity";
    public static final String ADDRESS_ANNOTATION = "kuberaft.io/advertise-address";
    private final GenericRegistry generic;
    private final SystemBootstrap system;
    private final Lookup lookup;
    private final String replica;
    private final String ip;
    private final int port;
    private final Clock clock;

    public KubernetesServiceController(GenericRegistry generic, Lookup lookup, String replica, String ip, int port, Clock clock) {
        this.generic = generic;
        this.lookup = lookup;
        this.system = new SystemBootstrap(lookup);
        this.replica = replica;
        this.ip = ip;
        this.port = port;
        this.clock = clock;
    }

    /** One pass; failures (no quorum yet, a race with another replica) are logged and retried next pass. */
    public void run() {
        try {
            reconcile();
        } catch (RuntimeException e) {
            LOG.debug("kubernetes service pass failed, next in {}: {}", INTERVAL, e.toString());
        }
    }

    void reconcile() {
        system.ensureAll(generic);
        renewLease();
        reconcileEndpoints();
    }

    private String leaseName() {
        return "kube-apiserver-" + replica;
    }

    private void renewLease() {
        ResourceDefinition def = lookup.kind("coordination.k8s.io", "Lease");
        String now = clock.instant().truncatedTo(ChronoUnit.MICROS).toString();
        ObjectNode current = generic.store().getOrNull(def, "kube-system", leaseName(), ReadConsistency.LINEARIZABLE);
        ObjectNode lease = current == null ? Objects.JSON.createObjectNode() : current.deepCopy();
        lease.put("apiVersion", "coordination.k8s.io/v1").put("kind", "Lease");
        ObjectNode meta = lease.with("metadata");
        meta.put("name", leaseName()).put("namespace", "kube-system");
        meta.with("labels").put(IDENTITY_LABEL, "kube-apiserver").put("kubernetes.io/hostname", replica);
        meta.with("annotations").put(ADDRESS_ANNOTATION, ip + ":" + port);
        ObjectNode spec = lease.with("spec");
        spec.put("holderIdentity", leaseName()).put("leaseDurationSeconds", TTL.toSeconds()).put("renewTime", now);
        if (!spec.has("acquireTime")) {
            spec.put("acquireTime", now);
        }
        if (current == null) {
            generic.create(def, "kube-system", lease, GenericRegistry.WriteOptions.DEFAULT);
        } else {
            generic.update(def, "kube-system", leaseName(), lease, GenericRegistry.WriteOptions.DEFAULT);
        }
    }

    /** The addresses of the replicas whose identity Lease is fresh, grouped by port (one subset per port). */
    ArrayNode liveSubsets() {
        ResourceDefinition def = lookup.kind("coordination.k8s.io", "Lease");
        Instant cutoff = clock.instant().minus(TTL);
        Map<Integer, java.util.TreeSet<String>> byPort = new TreeMap<>();
        for (ObjectNode l : lookup.list(def, "kube-system", ReadConsistency.LINEARIZABLE).items()) {
            JsonNode meta = l.path("metadata");
            String address = meta.path("annotations").path(ADDRESS_ANNOTATION).asText("");
            String renewed = l.path("spec").path("renewTime").asText("");
            if (!"kube-apiserver".equals(meta.path("labels").path(IDENTITY_LABEL).asText()) || address.isEmpty() || renewed.isEmpty()) {
                continue;
            }
            Instant at;
            try {
                at = Instant.parse(renewed);
            } catch (RuntimeException e) {
                continue;
            }
            int colon = address.lastIndexOf(':');
            if (at.isBefore(cutoff) || colon <= 0) {
                continue;
            }
            try {
                byPort.computeIfAbsent(Integer.parseInt(address.substring(colon + 1)), p -> new java.util.TreeSet<>())
                        .add(address.substring(0, colon));
            } catch (NumberFormatException e) {
                // not one of ours
            }
        }
        ArrayNode subsets = Objects.JSON.createArrayNode();
        byPort.forEach((p, ips) -> {
            ObjectNode s = subsets.addObject();
            ArrayNode addresses = s.putArray("addresses");
            ips.forEach(i -> addresses.addObject().put("ip", i));
            s.putArray("ports").addObject().put("name", "https").put("port", p).put("protocol", "TCP");
        });
        return subsets;
    }

    private void reconcileEndpoints() {
        ResourceDefinition def = lookup.kind("", "Endpoints");
        ArrayNode subsets = liveSubsets();
        ObjectNode current = generic.store().getOrNull(def, "default", "kubernetes", ReadConsistency.LINEARIZABLE);
        if (current != null && subsets.equals(current.path("subsets"))) {
            return;
        }
        ObjectNode ep = current == null ? Objects.JSON.createObjectNode() : current.deepCopy();
        ep.put("apiVersion", "v1").put("kind", "Endpoints");
        ep.with("metadata").put("name", "kubernetes").put("namespace", "default");
        if (subsets.isEmpty()) {
            ep.remove("subsets");
        } else {
            ep.set("subsets", subsets);
        }
        try {
            if (current == null) {
                generic.create(def, "default", ep, GenericRegistry.WriteOptions.DEFAULT);
            } else {
                generic.update(def, "default", "kubernetes", ep, GenericRegistry.WriteOptions.DEFAULT);
            }
            LOG.info("endpoints default/kubernetes now {}", subsets);
        } catch (StatusException e) {
            if (e.code() != 409) {
                throw e;
            }
            // another replica wrote them first: compared again next pass
        }
    }
}
