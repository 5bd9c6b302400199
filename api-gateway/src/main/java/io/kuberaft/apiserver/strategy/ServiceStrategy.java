package io.kuberaft.apiserver.strategy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.kuberaft.apiserver.registry.DefaultStrategy;
import io.kuberaft.apiserver.registry.ResourceDefinition;
import io.kuberaft.apiserver.registry.Validation;
import io.kuberaft.kubeapi.StatusException.Cause;

import java.net.InetAddress;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * core/v1 Service: defaults (type ClusterIP, sessionAffinity None, TCP ports with targetPort = port, traffic
 * policies, single-stack IPv4 families), validation, and the cluster IP / node ports carried over on update
 * when the client omits them (upstream patchAllocatedValues). Allocation itself is the store-backed
 * {@code ServiceAllocation} admission plugin.
 */
public final class ServiceStrategy extends DefaultStrategy implements Validation.NameIsDns1123Label {
    private static final List<String> TYPES = List.of("ClusterIP", "ExternalName", "LoadBalancer", "NodePort");
    private static final List<String> PROTOCOLS = List.of("SCTP", "TCP", "UDP");

    @Override
    public void prepareForCreate(ResourceDefinition def, ObjectNode obj) {
        defaults(obj, null);
        obj.putObject("status").putObject("loadBalancer");
    }

    @Override
    public void prepareForUpdate(ResourceDefinition def, ObjectNode obj, ObjectNode old) {
        patchAllocatedValues(Json.obj(obj, "spec"), old.path("spec"));
        defaults(obj, old);
    }

    public static boolean headless(JsonNode spec) {
        return "None".equals(spec.path("clusterIP").asText());
    }

    /** ClusterIP, NodePort and LoadBalancer services get a cluster IP unless headless. */
    public static boolean needsClusterIP(JsonNode spec) {
        return !"ExternalName".equals(spec.path("type").asText("ClusterIP")) && !headless(spec);
    }

    /** NodePort services, and LoadBalancer services unless allocateLoadBalancerNodePorts is false. */
    public static boolean needsNodePorts(JsonNode spec) {
        String type = spec.path("type").asText("ClusterIP");
        return type.equals("NodePort") || type.equals("LoadBalancer") && spec.path("allocateLoadBalancerNodePorts").asBoolean(true);
    }

    static void defaults(ObjectNode obj, ObjectNode old) {
        ObjectNode spec = Json.obj(obj, "spec");
        Json.defaultText(spec, "sessionAffinity", "None");
        if (spec.path("sessionAffinity").asText().equals("None")) {
            spec.remove("sessionAffinityConfig");
        } else if (spec.path("sessionAffinity").asText().equals("ClientIP")) {
            Json.defaultInt(Json.obj(Json.obj(spec, "sessionAffinityConfig"), "clientIP"), "timeoutSeconds", 10800);
        }
        Json.defaultText(spec, "type", "ClusterIP");
        String type = spec.path("type").asText();
        for (ObjectNode p : Json.objects(spec, "ports")) {
            Json.defaultText(p, "protocol", "TCP");
            JsonNode target = p.get("targetPort");
            if (target == null || target.isNull() || (target.isNumber() && target.asInt() == 0) || (target.isTextual() && target.asText().isEmpty())) {
                p.set("targetPort", p.path("port").deepCopy());
            }
        }
        boolean external = type.equals("NodePort") || type.equals("LoadBalancer")
                || type.equals("ClusterIP") && spec.path("externalIPs").size() > 0;
        if (external) {
            Json.defaultText(spec, "externalTrafficPolicy", "Cluster");
        }
        if (!spec.hasNonNull("internalTrafficPolicy") && !type.equals("ExternalName")) {
            spec.put("internalTrafficPolicy", "Cluster");
        }
        if (type.equals("LoadBalancer")) {
            Json.defaultBool(spec, "allocateLoadBalancerNodePorts", true);
        }
        // clusterIP and clusterIPs mirror each other (v1 conversion).
        if (Json.blank(spec, "clusterIP") && spec.path("clusterIPs").size() > 0) {
            spec.put("clusterIP", spec.path("clusterIPs").get(0).asText());
        }
        if (!Json.blank(spec, "clusterIP") && spec.path("clusterIPs").size() == 0) {
            spec.putArray("clusterIPs").add(spec.get("clusterIP").asText());
        }
        ipFamilies(spec, old == null ? null : old.path("spec"));
    }

