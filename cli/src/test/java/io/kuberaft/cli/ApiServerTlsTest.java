package io.kuberaft.cli;

import io.kuberaft.apiserver.ApiServer;
import io.kuberaft.apiserver.http.TlsCipherSuites;
import io.kuberaft.raftstore.ClusterView;
import io.kuberaft.raftstore.LocalKvStore;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManagerFactory;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.CertificateFactory;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** The API server's TLS: the cipher suite is the server's choice among what the client offers, in its order. */
class ApiServerTlsTest {
    @TempDir
    Path dir;
    private LocalKvStore store;
    private ApiServer server;
    private SSLContext trustingCa;

    @BeforeEach
    void start() throws Exception {
        Pki pki = new Pki(dir);
        pki.ensure(List.of());
        store = new LocalKvStore(dir.resolve("kv"));
        server = ApiServer.start(new ApiServer.Options("127.0.0.1", 0, pki.serverCert(), pki.serverKey(), pki.caCert(), Map.of(),
                ApiServer.DEFAULT_BOOKMARK_INTERVAL_MS), store, ClusterView.standalone("m1", () -> 0), new SimpleMeterRegistry(), () -> "");
        KeyStore ks = KeyStore.getInstance(KeyStore.getDefaultType());
        ks.load(null, null);
        try (InputStream in = Files.newInputStream(pki.caCert())) {
            ks.setCertificateEntry("ca", CertificateFactory.getInstance("X.509").generateCertificate(in));
        }
        TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(ks);
        trustingCa = SSLContext.getInstance("TLS");
        trustingCa.init(null, tmf.getTrustManagers(), null);
    }

    @AfterEach
    void stop() throws Exception {
        server.close();
        store.close();
    }

    private String negotiated(String protocol, List<String> offered) throws Exception {
        try (SSLSocket s = (SSLSocket) trustingCa.getSocketFactory().createSocket("127.0.0.1", server.port())) {
            s.setEnabledProtocols(new String[] {protocol});
            s.setEnabledCipherSuites(offered.toArray(String[]::new));
            s.startHandshake();
            return s.getSession().getCipherSuite();
        }
    }

    @Test
    void theServersFirstChoiceWinsOverTheClientsOrder() throws Exception {
        List<String> mine = TlsCipherSuites.preferred();
        // TLS 1.3 suites, and the TLS 1.2 ones the ECDSA serving key can use, each offered in the reverse of the server's order
        Map<String, List<String>> usable = Map.of(
                "TLSv1.3", mine.stream().filter(c -> !c.startsWith("TLS_ECDHE_")).toList(),
                "TLSv1.2", mine.stream().filter(c -> c.startsWith("TLS_ECDHE_ECDSA_")).toList());
        for (var e : usable.entrySet()) {
            List<String> reversed = new ArrayList<>(e.getValue());
            java.util.Collections.reverse(reversed);
            assertThat(negotiated(e.getKey(), reversed)).as("%s, the server prefers %s", e.getKey(), e.getValue())
                    .isEqualTo(e.getValue().get(0));
        }
    }

    @Test
    void aClientWithoutTheServersFavouriteStillConnects() throws Exception {
        String favourite = TlsCipherSuites.preferred().get(0);
        String other = TlsCipherSuites.preferred().stream().filter(c -> !c.startsWith("TLS_ECDHE_") && !c.equals(favourite)).findFirst().orElseThrow();
        assertThat(negotiated("TLSv1.3", List.of(other))).isEqualTo(other);
    }

    @Test
    void chaCha20LeadsUnderC1AndAesGcmUnderC2() {
        assertThat(TlsCipherSuites.preferred(1).get(0)).isEqualTo("TLS_CHACHA20_POLY1305_SHA256");
        assertThat(TlsCipherSuites.preferred(4).get(0)).isEqualTo("TLS_AES_128_GCM_SHA256");
        assertThat(TlsCipherSuites.preferred(1)).containsExactlyInAnyOrderElementsOf(TlsCipherSuites.preferred(4));
    }
}
