package io.kuberaft.apiserver.strategy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.kuberaft.apiserver.registry.DefaultStrategy;
import io.kuberaft.apiserver.registry.ResourceDefinition;
import io.kuberaft.kubeapi.StatusException.Cause;

import java.util.ArrayList;
import java.util.List;

/** networking.k8s.io/v1: Ingress (paths, backends, status.loadBalancer) and NetworkPolicy (policyTypes, ports). */
public final class NetworkingStrategies {
    private NetworkingStrategies() {
    }

    public static final class IngressStrategy extends DefaultStrategy {
        @Override
        public Generation generation() {
            return Generation.SPEC;
        }

        private static final List<String> PATH_TYPES = List.of("Exact", "ImplementationSpecific", "Prefix");

        @Override
        public void prepareForCreate(ResourceDefinition def, ObjectNode obj) {
            obj.putObject("status").putObject("loadBalancer");
        }

        @Override
        public List<Cause> validate(ResourceDefinition def, ObjectNode obj) {
            List<Cause> out = new ArrayList<>();
            JsonNode spec = obj.path("spec");
            JsonNode rules = spec.path("rules");
            if (rules.size() == 0 && !spec.has("defaultBackend")) {
                out.add(Fields.invalidRendered("spec", "networking.IngressSpec{...}", "either `defaultBackend` or `rules` must be specified"));
            }
            if (spec.has("defaultBackend")) {
                backend(out, spec.path("defaultBackend"), "spec.defaultBackend");
            }
            for (int i = 0; i < rules.size(); i++) {
                String rp = Fields.index("spec.rules", i);
                String host = rules.get(i).path("host").asText("");
                if (!host.isEmpty()) {
                    String check = host.startsWith("*.") ? host.substring(2) : host;
                    if (!Fields.dns1123Subdomain(rp + ".host", check).isEmpty()) {
                        out.add(Fields.invalid(rp + ".host", host, "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric "
                                + "characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used "
                                + "for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')"));
                    }
                }
                JsonNode paths = rules.get(i).path("http").path("paths");
                if (rules.get(i).has("http") && paths.size() == 0) {
                    out.add(Fields.required(rp + ".http.paths"));
                }
                for (int j = 0; j < paths.size(); j++) {
                    String pp = Fields.index(rp + ".http.paths", j);
                    JsonNode path = paths.get(j);
                    String type = path.path("pathType").asText("");
                    if (type.isEmpty()) {
                        out.add(Fields.required(pp + ".pathType", "pathType must be specified"));
                    } else if (!PATH_TYPES.contains(type)) {
                        out.add(Fields.notSupported(pp + ".pathType", type, PATH_TYPES));
                    }
                    String p = path.path("path").asText("");
                    if ((type.equals("Exact") || type.equals("Prefix")) && !p.startsWith("/")) {
                        out.add(Fields.invalid(pp + ".path", p, "must be an absolute path"));
                    }
                    backend(out, path.path("backend"), pp + ".backend");
                }
            }
            return out;
        }

        /** Upstream's validateIngressBackend. */
        private static void backend(List<Cause> out, JsonNode b, String path) {
            boolean service = b.hasNonNull("service");
            boolean resource = b.hasNonNull("resource");
            if (service && resource) {
                out.add(Fields.invalid(path, "", "cannot set both resource and service backends"));
            } else if (resource) {
                JsonNode r = b.path("resource");
                if (r.path("kind").asText("").isEmpty()) {
                    out.add(Fields.required(path + ".resource.kind"));
                }
                if (r.path("name").asText("").isEmpty()) {
                    out.add(Fields.required(path + ".resource.name"));
                }
            } else if (service) {
                JsonNode svc = b.path("service");
                String name = svc.path("name").asText("");
                if (name.isEmpty()) {
                    out.add(Fields.required(path + ".service.name"));
                } else {
                    out.addAll(Fields.dns1123Label(path + ".service.name", name));
                }
                JsonNode port = svc.path("port");
                boolean hasName = !port.path("name").asText("").isEmpty();
                boolean hasNumber = port.path("number").asInt(0) != 0;
                if (hasName && hasNumber) {
                    out.add(Fields.invalid(path, "", "cannot set both port name & port number"));
                } else if (hasName) {
                    out.addAll(Fields.portName(path + ".service.port.name", port.path("name").asText()));
                } else if (hasNumber) {
                    Fields.portNumber(out, path + ".service.port.number", port.path("number"));
                } else {
                    out.add(Fields.required(path, "port name or number is required"));
                }
            } else {
                out.add(Fields.invalid(path, "", "resource or service backend is required"));
            }
        }
    }

    public static final class NetworkPolicyStrategy extends DefaultStrategy {
        @Override
        public Generation generation() {
            return Generation.SPEC;
        }

        @Override
        public void prepareForCreate(ResourceDefinition def, ObjectNode obj) {
            defaults(obj);
        }

        @Override
        public void prepareForUpdate(ResourceDefinition def, ObjectNode obj, ObjectNode old) {
            defaults(obj);
        }

