package io.kuberaft.apiserver.auth;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.kuberaft.apiserver.http.Reply;
import io.kuberaft.apiserver.http.RequestInfo;
import io.kuberaft.kubeapi.StatusException;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The review kinds that ask the server a question instead of storing an object (create only, never persisted):
 * authorization.k8s.io {@code selfsubjectaccessreviews} ({@code kubectl auth can-i}), {@code subjectaccessreviews},
 * {@code localsubjectaccessreviews}, {@code selfsubjectrulesreviews} ({@code kubectl auth can-i --list}) and
 * authentication.k8s.io {@code selfsubjectreviews} ({@code kubectl auth whoami}) and {@code tokenreviews}.
 */
public final class AccessReviews {
    private final RbacAuthorizer authorizer;
    private final Optional<ServiceAccountTokens> serviceAccounts;
    private final Authenticator authenticator;

    public AccessReviews(RbacAuthorizer authorizer, Authenticator authenticator, Optional<ServiceAccountTokens> serviceAccounts) {
        this.authorizer = authorizer;
        this.authenticator = authenticator;
        this.serviceAccounts = serviceAccounts;
    }

    public static boolean handles(RequestInfo info) {
        if (info == null || info.subresource() != null || info.name() != null) {
            return false;
        }
        return switch (info.group()) {
            case "authorization.k8s.io" -> List.of("selfsubjectaccessreviews", "subjectaccessreviews", "localsubjectaccessreviews",
                    "selfsubjectrulesreviews").contains(info.resource());
            case "authentication.k8s.io" -> List.of("selfsubjectreviews", "tokenreviews").contains(info.resource());
            default -> false;
        };
    }

    public Reply handle(RequestInfo info, UserInfo user, String contentType, byte[] body) {
        if (!info.verb().equals("create")) {
            throw StatusException.methodNotAllowed("the server does not allow this method on the requested resource");
        }
        ObjectNode review = io.kuberaft.apiserver.http.MediaTypes.parseObject(contentType, body);
        ObjectNode out = review.deepCopy();
        out.put("apiVersion", info.groupVersion());
        if (!out.has("metadata")) {
            out.putObject("metadata");
        }
        ((ObjectNode) out.get("metadata")).putNull("creationTimestamp");
        JsonNode spec = review.path("spec");
        ObjectNode status = out.putObject("status");
        switch (info.resource()) {
            case "selfsubjectaccessreviews" -> {
                out.put("kind", "SelfSubjectAccessReview");
                decide(status, attributes(user, spec, null));
            }
            case "localsubjectaccessreviews" -> {
                out.put("kind", "LocalSubjectAccessReview");
                String ns = spec.path("resourceAttributes").path("namespace").asText("");
                if (!ns.equals(info.namespace())) {
                    throw StatusException.invalid("authorization.k8s.io", "LocalSubjectAccessReview", "", List.of(new StatusException.Cause(
                            "FieldValueInvalid", "Invalid value: \"" + ns + "\": must match metadata.namespace", "spec.resourceAttributes.namespace")));
                }
                decide(status, attributes(subject(spec), spec, info.namespace()));
            }
            case "subjectaccessreviews" -> {
                out.put("kind", "SubjectAccessReview");
                decide(status, attributes(subject(spec), spec, null));
            }
            case "selfsubjectrulesreviews" -> {
                out.put("kind", "SelfSubjectRulesReview");
                rules(status, user, spec.path("namespace").asText(""));
            }
            case "selfsubjectreviews" -> {
                out.put("kind", "SelfSubjectReview");
                userInfo(status.putObject("userInfo"), user);
            }
            case "tokenreviews" -> {
                out.put("kind", "TokenReview");
                tokenReview(status, spec);
            }
            default -> throw StatusException.notFound(info.group(), info.resource(), "");
        }
        return new Reply(201, out, io.kuberaft.apiserver.http.MediaTypes.JSON, List.of());
    }

