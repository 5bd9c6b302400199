package io.kuberaft.apiserver.table;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.TreeMap;

import static io.kuberaft.apiserver.table.Cells.text;

/**
 * Core (v1) kinds other than pods, nodes and events: namespaces, services, endpoints, config maps,
 * secrets, service accounts, resource quotas, component statuses and pod templates. Limit ranges
 * have no printer upstream and use {@link RowTable#CREATED_AT}.
 */
final class CoreTables {
    private CoreTables() {
    }

    static final TableConvertor NAMESPACE = new RowTable(List.of(
            Columns.NAME,
            Columns.col("Status", "string", "The status of the namespace"),
            Columns.AGE),
            // a namespace is Active from its creation
            (o, now) -> List.of(Cells.name(o), text(o.path("status").path("phase"), "Active"), Cells.age(o, now)));

    static final TableConvertor SERVICE = new RowTable(List.of(
            Columns.NAME,
            Columns.col("Type", "string", SwaggerDocs.SERVICE_SPEC_TYPE),
            Columns.col("Cluster-IP", "string", SwaggerDocs.SERVICE_SPEC_CLUSTER_IP),
            Columns.col("External-IP", "string", SwaggerDocs.SERVICE_SPEC_EXTERNAL_IPS),
            Columns.col("Port(s)", "string", SwaggerDocs.SERVICE_SPEC_PORTS),
            Columns.AGE,
            Columns.wide("Selector", "string", SwaggerDocs.SERVICE_SPEC_SELECTOR)),
            CoreTables::serviceCells);

    static final TableConvertor ENDPOINTS = new RowTable(List.of(
            Columns.NAME,
            Columns.col("Endpoints", "string", SwaggerDocs.ENDPOINTS_SUBSETS),
            Columns.AGE),
            (o, now) -> List.of(Cells.name(o), formatEndpoints(o.path("subsets")), Cells.age(o, now)));

    static final TableConvertor CONFIG_MAP = new RowTable(List.of(
            Columns.NAME,
            Columns.col("Data", "string", SwaggerDocs.CONFIG_MAP_DATA),
            Columns.AGE),
            (o, now) -> List.of(Cells.name(o), (long) (Cells.size(o.path("data")) + Cells.size(o.path("binaryData"))),
                    Cells.age(o, now)));

    static final TableConvertor SECRET = new RowTable(List.of(
            Columns.NAME,
            Columns.col("Type", "string", SwaggerDocs.SECRET_TYPE),
            Columns.col("Data", "string", SwaggerDocs.SECRET_DATA),
            Columns.AGE),
            (o, now) -> List.of(Cells.name(o), text(o.path("type"), "Opaque"), secretDataCount(o), Cells.age(o, now)));

    static final TableConvertor SERVICE_ACCOUNT = new RowTable(List.of(
            Columns.NAME,
            Columns.col("Secrets", "string", SwaggerDocs.SERVICE_ACCOUNT_SECRETS),
            Columns.AGE),
            (o, now) -> List.of(Cells.name(o), (long) Cells.size(o.path("secrets")), Cells.age(o, now)));

    static final TableConvertor RESOURCE_QUOTA = new RowTable(List.of(
            Columns.NAME,
            Columns.col("Request", "string", "Request represents a minimum amount of cpu/memory that a container may consume."),
            Columns.col("Limit", "string", "Limits control the maximum amount of cpu/memory that a container may use independent of contention on the node."),
            Columns.AGE),
            CoreTables::resourceQuotaCells);

    static final TableConvertor COMPONENT_STATUS = new RowTable(List.of(
            Columns.NAME,
            Columns.col("Status", "string", "Status of the component conditions"),
            Columns.col("Message", "string", "Message of the component conditions"),
            Columns.col("Error", "string", "Error of the component conditions")),
            (o, now) -> {
                String status = "Unknown";
                String message = "";
                String error = "";
                for (JsonNode c : o.path("conditions")) {
                    if ("Healthy".equals(text(c.path("type")))) {
                        status = "True".equals(text(c.path("status"))) ? "Healthy" : "Unhealthy";
                        message = text(c.path("message"));
                        error = text(c.path("error"));
                        break;
                    }
                }
                return List.of(Cells.name(o), status, message, error);
            });

    static final TableConvertor POD_TEMPLATE = new RowTable(List.of(
            Columns.NAME,
            Columns.col("Containers", "string", Columns.CONTAINERS_DOC),
            Columns.col("Images", "string", Columns.IMAGES_DOC),
            Columns.col("Pod Labels", "string", "The labels for the pod template.")),
            (o, now) -> {
                JsonNode containers = o.path("template").path("spec").path("containers");
                return List.of(Cells.name(o), Cells.containerNames(containers), Cells.containerImages(containers),
                        Cells.labels(o.path("template").path("metadata").path("labels")));
            });

