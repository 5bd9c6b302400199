package io.kuberaft.controllers.certificates;

import io.fabric8.kubernetes.api.model.certificates.v1.CertificateSigningRequest;
import io.fabric8.kubernetes.api.model.certificates.v1.CertificateSigningRequestBuilder;
import io.fabric8.kubernetes.api.model.certificates.v1.CertificateSigningRequestConditionBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.kuberaft.controllers.ApiFixture;
import io.kuberaft.controllers.ControllerOptions;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.bouncycastle.pkcs.jcajce.JcaPKCS10CertificationRequestBuilder;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayInputStream;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.Date;
import java.util.List;

import static io.kuberaft.controllers.ApiFixture.await;
import static org.assertj.core.api.Assertions.assertThat;

/** The csrsigning controller with a CA the test makes: approved requests are issued, bad ones fail, others wait. */
class CertificateSigningControllerTest {
    @TempDir
    Path tmp;
    ApiFixture api;
    KubernetesClient k;
    KeyPair caKeys;
    X509Certificate ca;

    static String pem(String type, byte[] der) {
        return "-----BEGIN " + type + "-----\n" + Base64.getMimeEncoder(64, "\n".getBytes()).encodeToString(der) + "\n-----END " + type + "-----\n";
    }

    static KeyPair ecKeys() throws Exception {
        KeyPairGenerator gen = KeyPairGenerator.getInstance("EC");
        gen.initialize(256);
        return gen.generateKeyPair();
    }

    @BeforeEach
    void start() throws Exception {
        caKeys = ecKeys();
        X500Name name = new X500Name("CN=test-ca");
        X509v3CertificateBuilder b = new JcaX509v3CertificateBuilder(name, BigInteger.ONE, Date.from(Instant.now().minusSeconds(60)),
                Date.from(Instant.now().plus(Duration.ofDays(3650))), name, caKeys.getPublic())
                .addExtension(Extension.basicConstraints, true, new BasicConstraints(true));
        byte[] der = b.build(new JcaContentSignerBuilder("SHA256withECDSA").build(caKeys.getPrivate())).getEncoded();
        ca = (X509Certificate) CertificateFactory.getInstance("X.509").generateCertificate(new ByteArrayInputStream(der));
        ControllerOptions options = ControllerOptions.defaults().toBuilder()
                .clusterSigning(pem("CERTIFICATE", der), pem("PRIVATE KEY", caKeys.getPrivate().getEncoded())).build();
        api = new ApiFixture(tmp, options, List.of(CertificateSigningController::new));
        k = api.client();
    }

    @AfterEach
    void stop() {
        api.close();
    }

    CertificateSigningRequest create(String name, String signer, String... usages) throws Exception {
        KeyPair kp = ecKeys();
        var req = new JcaPKCS10CertificationRequestBuilder(new X500Name("CN=" + name + ",O=devs"), kp.getPublic())
                .build(new JcaContentSignerBuilder("SHA256withECDSA").build(kp.getPrivate()));
        String request = Base64.getEncoder().encodeToString(pem("CERTIFICATE REQUEST", req.getEncoded()).getBytes(StandardCharsets.UTF_8));
        return k.resources(CertificateSigningRequest.class).resource(new CertificateSigningRequestBuilder().withNewMetadata().withName(name)
                .endMetadata().withNewSpec().withRequest(request).withSignerName(signer).withExpirationSeconds(86400)
                .withUsages(usages).endSpec().build()).create();
    }

    void approve(String name) {
        CertificateSigningRequest csr = k.resources(CertificateSigningRequest.class).withName(name).get();
        if (csr.getStatus() == null) {
            csr.setStatus(new io.fabric8.kubernetes.api.model.certificates.v1.CertificateSigningRequestStatus());
        }
        csr.getStatus().setConditions(List.of(new CertificateSigningRequestConditionBuilder().withType("Approved").withStatus("True")
                .withReason("KubectlApprove").withMessage("This CSR was approved by kubectl certificate approve.").build()));
        k.resources(CertificateSigningRequest.class).resource(csr).subresource("approval").update();
    }

    CertificateSigningRequest get(String name) {
        return k.resources(CertificateSigningRequest.class).withName(name).get();
    }

    @Test
    void anApprovedClientRequestIsIssuedByTheClusterCa() throws Exception {
        create("john", "kubernetes.io/kube-apiserver-client", "client auth");
        create("waits", "kubernetes.io/kube-apiserver-client", "client auth");
        approve("john");
        await(Duration.ofSeconds(15), "john's certificate", () -> get("john").getStatus().getCertificate() != null);
        String pem = new String(Base64.getDecoder().decode(get("john").getStatus().getCertificate()), StandardCharsets.UTF_8);
        X509Certificate cert = (X509Certificate) CertificateFactory.getInstance("X.509")
                .generateCertificate(new ByteArrayInputStream(pem.getBytes(StandardCharsets.US_ASCII)));
        cert.verify(ca.getPublicKey());
        assertThat(cert.getSubjectX500Principal().getName()).isEqualTo("O=devs,CN=john");
        assertThat(cert.getIssuerX500Principal()).isEqualTo(ca.getSubjectX500Principal());
        assertThat(cert.getExtendedKeyUsage()).containsExactly("1.3.6.1.5.5.7.3.2");
        assertThat(cert.getBasicConstraints()).as("not a CA").isEqualTo(-1);
        long hours = Duration.between(cert.getNotBefore().toInstant(), cert.getNotAfter().toInstant()).toMinutes();
        assertThat(hours).as("24 h asked, backdated 5 min").isEqualTo(24 * 60 + 5);
        assertThat(get("waits").getStatus() == null ? null : get("waits").getStatus().getCertificate()).as("not approved: not issued").isNull();
    }

    @Test
    void aUsageTheSignerDoesNotAllowFailsTheRequest() throws Exception {
        create("server", "kubernetes.io/kube-apiserver-client", "client auth", "server auth");
        create("elsewhere", "example.com/my-signer", "client auth");
        approve("server");
        approve("elsewhere");
        await(Duration.ofSeconds(15), "Failed condition", () -> get("server").getStatus().getConditions().stream()
                .anyMatch(c -> c.getType().equals("Failed") && c.getReason().equals("SignerValidationFailure")
                        && c.getMessage().equals("invalid usage for client certificate: server auth")));
        assertThat(get("server").getStatus().getCertificate()).isNull();
        assertThat(get("elsewhere").getStatus().getCertificate()).as("another signer's request").isNull();
    }
}
