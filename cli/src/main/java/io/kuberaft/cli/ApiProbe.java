package io.kuberaft.cli;

import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.CertificateFactory;
import java.time.Duration;

/** Asks an API endpoint for /readyz over HTTPS, trusting the cluster's CA. */
final class ApiProbe {
    private final HttpClient client;

    ApiProbe(Path caCert) throws IOException {
        try (InputStream in = Files.newInputStream(caCert)) {
            KeyStore ks = KeyStore.getInstance(KeyStore.getDefaultType());
            ks.load(null, null);
            ks.setCertificateEntry("ca", CertificateFactory.getInstance("X.509").generateCertificate(in));
            TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            tmf.init(ks);
            SSLContext ssl = SSLContext.getInstance("TLS");
            ssl.init(null, tmf.getTrustManagers(), null);
            client = HttpClient.newBuilder().sslContext(ssl).connectTimeout(Duration.ofSeconds(1)).build();
        } catch (GeneralSecurityException e) {
            throw new IOException("cannot load the cluster CA " + caCert + ": " + e.getMessage(), e);
        }
    }

    boolean ready(String baseUrl) {
        try {
            HttpResponse<String> r = client.send(HttpRequest.newBuilder(URI.create(baseUrl + "/readyz"))
                    .timeout(Duration.ofSeconds(2)).GET().build(), HttpResponse.BodyHandlers.ofString());
            return r.statusCode() == 200;
        } catch (IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }
}
