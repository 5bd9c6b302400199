package io.kuberaft.apiserver.http;

import io.kuberaft.kubeapi.StatusException;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * What a resource request asks for, parsed from its path and method (apiserver's RequestInfoFactory):
 * {@code /api/v1/namespaces/default/pods/web/status} → group "", version v1, namespace default,
 * resource pods, name web, subresource status.
 */
public record RequestInfo(String group, String version, String namespace, String resource, String name,
                          String subresource, String verb, List<String> rest) {

    /** Null when the path is not a resource path (discovery, health, openapi …). */
    public static RequestInfo parse(String method, String path, boolean watchParam) {
        List<String> segs = new ArrayList<>(Arrays.stream(path.split("/")).filter(s -> !s.isEmpty()).toList());
        String group;
        String version;
        if (segs.size() >= 3 && segs.get(0).equals("api")) {
            group = "";
            version = segs.get(1);
            segs = segs.subList(2, segs.size());
        } else if (segs.size() >= 4 && segs.get(0).equals("apis")) {
            group = segs.get(1);
            version = segs.get(2);
            segs = segs.subList(3, segs.size());
        } else {
            return null;
        }
        boolean legacyWatch = false;
        if (!segs.isEmpty() && segs.get(0).equals("watch")) {
            legacyWatch = true;
            segs = segs.subList(1, segs.size());
        }
        String namespace = null;
        String resource;
        String name = null;
        String sub = null;
        List<String> rest = List.of();
        if (segs.size() >= 1 && segs.get(0).equals("namespaces") && segs.size() >= 3
                && !(segs.size() == 3 && (segs.get(2).equals("status") || segs.get(2).equals("finalize")))) {
            namespace = segs.get(1);
            segs = segs.subList(2, segs.size());
        }
        if (segs.isEmpty()) {
            return null;
        }
        resource = segs.get(0);
        if (segs.size() >= 2) {
            name = segs.get(1);
        }
        if (segs.size() >= 3) {
            sub = segs.get(2);
        }
        if (segs.size() >= 4) {
            rest = List.copyOf(segs.subList(3, segs.size()));
        }
        if (resource.equals("namespaces") && namespace == null && name != null) {
            namespace = null;
        }
        boolean watch = legacyWatch || watchParam;
        String verb = switch (method) {
            case "GET", "HEAD" -> name == null ? (watch ? "watch" : "list") : (watch ? "watch" : "get");
            case "POST" -> "create";
            case "PUT" -> "update";
            case "PATCH" -> "patch";
            case "DELETE" -> name == null ? "deletecollection" : "delete";
            default -> throw StatusException.methodNotAllowed("the server does not allow this method on the requested resource");
        };
        return new RequestInfo(group, version, namespace, resource, name, sub, verb, rest);
    }

    public String groupVersion() {
        return group.isEmpty() ? version : group + "/" + version;
    }
}
