package io.kuberaft.controllers.runtime;

import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.ConfigBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.jdkhttp.JdkHttpClientFactory;
import io.kuberaft.controllers.ControllerOptions;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;

/**
 * Everything the controllers do in one leadership term: a client fenced by the term, shared
 * informers, and each controller's queue and workers. Closing it ends the term's work; the next
 * term starts from nothing but the cluster state.
 */
public final class LeaderSession implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(LeaderSession.class);
    private final long term;
    private final KubernetesClient client;
    private final Informers informers;
    private final EventRecorder events;
    private final List<ControllerLoop> loops = new ArrayList<>();
    private volatile boolean closed;

    public LeaderSession(long term, String apiUrl, String token, ControllerOptions options, Clock clock,
                         List<Supplier<Controller>> controllers) {
        this.term = term;
        this.client = client(apiUrl, token, term);
        this.informers = new Informers(client, Duration.ZERO);
        this.events = new EventRecorder(client, clock);
        java.util.Map<Class<?>, Object> shared = new java.util.concurrent.ConcurrentHashMap<>();
        for (Supplier<Controller> f : controllers) {
            Controller c = f.get();
            WorkQueue q = new WorkQueue(c.name());
            c.register(new ControllerContext(client, informers, events.source(c.eventSource()), clock, options, term, shared), q);
            loops.add(new ControllerLoop(c, q));
        }
    }

    /**
     * A client of the API for this term: every request carries the fence; certificates of loopback trusted.
     * Watches over plain HTTP (as client-go's): fabric8's WebSocket watches were aborted ("write error or
     * failure with sendClose") in long test runs and the informers then went stale.
     */
    public static KubernetesClient client(String apiUrl, String token, long term) {
        Config config = new ConfigBuilder(Config.empty()).withMasterUrl(apiUrl).withOauthToken(token)
                .withTrustCerts(true).withDisableHostnameVerification(true).withHttp2Disable(true).withOnlyHttpWatches(true)
                .withRequestTimeout(30_000).withConnectionTimeout(5_000)
                .withWatchReconnectInterval(200).withRequestRetryBackoffInterval(100).withRequestRetryBackoffLimit(5)
                // the API names the writer in managedFields after the User-Agent's product, as for upstream's controllers
                .withUserAgent("kube-controller-manager/v1.32.4-kuberaft")
                .build();
        return new KubernetesClientBuilder().withConfig(config).withHttpClientFactory(new JdkHttpClientFactory())
                .withHttpClientBuilderConsumer(b -> {
                    if (term > 0) {
                        b.addOrReplaceInterceptor("kuberaft-fence", new FenceInterceptor(term));
                    }
                }).build();
    }

    /** Waits for the API (it may start after the replica leads), lists every informer, then starts the workers. */
    public void run() throws Exception {
        long backoffMs = 100;
        while (!closed) {
            try {
                client.namespaces().withName("default").get();
                break;
            } catch (RuntimeException e) {
                LOG.debug("term {}: API not reachable yet ({}); retrying", term, e.toString());
                Thread.sleep(backoffMs);
                backoffMs = Math.min(2_000, backoffMs * 2);
            }
        }
        if (closed) {
            return;
        }
        informers.start(Duration.ofSeconds(60));
        synchronized (this) {
            if (closed) {
                return;
            }
            loops.forEach(l -> l.start(term));
        }
        LOG.info("term {}: {} controllers running", term, loops.size());
    }

    public long term() {
        return term;
    }

    @Override
    public synchronized void close() {
        closed = true;
        loops.forEach(ControllerLoop::stop);
        informers.close();
        events.close();
        client.close();
    }
}
