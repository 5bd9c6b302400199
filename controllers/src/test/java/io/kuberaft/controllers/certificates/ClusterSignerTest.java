package io.kuberaft.controllers.certificates;

import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.bouncycastle.pkcs.jcajce.JcaPKCS10CertificationRequestBuilder;
import org.junit.jupiter.api.Test;

import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.security.KeyPair;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.Date;
import java.util.List;

import static io.kuberaft.controllers.certificates.CertificateSigningControllerTest.ecKeys;
import static io.kuberaft.controllers.certificates.CertificateSigningControllerTest.pem;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ClusterSignerTest {
    @Test
    void signsAValidRequestAndRefusesATamperedOne() throws Exception {
        KeyPair caKeys = ecKeys();
        X500Name name = new X500Name("CN=ca");
        byte[] der = new JcaX509v3CertificateBuilder(name, BigInteger.ONE, Date.from(Instant.now().minusSeconds(60)),
                Date.from(Instant.now().plus(Duration.ofDays(10))), name, caKeys.getPublic())
                .addExtension(Extension.basicConstraints, true, new BasicConstraints(true))
                .build(new JcaContentSignerBuilder("SHA256withECDSA").build(caKeys.getPrivate())).getEncoded();
        ClusterSigner signer = ClusterSigner.of(pem("CERTIFICATE", der), pem("PRIVATE KEY", caKeys.getPrivate().getEncoded()));
        KeyPair kp = ecKeys();
        byte[] req = new JcaPKCS10CertificationRequestBuilder(new X500Name("CN=john"), kp.getPublic())
                .build(new JcaContentSignerBuilder("SHA256withECDSA").build(kp.getPrivate())).getEncoded();
        String b64 = Base64.getEncoder().encodeToString(pem("CERTIFICATE REQUEST", req).getBytes(StandardCharsets.UTF_8));
        String cert = signer.sign(b64, List.of("client auth"), Duration.ofDays(30), Instant.now());
        assertThat(cert).startsWith("-----BEGIN CERTIFICATE-----");
        req[req.length - 5] ^= 1;
        String tampered = Base64.getEncoder().encodeToString(pem("CERTIFICATE REQUEST", req).getBytes(StandardCharsets.UTF_8));
        assertThatThrownBy(() -> signer.sign(tampered, List.of("client auth"), Duration.ofDays(1), Instant.now()))
                .isInstanceOf(ClusterSigner.InvalidRequestException.class);
    }
}
