package io.kuberaft.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** The serving certificate names `up --tls-san` adds, kept across restarts and issued again by the same CA. */
class PkiTest {
    @TempDir
    Path dir;

    private static X509Certificate cert(Path p) throws Exception {
        try (InputStream in = Files.newInputStream(p)) {
            return (X509Certificate) CertificateFactory.getInstance("X.509").generateCertificate(in);
        }
    }

    @Test
    void extraNamesAreInTheServingCertificateAndAddingOneKeepsTheCa() throws Exception {
        Pki pki = new Pki(dir);
        pki.ensure(List.of());
        assertThat(pki.serverNames()).containsExactlyInAnyOrder("127.0.0.1", "localhost", "kubernetes", "kubernetes.default", "kubernetes.default.svc");
        String ca = Files.readString(pki.caCert());
        String token = pki.adminToken();

        pki.ensure(List.of("api.example.com", "10.0.0.5", "::1"));
        assertThat(pki.serverNames()).contains("127.0.0.1", "localhost", "api.example.com", "10.0.0.5", "0:0:0:0:0:0:0:1");
        assertThat(Files.readString(pki.caCert())).as("same CA: kubeconfigs stay valid").isEqualTo(ca);
        assertThat(pki.adminToken()).isEqualTo(token);
        X509Certificate server = cert(pki.serverCert());
        server.verify(cert(pki.caCert()).getPublicKey());

        // nothing new: the certificate is not issued again
        String before = Files.readString(pki.serverCert());
        pki.ensure(List.of("10.0.0.5", "API.example.com"));
        assertThat(Files.readString(pki.serverCert())).isEqualTo(before);
    }

    @Test
    void onlyDnsNamesAndIpAddressesAreNames() {
        assertThat(Pki.validName("api.example.com")).isTrue();
        assertThat(Pki.validName("*.apps.example.com")).isTrue();
        assertThat(Pki.validName("192.168.1.10")).isTrue();
        assertThat(Pki.validName("fd00::10")).isTrue();
        assertThat(Pki.validName("not a name")).isFalse();
        assertThat(Pki.validName("1.2.3")).isFalse();
        assertThat(Pki.validName("Upper.Example")).isFalse();
    }
}
