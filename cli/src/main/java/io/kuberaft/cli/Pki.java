package io.kuberaft.cli;

import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.openssl.jcajce.JcaPKCS8Generator;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

import java.io.IOException;
import java.io.StringWriter;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Date;
import java.util.HexFormat;
import java.util.List;

/**
 * The local cluster's certificates and admin credentials in {@code DIR/pki}: a CA, a serving
 * certificate for every replica and the load balancer (SANs 127.0.0.1, localhost, kubernetes.default.svc
 * and the names of `up --tls-san`), a bearer token for the admin, and {@code DIR/kubeconfig} pointing at the load balancer.
 * Generated once; `up` after `down` reuses them.
 */
final class Pki {
    final Path dir;

    Pki(Path clusterDir) {
        this.dir = clusterDir.resolve("pki");
    }

    Path caCert() {
        return dir.resolve("ca.crt");
    }

    Path caKey() {
        return dir.resolve("ca.key");
    }

    Path serverCert() {
        return dir.resolve("server.crt");
    }

    Path serverKey() {
        return dir.resolve("server.key");
    }

    Path tokenFile() {
        return dir.resolve("tokens.csv");
    }

    /** The API server's client certificate towards node agents (kube-apiserver's apiserver-kubelet-client). */
    Path kubeletClientCert() {
        return dir.resolve("apiserver-kubelet-client.crt");
    }

    Path kubeletClientKey() {
        return dir.resolve("apiserver-kubelet-client.key");
    }