    /** Single-stack IPv4 cluster: upstream's initIPFamilyFields. */
    private static void ipFamilies(ObjectNode spec, JsonNode oldSpec) {
        if (spec.path("type").asText().equals("ExternalName")) {
            spec.remove("ipFamilies");
            spec.remove("ipFamilyPolicy");
            return;
        }
        if (oldSpec != null && !oldSpec.path("type").asText().equals("ExternalName")) {
            if (!spec.hasNonNull("ipFamilyPolicy") && oldSpec.hasNonNull("ipFamilyPolicy")) {
                spec.set("ipFamilyPolicy", oldSpec.get("ipFamilyPolicy").deepCopy());
            }
            if (spec.path("ipFamilies").size() == 0 && oldSpec.path("ipFamilies").size() > 0) {
                spec.set("ipFamilies", oldSpec.get("ipFamilies").deepCopy());
            }
        }
        if (!spec.hasNonNull("ipFamilyPolicy")) {
            boolean selectorlessHeadless = headless(spec) && spec.path("selector").size() == 0;
            spec.put("ipFamilyPolicy", selectorlessHeadless ? "RequireDualStack" : "SingleStack");
        }
        if (spec.path("ipFamilies").size() == 0) {
            spec.putArray("ipFamilies").add("IPv4");
        }
    }

    /** Keeps the cluster IP and node ports a replacing client left out (kubectl replace, PUT of a manifest). */
    private static void patchAllocatedValues(ObjectNode spec, JsonNode oldSpec) {
        ObjectNode probe = spec.deepCopy();
        Json.defaultText(probe, "type", "ClusterIP");
        if (needsClusterIP(oldSpec) && needsClusterIP(probe)) {
            if (Json.blank(spec, "clusterIP") && oldSpec.hasNonNull("clusterIP")) {
                spec.set("clusterIP", oldSpec.get("clusterIP").deepCopy());
            }
            if (spec.path("clusterIPs").size() == 0 && oldSpec.path("clusterIPs").size() > 0) {
                spec.set("clusterIPs", oldSpec.get("clusterIPs").deepCopy());
            }
        }
        if (needsNodePorts(oldSpec) && needsNodePorts(probe)) {
            Set<Integer> usedInBoth = nodePorts(oldSpec);
            usedInBoth.retainAll(nodePorts(spec));
            Map<String, Integer> byName = new HashMap<>();
            for (JsonNode p : oldSpec.path("ports")) {
                byName.put(p.path("name").asText(""), p.path("nodePort").asInt(0));
            }
            for (ObjectNode p : Json.objects(spec, "ports")) {
                if (p.path("nodePort").asInt(0) == 0) {
                    int old = byName.getOrDefault(p.path("name").asText(""), 0);
                    if (old != 0 && !usedInBoth.contains(old)) {
                        p.put("nodePort", old);
                    }
                }
            }
            if (spec.path("healthCheckNodePort").asInt(0) == 0 && oldSpec.path("healthCheckNodePort").asInt(0) != 0
                    && "Local".equals(spec.path("externalTrafficPolicy").asText()) && "LoadBalancer".equals(probe.path("type").asText())) {
                spec.set("healthCheckNodePort", oldSpec.get("healthCheckNodePort").deepCopy());
            }
        }
    }

    private static Set<Integer> nodePorts(JsonNode spec) {
        Set<Integer> out = new HashSet<>();
        spec.path("ports").forEach(p -> {
            if (p.path("nodePort").asInt(0) != 0) {
                out.add(p.path("nodePort").asInt());
            }
        });
        return out;
    }

