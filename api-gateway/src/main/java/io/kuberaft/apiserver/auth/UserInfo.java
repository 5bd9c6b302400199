package io.kuberaft.apiserver.auth;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Who a request is from, as authentication (and impersonation) decided: the user name, uid, groups and extra
 * attributes that authorization and {@code kubectl auth whoami} see.
 */
public record UserInfo(String name, String uid, List<String> groups, Map<String, List<String>> extra) {
    public static final String MASTERS = "system:masters";
    public static final String AUTHENTICATED = "system:authenticated";
    public static final String UNAUTHENTICATED = "system:unauthenticated";
    public static final String ANONYMOUS_NAME = "system:anonymous";
    public static final String SERVICE_ACCOUNT_PREFIX = "system:serviceaccount:";

    public static final UserInfo ANONYMOUS = new UserInfo(ANONYMOUS_NAME, "", List.of(UNAUTHENTICATED), Map.of());

    /** Every authenticated user is also in {@code system:authenticated}, as upstream's authenticators add it. */
    public static UserInfo authenticated(String name, String uid, List<String> groups, Map<String, List<String>> extra) {
        List<String> g = new ArrayList<>(groups);
        if (!g.contains(AUTHENTICATED)) {
            g.add(AUTHENTICATED);
        }
        return new UserInfo(name, uid == null ? "" : uid, List.copyOf(g), extra == null ? Map.of() : extra);
    }

    /** A ServiceAccount's user: {@code system:serviceaccount:<ns>:<name>} in the ServiceAccount groups. */
    public static UserInfo serviceAccount(String namespace, String name, String uid, Map<String, List<String>> extra) {
        return authenticated(SERVICE_ACCOUNT_PREFIX + namespace + ":" + name, uid,
                List.of("system:serviceaccounts", "system:serviceaccounts:" + namespace), extra);
    }

    public boolean isMaster() {
        return groups.contains(MASTERS);
    }

    /** {namespace, name} of a ServiceAccount user name, or null for other users. */
    public static String[] serviceAccountOf(String userName) {
        if (!userName.startsWith(SERVICE_ACCOUNT_PREFIX)) {
            return null;
        }
        String[] parts = userName.substring(SERVICE_ACCOUNT_PREFIX.length()).split(":", -1);
        return parts.length == 2 && !parts[0].isEmpty() && !parts[1].isEmpty() ? parts : null;
    }
}
