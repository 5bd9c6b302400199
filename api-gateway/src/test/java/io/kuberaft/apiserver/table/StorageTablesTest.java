package io.kuberaft.apiserver.table;

import com.fasterxml.jackson.databind.node.ObjectNode;
import org.junit.jupiter.api.Test;

import java.util.Map;

import static io.kuberaft.apiserver.table.Fixtures.ago;
import static io.kuberaft.apiserver.table.Fixtures.row;
import static io.kuberaft.apiserver.table.Fixtures.yaml;
import static org.assertj.core.api.Assertions.assertThat;

class StorageTablesTest {

    @Test
    void persistentVolume_availableThenBound() {
        TableConvertor t = BuiltinTables.forKind("", "PersistentVolume");
        assertThat(Fixtures.normalColumnNames(t)).containsExactly("Name", "Capacity", "Access Modes", "Reclaim Policy",
                "Status", "Claim", "StorageClass", "VolumeAttributesClass", "Reason", "Age");
        // 000:5861 as created, then bound (000:5960)
        ObjectNode pv = yaml("""
                metadata: {name: persistent-host-volume, creationTimestamp: "%s", labels: {type: local}}
                spec:
                  storageClassName: standard
                  capacity: {storage: 10Gi}
                  accessModes: [ReadWriteOnce]
                  hostPath: {path: /host}
                status: {phase: Available}
                """.formatted(ago(30)));
        assertThat(row(t, pv)).containsExactly(Map.entry("Name", "persistent-host-volume"), Map.entry("Capacity", "10Gi"),
                Map.entry("Access Modes", "RWO"), Map.entry("Reclaim Policy", "Retain"), Map.entry("Status", "Available"),
                Map.entry("Claim", ""), Map.entry("StorageClass", "standard"), Map.entry("VolumeAttributesClass", "<unset>"),
                Map.entry("Reason", ""), Map.entry("Age", "30s"), Map.entry("VolumeMode", "Filesystem"));
        ObjectNode bound = pv.deepCopy();
        ((ObjectNode) bound.path("spec")).putObject("claimRef").put("namespace", "default")
                .put("name", "persistent-host-volume-claim");
        ((ObjectNode) bound.path("status")).put("phase", "Bound");
        ((ObjectNode) bound.path("spec")).putArray("accessModes").add("ReadWriteMany").add("ReadWriteOnce").add("ReadOnlyMany");
        assertThat(row(t, bound)).containsEntry("Status", "Bound").containsEntry("Claim", "default/persistent-host-volume-claim")
                .containsEntry("Access Modes", "RWO,ROX,RWX");
        ObjectNode deleting = bound.deepCopy();
        ((ObjectNode) deleting.path("metadata")).put("deletionTimestamp", ago(1));
        assertThat(row(t, deleting)).containsEntry("Status", "Terminating");
    }

    @Test
    void persistentVolumeClaim_pendingAndBound() {
        TableConvertor t = BuiltinTables.forKind("", "PersistentVolumeClaim");
        assertThat(Fixtures.normalColumnNames(t)).containsExactly("Name", "Status", "Volume", "Capacity", "Access Modes",
                "StorageClass", "VolumeAttributesClass", "Age");
        ObjectNode pending = yaml("""
                metadata: {name: persistent-host-volume-claim}
                spec:
                  storageClassName: standard
                  accessModes: [ReadWriteOnce]
                  resources: {requests: {storage: 1Gi}}
                """);
        assertThat(row(t, pending)).containsEntry("Status", "Pending").containsEntry("Volume", "")
                .containsEntry("Capacity", "").containsEntry("Access Modes", "").containsEntry("StorageClass", "standard");
        ObjectNode bound = pending.deepCopy();
        ((ObjectNode) bound.path("spec")).put("volumeName", "persistent-host-volume");
        bound.set("status", yaml("{phase: Bound, accessModes: [ReadWriteOnce], capacity: {storage: 10Gi}}"));
        assertThat(row(t, bound)).containsEntry("Status", "Bound").containsEntry("Volume", "persistent-host-volume")
                .containsEntry("Capacity", "10Gi").containsEntry("Access Modes", "RWO");
        ObjectNode beta = yaml("""
                metadata: {name: c, annotations: {volume.beta.kubernetes.io/storage-class: legacy}}
                spec: {storageClassName: standard, volumeMode: Block}
                """);
        assertThat(row(t, beta)).containsEntry("StorageClass", "legacy").containsEntry("VolumeMode", "Block");
    }

    @Test
    void storageClass_defaultSuffixAndDefaults() {
        TableConvertor t = BuiltinTables.forKind("storage.k8s.io", "StorageClass");
        assertThat(Fixtures.columnNames(t)).containsExactly("Name", "Provisioner", "ReclaimPolicy", "VolumeBindingMode",
                "AllowVolumeExpansion", "Age");
        ObjectNode standard = yaml("""
                metadata:
                  name: standard
                  annotations: {storageclass.kubernetes.io/is-default-class: "true"}
                provisioner: k8s.io/minikube-hostpath
                """);
        assertThat(row(t, standard)).containsEntry("Name", "standard (default)")
                .containsEntry("Provisioner", "k8s.io/minikube-hostpath").containsEntry("ReclaimPolicy", "Delete")
                .containsEntry("VolumeBindingMode", "Immediate").containsEntry("AllowVolumeExpansion", false);
        // 003:1148
        ObjectNode lowLatency = yaml("""
                metadata:
                  name: low-latency
                  annotations: {storageclass.kubernetes.io/is-default-class: "false"}
                provisioner: csi-driver.example-vendor.example
                reclaimPolicy: Retain
                allowVolumeExpansion: true
                volumeBindingMode: WaitForFirstConsumer
                """);
        assertThat(row(t, lowLatency)).containsEntry("Name", "low-latency").containsEntry("ReclaimPolicy", "Retain")
                .containsEntry("VolumeBindingMode", "WaitForFirstConsumer").containsEntry("AllowVolumeExpansion", true);
    }
}
