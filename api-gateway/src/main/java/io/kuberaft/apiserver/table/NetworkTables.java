package io.kuberaft.apiserver.table;

import com.fasterxml.jackson.databind.JsonNode;

import java.util.ArrayList;
import java.util.List;

import static io.kuberaft.apiserver.table.Cells.text;

/** networking.k8s.io and discovery.k8s.io kinds: ingresses, ingress classes, network policies, endpoint slices. */
final class NetworkTables {
    private NetworkTables() {
    }

    static final TableConvertor INGRESS = new RowTable(List.of(
            Columns.NAME,
            Columns.col("Class", "string", "The name of the IngressClass resource that should be used for additional configuration"),
            Columns.col("Hosts", "string", "Hosts that incoming requests are matched against before the ingress rule"),
            Columns.col("Address", "string", "Address is a list containing ingress points for the load-balancer"),
            Columns.col("Ports", "string", "Ports of TLS configurations that open"),
            Columns.AGE),
            (o, now) -> {
                JsonNode spec = o.path("spec");
                return List.of(Cells.name(o), text(spec.path("ingressClassName"), Cells.NONE), hosts(spec.path("rules")),
                        Cells.loadBalancerIngress(o.path("status").path("loadBalancer").path("ingress")),
                        spec.path("tls").size() != 0 ? "80, 443" : "80", Cells.age(o, now));
            });

    static final TableConvertor INGRESS_CLASS = new RowTable(List.of(
            Columns.NAME,
            Columns.col("Controller", "string", "Controller that is responsible for handling this class"),
            Columns.col("Parameters", "string", "A reference to a resource with additional parameters"),
            Columns.AGE),
            (o, now) -> {
                JsonNode p = o.path("spec").path("parameters");
                String parameters = Cells.NONE;
                if (p.isObject()) {
                    parameters = text(p.path("kind"));
                    if (p.path("apiGroup").isTextual()) {
                        parameters += "." + p.path("apiGroup").asText();
                    }
                    parameters += "/" + text(p.path("name"));
                }
                return List.of(Cells.name(o), text(o.path("spec").path("controller")), parameters, Cells.age(o, now));
            });

    static final TableConvertor NETWORK_POLICY = new RowTable(List.of(
            Columns.NAME,
            Columns.col("Pod-Selector", "string", SwaggerDocs.NETWORK_POLICY_SPEC_POD_SELECTOR),
            Columns.AGE),
            (o, now) -> List.of(Cells.name(o), Cells.labelSelector(o.path("spec").path("podSelector")), Cells.age(o, now)));

    static final TableConvertor ENDPOINT_SLICE = new RowTable(List.of(
            Columns.NAME,
            Columns.col("AddressType", "string", SwaggerDocs.ENDPOINT_SLICE_ADDRESS_TYPE),
            Columns.col("Ports", "string", SwaggerDocs.ENDPOINT_SLICE_PORTS),
            Columns.col("Endpoints", "string", SwaggerDocs.ENDPOINT_SLICE_ENDPOINTS),
            Columns.AGE),
            (o, now) -> List.of(Cells.name(o), text(o.path("addressType")), slicePorts(o.path("ports")),
                    sliceEndpoints(o.path("endpoints")), Cells.age(o, now)));

    /** The first three rule hosts, then " + N more..."; {@code *} when no rule names a host. */
    static String hosts(JsonNode rules) {
        List<String> list = new ArrayList<>();
        int max = 3;
        boolean more = false;
        for (JsonNode rule : rules) {
            if (list.size() == max) {
                more = true;
            }
            String host = text(rule.path("host"));
            if (!more && !host.isEmpty()) {
                list.add(host);
            }
        }
        if (list.isEmpty()) {
            return "*";
        }
        String ret = String.join(",", list);
        return more ? ret + " + " + (rules.size() - max) + " more..." : ret;
    }

    static String slicePorts(JsonNode ports) {
        List<String> list = new ArrayList<>();
        int max = 3;
        boolean more = false;
        int count = 0;
        for (JsonNode port : ports) {
            if (list.size() < max) {
                String num = "*";
                if (port.path("port").isNumber()) {
                    num = Long.toString(port.path("port").asLong());
                } else if (port.path("name").isTextual()) {
                    num = port.path("name").asText();
                }
                list.add(num);
            } else if (list.size() == max) {
                more = true;
            }
            count++;
        }
        return Cells.listWithMore(list, more, count, max);
    }

    static String sliceEndpoints(JsonNode endpoints) {
        List<String> list = new ArrayList<>();
        int max = 3;
        boolean more = false;
        int count = 0;
        for (JsonNode endpoint : endpoints) {
            for (JsonNode address : endpoint.path("addresses")) {
                if (list.size() < max) {
                    list.add(text(address));
                } else if (list.size() == max) {
                    more = true;
                }
                count++;
            }
        }
        return Cells.listWithMore(list, more, count, max);
    }
}
