package io.kuberaft.nodeagent;

import io.fabric8.kubernetes.api.model.EventBuilder;
import io.fabric8.kubernetes.api.model.ObjectReferenceBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.KubernetesClient;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Clock;
import java.time.format.DateTimeFormatter;
import java.time.temporal.ChronoUnit;
import java.util.concurrent.Executor;
import java.util.concurrent.ThreadLocalRandom;

/** Core/v1 Events about pods (source component kubelet), posted in the background: an event never delays a sync. */
public interface EventRecorder {
    void event(Pod pod, String type, String reason, String message, String fieldPath);

    EventRecorder NONE = (pod, type, reason, message, fieldPath) -> { };

    static EventRecorder posting(KubernetesClient client, String nodeName, Executor executor, Clock clock) {
        Logger log = LoggerFactory.getLogger(EventRecorder.class);
        return (pod, type, reason, message, fieldPath) -> executor.execute(() -> {
            String now = DateTimeFormatter.ISO_INSTANT.format(clock.instant().truncatedTo(ChronoUnit.SECONDS));
            try {
                client.v1().events().inNamespace(pod.getMetadata().getNamespace()).resource(new EventBuilder()
                        .withNewMetadata().withName(pod.getMetadata().getName() + "." + Long.toHexString(System.nanoTime())
                                + Integer.toHexString(ThreadLocalRandom.current().nextInt(0x1000)))
                        .withNamespace(pod.getMetadata().getNamespace()).endMetadata()
                        .withInvolvedObject(new ObjectReferenceBuilder().withKind("Pod").withApiVersion("v1")
                                .withNamespace(pod.getMetadata().getNamespace()).withName(pod.getMetadata().getName())
                                .withUid(pod.getMetadata().getUid()).withFieldPath(fieldPath).build())
                        .withType(type).withReason(reason).withMessage(message).withCount(1)
                        .withFirstTimestamp(now).withLastTimestamp(now)
                        .withNewSource().withComponent("kubelet").withHost(nodeName).endSource()
                        .withReportingComponent("kubelet").withReportingInstance(nodeName)
                        .build()).create();
            } catch (RuntimeException e) {
                log.debug("event {} for {}/{} not posted: {}", reason, pod.getMetadata().getNamespace(), pod.getMetadata().getName(), e.toString());
            }
        });
    }
}