    /**
     * Signs the kubelet client certificate with the cluster CA if it is missing (clusters made before it existed
     * get one on their next `up`): CN=kube-apiserver-kubelet-client, O=system:masters, extended key usage clientAuth.
     */
    void ensureKubeletClient() throws IOException {
        if (Files.exists(kubeletClientCert()) && Files.exists(kubeletClientKey())) {
            return;
        }
        try {
            X509Certificate ca = new JcaX509CertificateConverter().getCertificate((X509CertificateHolder)
                    new org.bouncycastle.openssl.PEMParser(Files.newBufferedReader(caCert())).readObject());
            Object k = new org.bouncycastle.openssl.PEMParser(Files.newBufferedReader(dir.resolve("ca.key"))).readObject();
            java.security.PrivateKey caKey = new org.bouncycastle.openssl.jcajce.JcaPEMKeyConverter()
                    .getPrivateKey((org.bouncycastle.asn1.pkcs.PrivateKeyInfo) k);
            KeyPairGenerator gen = KeyPairGenerator.getInstance("EC");
            gen.initialize(256);
            KeyPair client = gen.generateKeyPair();
            Instant now = Instant.now().minus(Duration.ofMinutes(5));
            JcaX509v3CertificateBuilder b = new JcaX509v3CertificateBuilder(X500Name.getInstance(ca.getSubjectX500Principal().getEncoded()),
                    serial(), Date.from(now), Date.from(now.plus(Duration.ofDays(825))),
                    new X500Name("CN=kube-apiserver-kubelet-client,O=system:masters"), client.getPublic());
            b.addExtension(Extension.extendedKeyUsage, false, new ExtendedKeyUsage(KeyPurposeId.id_kp_clientAuth));
            b.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.digitalSignature | KeyUsage.keyEncipherment));
            X509Certificate cert = sign(b.build(new JcaContentSignerBuilder("SHA256withECDSA").build(caKey)));
            write(kubeletClientKey(), pem(new JcaPKCS8Generator(client.getPrivate(), null)));
            write(kubeletClientCert(), pem(cert));
        } catch (GeneralSecurityException | org.bouncycastle.operator.OperatorCreationException | ClassCastException e) {
            throw new IOException("cannot sign the API server's kubelet client certificate: " + e.getMessage(), e);
        }
    }

    /** kube-apiserver's sa.key: signs ServiceAccount tokens; sa.pub verifies them (every replica gets both). */
    Path serviceAccountKey() {
        return dir.resolve("sa.key");
    }

    Path serviceAccountPublicKey() {
        return dir.resolve("sa.pub");
    }

    /** Makes the ServiceAccount token key pair (EC P-256, ES256) if it is missing, also in clusters made before it existed. */
    void ensureServiceAccountKey() throws IOException {
        if (Files.exists(serviceAccountKey()) && Files.exists(serviceAccountPublicKey())) {
            return;
        }
        try {
            KeyPairGenerator gen = KeyPairGenerator.getInstance("EC");
            gen.initialize(256);
            KeyPair sa = gen.generateKeyPair();
            write(serviceAccountKey(), pem(new JcaPKCS8Generator(sa.getPrivate(), null)));
            write(serviceAccountPublicKey(), pem(sa.getPublic()));
        } catch (GeneralSecurityException | org.bouncycastle.util.io.pem.PemGenerationException e) {
            throw new IOException("cannot generate the service account key: " + e.getMessage(), e);
        }
    }

    /**
     * Creates what is missing. The serving certificate is issued again (by the same CA, so kubeconfigs stay valid) when
     * it does not name every one of {@code extraNames} (DNS names or IP addresses, `up --tls-san`).
     */
    void ensure(List<String> extraNames) throws IOException {
        Files.createDirectories(dir);
        if (!Files.exists(caCert()) || !Files.exists(dir.resolve("ca.key")) || !Files.exists(tokenFile())) {
            try {
                KeyPairGenerator gen = KeyPairGenerator.getInstance("EC");
                gen.initialize(256);
                KeyPair ca = gen.generateKeyPair();
                X500Name caName = new X500Name("CN=kuberaft-ca");
                Instant now = Instant.now().minus(Duration.ofMinutes(5));
                Instant until = now.plus(Duration.ofDays(3650));
                JcaX509v3CertificateBuilder cab = new JcaX509v3CertificateBuilder(caName, serial(), Date.from(now), Date.from(until), caName, ca.getPublic());
                cab.addExtension(Extension.basicConstraints, true, new BasicConstraints(true));
                cab.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign | KeyUsage.digitalSignature));
                X509Certificate caCert = sign(cab.build(new JcaContentSignerBuilder("SHA256withECDSA").build(ca.getPrivate())));
                write(caCert(), pem(caCert));
                write(dir.resolve("ca.key"), pem(new JcaPKCS8Generator(ca.getPrivate(), null)));
                byte[] token = new byte[24];
                new SecureRandom().nextBytes(token);
                write(tokenFile(), HexFormat.of().formatHex(token) + ",admin,admin-uid,\"system:masters\"\n");
                Files.deleteIfExists(serverCert());
            } catch (GeneralSecurityException | org.bouncycastle.operator.OperatorCreationException e) {
                throw new IOException("cannot generate the cluster's certificates: " + e.getMessage(), e);
            }
        }
        if (!Files.exists(serverCert()) || !Files.exists(serverKey()) || !serverNames().containsAll(canonical(extraNames))) {
            issueServerCert(extraNames);
        }
        ensureKubeletClient();
        ensureServiceAccountKey();
    }

    /** The names the serving certificate always has. */
    static final List<String> DEFAULT_NAMES = List.of("127.0.0.1", "localhost", "kubernetes", "kubernetes.default", "kubernetes.default.svc");

    /** An IP address literal (IPv4 dotted or IPv6 with colons), as opposed to a DNS name. */
    static boolean isIp(String name) {
        return name.matches("[0-9.]+") || name.contains(":");
    }

    /** Whether {@code name} can be a SAN: an IP address literal or a DNS name (wildcard first label allowed). */
    static boolean validName(String name) {
        if (isIp(name)) {
            try {
                java.net.InetAddress.getByName(name);
                return name.matches("[0-9]+(\\.[0-9]+){3}") || name.contains(":");
            } catch (java.net.UnknownHostException e) {
                return false;
            }
        }
        return name.length() <= 253 && name.matches("(\\*\\.)?[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*");
    }

    /** Names as a certificate reports them (IP addresses in Java's canonical text form). */
    private static java.util.Set<String> canonical(List<String> names) throws IOException {
        java.util.Set<String> out = new java.util.HashSet<>();
        for (String n : names) {
            out.add(isIp(n) ? java.net.InetAddress.getByName(n).getHostAddress() : n.toLowerCase(java.util.Locale.ROOT));
        }
        return out;
    }

    /** The subject alternative names of the serving certificate. */
    java.util.Set<String> serverNames() throws IOException {
        try (var in = Files.newInputStream(serverCert())) {
            X509Certificate c = (X509Certificate) java.security.cert.CertificateFactory.getInstance("X.509").generateCertificate(in);
            java.util.Set<String> out = new java.util.HashSet<>();
            if (c.getSubjectAlternativeNames() != null) {
                for (List<?> san : c.getSubjectAlternativeNames()) {
                    String v = String.valueOf(san.get(1));
                    out.add(((Integer) san.get(0)) == GeneralName.iPAddress ? java.net.InetAddress.getByName(v).getHostAddress() : v);
                }
            }
            return out;
        } catch (GeneralSecurityException e) {
            throw new IOException("cannot read " + serverCert() + ": " + e.getMessage(), e);
        }
    }

    /** Signs a serving certificate (every replica and the load balancer present it) for the default names and {@code extraNames}. */
    private void issueServerCert(List<String> extraNames) throws IOException {
        try {
            X509Certificate ca = new JcaX509CertificateConverter().getCertificate((X509CertificateHolder)
                    new org.bouncycastle.openssl.PEMParser(Files.newBufferedReader(caCert())).readObject());
            Object k = new org.bouncycastle.openssl.PEMParser(Files.newBufferedReader(dir.resolve("ca.key"))).readObject();
            java.security.PrivateKey caKey = new org.bouncycastle.openssl.jcajce.JcaPEMKeyConverter()
                    .getPrivateKey((org.bouncycastle.asn1.pkcs.PrivateKeyInfo) k);
            KeyPairGenerator gen = KeyPairGenerator.getInstance("EC");
            gen.initialize(256);
            KeyPair server = gen.generateKeyPair();
            Instant now = Instant.now().minus(Duration.ofMinutes(5));
            JcaX509v3CertificateBuilder sb = new JcaX509v3CertificateBuilder(X500Name.getInstance(ca.getSubjectX500Principal().getEncoded()),
                    serial(), Date.from(now), Date.from(now.plus(Duration.ofDays(825))), new X500Name("CN=kube-apiserver"), server.getPublic());
            List<GeneralName> sans = new ArrayList<>();
            java.util.Set<String> seen = new java.util.HashSet<>();
            for (String n : concat(DEFAULT_NAMES, extraNames)) {
                if (seen.add(canonical(List.of(n)).iterator().next())) {
                    sans.add(new GeneralName(isIp(n) ? GeneralName.iPAddress : GeneralName.dNSName, n));
                }
            }
            sb.addExtension(Extension.subjectAlternativeName, false, new GeneralNames(sans.toArray(GeneralName[]::new)));
            sb.addExtension(Extension.extendedKeyUsage, false, new ExtendedKeyUsage(KeyPurposeId.id_kp_serverAuth));
            sb.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.digitalSignature | KeyUsage.keyEncipherment));
            X509Certificate serverCert = sign(sb.build(new JcaContentSignerBuilder("SHA256withECDSA").build(caKey)));
            write(serverKey(), pem(new JcaPKCS8Generator(server.getPrivate(), null)));
            write(serverCert(), pem(serverCert));
        } catch (GeneralSecurityException | org.bouncycastle.operator.OperatorCreationException | ClassCastException e) {
            throw new IOException("cannot issue the serving certificate: " + e.getMessage(), e);
        }
    }

    private static List<String> concat(List<String> a, List<String> b) {
        List<String> out = new ArrayList<>(a);
        out.addAll(b);
        return out;
    }

    String adminToken() throws IOException {
        return Files.readAllLines(tokenFile()).get(0).split(",")[0];
    }

    /** The admin kubeconfig (CA embedded, bearer token) pointing at {@code server}. */
    Path writeKubeconfig(Path clusterDir, String server) throws IOException {
        String ca = Base64.getEncoder().encodeToString(Files.readAllBytes(caCert()));
        String yaml = "apiVersion: v1\nkind: Config\nclusters:\n- name: kuberaft\n  cluster:\n    server: " + server
                + "\n    certificate-authority-data: " + ca + "\ncontexts:\n- name: kuberaft\n  context:\n    cluster: kuberaft\n"
                + "    user: admin\n    namespace: default\ncurrent-context: kuberaft\nusers:\n- name: admin\n  user:\n    token: "
                + adminToken() + "\n";
        Path p = clusterDir.resolve("kubeconfig");
        write(p, yaml);
        return p;
    }

    private static BigInteger serial() {
        return new BigInteger(64, new SecureRandom());
    }

    private static X509Certificate sign(X509CertificateHolder h) throws GeneralSecurityException {
        return new JcaX509CertificateConverter().getCertificate(h);
    }

    private static String pem(Object o) throws IOException {
        StringWriter sw = new StringWriter();
        try (JcaPEMWriter w = new JcaPEMWriter(sw)) {
            w.writeObject(o);
        }
        return sw.toString();
    }

    private static void write(Path p, String content) throws IOException {
        Files.writeString(p, content, StandardCharsets.UTF_8);
        try {
            Files.setPosixFilePermissions(p, PosixFilePermissions.fromString("rw-------"));
        } catch (UnsupportedOperationException e) {
            // not a POSIX file system: nothing to tighten
        }
    }
}
