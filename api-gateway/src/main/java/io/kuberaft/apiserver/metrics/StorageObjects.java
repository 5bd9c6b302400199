package io.kuberaft.apiserver.metrics;

import io.kuberaft.apiserver.registry.ResourceDefinition;
import io.kuberaft.apiserver.registry.ResourceRegistry;
import io.kuberaft.apiserver.registry.ResourceStore;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * {@code apiserver_storage_objects{resource}}: how many objects of each stored resource ("pods", "deployments.apps") this
 * replica's store holds. As upstream, the counts are refreshed periodically ({@link #INTERVAL_MS}), never on a scrape:
 * each is a count-only range of the replica's local store, a walk of its in-memory key index that reads no values.
 * A resource whose count failed shows -1, as upstream.
 */
public final class StorageObjects {
    private static final Logger LOG = LoggerFactory.getLogger(StorageObjects.class);
    public static final long INTERVAL_MS = 30_000;
    static final String NAME = "apiserver_storage_objects";
    /** Served, never stored. */
    private static final Set<String> VIRTUAL = Set.of("componentstatuses", "bindings");

    private final ResourceRegistry registry;
    private final ResourceStore store;
    private final MeterRegistry meters;
    private final Map<String, Long> counts = new ConcurrentHashMap<>();

    public StorageObjects(ResourceRegistry registry, ResourceStore store, MeterRegistry meters) {
        this.registry = registry;
        this.store = store;
        this.meters = meters;
    }

    /** Counts every stored resource once (custom resources included, as soon as they are served). */
    public void refresh() {
        Map<String, ResourceDefinition> stored = new java.util.TreeMap<>();
        for (ResourceDefinition d : registry.all()) {
            if (d.allows("list") && !(d.group().isEmpty() && VIRTUAL.contains(d.plural()))) {
                stored.putIfAbsent(d.storageName(), d);
            }
        }
        for (Map.Entry<String, ResourceDefinition> e : stored.entrySet()) {
            long n;
            try {
                n = store.count(e.getValue());
            } catch (RuntimeException ex) {
                LOG.debug("counting {} failed: {}", e.getKey(), ex.toString());
                n = -1;
            }
            if (counts.put(e.getKey(), n) == null) {
                String resource = e.getKey();
                Gauge.builder(NAME, counts, m -> m.getOrDefault(resource, -1L))
                        .description("Number of stored objects at the time of last check split by kind. In case of a fetching error, the value will be -1.")
                        .tag("resource", resource).register(meters);
            }
        }
    }

    /** The last count of a resource ("deployments.apps"), -1 when it failed, null when never counted. */
    public Long count(String resource) {
        return counts.get(resource);
    }
}