        private static void defaults(ObjectNode obj) {
            ObjectNode spec = Json.obj(obj, "spec");
            Json.obj(spec, "podSelector");
            if (spec.path("policyTypes").size() == 0) {
                ArrayNode types = spec.putArray("policyTypes");
                types.add("Ingress");
                if (spec.path("egress").size() > 0) {
                    types.add("Egress");
                }
            }
            for (String dir : new String[] {"ingress", "egress"}) {
                for (ObjectNode rule : Json.objects(spec, dir)) {
                    for (ObjectNode p : Json.objects(rule, "ports")) {
                        Json.defaultText(p, "protocol", "TCP");
                    }
                }
            }
        }

        @Override
        public List<Cause> validate(ResourceDefinition def, ObjectNode obj) {
            List<Cause> out = new ArrayList<>();
            JsonNode spec = obj.path("spec");
            Fields.labelSelector(out, "spec.podSelector", spec.path("podSelector"));
            JsonNode types = spec.path("policyTypes");
            for (int i = 0; i < types.size(); i++) {
                String t = types.get(i).asText();
                if (!t.equals("Ingress") && !t.equals("Egress")) {
                    out.add(Fields.notSupported(Fields.index("spec.policyTypes", i), t, List.of("Egress", "Ingress")));
                }
            }
            return out;
        }
    }

    /** IngressClass: a domain-prefixed controller (immutable) and an optional reference to its parameters. */
    public static final class IngressClassStrategy extends DefaultStrategy {
        @Override
        public Generation generation() {
            return Generation.SPEC;
        }

        static final int MAX_CONTROLLER = 250;
        private static final java.util.regex.Pattern HTTP_PATH = java.util.regex.Pattern.compile("[A-Za-z0-9/\\-._~%!$&'()*+,;=:]+");

        /** The v1 default: a parameters reference without scope is cluster-scoped. */
        private static void defaults(ObjectNode obj) {
            if (obj.path("spec").path("parameters") instanceof ObjectNode params && !params.has("scope")) {
                params.put("scope", "Cluster");
            }
        }

        @Override
        public void prepareForCreate(ResourceDefinition def, ObjectNode obj) {
            defaults(obj);
        }

        @Override
        public void prepareForUpdate(ResourceDefinition def, ObjectNode obj, ObjectNode old) {
            defaults(obj);
        }

        @Override
        public List<Cause> validate(ResourceDefinition def, ObjectNode obj) {
            List<Cause> out = new ArrayList<>();
            String controller = obj.path("spec").path("controller").asText("");
            if (controller.length() > MAX_CONTROLLER) {
                out.add(Fields.tooLong("spec.controller", MAX_CONTROLLER));
            }
            domainPrefixedPath(out, "spec.controller", controller);
            JsonNode params = obj.path("spec").path("parameters");
            if (params.isObject()) {
                parameters(out, "spec.parameters", params);
            }
            return out;
        }

        @Override
        public List<Cause> validateUpdate(ResourceDefinition def, ObjectNode obj, ObjectNode old) {
            List<Cause> out = new ArrayList<>();
            if (!Json.same(obj.path("spec").path("controller"), old.path("spec").path("controller"))) {
                out.add(Fields.invalid("spec.controller", obj.path("spec").path("controller").asText(""), Fields.IMMUTABLE));
            }
            out.addAll(validate(def, obj));
            return out;
        }

        /** upstream's IsDomainPrefixedPath ("acme.io/foo"). */
        static void domainPrefixedPath(List<Cause> out, String field, String value) {
            if (value.isEmpty()) {
                out.add(Fields.required(field));
                return;
            }
            int slash = value.indexOf('/');
            if (slash <= 0 || slash == value.length() - 1) {
                out.add(Fields.invalid(field, value, "must be a domain-prefixed path (such as \"acme.io/foo\")"));
                return;
            }
            out.addAll(Fields.dns1123Subdomain(field, value.substring(0, slash)));
            String path = value.substring(slash + 1);
            if (!HTTP_PATH.matcher(path).matches()) {
                out.add(Fields.invalid(field, path, "Invalid path (regex used for validation is '" + HTTP_PATH.pattern() + "')"));
            }
        }

        private static void parameters(List<Cause> out, String field, JsonNode params) {
            if (params.hasNonNull("apiGroup")) {
                out.addAll(Fields.dns1123Subdomain(field + ".apiGroup", params.path("apiGroup").asText()));
            }
            for (String f : new String[] {"kind", "name"}) {
                String v = params.path(f).asText("");
                if (v.isEmpty()) {
                    out.add(Fields.required(field + "." + f, f + " is required"));
                } else {
                    out.addAll(io.kuberaft.apiserver.registry.Validation.pathSegment(field + "." + f, v));
                }
            }
            if (!params.hasNonNull("scope")) {
                out.add(Fields.required(field + ".scope"));
                return;
            }
            String scope = params.path("scope").asText();
            boolean hasNamespace = params.hasNonNull("namespace");
            switch (scope) {
                case "Namespace" -> {
                    if (!hasNamespace) {
                        out.add(Fields.required(field + ".namespace", "`parameters.scope` is set to 'Namespace'"));
                    } else {
                        out.addAll(Fields.dns1123Label(field + ".namespace", params.path("namespace").asText()));
                    }
                }
                case "Cluster" -> {
                    if (hasNamespace) {
                        out.add(Fields.forbidden(field + ".namespace", "`parameters.scope` is set to 'Cluster'"));
                    }
                }
                default -> out.add(Fields.notSupported(field + ".scope", scope, List.of("Cluster", "Namespace")));
            }
        }
    }
}