    @Override
    public List<Cause> validate(ResourceDefinition def, ObjectNode obj) {
        List<Cause> out = new ArrayList<>();
        JsonNode spec = obj.path("spec");
        String type = spec.path("type").asText("");
        if (!TYPES.contains(type)) {
            out.add(Fields.notSupported("spec.type", type, TYPES));
        }
        JsonNode ports = spec.path("ports");
        if (ports.size() == 0 && !headless(spec) && !type.equals("ExternalName")) {
            out.add(Fields.required("spec.ports"));
        }
        if (type.equals("ExternalName")) {
            String name = spec.path("externalName").asText("");
            if (name.isEmpty()) {
                out.add(Fields.required("spec.externalName"));
            } else {
                out.addAll(Fields.dns1123Subdomain("spec.externalName", name.endsWith(".") ? name.substring(0, name.length() - 1) : name));
            }
            if (!Json.blank(spec, "clusterIP") || spec.path("clusterIPs").size() > 0) {
                out.add(Fields.forbidden("spec.clusterIPs", "may not be set for ExternalName services"));
            }
        }
        validateClusterIPs(out, spec);
        Set<String> names = new HashSet<>();
        Set<String> seen = new HashSet<>();
        Set<String> seenNodePorts = new HashSet<>();
        for (int i = 0; i < ports.size(); i++) {
            // get(i) is null for a non-list (a client's type error): validate it as an empty port, never fail
            JsonNode p = ports.path(i);
            String pp = Fields.index("spec.ports", i);
            String name = p.path("name").asText("");
            if (ports.size() > 1 && name.isEmpty()) {
                out.add(Fields.required(pp + ".name"));
            } else if (!name.isEmpty()) {
                out.addAll(Fields.dns1123Label(pp + ".name", name));
                if (!names.add(name)) {
                    out.add(Fields.duplicate(pp + ".name", name));
                }
            }
            Fields.portNumber(out, pp + ".port", p.path("port"));
            String proto = p.path("protocol").asText("");
            if (proto.isEmpty()) {
                out.add(Fields.required(pp + ".protocol"));
            } else if (!PROTOCOLS.contains(proto)) {
                out.add(Fields.notSupported(pp + ".protocol", proto, PROTOCOLS));
            }
            Fields.portNumOrName(out, pp + ".targetPort", p.path("targetPort"));
            if (p.hasNonNull("appProtocol")) {
                out.addAll(Fields.qualifiedName(pp + ".appProtocol", p.get("appProtocol").asText()));
            }
            int nodePort = p.path("nodePort").asInt(0);
            if (type.equals("ClusterIP") && nodePort != 0) {
                out.add(Fields.forbidden(pp + ".nodePort", "may not be used when `type` is 'ClusterIP'"));
            }
            if (nodePort != 0 && !seenNodePorts.add(proto + "/" + nodePort)) {
                out.add(Fields.duplicate(pp + ".nodePort", nodePort));
            }
            if (!seen.add(proto + "/" + p.path("port").asInt())) {
                out.add(Fields.duplicateRendered(pp, "core.ServicePort{Name:\"\", Protocol:" + Fields.quote(proto)
                        + ", AppProtocol:(*string)(nil), Port:" + p.path("port").asInt() + ", TargetPort:intstr.IntOrString{Type:0, IntVal:0, "
                        + "StrVal:\"\"}, NodePort:0}"));
            }
        }
        String affinity = spec.path("sessionAffinity").asText("");
        if (!affinity.equals("None") && !affinity.equals("ClientIP")) {
            out.add(Fields.notSupported("spec.sessionAffinity", affinity, List.of("ClientIP", "None")));
        }
        if (affinity.equals("ClientIP")) {
            long t = spec.path("sessionAffinityConfig").path("clientIP").path("timeoutSeconds").asLong(10800);
            if (t <= 0 || t > 86400) {
                out.add(Fields.invalid("spec.sessionAffinityConfig.clientIP.timeoutSeconds", t, "must be greater than 0 and less than 86400"));
            }
        }
        Fields.labels(out, "spec.selector", spec.path("selector"));
        String etp = spec.path("externalTrafficPolicy").asText("");
        boolean external = type.equals("NodePort") || type.equals("LoadBalancer") || spec.path("externalIPs").size() > 0;
        if (!etp.isEmpty()) {
            if (!external) {
                out.add(Fields.invalid("spec.externalTrafficPolicy", etp, "may only be set for externally-accessible services"));
            } else if (!etp.equals("Cluster") && !etp.equals("Local")) {
                out.add(Fields.notSupported("spec.externalTrafficPolicy", etp, List.of("Cluster", "Local")));
            }
        }
        String itp = spec.path("internalTrafficPolicy").asText("");
        if (!itp.isEmpty() && !itp.equals("Cluster") && !itp.equals("Local")) {
            out.add(Fields.notSupported("spec.internalTrafficPolicy", itp, List.of("Cluster", "Local")));
        }
        if (spec.path("healthCheckNodePort").asInt(0) != 0 && !(type.equals("LoadBalancer") && etp.equals("Local"))) {
            out.add(Fields.invalid("spec.healthCheckNodePort", spec.get("healthCheckNodePort"),
                    "may only be set when `type` is 'LoadBalancer' and `externalTrafficPolicy` is 'Local'"));
        }
        if (spec.has("allocateLoadBalancerNodePorts") && !type.equals("LoadBalancer")) {
            out.add(Fields.forbidden("spec.allocateLoadBalancerNodePorts", "may only be used when `type` is 'LoadBalancer'"));
        }
        String policy = spec.path("ipFamilyPolicy").asText("");
        if (!policy.isEmpty() && !List.of("SingleStack", "PreferDualStack", "RequireDualStack").contains(policy)) {
            out.add(Fields.notSupported("spec.ipFamilyPolicy", policy, List.of("PreferDualStack", "RequireDualStack", "SingleStack")));
        } else if (policy.equals("RequireDualStack") && !headless(spec)) {
            out.add(Fields.invalid("spec.ipFamilyPolicy", policy, "this cluster is not configured for dual-stack services"));
        }
        JsonNode families = spec.path("ipFamilies");
        for (int i = 0; i < families.size(); i++) {
            String f = families.get(i).asText();
            if (!f.equals("IPv4") && !f.equals("IPv6")) {
                out.add(Fields.notSupported(Fields.index("spec.ipFamilies", i), f, List.of("IPv4", "IPv6")));
            } else if (f.equals("IPv6")) {
                out.add(Fields.invalid(Fields.index("spec.ipFamilies", i), f, "not configured on this cluster"));
            }
        }
        JsonNode externalIPs = spec.path("externalIPs");
        for (int i = 0; i < externalIPs.size(); i++) {
            if (!isIP(externalIPs.get(i).asText())) {
                out.add(Fields.invalid(Fields.index("spec.externalIPs", i), externalIPs.get(i).asText(),
                        "must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)"));
            }
        }
        return out;
    }

