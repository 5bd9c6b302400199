package io.kuberaft.apiserver.strategy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.kuberaft.apiserver.registry.DefaultStrategy;
import io.kuberaft.apiserver.registry.ResourceDefinition;
import io.kuberaft.kubeapi.StatusException.Cause;

import java.util.ArrayList;
import java.util.List;

/** core/v1 Endpoints and discovery.k8s.io/v1 EndpointSlices: TCP ports by default, addresses and ports checked. */
public final class EndpointsStrategy extends DefaultStrategy {
    private static final List<String> ADDRESS_TYPES = List.of("FQDN", "IPv4", "IPv6");
    private final boolean slice;

    public EndpointsStrategy(boolean slice) {
        this.slice = slice;
    }

    /** upstream's EndpointSlice strategy counts changes of endpoints, ports and labels; Endpoints have no generation. */
    @Override
    public Generation generation() {
        return slice ? Generation.SPEC_AND_LABELS : Generation.NONE;
    }

    @Override
    public void prepareForCreate(ResourceDefinition def, ObjectNode obj) {
        defaults(obj);
    }

    @Override
    public void prepareForUpdate(ResourceDefinition def, ObjectNode obj, ObjectNode old) {
        defaults(obj);
    }

    private void defaults(ObjectNode obj) {
        if (slice) {
            for (ObjectNode p : Json.objects(obj, "ports")) {
                Json.defaultText(p, "protocol", "TCP");
            }
        } else {
            for (ObjectNode subset : Json.objects(obj, "subsets")) {
                for (ObjectNode p : Json.objects(subset, "ports")) {
                    Json.defaultText(p, "protocol", "TCP");
                }
            }
        }
    }

    @Override
    public List<Cause> validate(ResourceDefinition def, ObjectNode obj) {
        List<Cause> out = new ArrayList<>();
        if (slice) {
            String type = obj.path("addressType").asText("");
            if (type.isEmpty()) {
                out.add(Fields.required("addressType"));
            } else if (!ADDRESS_TYPES.contains(type)) {
                out.add(Fields.notSupported("addressType", type, ADDRESS_TYPES));
            }
            JsonNode eps = obj.path("endpoints");
            for (int i = 0; i < eps.size(); i++) {
                if (eps.get(i).path("addresses").size() == 0) {
                    out.add(Fields.required(Fields.index("endpoints", i) + ".addresses", "must contain at least 1 address"));
                }
            }
            ports(out, obj.path("ports"), "ports", false);
            return out;
        }
        JsonNode subsets = obj.path("subsets");
        for (int i = 0; i < subsets.size(); i++) {
            String sp = Fields.index("subsets", i);
            JsonNode s = subsets.path(i);
            if (s.path("addresses").size() == 0 && s.path("notReadyAddresses").size() == 0) {
                out.add(Fields.required(sp, "must specify `addresses` or `notReadyAddresses`"));
            }
            for (String kind : new String[] {"addresses", "notReadyAddresses"}) {
                JsonNode addrs = s.path(kind);
                for (int j = 0; j < addrs.size(); j++) {
                    String ip = addrs.get(j).path("ip").asText("");
                    if (!ServiceStrategy.isIP(ip)) {
                        out.add(Fields.invalid(Fields.index(sp + "." + kind, j) + ".ip", ip, "must be a valid IP address"));
                    }
                }
            }
            ports(out, s.path("ports"), sp + ".ports", true);
        }
        return out;
    }

    private static void ports(List<Cause> out, JsonNode ports, String path, boolean requireName) {
        for (int i = 0; i < ports.size(); i++) {
            String pp = Fields.index(path, i);
            JsonNode p = ports.path(i);
            String name = p.path("name").asText("");
            if (requireName && ports.size() > 1 && name.isEmpty()) {
                out.add(Fields.required(pp + ".name"));
            } else if (!name.isEmpty()) {
                out.addAll(Fields.dns1123Label(pp + ".name", name));
            }
            if (p.has("port")) {
                Fields.portNumber(out, pp + ".port", p.path("port"));
            }
            String proto = p.path("protocol").asText("");
            if (!List.of("SCTP", "TCP", "UDP").contains(proto)) {
                out.add(Fields.notSupported(pp + ".protocol", proto, List.of("SCTP", "TCP", "UDP")));
            }
        }
    }
}
