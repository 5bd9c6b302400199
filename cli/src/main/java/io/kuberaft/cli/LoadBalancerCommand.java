package io.kuberaft.cli;

import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.net.NetClient;
import io.vertx.core.net.NetClientOptions;
import io.vertx.core.net.NetServer;
import io.vertx.core.net.NetSocket;
import io.vertx.core.net.PemTrustOptions;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The built-in TCP load balancer of `up --lb builtin`: forwards each connection to a healthy API
 * replica, round robin; a replica is healthy while its /readyz answers 200 (checked every second,
 * like HAProxy's httpchk). When none is, any replica that accepts the connection gets it (so clients read its 503
 * instead of an EOF). TLS passes through untouched.
 */
@Command(name = "lb", mixinStandardHelpOptions = true,
        description = "Run the built-in TCP load balancer in front of the API replicas (health checks on /readyz).")
public final class LoadBalancerCommand implements Callable<Integer> {
    private static final Logger LOG = LoggerFactory.getLogger(LoadBalancerCommand.class);

    @Option(names = "--listen", defaultValue = "127.0.0.1:6443", description = "host:port to accept on (default: ${DEFAULT-VALUE}).")
    String listen;

    @Option(names = "--backend", required = true, description = "An API replica host:port (repeatable).")
    List<String> backends;

    @Option(names = "--ca", description = "CA that signed the replicas' serving certificates (for the health checks).")
    Path ca;

    @Option(names = "--check-interval-ms", defaultValue = "1000", description = "Health check period (default: ${DEFAULT-VALUE}).")
    long intervalMs;

    /** Connects {@code in} to {@code candidates[i]}, or to the next ones when it refuses ({@code left} tries). */
    private static void connect(NetClient client, NetSocket in, List<String> candidates, int i, int left, Map<String, Boolean> healthy) {
        String b = candidates.get(i % candidates.size());
        client.connect(Integer.parseInt(b.substring(b.lastIndexOf(':') + 1)), b.substring(0, b.lastIndexOf(':')))
                .onSuccess(out -> splice(in, out))
                .onFailure(t -> {
                    healthy.put(b, false);
                    if (left > 1) {
                        connect(client, in, candidates, i + 1, left - 1, healthy);
                    } else {
                        in.close();
                    }
                });
    }

    @Override
    public Integer call() throws Exception {
        Vertx vertx = Vertx.vertx();
        Map<String, Boolean> healthy = new ConcurrentHashMap<>();
        backends.forEach(b -> healthy.put(b, false));
        // Checks reuse one kept-alive connection per replica: a TLS handshake per check (ECDHE + an ECDSA
        // signature on the replica's event loop) cost each idle replica more CPU than the check itself. A
        // replica that dies or freezes still fails its next check (reset connection or the 1.5 s timeout).
        HttpClientOptions ho = new HttpClientOptions().setConnectTimeout(1000)
                .setIdleTimeout((int) Math.max(5, 3 * intervalMs / 1000)).setKeepAlive(true);
        if (ca != null) {
            ho.setSsl(true).setTrustOptions(new PemTrustOptions().addCertPath(ca.toString())).setVerifyHost(false);
        }
        HttpClient checks = vertx.createHttpClient(ho);
        vertx.setPeriodic(0, intervalMs, id -> {
            for (String b : backends) {
                String host = b.substring(0, b.lastIndexOf(':'));
                int port = Integer.parseInt(b.substring(b.lastIndexOf(':') + 1));
                checks.request(new RequestOptions().setMethod(HttpMethod.GET).setHost(host).setPort(port).setURI("/readyz").setTimeout(1500))
                        .compose(req -> req.send().map(resp -> resp.statusCode() == 200))
                        .onComplete(ar -> {
                            boolean ok = ar.succeeded() && ar.result();
                            Boolean before = healthy.put(b, ok);
                            if (before == null || before != ok) {
                                LOG.info("backend={} healthy={}", b, ok);
                            }
                        });
            }
        });
        NetClient client = vertx.createNetClient(new NetClientOptions().setConnectTimeout(2000));
        AtomicInteger next = new AtomicInteger();
        String lhost = listen.substring(0, listen.lastIndexOf(':'));
        int lport = Integer.parseInt(listen.substring(listen.lastIndexOf(':') + 1));
        NetServer server = vertx.createNetServer().connectHandler(in -> {
            in.pause();
            List<String> up = new ArrayList<>();
            for (String b : backends) {
                if (healthy.getOrDefault(b, false)) {
                    up.add(b);
                }
            }
            if (up.isEmpty()) {
                // No replica is ready (no Raft quorum, or all of them starting). As Envoy's panic mode, any replica
                // that accepts the connection gets it: its 503 Status with Retry-After tells the client why, where
                // closing the connection would leave kubectl with a bare EOF.
                up.addAll(backends);
            }
            connect(client, in, up, Math.floorMod(next.getAndIncrement(), up.size()), up.size(), healthy);
        });
        server.listen(lport, lhost).toCompletionStage().toCompletableFuture().join();
        LOG.info("load balancer listening on {} for {}", listen, backends);
        CountDownLatch stop = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            vertx.close();
            stop.countDown();
        }));
        stop.await();
        return 0;
    }

    private static void splice(NetSocket in, NetSocket out) {
        in.pipeTo(out);
        out.pipeTo(in);
        in.resume();
    }
}