    private static void validateClusterIPs(List<Cause> out, JsonNode spec) {
        JsonNode ips = spec.path("clusterIPs");
        String ip = spec.path("clusterIP").asText("");
        if (ips.size() > 0 && !ip.isEmpty() && !ips.get(0).asText().equals(ip)) {
            out.add(Fields.invalidRendered("spec.clusterIPs", Fields.goStringSlice(ips), "first value must match `clusterIP`"));
        }
        for (int i = 0; i < ips.size(); i++) {
            String v = ips.get(i).asText("");
            if (v.equals("None")) {
                if (i > 0 || ips.size() > 1) {
                    out.add(Fields.invalidRendered("spec.clusterIPs", Fields.goStringSlice(ips), "'None' must be the first and only value"));
                }
            } else if (!isIP(v)) {
                out.add(Fields.invalid(Fields.index("spec.clusterIPs", i), v, "must be empty, 'None', or a valid IP address"));
            }
        }
        if (ips.size() > 1) {
            out.add(Fields.invalidRendered("spec.clusterIPs", Fields.goStringSlice(ips), "may only hold up to 1 values"));
        }
    }

    public static boolean isIP(String s) {
        if (s.isEmpty() || !s.matches("[0-9a-fA-F.:]+")) {
            return false;
        }
        if (s.contains(".") && !s.contains(":")) {
            String[] parts = s.split("\\.", -1);
            if (parts.length != 4) {
                return false;
            }
            for (String p : parts) {
                if (!p.matches("[0-9]{1,3}") || Integer.parseInt(p) > 255 || (p.length() > 1 && p.startsWith("0"))) {
                    return false;
                }
            }
            return true;
        }
        try {
            InetAddress.getByName(s);
            return true;
        } catch (Exception e) {
            return false;
        }
    }

    @Override
    public List<Cause> validateUpdate(ResourceDefinition def, ObjectNode obj, ObjectNode old) {
        List<Cause> out = validate(def, obj);
        JsonNode spec = obj.path("spec");
        JsonNode before = old.path("spec");
        boolean externalName = "ExternalName".equals(spec.path("type").asText()) || "ExternalName".equals(before.path("type").asText());
        if (!externalName && !(headless(spec) && headless(before))) {
            JsonNode now = spec.path("clusterIPs");
            JsonNode was = before.path("clusterIPs");
            for (int i = 0; i < Math.min(now.size(), was.size()); i++) {
                if (!Json.same(now.get(i), was.get(i))) {
                    out.add(Fields.invalidRendered(Fields.index("spec.clusterIPs", i), Fields.goStringSlice(now), "may not change once set"));
                }
            }
            if (now.size() == 0 && was.size() > 0 && needsClusterIP(spec)) {
                out.add(Fields.invalidRendered("spec.clusterIPs[0]", Fields.goStringSlice(now), "may not change once set"));
            }
        }
        return out;
    }

    @Override
    public String fieldValue(ObjectNode obj, String field) {
        return switch (field) {
            case "spec.clusterIP", "spec.type" -> obj.path("spec").path(field.substring(5)).asText("");
            default -> super.fieldValue(obj, field);
        };
    }
}
