package io.kuberaft.controllers.runtime;

import io.fabric8.kubernetes.client.utils.Serialization;
import io.kuberaft.kubeapi.LabelSelector;

/** The API server's label-selector semantics for the fabric8 model's selectors the controllers read from their caches. */
public final class Selectors {
    private Selectors() {
    }

    /** {@code selector} as the API evaluates it; null selects nothing, an empty one everything. */
    public static LabelSelector of(io.fabric8.kubernetes.api.model.LabelSelector selector) {
        return LabelSelector.fromSpec(selector == null ? null : Serialization.jsonMapper().valueToTree(selector));
    }
}
