package io.kuberaft.controllers.runtime;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.kuberaft.controllers.ControllerOptions;

import java.time.Clock;
import java.util.Map;
import java.util.function.Supplier;

/**
 * What a controller gets for one leadership term: a client whose every write carries the term's fence,
 * the shared informers, its event source, the clock, the manager's options, and state two controllers of the term
 * share (one object per type).
 */
public record ControllerContext(KubernetesClient client, Informers informers, EventRecorder.Source events, Clock clock,
                                ControllerOptions options, long term, Map<Class<?>, Object> sharedState) {

    /** The term's one {@code type} object, made by {@code create} for the first controller that asks. */
    public <T> T shared(Class<T> type, Supplier<T> create) {
        return type.cast(sharedState.computeIfAbsent(type, k -> create.get()));
    }
}
