package io.kuberaft.apiserver.auth;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.kuberaft.apiserver.admission.Lookup;
import io.kuberaft.raftstore.ReadConsistency;
import io.vertx.core.http.HttpServerRequest;

import javax.naming.InvalidNameException;
import javax.naming.ldap.LdapName;
import javax.naming.ldap.Rdn;
import java.nio.charset.StandardCharsets;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Who sent a request, as kube-apiserver's authenticator chain decides: a bearer token from the token file, a
 * ServiceAccount token this cluster signed, or a client certificate the client CA signed (user = CN, groups = O);
 * a request with none of them is {@code system:anonymous}. A credential that is presented but not valid is a 401.
 * With no token file, no client CA and no service account key configured (the embedded test server) everyone is an admin.
 */
public final class Authenticator {
    public static final UserInfo ADMIN = UserInfo.authenticated("admin", "", List.of(UserInfo.MASTERS), Map.of());
    private final Map<String, UserInfo> tokens;
    private final boolean clientCerts;
    private final Optional<ServiceAccountTokens> serviceAccounts;
    private final Lookup lookup;

    /**
     * The outcome: the user, or null for a 401; {@code pending} the claims of a ServiceAccount {@code token} whose objects
     * must still exist ({@link #stillValid}).
     */
    public record Result(UserInfo user, ServiceAccountTokens.Claims pending, String token) {
        static final Result UNAUTHORIZED = new Result(null, null, null);

        Result(UserInfo user) {
            this(user, null, null);
        }
    }

    public Authenticator(Map<String, UserInfo> tokens, boolean clientCerts, Optional<ServiceAccountTokens> serviceAccounts, Lookup lookup) {
        this.tokens = Map.copyOf(tokens);
        this.clientCerts = clientCerts;
        this.serviceAccounts = serviceAccounts;
        this.lookup = lookup;
    }

    public boolean enabled() {
        return !tokens.isEmpty() || clientCerts || serviceAccounts.isPresent();
    }

    /** Without touching the store (it runs on the event loop); see {@link #stillValid}. */
    public Result authenticate(HttpServerRequest req) {
        if (!enabled()) {
            return new Result(ADMIN);
        }
        String auth = req.getHeader("Authorization");
        if (auth != null && auth.regionMatches(true, 0, "Bearer ", 0, 7)) {
            String token = auth.substring(7).trim();
            UserInfo u = tokens.get(token);
            if (u != null) {
                return new Result(u);
            }
            Optional<ServiceAccountTokens.Claims> c = serviceAccounts.flatMap(s -> s.verify(token));
            if (c.isEmpty()) {
                return Result.UNAUTHORIZED;
            }
            return new Result(serviceAccountUser(c.get()), c.get(), token);
        }
        if (auth != null && auth.regionMatches(true, 0, "Basic ", 0, 6)) {
            return Result.UNAUTHORIZED; // basic auth was removed upstream in 1.19
        }
        if (clientCerts && req.isSSL()) {
            try {
                var certs = req.connection().peerCertificates();
                if (certs != null && !certs.isEmpty() && certs.get(0) instanceof X509Certificate x) {
                    return new Result(certificateUser(x));
                }
            } catch (javax.net.ssl.SSLPeerUnverifiedException e) {
                // no client certificate: anonymous
            }
        }
        return new Result(UserInfo.ANONYMOUS);
    }

    static UserInfo serviceAccountUser(ServiceAccountTokens.Claims c) {
        Map<String, List<String>> extra = new java.util.LinkedHashMap<>();
        if (!c.podName().isEmpty()) {
            extra.put("authentication.kubernetes.io/pod-name", List.of(c.podName()));
            extra.put("authentication.kubernetes.io/pod-uid", List.of(c.podUid()));
        }
        return UserInfo.serviceAccount(c.namespace(), c.name(), c.uid(), extra);
    }

    /** user = the subject's CN, groups = its O values, as x509 client certificate authentication. */
    static UserInfo certificateUser(X509Certificate cert) {
        String name = "";
        List<String> groups = new ArrayList<>();
        try {
            for (Rdn rdn : new LdapName(cert.getSubjectX500Principal().getName()).getRdns()) {
                if (rdn.getType().equalsIgnoreCase("CN")) {
                    name = String.valueOf(rdn.getValue());
                } else if (rdn.getType().equalsIgnoreCase("O")) {
                    groups.add(String.valueOf(rdn.getValue()));
                }
            }
        } catch (InvalidNameException e) {
            name = cert.getSubjectX500Principal().getName();
        }
        return UserInfo.authenticated(name, "", groups, Map.of());
    }

    /**
     * A ServiceAccount token is only good while what it is bound to exists (upstream's validator): the ServiceAccount
     * with the same uid, the Pod with the same uid for a pod-bound token, the Secret still holding it for a legacy one.
     * Blocking (reads this replica's store).
     */
    public boolean stillValid(ServiceAccountTokens.Claims c, String token) {
        ObjectNode sa = lookup.get(lookup.kind("", "ServiceAccount"), c.namespace(), c.name(), ReadConsistency.SERIALIZABLE);
        if (sa == null || sa.path("metadata").has("deletionTimestamp")
                || !sa.path("metadata").path("uid").asText("").equals(c.uid())) {
            return false;
        }
        if (!c.podName().isEmpty()) {
            ObjectNode pod = lookup.get(lookup.kind("", "Pod"), c.namespace(), c.podName(), ReadConsistency.SERIALIZABLE);
            if (pod == null || !pod.path("metadata").path("uid").asText("").equals(c.podUid())) {
                return false;
            }
        }
        if (!c.secretName().isEmpty()) {
            ObjectNode secret = lookup.get(lookup.kind("", "Secret"), c.namespace(), c.secretName(), ReadConsistency.SERIALIZABLE);
            String stored = secret == null ? "" : secret.path("data").path("token").asText("");
            return !stored.isEmpty() && new String(Base64.getDecoder().decode(stored), StandardCharsets.UTF_8).equals(token);
        }
        return true;
    }
}
