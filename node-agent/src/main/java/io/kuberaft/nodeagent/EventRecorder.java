package io.kuberaft.nodeagent;

import io.fabric8.kubernetes.api.model.Pod;

/**
 * Core/v1 Events about pods (source component kubelet, host the node), posted in the background: an event never delays
 * a sync. Identical events within 10 minutes bump the first one's count and lastTimestamp (client-go's correlator, as
 * the controllers' {@link io.kuberaft.controllers.runtime.EventRecorder} does), so describe shows {@code (x5 over 2m)}.
 */
public interface EventRecorder {
    void event(Pod pod, String type, String reason, String message, String fieldPath);

    EventRecorder NONE = (pod, type, reason, message, fieldPath) -> { };

    /** The events of node {@code nodeName}, written by {@code recorder} (shared by the nodes of one agent). */
    static EventRecorder of(io.kuberaft.controllers.runtime.EventRecorder recorder, String nodeName) {
        var source = recorder.source("kubelet", nodeName);
        return (pod, type, reason, message, fieldPath) -> source.event(pod, fieldPath, type, reason, message);
    }
}
