package io.kuberaft.apiserver.auth;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.kuberaft.apiserver.admission.Lookup;
import io.kuberaft.apiserver.http.MediaTypes;
import io.kuberaft.apiserver.http.Reply;
import io.kuberaft.apiserver.http.RequestInfo;
import io.kuberaft.kubeapi.StatusException;
import io.kuberaft.raftstore.ReadConsistency;

import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * {@code serviceaccounts/<name>/token} (TokenRequest, {@code kubectl create token}): a bound ServiceAccount token for
 * the requested audiences and duration (default one hour, at least ten minutes), optionally bound to a Pod or
 * Secret that must exist.
 */
public final class TokenRequests {
    static final long DEFAULT_SECONDS = 3600;
    static final long MIN_SECONDS = 600;
    static final long KUBELET_DEFAULT_SECONDS = 3607;
    static final long EXTENDED_SECONDS = 365L * 24 * 3600;
    private final Optional<ServiceAccountTokens> tokens;
    private final Lookup lookup;
    private final Clock clock;

    public TokenRequests(Optional<ServiceAccountTokens> tokens, Lookup lookup, Clock clock) {
        this.tokens = tokens;
        this.lookup = lookup;
        this.clock = clock;
    }

    public static boolean handles(RequestInfo info) {
        return info != null && info.group().isEmpty() && info.resource().equals("serviceaccounts") && "token".equals(info.subresource())
                && info.name() != null && info.namespace() != null;
    }

    public Reply handle(RequestInfo info, String contentType, byte[] body) {
        if (!info.verb().equals("create")) {
            throw StatusException.methodNotAllowed("the server does not allow this method on the requested resource");
        }
        if (tokens.isEmpty() || !tokens.get().canIssue()) {
            throw new StatusException(404, "NotFound", "the server could not find the requested resource (this API server has no "
                    + "--service-account-signing-key-file)");
        }
        ObjectNode req = MediaTypes.parseObject(contentType, body);
        String ns = info.namespace();
        ObjectNode sa = lookup.get(lookup.kind("", "ServiceAccount"), ns, info.name(), ReadConsistency.LINEARIZABLE);
        if (sa == null) {
            throw StatusException.notFound("", "serviceaccounts", info.name());
        }
        JsonNode spec = req.path("spec");
        long seconds = spec.path("expirationSeconds").asLong(DEFAULT_SECONDS);
        List<StatusException.Cause> causes = new ArrayList<>();
        if (seconds < MIN_SECONDS) {
            causes.add(new StatusException.Cause("FieldValueInvalid", "Invalid value: " + seconds + ": may not specify a duration less than 10 minutes",
                    "spec.expirationSeconds"));
        } else if (seconds > 1L << 32) {
            causes.add(new StatusException.Cause("FieldValueInvalid", "Invalid value: " + seconds + ": may not specify a duration larger than 2^32 seconds",
                    "spec.expirationSeconds"));
        }
        List<String> audiences = new ArrayList<>();
        spec.path("audiences").forEach(a -> audiences.add(a.asText()));
        JsonNode bound = spec.path("boundObjectRef");
        String podName = "";
        String podUid = "";
        if (bound.isObject()) {
            String kind = bound.path("kind").asText("");
            String name = bound.path("name").asText("");
            if (!kind.equals("Pod") && !kind.equals("Secret")) {
                causes.add(new StatusException.Cause("FieldValueNotSupported", "Unsupported value: \"" + kind + "\": supported values: \"Pod\", \"Secret\"",
                        "spec.boundObjectRef.kind"));
            } else if (causes.isEmpty()) {
                ObjectNode obj = lookup.get(lookup.kind("", kind), ns, name, ReadConsistency.LINEARIZABLE);
                String wantUid = bound.path("uid").asText("");
                if (obj == null || (!wantUid.isEmpty() && !wantUid.equals(obj.path("metadata").path("uid").asText("")))) {
                    throw StatusException.notFound("", kind.equals("Pod") ? "pods" : "secrets", name);
                }
                if (kind.equals("Pod")) {
                    podName = name;
                    podUid = obj.path("metadata").path("uid").asText("");
                }
                ((ObjectNode) bound).put("uid", obj.path("metadata").path("uid").asText(""));
            }
        }
        if (!causes.isEmpty()) {
            throw StatusException.invalid("authentication.k8s.io", "TokenRequest", info.name(), causes);
        }
        // upstream's --service-account-extend-token-expiration (default on): the kubelet's default 3607 s pod token is
        // signed for a year, so workloads that never re-read the file keep working; the status still says 3607 s
        long granted = seconds;
        long signed = !podName.isEmpty() && seconds == KUBELET_DEFAULT_SECONDS ? EXTENDED_SECONDS : seconds;
        Instant now = clock.instant();
        String token = tokens.get().issue(ns, info.name(), sa.path("metadata").path("uid").asText(""), audiences, signed, podName, podUid, now);
        ObjectNode out = req.deepCopy();
        out.put("kind", "TokenRequest").put("apiVersion", "authentication.k8s.io/v1");
        ObjectNode meta = out.putObject("metadata");
        meta.put("name", info.name()).put("namespace", ns).put("creationTimestamp", now.truncatedTo(java.time.temporal.ChronoUnit.SECONDS).toString());
        ObjectNode outSpec = out.path("spec").isObject() ? (ObjectNode) out.get("spec") : out.putObject("spec");
        if (audiences.isEmpty()) {
            outSpec.putArray("audiences").add(tokens.get().issuer());
        }
        outSpec.put("expirationSeconds", granted);
        out.putObject("status").put("token", token)
                .put("expirationTimestamp", now.plusSeconds(granted).truncatedTo(java.time.temporal.ChronoUnit.SECONDS).toString());
        return new Reply(201, out, MediaTypes.JSON, List.of());
    }
}