    private void decide(ObjectNode status, Attributes a) {
        boolean allowed = authorizer.allows(a);
        status.put("allowed", allowed);
        if (!allowed) {
            status.put("reason", "");
        }
    }

    /** The attributes a review asks about: resourceAttributes or nonResourceAttributes of its spec. */
    private static Attributes attributes(UserInfo user, JsonNode spec, String namespace) {
        JsonNode r = spec.path("resourceAttributes");
        JsonNode n = spec.path("nonResourceAttributes");
        if (r.isObject()) {
            return Attributes.resource(user, r.path("verb").asText(""), r.path("group").asText(""), r.path("resource").asText(""),
                    r.path("subresource").asText(""), namespace != null ? namespace : r.path("namespace").asText(""), r.path("name").asText(""));
        }
        if (n.isObject()) {
            return new Attributes(user, n.path("verb").asText(""), false, "", "", "", "", "", n.path("path").asText(""));
        }
        throw StatusException.invalid("authorization.k8s.io", "SubjectAccessReview", "", List.of(new StatusException.Cause("FieldValueRequired",
                "Required value: exactly one of nonResourceAttributes or resourceAttributes must be specified", "spec.resourceAttributes")));
    }

    private static UserInfo subject(JsonNode spec) {
        String user = spec.path("user").asText("");
        List<String> groups = new ArrayList<>();
        spec.path("groups").forEach(g -> groups.add(g.asText()));
        if (user.isEmpty() && groups.isEmpty()) {
            throw StatusException.invalid("authorization.k8s.io", "SubjectAccessReview", "", List.of(new StatusException.Cause("FieldValueRequired",
                    "Required value: at least one of user or group must be specified", "spec.user")));
        }
        Map<String, List<String>> extra = new LinkedHashMap<>();
        spec.path("extra").fields().forEachRemaining(e -> {
            List<String> vs = new ArrayList<>();
            e.getValue().forEach(v -> vs.add(v.asText()));
            extra.put(e.getKey(), vs);
        });
        return new UserInfo(user, spec.path("uid").asText(""), groups, extra);
    }

    private void rules(ObjectNode status, UserInfo user, String namespace) {
        ArrayNode resourceRules = status.putArray("resourceRules");
        ArrayNode nonResourceRules = status.putArray("nonResourceRules");
        for (JsonNode rule : authorizer.rulesFor(user, namespace)) {
            if (rule.has("nonResourceURLs")) {
                ObjectNode o = nonResourceRules.addObject();
                o.set("verbs", rule.path("verbs"));
                o.set("nonResourceURLs", rule.path("nonResourceURLs"));
            } else {
                ObjectNode o = resourceRules.addObject();
                o.set("verbs", rule.path("verbs"));
                for (String f : List.of("apiGroups", "resources", "resourceNames")) {
                    if (rule.has(f)) {
                        o.set(f, rule.get(f));
                    }
                }
            }
        }
        status.put("incomplete", false);
    }

    private static void userInfo(ObjectNode o, UserInfo user) {
        o.put("username", user.name());
        if (!user.uid().isEmpty()) {
            o.put("uid", user.uid());
        }
        ArrayNode groups = o.putArray("groups");
        user.groups().forEach(groups::add);
        if (!user.extra().isEmpty()) {
            ObjectNode extra = o.putObject("extra");
            user.extra().forEach((k, vs) -> {
                ArrayNode values = extra.putArray(k);
                vs.forEach(values::add);
            });
        }
    }

    private void tokenReview(ObjectNode status, JsonNode spec) {
        String token = spec.path("token").asText("");
        Optional<ServiceAccountTokens.Claims> c = serviceAccounts.flatMap(s -> s.verify(token));
        if (c.isPresent() && authenticator.stillValid(c.get(), token)) {
            status.put("authenticated", true);
            userInfo(status.putObject("user"), Authenticator.serviceAccountUser(c.get()));
            status.putArray("audiences").add(serviceAccounts.get().issuer());
        } else {
            status.put("authenticated", false);
            status.put("error", "invalid bearer token");
        }
    }
}
