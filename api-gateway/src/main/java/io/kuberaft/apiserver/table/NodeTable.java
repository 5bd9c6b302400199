package io.kuberaft.apiserver.table;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.kuberaft.apiserver.table.TableConvertor.Column;

import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;

import static io.kuberaft.apiserver.table.Cells.text;

/**
 * Nodes: NAME STATUS ROLES AGE VERSION, wide INTERNAL-IP EXTERNAL-IP OS-IMAGE KERNEL-VERSION
 * CONTAINER-RUNTIME. STATUS is {@code Ready}, {@code NotReady} or {@code Unknown} (no Ready
 * condition), plus {@code ,SchedulingDisabled} when cordoned.
 */
final class NodeTable {
    private NodeTable() {
    }

    private static final String ROLE_PREFIX = "node-role.kubernetes.io/";
    private static final String ROLE_LABEL = "kubernetes.io/role";

    static final List<Column> COLUMNS = List.of(
            Columns.NAME,
            Columns.col("Status", "string", "The status of the node"),
            Columns.col("Roles", "string", "The roles of the node"),
            Columns.AGE,
            Columns.col("Version", "string", SwaggerDocs.NODE_SYSTEM_INFO_KUBELET_VERSION),
            Columns.wide("Internal-IP", "string", SwaggerDocs.NODE_STATUS_ADDRESSES),
            Columns.wide("External-IP", "string", SwaggerDocs.NODE_STATUS_ADDRESSES),
            Columns.wide("OS-Image", "string", SwaggerDocs.NODE_SYSTEM_INFO_OS_IMAGE),
            Columns.wide("Kernel-Version", "string", SwaggerDocs.NODE_SYSTEM_INFO_KERNEL_VERSION),
            Columns.wide("Container-Runtime", "string", SwaggerDocs.NODE_SYSTEM_INFO_CONTAINER_RUNTIME_VERSION));

    static final TableConvertor TABLE = new RowTable(COLUMNS, NodeTable::cells);

    static List<Object> cells(ObjectNode node, long now) {
        JsonNode info = node.path("status").path("nodeInfo");
        return List.of(Cells.name(node), status(node), roles(node), Cells.age(node, now),
                text(info.path("kubeletVersion")),
                address(node, "InternalIP"), address(node, "ExternalIP"),
                text(info.path("osImage"), Cells.UNKNOWN), text(info.path("kernelVersion"), Cells.UNKNOWN),
                text(info.path("containerRuntimeVersion"), Cells.UNKNOWN));
    }

    static String status(JsonNode node) {
        List<String> status = new ArrayList<>();
        JsonNode readyCondition = null;
        for (JsonNode c : node.path("status").path("conditions")) {
            if ("Ready".equals(text(c.path("type")))) {
                readyCondition = c; // the last one wins, as when upstream builds its condition map
            }
        }
        if (readyCondition != null) {
            status.add("True".equals(text(readyCondition.path("status"))) ? "Ready" : "NotReady");
        } else {
            status.add("Unknown");
        }
        if (Cells.bool(node.path("spec").path("unschedulable"), false)) {
            status.add("SchedulingDisabled");
        }
        return String.join(",", status);
    }

    /** node-role.kubernetes.io/&lt;role&gt; labels and a kubernetes.io/role=&lt;role&gt; label, sorted, or {@code <none>}. */
    static String roles(JsonNode node) {
        TreeSet<String> roles = new TreeSet<>();
        node.path("metadata").path("labels").fields().forEachRemaining(e -> {
            String k = e.getKey();
            if (k.startsWith(ROLE_PREFIX)) {
                String role = k.substring(ROLE_PREFIX.length());
                if (!role.isEmpty()) {
                    roles.add(role);
                }
            } else if (k.equals(ROLE_LABEL) && !text(e.getValue()).isEmpty()) {
                roles.add(text(e.getValue()));
            }
        });
        return roles.isEmpty() ? Cells.NONE : String.join(",", roles);
    }

    private static String address(JsonNode node, String type) {
        for (JsonNode a : node.path("status").path("addresses")) {
            if (type.equals(text(a.path("type")))) {
                return text(a.path("address"));
            }
        }
        return Cells.NONE;
    }
}
