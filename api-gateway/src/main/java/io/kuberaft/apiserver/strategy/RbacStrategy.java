package io.kuberaft.apiserver.strategy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.kuberaft.apiserver.registry.DefaultStrategy;
import io.kuberaft.apiserver.registry.ResourceDefinition;
import io.kuberaft.kubeapi.StatusException.Cause;

import java.util.ArrayList;
import java.util.List;

/** rbac.authorization.k8s.io/v1 roles and bindings: rule and aggregation-rule checks, subject apiGroup defaults, an immutable roleRef. */
public final class RbacStrategy extends DefaultStrategy implements io.kuberaft.apiserver.registry.Validation.NameIsPathSegment {
    static final String GROUP = "rbac.authorization.k8s.io";
    private final boolean binding;
    private final boolean clusterScoped;

    public RbacStrategy(boolean binding, boolean clusterScoped) {
        this.binding = binding;
        this.clusterScoped = clusterScoped;
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
        if (!binding) {
            return;
        }
        Json.defaultText(Json.obj(obj, "roleRef"), "apiGroup", GROUP);
        for (ObjectNode s : Json.objects(obj, "subjects")) {
            if (Json.blank(s, "apiGroup")) {
                String kind = s.path("kind").asText("");
                if (kind.equals("User") || kind.equals("Group")) {
                    s.put("apiGroup", GROUP);
                } else if (kind.equals("ServiceAccount")) {
                    s.put("apiGroup", "");
                }
            }
        }
    }

    @Override
    public List<Cause> validate(ResourceDefinition def, ObjectNode obj) {
        List<Cause> out = new ArrayList<>();
        if (!binding) {
            JsonNode rules = obj.path("rules");
            for (int i = 0; i < rules.size(); i++) {
                String p = Fields.index("rules", i);
                JsonNode r = rules.path(i);
                if (r.path("verbs").size() == 0) {
                    out.add(Fields.required(p + ".verbs", "verbs must contain at least one value"));
                }
                boolean urls = r.path("nonResourceURLs").size() > 0;
                if (urls && !clusterScoped) {
                    out.add(Fields.invalidRendered(p + ".nonResourceURLs", Fields.goStringSlice(r.path("nonResourceURLs")),
                            "namespaced rules cannot apply to non-resource URLs"));
                }
                if (urls && (r.path("resources").size() > 0 || r.path("apiGroups").size() > 0)) {
                    out.add(Fields.invalidRendered(p + ".nonResourceURLs", Fields.goStringSlice(r.path("nonResourceURLs")),
                            "rules cannot apply to both regular resources and non-resource URLs"));
                }
                if (!urls) {
                    if (r.path("apiGroups").size() == 0) {
                        out.add(Fields.required(p + ".apiGroups", "resource rules must supply at least one api group"));
                    }
                    if (r.path("resources").size() == 0) {
                        out.add(Fields.required(p + ".resources", "resource rules must supply at least one resource"));
                    }
                }
            }
            JsonNode aggregation = obj.path("aggregationRule");
            if (clusterScoped && aggregation.isObject()) {
                JsonNode selectors = aggregation.path("clusterRoleSelectors");
                if (selectors.size() == 0) {
                    out.add(Fields.required("aggregationRule.clusterRoleSelectors",
                            "at least one clusterRoleSelector required if aggregationRule is non-nil"));
                }
                for (int i = 0; i < selectors.size(); i++) {
                    Fields.labelSelector(out, Fields.index("aggregationRule.clusterRoleSelectors", i), selectors.path(i));
                }
            }
            return out;
        }
        JsonNode ref = obj.path("roleRef");
        String kind = ref.path("kind").asText("");
        List<String> kinds = clusterScoped ? List.of("ClusterRole") : List.of("Role", "ClusterRole");
        if (!kinds.contains(kind)) {
            out.add(Fields.notSupported("roleRef.kind", kind, kinds));
        }
        if (!ref.path("apiGroup").asText("").equals(GROUP)) {
            out.add(Fields.notSupported("roleRef.apiGroup", ref.path("apiGroup").asText(""), List.of(GROUP)));
        }
        if (ref.path("name").asText("").isEmpty()) {
            out.add(Fields.required("roleRef.name"));
        }
        JsonNode subjects = obj.path("subjects");
        for (int i = 0; i < subjects.size(); i++) {
            String p = Fields.index("subjects", i);
            JsonNode s = subjects.path(i);
            String sk = s.path("kind").asText("");
            if (s.path("name").asText("").isEmpty()) {
                out.add(Fields.required(p + ".name"));
            }
            switch (sk) {
                case "ServiceAccount" -> {
                    if (!s.path("apiGroup").asText("").isEmpty()) {
                        out.add(Fields.notSupported(p + ".apiGroup", s.path("apiGroup").asText(), List.of("")));
                    }
                    if (clusterScoped && s.path("namespace").asText("").isEmpty()) {
                        out.add(Fields.required(p + ".namespace"));
                    }
                }
                case "User", "Group" -> {
                    if (!s.path("apiGroup").asText("").equals(GROUP)) {
                        out.add(Fields.notSupported(p + ".apiGroup", s.path("apiGroup").asText(""), List.of(GROUP)));
                    }
                }
                default -> out.add(Fields.notSupported(p + ".kind", sk, List.of("ServiceAccount", "User", "Group")));
            }
        }
        return out;
    }

    @Override
    public List<Cause> validateUpdate(ResourceDefinition def, ObjectNode obj, ObjectNode old) {
        List<Cause> out = validate(def, obj);
        if (binding && !Json.same(obj.path("roleRef"), old.path("roleRef"))) {
            JsonNode r = obj.path("roleRef");
            out.add(Fields.invalidRendered("roleRef", "rbac.RoleRef{APIGroup:" + Fields.quote(r.path("apiGroup").asText("")) + ", Kind:"
                    + Fields.quote(r.path("kind").asText("")) + ", Name:" + Fields.quote(r.path("name").asText("")) + "}", "cannot change roleRef"));
        }
        return out;
    }
}
