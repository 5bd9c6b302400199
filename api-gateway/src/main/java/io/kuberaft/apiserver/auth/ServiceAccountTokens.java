package io.kuberaft.apiserver.auth;

import org.jose4j.jwa.AlgorithmConstraints;
import org.jose4j.jws.AlgorithmIdentifiers;
import org.jose4j.jws.JsonWebSignature;
import org.jose4j.jwt.JwtClaims;
import org.jose4j.jwt.MalformedClaimException;
import org.jose4j.jwt.NumericDate;
import org.jose4j.jwt.consumer.InvalidJwtException;
import org.jose4j.jwt.consumer.JwtConsumer;
import org.jose4j.jwt.consumer.JwtConsumerBuilder;
import org.jose4j.lang.JoseException;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.MessageDigest;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.spec.PKCS8EncodedKeySpec;
import java.security.spec.X509EncodedKeySpec;
import java.time.Instant;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;

/**
 * ServiceAccount tokens as kube-apiserver issues and checks them: JWTs signed with the cluster's service-account key
 * ({@code --service-account-signing-key-file}, ES256 or RS256), verified with its public key
 * ({@code --service-account-key-file}), so every replica accepts every other replica's tokens. Bound tokens
 * (TokenRequest, {@code kubectl create token}) carry the {@code kubernetes.io} claim and an expiry; legacy tokens (the
 * {@code kubernetes.io/service-account-token} Secrets) carry the {@code kubernetes.io/serviceaccount/*} claims and none.
 */
public final class ServiceAccountTokens {
    /** upstream's default --service-account-issuer and --api-audiences. */
    public static final String DEFAULT_ISSUER = "https://kubernetes.default.svc.cluster.local";
    static final String LEGACY_ISSUER = "kubernetes/serviceaccount";
    private final PrivateKey signingKey;
    private final PublicKey publicKey;
    private final String issuer;
    private final String keyId;

    /** What a valid token says: its ServiceAccount, and the Pod or Secret it is bound to (empty strings when none). */
    public record Claims(String namespace, String name, String uid, String podName, String podUid, String secretName, Instant expiry) {
    }

    ServiceAccountTokens(PrivateKey signingKey, PublicKey publicKey, String issuer) {
        this.signingKey = signingKey;
        this.publicKey = publicKey;
        this.issuer = issuer;
        this.keyId = keyId(publicKey);
    }

    /** From the key files; empty when none is configured (no tokens are issued or accepted). */
    public static Optional<ServiceAccountTokens> load(Path signingKeyFile, Path publicKeyFile, String issuer) throws IOException {
        if (publicKeyFile == null) {
            return Optional.empty();
        }
        try {
            PublicKey pub = publicKey(Files.readString(publicKeyFile));
            PrivateKey priv = signingKeyFile == null ? null : privateKey(Files.readString(signingKeyFile), pub.getAlgorithm());
            return Optional.of(new ServiceAccountTokens(priv, pub, issuer == null || issuer.isEmpty() ? DEFAULT_ISSUER : issuer));
        } catch (GeneralSecurityException | IllegalArgumentException e) {
            throw new IOException("cannot read the service account keys: " + e.getMessage(), e);
        }
    }

    public boolean canIssue() {
        return signingKey != null;
    }

    public String issuer() {
        return issuer;
    }

    /** A bound token (TokenRequest): valid for {@code seconds}, for {@code audiences} (the API server's when empty). */
    public String issue(String namespace, String name, String uid, List<String> audiences, long seconds, String podName, String podUid, Instant now) {
        JwtClaims c = new JwtClaims();
        c.setIssuer(issuer);
        c.setSubject(UserInfo.SERVICE_ACCOUNT_PREFIX + namespace + ":" + name);
        c.setAudience(audiences.isEmpty() ? List.of(issuer) : audiences);
        c.setIssuedAt(NumericDate.fromSeconds(now.getEpochSecond()));
        c.setNotBefore(NumericDate.fromSeconds(now.getEpochSecond()));
        c.setExpirationTime(NumericDate.fromSeconds(now.getEpochSecond() + seconds));
        c.setJwtId(UUID.randomUUID().toString());
        Map<String, Object> k8s = new LinkedHashMap<>();
        k8s.put("namespace", namespace);
        if (podName != null && !podName.isEmpty()) {
            k8s.put("pod", Map.of("name", podName, "uid", podUid));
        }
        k8s.put("serviceaccount", Map.of("name", name, "uid", uid));
        c.setClaim("kubernetes.io", k8s);
        return sign(c);
    }

    /** A legacy token, as the token controller writes into a {@code kubernetes.io/service-account-token} Secret. */
    public String issueLegacy(String namespace, String name, String uid, String secretName) {
        JwtClaims c = new JwtClaims();
        c.setIssuer(LEGACY_ISSUER);
        c.setSubject(UserInfo.SERVICE_ACCOUNT_PREFIX + namespace + ":" + name);
        c.setClaim("kubernetes.io/serviceaccount/namespace", namespace);
        c.setClaim("kubernetes.io/serviceaccount/secret.name", secretName);
        c.setClaim("kubernetes.io/serviceaccount/service-account.name", name);
        c.setClaim("kubernetes.io/serviceaccount/service-account.uid", uid);
        return sign(c);
    }

