package io.kuberaft.controllers.podautoscaler;

import io.fabric8.kubernetes.api.model.Pod;
import io.kuberaft.controllers.runtime.Keys;
import io.kuberaft.kubeapi.LabelSelector;

import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Which pods each HPA last selected, so two HPAs scaling the same pods are caught (upstream's
 * AmbiguousSelector): an HPA is known from its first event with a selector of nothing, and gets its
 * target's selector when it syncs.
 */
final class HpaSelectors {
    private final Map<String, Optional<LabelSelector>> byHpa = new ConcurrentHashMap<>();

    void known(String hpaKey) {
        byHpa.putIfAbsent(hpaKey, Optional.empty());
    }

    void forget(String hpaKey) {
        byHpa.remove(hpaKey);
    }

    void selects(String hpaKey, LabelSelector selector) {
        byHpa.computeIfPresent(hpaKey, (k, v) -> Optional.of(selector));
    }

    /** The keys (namespace/name, sorted) of the HPAs of {@code namespace} whose selector matches any of {@code pods}. */
    TreeSet<String> controlling(String namespace, List<Pod> pods) {
        TreeSet<String> out = new TreeSet<>();
        byHpa.forEach((key, selector) -> {
            if (selector.isEmpty() || !namespace.equals(Keys.namespace(key))) {
                return;
            }
            for (Pod p : pods) {
                Map<String, String> labels = p.getMetadata().getLabels() == null ? Map.of() : p.getMetadata().getLabels();
                if (selector.get().matches(labels)) {
                    out.add(key);
                    return;
                }
            }
        });
        return out;
    }
}
