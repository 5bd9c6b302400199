package io.kuberaft.controllers.runtime;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.kuberaft.controllers.ControllerOptions;

import java.time.Clock;

/**
 * What a controller gets for one leadership term: a client whose every write carries the term's fence,
 * the shared informers, its event source, the clock, and the manager's options.
 */
public record ControllerContext(KubernetesClient client, Informers informers, EventRecorder.Source events, Clock clock,
                                ControllerOptions options, long term) {
}
