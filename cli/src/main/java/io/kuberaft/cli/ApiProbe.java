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

/** Asks an API endpoint for /readyz (and for the Ready nodes) over HTTPS, trusting the cluster's CA. */
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

    /**
     * How many of {@code names} the API lists as Nodes with Ready=True (GET /api/v1/nodes with the bearer
     * {@code token}); -1 when the API did not answer.
     */
    int readyNodes(String baseUrl, String token, java.util.Collection<String> names) {
        try {
            HttpResponse<String> r = client.send(HttpRequest.newBuilder(URI.create(baseUrl + "/api/v1/nodes"))
                    .header("Authorization", "Bearer " + token).timeout(Duration.ofSeconds(3)).GET().build(), HttpResponse.BodyHandlers.ofString());
            if (r.statusCode() != 200) {
                return -1;
            }
            int ready = 0;
            for (com.fasterxml.jackson.databind.JsonNode n : new com.fasterxml.jackson.databind.ObjectMapper().readTree(r.body()).path("items")) {
                if (!names.contains(n.path("metadata").path("name").asText())) {
                    continue;
                }
                for (com.fasterxml.jackson.databind.JsonNode c : n.path("status").path("conditions")) {
                    if (c.path("type").asText().equals("Ready") && c.path("status").asText().equals("True")) {
                        ready++;
                    }
                }
            }
            return ready;
        } catch (IOException e) {
            return -1;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return -1;
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
