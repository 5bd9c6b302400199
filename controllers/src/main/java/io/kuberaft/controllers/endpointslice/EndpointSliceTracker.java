package io.kuberaft.controllers.endpointslice;

import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;

import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;

/**
 * upstream's EndpointSliceTracker: the generation of every slice this controller created or updated, and the slices
 * it deleted, per Service. A reconcile whose informer cache has not caught up with those writes would place endpoints
 * a second time (a new slice beside one the cache does not show yet) or update a slice from an old copy; with the
 * tracker it recognises the stale cache and waits for the event of its own write, which queues the Service again.
 */
final class EndpointSliceTracker {
    private static final long DELETION_EXPECTED = -1;
    private final Map<String, Map<String, Long>> byService = new HashMap<>();

    /** A slice as the API server returned it from our create or update. */
    synchronized void written(String serviceKey, EndpointSlice s) {
        byService.computeIfAbsent(serviceKey, k -> new HashMap<>()).put(s.getMetadata().getUid(), generation(s));
    }

    /** A slice we deleted: the cache is stale while it still shows it. */
    synchronized void deleted(String serviceKey, EndpointSlice s) {
        byService.computeIfAbsent(serviceKey, k -> new HashMap<>()).put(s.getMetadata().getUid(), DELETION_EXPECTED);
    }

    /** The informer saw the slice go (ours or anyone's): nothing more to wait for about it. */
    synchronized void deletionObserved(String serviceKey, EndpointSlice s) {
        Map<String, Long> gens = byService.get(serviceKey);
        if (gens != null) {
            gens.remove(s.getMetadata().getUid());
            if (gens.isEmpty()) {
                byService.remove(serviceKey);
            }
        }
    }

    synchronized void forget(String serviceKey) {
        byService.remove(serviceKey);
    }

    /** True when the cached slices miss a write of ours: a slice older than we made it, one we deleted, or one we created. */
    synchronized boolean stale(String serviceKey, Collection<EndpointSlice> cached) {
        Map<String, Long> gens = byService.get(serviceKey);
        if (gens == null) {
            return false;
        }
        Set<String> seen = new HashSet<>();
        for (EndpointSlice s : cached) {
            seen.add(s.getMetadata().getUid());
            Long g = gens.get(s.getMetadata().getUid());
            if (g != null && (g == DELETION_EXPECTED || g > generation(s))) {
                return true;
            }
        }
        for (Map.Entry<String, Long> e : gens.entrySet()) {
            if (e.getValue() != DELETION_EXPECTED && !seen.contains(e.getKey())) {
                return true;
            }
        }
        return false;
    }

    private static long generation(EndpointSlice s) {
        return s.getMetadata().getGeneration() == null ? 0 : s.getMetadata().getGeneration();
    }
}