    private String sign(JwtClaims c) {
        if (signingKey == null) {
            throw new IllegalStateException("no --service-account-signing-key-file: this server cannot issue tokens");
        }
        JsonWebSignature jws = new JsonWebSignature();
        jws.setPayload(c.toJson());
        jws.setKey(signingKey);
        jws.setKeyIdHeaderValue(keyId);
        jws.setAlgorithmHeaderValue(signingKey.getAlgorithm().equals("EC") ? AlgorithmIdentifiers.ECDSA_USING_P256_CURVE_AND_SHA256
                : AlgorithmIdentifiers.RSA_USING_SHA256);
        try {
            return jws.getCompactSerialization();
        } catch (JoseException e) {
            throw new IllegalStateException("cannot sign a service account token: " + e.getMessage(), e);
        }
    }

    /** The claims of a token this cluster signed and that has not expired; empty for anything else. */
    public Optional<Claims> verify(String token) {
        JwtConsumer consumer = new JwtConsumerBuilder()
                .setVerificationKey(publicKey)
                .setJwsAlgorithmConstraints(AlgorithmConstraints.ConstraintType.PERMIT,
                        AlgorithmIdentifiers.ECDSA_USING_P256_CURVE_AND_SHA256, AlgorithmIdentifiers.RSA_USING_SHA256)
                .setSkipDefaultAudienceValidation()
                .setAllowedClockSkewInSeconds(60)
                .build();
        try {
            JwtClaims c = consumer.processToClaims(token);
            String iss = c.getIssuer();
            if (LEGACY_ISSUER.equals(iss)) {
                return Optional.of(new Claims(c.getStringClaimValue("kubernetes.io/serviceaccount/namespace"),
                        c.getStringClaimValue("kubernetes.io/serviceaccount/service-account.name"),
                        c.getStringClaimValue("kubernetes.io/serviceaccount/service-account.uid"), "", "",
                        c.getStringClaimValue("kubernetes.io/serviceaccount/secret.name"), null));
            }
            if (!issuer.equals(iss) || !c.hasClaim("kubernetes.io") || c.getExpirationTime() == null || !c.getAudience().contains(issuer)) {
                return Optional.empty();
            }
            @SuppressWarnings("unchecked")
            Map<String, Object> k8s = (Map<String, Object>) c.getClaimValue("kubernetes.io");
            @SuppressWarnings("unchecked")
            Map<String, Object> sa = (Map<String, Object>) k8s.get("serviceaccount");
            @SuppressWarnings("unchecked")
            Map<String, Object> pod = (Map<String, Object>) k8s.getOrDefault("pod", Map.of());
            return Optional.of(new Claims(String.valueOf(k8s.get("namespace")), String.valueOf(sa.get("name")), String.valueOf(sa.get("uid")),
                    String.valueOf(pod.getOrDefault("name", "")), String.valueOf(pod.getOrDefault("uid", "")), "",
                    Instant.ofEpochSecond(c.getExpirationTime().getValue())));
        } catch (InvalidJwtException | MalformedClaimException | ClassCastException | NullPointerException e) {
            return Optional.empty();
        }
    }

    static PublicKey publicKey(String pem) throws GeneralSecurityException {
        byte[] der = der(pem, "PUBLIC KEY");
        for (String alg : List.of("EC", "RSA")) {
            try {
                return KeyFactory.getInstance(alg).generatePublic(new X509EncodedKeySpec(der));
            } catch (GeneralSecurityException e) {
                // try the next algorithm
            }
        }
        throw new GeneralSecurityException("not an EC or RSA public key (PEM \"PUBLIC KEY\")");
    }

    static PrivateKey privateKey(String pem, String algorithm) throws GeneralSecurityException {
        return KeyFactory.getInstance(algorithm).generatePrivate(new PKCS8EncodedKeySpec(der(pem, "PRIVATE KEY")));
    }

    private static byte[] der(String pem, String type) {
        String begin = "-----BEGIN " + type + "-----";
        int i = pem.indexOf(begin);
        int j = pem.indexOf("-----END " + type + "-----");
        if (i < 0 || j < i) {
            throw new IllegalArgumentException("expected a PEM block \"" + type + "\"");
        }
        return Base64.getMimeDecoder().decode(pem.substring(i + begin.length(), j));
    }

    /** The key id upstream derives: a hash of the public key, so verifiers can tell keys apart. */
    private static String keyId(PublicKey key) {
        try {
            byte[] h = MessageDigest.getInstance("SHA-256").digest(key.getEncoded());
            return Base64.getUrlEncoder().withoutPadding().encodeToString(h);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("SHA-256 is missing from this JVM", e);
        }
    }
}
