package io.kuberaft.apiserver.auth;

import io.kuberaft.apiserver.http.RequestInfo;
import io.kuberaft.kubeapi.StatusException;

import java.util.Locale;

/**
 * What a request asks to do, as the authorizer sees it (upstream's authorizer.Attributes): a verb on a resource
 * (group, resource, subresource, namespace, name) or on a non-resource path.
 */
public record Attributes(UserInfo user, String verb, boolean resourceRequest, String group, String resource,
                         String subresource, String namespace, String name, String path) {

    /** The attributes of an HTTP request ({@code info} null: a non-resource path). */
    public static Attributes of(UserInfo user, String method, String path, RequestInfo info) {
        if (info == null) {
            String verb = switch (method) {
                case "GET", "HEAD" -> "get";
                case "POST" -> "post";
                case "PUT" -> "put";
                default -> method.toLowerCase(Locale.ROOT);
            };
            return new Attributes(user, verb, false, "", "", "", "", "", path);
        }
        // GET /api/v1/namespaces/ns-1 is in namespace ns-1 (upstream's RequestInfoFactory): a RoleBinding there may grant it
        String ns = info.namespace();
        if (ns == null && info.resource().equals("namespaces") && info.name() != null) {
            ns = info.name();
        }
        return new Attributes(user, info.verb(), true, info.group(), info.resource(), info.subresource() == null ? "" : info.subresource(),
                ns == null ? "" : ns, info.name() == null ? "" : info.name(), path);
    }

    /** A resource check made on the server's own behalf (impersonation, access reviews). */
    public static Attributes resource(UserInfo user, String verb, String group, String resource, String subresource, String namespace, String name) {
        return new Attributes(user, verb, true, group, resource, subresource == null ? "" : subresource, namespace == null ? "" : namespace,
                name == null ? "" : name, "");
    }

    /** upstream's forbiddenMessage: {@code User "x" cannot list resource "pods" in API group "" in the namespace "default"}. */
    public String reason() {
        if (!resourceRequest) {
            return "User \"" + user.name() + "\" cannot " + verb + " path \"" + path + "\"";
        }
        String r = subresource.isEmpty() ? resource : resource + "/" + subresource;
        return "User \"" + user.name() + "\" cannot " + verb + " resource \"" + r + "\" in API group \"" + group + "\""
                + (namespace.isEmpty() ? " at the cluster scope" : " in the namespace \"" + namespace + "\"");
    }

    /** The 403 upstream sends (responsewriters.Forbidden): {@code pods "x" is forbidden: User …}, details name/group/kind. */
    public StatusException forbidden() {
        if (!resourceRequest) {
            return new StatusException(403, "Forbidden", "forbidden: " + reason(), null, null, null, java.util.List.of(), null);
        }
        String qualified = group.isEmpty() ? resource : resource + "." + group;
        String message = name.isEmpty() ? qualified + " is forbidden: " + reason() : qualified + " \"" + name + "\" is forbidden: " + reason();
        return new StatusException(403, "Forbidden", message, group.isEmpty() ? null : group, resource, name.isEmpty() ? null : name,
                java.util.List.of(), null);
    }
}
