package io.kuberaft.apiserver.auth;

import io.kuberaft.kubeapi.StatusException;
import io.vertx.core.MultiMap;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code kubectl --as USER [--as-group G]... [--as-uid U]}: the {@code Impersonate-*} headers, honoured when the
 * requester may {@code impersonate} each of them (users, serviceaccounts, groups, uids, userextras), as upstream's
 * impersonation filter; the request then runs as the impersonated user.
 */
public final class Impersonation {
    private static final String USER = "Impersonate-User";
    private static final String GROUP = "Impersonate-Group";
    private static final String UID = "Impersonate-Uid";
    private static final String EXTRA = "Impersonate-Extra-";

    private Impersonation() {
    }

    public static boolean requested(MultiMap headers) {
        for (String name : headers.names()) {
            if (name.regionMatches(true, 0, "Impersonate-", 0, 12)) {
                return true;
            }
        }
        return false;
    }

    /** The user the request runs as; 403 when the requester may not impersonate it, 400 for groups without a user. */
    public static UserInfo apply(UserInfo requester, MultiMap headers, RbacAuthorizer authorizer) {
        String user = headers.get(USER);
        List<String> groups = headers.getAll(GROUP);
        String uid = headers.get(UID);
        Map<String, List<String>> extra = new LinkedHashMap<>();
        for (String name : headers.names()) {
            if (name.regionMatches(true, 0, EXTRA, 0, EXTRA.length())) {
                extra.put(java.net.URLDecoder.decode(name.substring(EXTRA.length()).toLowerCase(java.util.Locale.ROOT),
                        java.nio.charset.StandardCharsets.UTF_8), headers.getAll(name));
            }
        }
        if (user == null || user.isEmpty()) {
            throw StatusException.badRequest("requested impersonation of groups " + groups + " without impersonating a user");
        }
        String[] sa = UserInfo.serviceAccountOf(user);
        check(authorizer, sa != null ? Attributes.resource(requester, "impersonate", "", "serviceaccounts", null, sa[0], sa[1])
                : Attributes.resource(requester, "impersonate", "", "users", null, null, user));
        for (String g : groups) {
            check(authorizer, Attributes.resource(requester, "impersonate", "", "groups", null, null, g));
        }
        if (uid != null && !uid.isEmpty()) {
            check(authorizer, Attributes.resource(requester, "impersonate", "authentication.k8s.io", "uids", null, null, uid));
        }
        for (Map.Entry<String, List<String>> e : extra.entrySet()) {
            for (String v : e.getValue()) {
                check(authorizer, Attributes.resource(requester, "impersonate", "authentication.k8s.io", "userextras", e.getKey(), null, v));
            }
        }
        List<String> g = new ArrayList<>(groups);
        if (sa != null && groups.isEmpty()) {
            g.add("system:serviceaccounts");
            g.add("system:serviceaccounts:" + sa[0]);
        }
        if (user.equals(UserInfo.ANONYMOUS_NAME)) {
            if (!g.contains(UserInfo.UNAUTHENTICATED)) {
                g.add(UserInfo.UNAUTHENTICATED);
            }
            return new UserInfo(user, uid == null ? "" : uid, List.copyOf(g), extra);
        }
        return UserInfo.authenticated(user, uid, g, extra);
    }

    private static void check(RbacAuthorizer authorizer, Attributes a) {
        if (!authorizer.allows(a)) {
            throw a.forbidden();
        }
    }
}
