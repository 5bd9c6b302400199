package io.kuberaft.nodeagent;

import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

/** The agent's Kubernetes client: fabric8 over the JDK HTTP client, from a kubeconfig, optionally another server URL. */
public final class AgentClient {
    private AgentClient() {
    }

    /** Three of the API server's default bookmark intervals: a watch this silent is pinned to a frozen replica. */
    public static final Duration WATCH_IDLE_TIMEOUT = Duration.ofSeconds(30);

    public static KubernetesClient fromKubeconfig(Path kubeconfig, String server) throws IOException {
        return fromKubeconfig(kubeconfig, server, WATCH_IDLE_TIMEOUT);
    }

    public static KubernetesClient fromKubeconfig(Path kubeconfig, String server, Duration watchIdleTimeout) throws IOException {
        if (!Files.isReadable(kubeconfig)) {
            throw new IOException("cannot read the kubeconfig " + kubeconfig);
        }
        Config c = Config.fromKubeconfig(null, Files.readString(kubeconfig), kubeconfig.toString());
        if (server != null && !server.isBlank()) {
            c.setMasterUrl(server);
        }
        return build(c, watchIdleTimeout);
    }

    /** The PEM CA of the kubeconfig's current cluster (certificate-authority-data or certificate-authority), or null. */
    public static String kubeconfigCa(Path kubeconfig) throws IOException {
        if (kubeconfig == null || !Files.isReadable(kubeconfig)) {
            return null;
        }
        Config c = Config.fromKubeconfig(null, Files.readString(kubeconfig), kubeconfig.toString());
        if (c.getCaCertData() != null && !c.getCaCertData().isBlank()) {
            return new String(java.util.Base64.getDecoder().decode(c.getCaCertData().trim()), java.nio.charset.StandardCharsets.UTF_8);
        }
        if (c.getCaCertFile() != null && !c.getCaCertFile().isBlank()) {
            return Files.readString(Path.of(c.getCaCertFile()));
        }
        return null;
    }

    /**
     * Watches over plain HTTP streaming, as kubectl's: fabric8 tries a WebSocket first, which the API server
     * answers with the streamed watch itself, and the JDK client then waits for the end of that response.
     */
    public static KubernetesClient build(Config c) {
        return build(c, WATCH_IDLE_TIMEOUT);
    }

    /** As {@link #build(Config)}; a watch that receives nothing (not even a bookmark) for {@code watchIdleTimeout} is reconnected. */
    public static KubernetesClient build(Config c, Duration watchIdleTimeout) {
        c.setOnlyHttpWatches(true);
        // HTTP/1.1 always, as over TLS to the API server (no ALPN): over plain http the JDK client upgrades to h2c and
        // multiplexes every request on one connection, which a frozen replica then holds, retries and reconnects included.
        c.setHttp2Disable(true);
        c.setRequestTimeout(15_000);
        // the API names the writer in managedFields after the User-Agent's product, as for upstream's kubelet
        c.setUserAgent("kubelet/v1.32.4-kuberaft");
        return new KubernetesClientBuilder().withConfig(c)
                .withHttpClientBuilderConsumer(b -> b.addOrReplaceInterceptor("kuberaft-watch-idle", new WatchIdleTimeout(watchIdleTimeout)))
                .build();
    }
}
