package io.kuberaft.apiserver.auth;

import java.util.function.Supplier;

/**
 * The user the request being served on this thread comes from (upstream's request context user), for the checks that
 * depend on who writes rather than on what is written: RBAC's escalation prevention. Null for the server's own writes
 * (bootstrap, admission side effects), which are not checked.
 */
public final class RequestUser {
    private static final ThreadLocal<UserInfo> CURRENT = new ThreadLocal<>();

    private RequestUser() {
    }

    /** Runs {@code body} as {@code user}. */
    public static <T> T as(UserInfo user, Supplier<T> body) {
        UserInfo before = CURRENT.get();
        CURRENT.set(user);
        try {
            return body.get();
        } finally {
            CURRENT.set(before);
        }
    }

    public static UserInfo current() {
        return CURRENT.get();
    }
}
