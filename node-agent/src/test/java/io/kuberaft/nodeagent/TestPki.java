package io.kuberaft.nodeagent;

import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.openssl.PEMParser;
import org.bouncycastle.openssl.jcajce.JcaPEMKeyConverter;
import org.bouncycastle.openssl.jcajce.JcaPKCS8Generator;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManager;
import javax.net.ssl.X509TrustManager;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.KeyStore;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;

/** A throw-away CA and a client certificate it signed (the API server's kubelet client certificate in tests). */
record TestPki(String caPem, Path clientCert, Path clientKey) {

    static TestPki create(Path dir, String name) throws Exception {
        Files.createDirectories(dir);
        KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
        g.initialize(256);
        KeyPair ca = g.generateKeyPair();
        X500Name caName = new X500Name("CN=" + name + "-ca");
        Instant now = Instant.now().minus(Duration.ofMinutes(5));
        JcaX509v3CertificateBuilder cab = new JcaX509v3CertificateBuilder(caName, BigInteger.valueOf(new SecureRandom().nextInt(1 << 30)),
                Date.from(now), Date.from(now.plus(Duration.ofDays(1))), caName, ca.getPublic());
        cab.addExtension(Extension.basicConstraints, true, new BasicConstraints(true));
        X509Certificate caCert = new JcaX509CertificateConverter().getCertificate(cab.build(new JcaContentSignerBuilder("SHA256withECDSA").build(ca.getPrivate())));
        KeyPair client = g.generateKeyPair();
        JcaX509v3CertificateBuilder cb = new JcaX509v3CertificateBuilder(caName, BigInteger.valueOf(new SecureRandom().nextInt(1 << 30)),
                Date.from(now), Date.from(now.plus(Duration.ofDays(1))), new X500Name("CN=kube-apiserver-kubelet-client,O=system:masters"), client.getPublic());
        cb.addExtension(Extension.extendedKeyUsage, false, new ExtendedKeyUsage(KeyPurposeId.id_kp_clientAuth));
        X509Certificate clientCert = new JcaX509CertificateConverter().getCertificate(cb.build(new JcaContentSignerBuilder("SHA256withECDSA").build(ca.getPrivate())));
        Path cert = dir.resolve(name + "-client.crt");
        Path key = dir.resolve(name + "-client.key");
        Files.writeString(cert, ServingCertificate.pem(clientCert));
        Files.writeString(key, ServingCertificate.pem(new JcaPKCS8Generator(client.getPrivate(), null)));
        return new TestPki(ServingCertificate.pem(caCert), cert, key);
    }

    /** Trusts any server; presents {@code pki}'s client certificate when given. */
    static SSLContext ssl(TestPki pki) throws Exception {
        KeyManagerFactory kmf = null;
        if (pki != null) {
            X509Certificate cert;
            try (PEMParser p = new PEMParser(Files.newBufferedReader(pki.clientCert()))) {
                cert = new JcaX509CertificateConverter().getCertificate((X509CertificateHolder) p.readObject());
            }
            java.security.PrivateKey key;
            try (PEMParser p = new PEMParser(Files.newBufferedReader(pki.clientKey()))) {
                key = new JcaPEMKeyConverter().getPrivateKey((org.bouncycastle.asn1.pkcs.PrivateKeyInfo) p.readObject());
            }
            KeyStore ks = KeyStore.getInstance("PKCS12");
            ks.load(null, null);
            ks.setKeyEntry("client", key, "x".toCharArray(), new X509Certificate[]{cert});
            kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
            kmf.init(ks, "x".toCharArray());
        }
        SSLContext ctx = SSLContext.getInstance("TLS");
        ctx.init(kmf == null ? null : kmf.getKeyManagers(), new TrustManager[]{new X509TrustManager() {
            @Override
            public void checkClientTrusted(X509Certificate[] chain, String authType) {
            }

            @Override
            public void checkServerTrusted(X509Certificate[] chain, String authType) {
            }

            @Override
            public X509Certificate[] getAcceptedIssuers() {
                return new X509Certificate[0];
            }
        }}, null);
        return ctx;
    }

    /** An HTTP client to agent APIs that presents {@code pki}'s client certificate, as the API server does. */
    static java.net.http.HttpClient agentClient(TestPki pki) throws Exception {
        return java.net.http.HttpClient.newBuilder().sslContext(ssl(pki)).connectTimeout(java.time.Duration.ofSeconds(5)).build();
    }
}
