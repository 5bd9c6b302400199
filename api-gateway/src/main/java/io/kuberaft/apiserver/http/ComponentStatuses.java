package io.kuberaft.apiserver.http;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.kuberaft.apiserver.registry.Objects;
import io.kuberaft.apiserver.registry.ResourceDefinition;
import io.kuberaft.apiserver.table.Tables;
import io.kuberaft.kubeapi.StatusException;
import io.kuberaft.raftstore.ClusterView;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;

/**
 * {@code componentstatuses} ({@code kubectl get cs}): computed on every request from what this replica knows of its
 * Raft group, never stored, as upstream probes its components. {@code scheduler} and {@code controller-manager} run
 * on the Raft leader, so they are Healthy while a leader is known; {@code etcd-<i>} is the i-th replica (by name), Healthy
 * when this replica, or for a follower its leader, heard from it over Raft within {@link #STALE_AFTER_MS} (a follower asks
 * its leader; when that fails the other followers are Unknown on it).
 */
public final class ComponentStatuses {
    /** A replica Raft has not heard from for this long is Unhealthy (a few election timeouts). */
    static final long STALE_AFTER_MS = 5_000;
    static final String DEPRECATED = "v1 ComponentStatus is deprecated in v1.19+";

    private final ClusterView view;

    public ComponentStatuses(ClusterView view) {
        this.view = view;
    }

    public static boolean handles(RequestInfo info) {
        return info != null && info.group().isEmpty() && info.version().equals("v1") && info.resource().equals("componentstatuses")
                && info.subresource() == null;
    }

    /** get and list ({@code def} is resolved, so other verbs were already refused); labels and fields are ignored, as upstream. */
    public Reply handle(RequestInfo info, ResourceDefinition def, String accept) {
        List<ObjectNode> all = statuses();
        List<ObjectNode> items = info.name() == null ? all
                : all.stream().filter(o -> Objects.name(o).equals(info.name())).toList();
        if (info.name() != null && items.isEmpty()) {
            throw StatusException.notFound(def.group(), def.plural(), info.name());
        }
        if (MediaTypes.wantsTable(accept)) {
            return Reply.ok(Tables.table(def, items, null, null, true, false)).withWarnings(List.of(DEPRECATED));
        }
        if (info.name() != null) {
            return Reply.ok(items.get(0)).withWarnings(List.of(DEPRECATED));
        }
        ObjectNode list = Objects.JSON.createObjectNode();
        list.put("kind", "ComponentStatusList").put("apiVersion", "v1");
        list.putObject("metadata");
        ArrayNode array = list.putArray("items");
        items.forEach(array::add);
        return Reply.ok(list).withWarnings(List.of(DEPRECATED));
    }

    List<ObjectNode> statuses() {
        List<ObjectNode> out = new ArrayList<>();
        boolean leader = view.leaderId() != 0;
        String noLeader = leader ? "" : "no Raft leader is known to replica " + view.replicaId() + ": the controllers run only on the leader";
        out.add(status("scheduler", leader ? "True" : "False", leader ? "ok" : "", noLeader));
        out.add(status("controller-manager", leader ? "True" : "False", leader ? "ok" : "", noLeader));
        Map<String, Long> contact = view.lastContactMillis();
        List<String> names = view.members().stream().map(ClusterView.Member::name).sorted(Comparator.naturalOrder()).toList();
        for (int i = 0; i < names.size(); i++) {
            String replica = names.get(i);
            Long ms = contact.get(replica);
            ObjectNode s;
            if (replica.equals(view.replicaId())) {
                s = leader ? status("etcd-" + i, "True", "ok", "")
                        : status("etcd-" + i, "False", "", "replica " + replica + " knows no Raft leader");
            } else if (ms == null) {
                s = status("etcd-" + i, "Unknown", "", "replica " + view.replicaId() + " is a follower and could not ask its leader: "
                        + "ask again to reach the leader");
            } else if (ms <= STALE_AFTER_MS) {
                s = status("etcd-" + i, "True", "ok", "");
            } else {
                s = status("etcd-" + i, "False", "", "replica " + replica + " has not answered Raft for " + ms / 1000 + "s");
            }
            out.add(s);
        }
        return out;
    }

    private static ObjectNode status(String name, String healthy, String message, String error) {
        ObjectNode o = Objects.JSON.createObjectNode();
        o.put("kind", "ComponentStatus").put("apiVersion", "v1");
        o.putObject("metadata").put("name", name);
        ObjectNode c = o.putArray("conditions").addObject();
        c.put("type", "Healthy").put("status", healthy);
        if (!message.isEmpty()) {
            c.put("message", message);
        }
        if (!error.isEmpty()) {
            c.put("error", error);
        }
        return o;
    }
}
