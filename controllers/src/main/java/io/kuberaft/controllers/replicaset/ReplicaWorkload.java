package io.kuberaft.controllers.replicaset;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.PodTemplateSpec;
import io.fabric8.kubernetes.api.model.ReplicationController;
import io.fabric8.kubernetes.api.model.apps.ReplicaSet;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import io.fabric8.kubernetes.client.utils.Serialization;
import io.kuberaft.controllers.runtime.Selectors;
import io.kuberaft.controllers.runtime.DirectRequests;
import io.kuberaft.kubeapi.LabelSelector;

import java.util.Map;

/**
 * What the replica controller needs of its kind: ReplicaSet (apps/v1, a LabelSelector) and
 * ReplicationController (v1, a map selector) share one controller, as upstream's ReplicationManager
 * wraps the ReplicaSetController.
 */
public interface ReplicaWorkload<T extends HasMetadata> {
    Class<T> type();

    String controllerName();

    String apiVersion();

    String kind();

    LabelSelector selector(T o);

    int replicas(T o);

    int minReadySeconds(T o);

    PodTemplateSpec template(T o);

    /** The current status as JSON (empty object if none). */
    ObjectNode status(T o);

    void patchStatus(KubernetesClient client, T o, String mergePatch);

    ReplicaWorkload<ReplicaSet> REPLICA_SETS = new ReplicaWorkload<>() {
        public Class<ReplicaSet> type() {
            return ReplicaSet.class;
        }

        public String controllerName() {
            return "replicaset-controller";
        }

        public String apiVersion() {
            return "apps/v1";
        }

        public String kind() {
            return "ReplicaSet";
        }

        public LabelSelector selector(ReplicaSet o) {
            return Selectors.of(o.getSpec().getSelector());
        }

        public int replicas(ReplicaSet o) {
            return o.getSpec().getReplicas() == null ? 1 : o.getSpec().getReplicas();
        }

        public int minReadySeconds(ReplicaSet o) {
            return o.getSpec().getMinReadySeconds() == null ? 0 : o.getSpec().getMinReadySeconds();
        }

        public PodTemplateSpec template(ReplicaSet o) {
            return o.getSpec().getTemplate();
        }

        public ObjectNode status(ReplicaSet o) {
            return o.getStatus() == null ? Serialization.jsonMapper().createObjectNode() : Serialization.jsonMapper().valueToTree(o.getStatus());
        }

        public void patchStatus(KubernetesClient client, ReplicaSet o, String patch) {
            DirectRequests.patch(client,
                    client.apps().replicaSets().inNamespace(o.getMetadata().getNamespace())
                            .withName(o.getMetadata().getName()).subresource("status"),
                    PatchType.JSON_MERGE, patch, null);
        }
    };

    ReplicaWorkload<ReplicationController> REPLICATION_CONTROLLERS = new ReplicaWorkload<>() {
        public Class<ReplicationController> type() {
            return ReplicationController.class;
        }

        public String controllerName() {
            return "replication-controller";
        }

        public String apiVersion() {
            return "v1";
        }

        public String kind() {
            return "ReplicationController";
        }

        public LabelSelector selector(ReplicationController o) {
            Map<String, String> sel = o.getSpec().getSelector();
            if (sel == null || sel.isEmpty()) {
                return LabelSelector.fromSpec(null); // upstream: an RC without selector matches nothing
            }
            return LabelSelector.fromSpec(Serialization.jsonMapper().valueToTree(Map.of("matchLabels", sel)));
        }

        public int replicas(ReplicationController o) {
            return o.getSpec().getReplicas() == null ? 1 : o.getSpec().getReplicas();
        }

        public int minReadySeconds(ReplicationController o) {
            return o.getSpec().getMinReadySeconds() == null ? 0 : o.getSpec().getMinReadySeconds();
        }

        public PodTemplateSpec template(ReplicationController o) {
            return o.getSpec().getTemplate();
        }

        public ObjectNode status(ReplicationController o) {
            return o.getStatus() == null ? Serialization.jsonMapper().createObjectNode() : Serialization.jsonMapper().valueToTree(o.getStatus());
        }

        public void patchStatus(KubernetesClient client, ReplicationController o, String patch) {
            DirectRequests.patch(client,
                    client.replicationControllers().inNamespace(o.getMetadata().getNamespace())
                            .withName(o.getMetadata().getName()).subresource("status"),
                    PatchType.JSON_MERGE, patch, null);
        }
    };
}
