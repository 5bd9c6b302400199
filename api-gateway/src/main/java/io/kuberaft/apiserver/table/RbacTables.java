package io.kuberaft.apiserver.table;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.util.ArrayList;
import java.util.List;

import static io.kuberaft.apiserver.table.Cells.text;

/**
 * RBAC: roles and cluster roles have no printer upstream (NAME, CREATED AT); bindings print ROLE
 * ("Kind/name") and AGE, wide USERS GROUPS SERVICEACCOUNTS (service accounts as "namespace/name").
 */
final class RbacTables {
    private RbacTables() {
    }

    static final TableConvertor ROLE_BINDING = binding("roleBinding", SwaggerDocs.ROLE_BINDING_ROLE_REF);
    static final TableConvertor CLUSTER_ROLE_BINDING = binding("clusterRoleBinding", SwaggerDocs.CLUSTER_ROLE_BINDING_ROLE_REF);

    private static TableConvertor binding(String what, String roleRefDoc) {
        return new RowTable(List.of(
                Columns.NAME,
                Columns.col("Role", "string", roleRefDoc),
                Columns.AGE,
                Columns.wide("Users", "string", "Users in the " + what),
                Columns.wide("Groups", "string", "Groups in the " + what),
                Columns.wide("ServiceAccounts", "string", "ServiceAccounts in the " + what)),
                RbacTables::bindingCells);
    }

    static List<Object> bindingCells(ObjectNode o, long now) {
        JsonNode ref = o.path("roleRef");
        List<String> users = new ArrayList<>();
        List<String> groups = new ArrayList<>();
        List<String> sas = new ArrayList<>();
        for (JsonNode s : o.path("subjects")) {
            switch (text(s.path("kind"))) {
                case "ServiceAccount" -> sas.add(text(s.path("namespace")) + "/" + text(s.path("name")));
                case "User" -> users.add(text(s.path("name")));
                case "Group" -> groups.add(text(s.path("name")));
                default -> {
                }
            }
        }
        return List.of(Cells.name(o), text(ref.path("kind")) + "/" + text(ref.path("name")), Cells.age(o, now),
                String.join(", ", users), String.join(", ", groups), String.join(", ", sas));
    }
}