    // ---- services -----------------------------------------------------------------------------------

    static List<Object> serviceCells(ObjectNode svc, long now) {
        JsonNode spec = svc.path("spec");
        String type = text(spec.path("type"), "ClusterIP");
        String clusterIP = Cells.NONE;
        if (spec.path("clusterIPs").size() > 0) {
            clusterIP = text(spec.path("clusterIPs").get(0));
        } else if (!text(spec.path("clusterIP")).isEmpty()) {
            // the apiserver mirrors clusterIP into clusterIPs; accept objects written without it
            clusterIP = text(spec.path("clusterIP"));
        }
        String ports = Cells.servicePorts(spec.path("ports"));
        return List.of(Cells.name(svc), type, clusterIP, externalIP(svc, type), ports.isEmpty() ? Cells.NONE : ports,
                Cells.age(svc, now), Cells.labels(spec.path("selector")));
    }

    static String externalIP(JsonNode svc, String type) {
        List<String> externalIPs = Cells.strings(svc.path("spec").path("externalIPs"));
        switch (type) {
            case "ClusterIP", "NodePort" -> {
                return externalIPs.isEmpty() ? Cells.NONE : String.join(",", externalIPs);
            }
            case "LoadBalancer" -> {
                String lb = Cells.loadBalancerIngress(svc.path("status").path("loadBalancer").path("ingress"));
                if (!externalIPs.isEmpty()) {
                    List<String> results = new ArrayList<>();
                    if (!lb.isEmpty()) {
                        results.addAll(List.of(lb.split(",")));
                    }
                    results.addAll(externalIPs);
                    return String.join(",", results);
                }
                return lb.isEmpty() ? "<pending>" : lb;
            }
            case "ExternalName" -> {
                return text(svc.path("spec").path("externalName"));
            }
            default -> {
                return Cells.UNKNOWN;
            }
        }
    }

    /** "ip:port,..." over every subset and port, at most three then " + N more...", {@code <none>} if no subsets. */
    static String formatEndpoints(JsonNode subsets) {
        if (subsets.size() == 0) {
            return Cells.NONE;
        }
        List<String> list = new ArrayList<>();
        int max = 3;
        boolean more = false;
        int count = 0;
        for (JsonNode ss : subsets) {
            JsonNode addresses = ss.path("addresses");
            if (ss.path("ports").size() == 0) {
                // headless services may have no ports
                count += addresses.size();
                for (JsonNode a : addresses) {
                    if (list.size() == max) {
                        more = true;
                        break;
                    }
                    list.add(text(a.path("ip")));
                }
                continue;
            }
            for (JsonNode port : ss.path("ports")) {
                count += addresses.size();
                for (JsonNode a : addresses) {
                    if (list.size() == max) {
                        more = true;
                        break;
                    }
                    list.add(Cells.joinHostPort(text(a.path("ip")), Cells.integer(port.path("port"), 0)));
                }
            }
        }
        String ret = String.join(",", list);
        return more ? ret + " + " + (count - max) + " more..." : ret;
    }

    // ---- secrets, quotas ----------------------------------------------------------------------------

    /** len(data): stringData keys are merged into data on write. */
    static long secretDataCount(JsonNode secret) {
        Set<String> keys = new HashSet<>();
        secret.path("data").fieldNames().forEachRemaining(keys::add);
        secret.path("stringData").fieldNames().forEachRemaining(keys::add);
        return keys.size();
    }

    static List<Object> resourceQuotaCells(ObjectNode quota, long now) {
        JsonNode hard = quota.path("status").path("hard");
        JsonNode used = quota.path("status").path("used");
        TreeMap<String, String> sorted = new TreeMap<>();
        hard.fields().forEachRemaining(e -> sorted.put(e.getKey(), text(e.getValue())));
        StringBuilder request = new StringBuilder();
        StringBuilder limit = new StringBuilder();
        sorted.forEach((resource, hardValue) -> {
            String[] pieces = resource.split("\\.");
            StringBuilder w = pieces.length > 1 && pieces[0].equals("limits") ? limit : request;
            if (!w.isEmpty()) {
                w.append(", ");
            }
            w.append(resource).append(": ").append(Cells.quantity(used.path(resource)))
                    .append('/').append(Quantities.canonical(hardValue));
        });
        return List.of(Cells.name(quota), request.toString(), limit.toString(), Cells.age(quota, now));
    }
}
