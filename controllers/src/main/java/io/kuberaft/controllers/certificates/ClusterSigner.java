package io.kuberaft.controllers.certificates;

import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.Extensions;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.asn1.pkcs.PKCSObjectIdentifiers;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.openssl.PEMKeyPair;
import org.bouncycastle.openssl.PEMParser;
import org.bouncycastle.openssl.jcajce.JcaPEMKeyConverter;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.bouncycastle.operator.jcajce.JcaContentVerifierProviderBuilder;
import org.bouncycastle.pkcs.PKCS10CertificationRequest;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;

import java.io.IOException;
import java.io.StringReader;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Date;
import java.util.List;

/**
 * Signs PKCS#10 requests with the cluster CA as upstream's local signer: the request's subject and public key, a
 * random serial, not-before backdated 5 minutes (clock skew), not-after at most the CA's own, key usages and extended
 * key usages from the CSR's {@code usages}, not a CA; subject alternative names of the request are kept (serving
 * certificates).
 */
final class ClusterSigner {
    private static final Duration BACKDATE = Duration.ofMinutes(5);
    /** BouncyCastle's own provider: the JDK's cannot build a key from an algorithm OID alone (a CSR's public key). */
    private static final java.security.Provider BC = new org.bouncycastle.jce.provider.BouncyCastleProvider();
    private final X509CertificateHolder ca;
    private final PrivateKey key;
    private final SecureRandom random = new SecureRandom();

    /** What is wrong with a request, for its Failed condition. */
    static final class InvalidRequestException extends Exception {
        InvalidRequestException(String message) {
            super(message);
        }
    }

    private ClusterSigner(X509CertificateHolder ca, PrivateKey key) {
        this.ca = ca;
        this.key = key;
    }

    static ClusterSigner of(String certPem, String keyPem) {
        try {
            Object cert = new PEMParser(new StringReader(certPem)).readObject();
            Object k = new PEMParser(new StringReader(keyPem)).readObject();
            JcaPEMKeyConverter conv = new JcaPEMKeyConverter().setProvider(BC);
            PrivateKey key = k instanceof PEMKeyPair kp ? conv.getKeyPair(kp).getPrivate() : conv.getPrivateKey((PrivateKeyInfo) k);
            return new ClusterSigner((X509CertificateHolder) cert, key);
        } catch (IOException | ClassCastException e) {
            throw new IllegalArgumentException("the cluster signing certificate or key is not PEM: " + e.getMessage(), e);
        }
    }

    /** The certificate (PEM) for the request (base64 of PEM, as in spec.request), valid for {@code validity} from {@code now}. */
    String sign(String requestBase64, List<String> usages, Duration validity, Instant now) throws InvalidRequestException {
        PKCS10CertificationRequest req;
        try {
            String pem = new String(Base64.getDecoder().decode(requestBase64), StandardCharsets.UTF_8);
            Object o = new PEMParser(new StringReader(pem)).readObject();
            if (!(o instanceof PKCS10CertificationRequest r)) {
                throw new InvalidRequestException("unable to parse csr: PEM block type must be CERTIFICATE REQUEST");
            }
            req = r;
            if (!req.isSignatureValid(new JcaContentVerifierProviderBuilder().setProvider(BC).build(req.getSubjectPublicKeyInfo()))) {
                throw new InvalidRequestException("unable to verify certificate request signature");
            }
        } catch (InvalidRequestException e) {
            throw e;
        } catch (Exception e) {
            throw new InvalidRequestException("unable to parse csr: " + e.getMessage());
        }
        Instant notAfter = now.plus(validity);
        Instant caNotAfter = ca.getNotAfter().toInstant();
        if (notAfter.isAfter(caNotAfter)) {
            notAfter = caNotAfter;
        }
        try {
            X509v3CertificateBuilder b = new X509v3CertificateBuilder(ca.getSubject(), new BigInteger(127, random).add(BigInteger.ONE),
                    Date.from(now.minus(BACKDATE)), Date.from(notAfter), req.getSubject(), req.getSubjectPublicKeyInfo());
            b.addExtension(Extension.basicConstraints, true, new BasicConstraints(false));
            int keyUsage = 0;
            List<KeyPurposeId> purposes = new ArrayList<>();
            for (String u : usages) {
                switch (u) {
                    case "signing", "digital signature" -> keyUsage |= KeyUsage.digitalSignature;
                    case "content commitment" -> keyUsage |= KeyUsage.nonRepudiation;
                    case "key encipherment" -> keyUsage |= KeyUsage.keyEncipherment;
                    case "key agreement" -> keyUsage |= KeyUsage.keyAgreement;
                    case "data encipherment" -> keyUsage |= KeyUsage.dataEncipherment;
                    case "cert sign" -> keyUsage |= KeyUsage.keyCertSign;
                    case "crl sign" -> keyUsage |= KeyUsage.cRLSign;
                    case "client auth" -> purposes.add(KeyPurposeId.id_kp_clientAuth);
                    case "server auth" -> purposes.add(KeyPurposeId.id_kp_serverAuth);
                    case "code signing" -> purposes.add(KeyPurposeId.id_kp_codeSigning);
                    case "email protection", "s/mime" -> purposes.add(KeyPurposeId.id_kp_emailProtection);
                    case "timestamping" -> purposes.add(KeyPurposeId.id_kp_timeStamping);
                    case "ocsp signing" -> purposes.add(KeyPurposeId.id_kp_OCSPSigning);
                    default -> {
                    }
                }
            }
            if (keyUsage != 0) {
                b.addExtension(Extension.keyUsage, true, new KeyUsage(keyUsage));
            }
            if (!purposes.isEmpty()) {
                b.addExtension(Extension.extendedKeyUsage, false, new ExtendedKeyUsage(purposes.toArray(KeyPurposeId[]::new)));
            }
            for (var attr : req.getAttributes(PKCSObjectIdentifiers.pkcs_9_at_extensionRequest)) {
                Extensions requested = Extensions.getInstance(attr.getAttrValues().getObjectAt(0));
                Extension san = requested.getExtension(Extension.subjectAlternativeName);
                if (san != null) {
                    b.addExtension(san);
                }
            }
            String algorithm = key.getAlgorithm().equals("RSA") ? "SHA256withRSA" : "SHA256withECDSA";
            X509CertificateHolder cert = b.build(new JcaContentSignerBuilder(algorithm).setProvider(BC).build(key));
            return "-----BEGIN CERTIFICATE-----\n" + Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII))
                    .encodeToString(cert.getEncoded()) + "\n-----END CERTIFICATE-----\n";
        } catch (Exception e) {
            throw new IllegalStateException("signing failed: " + e.getMessage(), e);
        }
    }
}
