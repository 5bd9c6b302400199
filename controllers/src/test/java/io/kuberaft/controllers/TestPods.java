package io.kuberaft.controllers;

import io.fabric8.kubernetes.api.model.OwnerReference;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;

import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Map;

/** Pods for controller tests, with the test playing their kubelet: phase Running, a pod IP, the Ready condition. */
public final class TestPods {
    private TestPods() {
    }

    /** Creates a pod in {@code default} on node-1 (with a named container port unless {@code portName} is null) and sets its status. */
    public static Pod pod(KubernetesClient k, String name, Map<String, String> labels, String portName, int port, String ip, boolean ready) {
        return pod(k, name, labels, portName, port, ip, ready, null);
    }

    public static Pod pod(KubernetesClient k, String name, Map<String, String> labels, String portName, int port, String ip, boolean ready,
                          OwnerReference owner) {
        PodBuilder b = new PodBuilder().withNewMetadata().withName(name).withNamespace("default").withLabels(labels).endMetadata()
                .withNewSpec().withNodeName("node-1").addNewContainer().withName("c").withImage("nginx").endContainer().endSpec();
        if (owner != null) {
            b.editMetadata().withOwnerReferences(owner).endMetadata();
        }
        if (portName != null) {
            b.editSpec().editFirstContainer().addNewPort().withName(portName).withContainerPort(port).endPort().endContainer().endSpec();
        }
        k.pods().inNamespace("default").resource(b.build()).create();
        return setStatus(k, name, ip, ready);
    }

    /** What a kubelet reports: Running with {@code ip}, Ready {@code ready}. */
    public static Pod setStatus(KubernetesClient k, String name, String ip, boolean ready) {
        String now = Instant.now().truncatedTo(ChronoUnit.SECONDS).toString();
        String status = "{\"status\":{\"phase\":\"Running\",\"podIP\":\"" + ip + "\",\"podIPs\":[{\"ip\":\"" + ip + "\"}],"
                + "\"conditions\":[{\"type\":\"Ready\",\"status\":\"" + (ready ? "True" : "False") + "\",\"lastTransitionTime\":\"" + now + "\"}]}}";
        return k.pods().inNamespace("default").withName(name).subresource("status").patch(PatchContext.of(PatchType.JSON_MERGE), status);
    }
}
