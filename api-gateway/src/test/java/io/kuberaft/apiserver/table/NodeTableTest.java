package io.kuberaft.apiserver.table;

import com.fasterxml.jackson.databind.node.ObjectNode;
import org.junit.jupiter.api.Test;

import java.util.Map;

import static io.kuberaft.apiserver.table.Fixtures.ago;
import static io.kuberaft.apiserver.table.Fixtures.row;
import static io.kuberaft.apiserver.table.Fixtures.yaml;
import static org.assertj.core.api.Assertions.assertThat;

class NodeTableTest {
    private static final TableConvertor NODES = BuiltinTables.forKind("", "Node");

    /** minikube as the seed shows it (000:139-143). */
    private static ObjectNode minikube() {
        return yaml("""
                apiVersion: v1
                kind: Node
                metadata:
                  name: minikube
                  creationTimestamp: "%s"
                  labels:
                    kubernetes.io/hostname: minikube
                    node-role.kubernetes.io/control-plane: ""
                    node.kubernetes.io/exclude-from-external-load-balancers: ""
                status:
                  addresses:
                  - {type: InternalIP, address: 192.168.49.2}
                  - {type: Hostname, address: minikube}
                  conditions:
                  - {type: MemoryPressure, status: "False"}
                  - {type: Ready, status: "True", reason: KubeletReady}
                  nodeInfo:
                    kubeletVersion: v1.24.1
                    osImage: Ubuntu 20.04.4 LTS
                    kernelVersion: 5.10.102.1-microsoft-standard-WSL2
                    containerRuntimeVersion: docker://20.10.16
                """.formatted(ago(447)));
    }

    @Test
    void columns() {
        assertThat(Fixtures.normalColumnNames(NODES)).containsExactly("Name", "Status", "Roles", "Age", "Version");
        assertThat(Fixtures.columnNames(NODES)).containsExactly("Name", "Status", "Roles", "Age", "Version",
                "Internal-IP", "External-IP", "OS-Image", "Kernel-Version", "Container-Runtime");
    }

    @Test
    void readyControlPlaneNode() {
        assertThat(row(NODES, minikube())).containsExactly(
                Map.entry("Name", "minikube"), Map.entry("Status", "Ready"), Map.entry("Roles", "control-plane"),
                Map.entry("Age", "7m27s"), Map.entry("Version", "v1.24.1"), Map.entry("Internal-IP", "192.168.49.2"),
                Map.entry("External-IP", "<none>"), Map.entry("OS-Image", "Ubuntu 20.04.4 LTS"),
                Map.entry("Kernel-Version", "5.10.102.1-microsoft-standard-WSL2"),
                Map.entry("Container-Runtime", "docker://20.10.16"));
    }

    @Test
    void cordonedNode_isReadySchedulingDisabled_withSortedRoles() {
        // 002:1147-1152: a cordoned kubeadm master
        ObjectNode node = minikube();
        ((ObjectNode) node.path("metadata").path("labels")).put("node-role.kubernetes.io/master", "");
        node.putObject("spec").put("unschedulable", true);
        assertThat(row(NODES, node)).containsEntry("Status", "Ready,SchedulingDisabled")
                .containsEntry("Roles", "control-plane,master");
    }

    @Test
    void notReadyAndUnknown() {
        ObjectNode notReady = minikube();
        ((ObjectNode) notReady.path("status").path("conditions").get(1)).put("status", "Unknown");
        assertThat(row(NODES, notReady)).containsEntry("Status", "NotReady");
        ObjectNode unknown = yaml("""
                metadata: {name: n1, labels: {kubernetes.io/role: worker}}
                spec: {unschedulable: true}
                """);
        assertThat(row(NODES, unknown)).containsEntry("Status", "Unknown,SchedulingDisabled")
                .containsEntry("Roles", "worker").containsEntry("Version", "")
                .containsEntry("Internal-IP", "<none>").containsEntry("OS-Image", "<unknown>")
                .containsEntry("Kernel-Version", "<unknown>").containsEntry("Container-Runtime", "<unknown>");
    }

    @Test
    void noRoleLabels_isNone() {
        ObjectNode node = yaml("""
                metadata: {name: w, labels: {node-role.kubernetes.io/: "", kubernetes.io/role: ""}}
                status: {conditions: [{type: Ready, status: "False"}]}
                """);
        assertThat(row(NODES, node)).containsEntry("Roles", "<none>").containsEntry("Status", "NotReady");
    }
}
