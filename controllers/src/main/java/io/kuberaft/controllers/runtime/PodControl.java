package io.kuberaft.controllers.runtime;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.ObjectMeta;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.PodTemplateSpec;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;

import java.util.HashMap;
import java.util.Map;

/**
 * upstream's controller.RealPodControl: creates pods from a template with a controller reference
 * and records SuccessfulCreate / FailedCreate / SuccessfulDelete / FailedDelete events on the owner.
 */
public final class PodControl {
    private final KubernetesClient client;
    private final EventRecorder.Source events;

    public PodControl(KubernetesClient client, EventRecorder.Source events) {
        this.client = client;
        this.events = events;
    }

    /** A pod for {@code owner} from {@code template}, named {@code <generateNamePrefix><random>} unless {@code name} is set. */
    public static Pod fromTemplate(PodTemplateSpec template, HasMetadata owner, String generateNamePrefix, String name,
                                   Map<String, String> extraLabels) {
        ObjectMeta tm = template.getMetadata() == null ? new ObjectMeta() : template.getMetadata();
        Map<String, String> labels = new HashMap<>(tm.getLabels() == null ? Map.of() : tm.getLabels());
        labels.putAll(extraLabels);
        PodBuilder b = new PodBuilder().withNewMetadata()
                .withNamespace(owner.getMetadata().getNamespace())
                .withLabels(labels)
                .withAnnotations(tm.getAnnotations() == null ? new HashMap<>() : new HashMap<>(tm.getAnnotations()))
                .withFinalizers(tm.getFinalizers())
                .addToOwnerReferences(ControllerRefs.controllerRef(owner))
                .endMetadata()
                .withSpec(template.getSpec());
        Pod pod = b.build();
        if (name != null) {
            pod.getMetadata().setName(name);
        } else {
            pod.getMetadata().setGenerateName(generateNamePrefix);
        }
        return pod;
    }

    /** Creates {@code pod} for {@code owner}; events as upstream. Throws on failure (the caller retries). */
    public Pod create(HasMetadata owner, Pod pod) {
        try {
            Pod created = client.pods().inNamespace(pod.getMetadata().getNamespace()).resource(pod).create();
            events.normal(owner, "SuccessfulCreate", "Created pod: " + created.getMetadata().getName());
            return created;
        } catch (KubernetesClientException e) {
            events.warning(owner, "FailedCreate", "Error creating: " + message(e));
            throw e;
        }
    }

    /** Deletes pod {@code name} of {@code owner}; a pod already gone counts as deleted. */
    public void delete(HasMetadata owner, String namespace, String name) {
        try {
            client.pods().inNamespace(namespace).withName(name).delete();
            events.normal(owner, "SuccessfulDelete", "Deleted pod: " + name);
        } catch (KubernetesClientException e) {
            if (e.getCode() == 404) {
                return;
            }
            events.warning(owner, "FailedDelete", "Error deleting: " + message(e));
            throw e;
        }
    }

    private static String message(KubernetesClientException e) {
        return e.getStatus() != null && e.getStatus().getMessage() != null ? e.getStatus().getMessage() : e.getMessage();
    }
}
