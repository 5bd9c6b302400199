package io.kuberaft.nodeagent;

import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

import java.math.BigInteger;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;

/**
 * The agent API's serving certificate: self-signed at start-up, as the kubelet does without
 * {@code --tls-cert-file} (the API server does not verify it unless given a kubelet CA, upstream's default).
 */
final class ServingCertificate {
    private ServingCertificate() {
    }

    /** A certificate and its PKCS#8 key, PEM-encoded. */
    record Pem(String cert, String key) {
    }

    /** The same self-signed certificate, as PEM (what Vert.x takes). */
    static Pem selfSignedPem(String host) {
        try {
            KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
            g.initialize(256);
            KeyPair kp = g.generateKeyPair();
            X509Certificate cert = certificate(host, kp);
            return new Pem(pem(cert), pem(new org.bouncycastle.openssl.jcajce.JcaPKCS8Generator(kp.getPrivate(), null)));
        } catch (GeneralSecurityException | org.bouncycastle.operator.OperatorCreationException | java.io.IOException e) {
            throw new IllegalStateException("cannot create the agent's serving certificate: " + e.getMessage(), e);
        }
    }

    static String pem(Object o) throws java.io.IOException {
        java.io.StringWriter sw = new java.io.StringWriter();
        try (org.bouncycastle.openssl.jcajce.JcaPEMWriter w = new org.bouncycastle.openssl.jcajce.JcaPEMWriter(sw)) {
            w.writeObject(o);
        }
        return sw.toString();
    }

    private static X509Certificate certificate(String host, KeyPair kp) throws GeneralSecurityException, org.bouncycastle.operator.OperatorCreationException,
            org.bouncycastle.cert.CertIOException {
        X500Name subject = new X500Name("CN=" + host + "@" + Instant.now().getEpochSecond());
        Instant now = Instant.now();
        JcaX509v3CertificateBuilder b = new JcaX509v3CertificateBuilder(subject, new BigInteger(64, new SecureRandom()),
                Date.from(now.minus(Duration.ofHours(1))), Date.from(now.plus(Duration.ofDays(365))), subject, kp.getPublic());
        boolean ip = host.matches("[0-9.]+") || host.contains(":");
        b.addExtension(Extension.subjectAlternativeName, false, new GeneralNames(new GeneralName[]{
                new GeneralName(ip ? GeneralName.iPAddress : GeneralName.dNSName, host),
                new GeneralName(GeneralName.dNSName, "localhost")}));
        return new JcaX509CertificateConverter().getCertificate(b.build(new JcaContentSignerBuilder("SHA256withECDSA").build(kp.getPrivate())));
    }
}
