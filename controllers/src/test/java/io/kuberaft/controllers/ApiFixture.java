package io.kuberaft.controllers;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.kuberaft.apiserver.ApiServer;
import io.kuberaft.controllers.runtime.Controller;
import io.kuberaft.controllers.runtime.LeaderSession;
import io.kuberaft.raftstore.ClusterView;
import io.kuberaft.raftstore.LocalKvStore;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;

import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

import static org.assertj.core.api.Assertions.fail;

/**
 * The controllers' test bed: the real API server over the real store (one {@link LocalKvStore}, whose
 * term a test can move on like a leader change), an unfenced admin client for the test's own
 * actions, and a {@link ControllerManager} leading term 1 with the controllers under test.
 */
public final class ApiFixture implements AutoCloseable {
    private final LocalKvStore store;
    private final ApiServer server;
    private final KubernetesClient admin;
    private final ControllerManager manager;
    private final SimpleMeterRegistry meters = new SimpleMeterRegistry();

    public ApiFixture(Path tmp, ControllerOptions options, List<Supplier<Controller>> controllers) {
        this(tmp, options, Clock.systemUTC(), controllers);
    }

    /** The same with the controllers' clock given (a test clock that can jump ahead). */
    public ApiFixture(Path tmp, ControllerOptions options, Clock clock, List<Supplier<Controller>> controllers) {
        this.store = new LocalKvStore(tmp.resolve("store"));
        this.server = ApiServer.start(ApiServer.Options.plain("127.0.0.1", 0), store, ClusterView.standalone("m1", () -> 1),
                meters, () -> "");
        try {
            this.admin = connect(Duration.ofSeconds(90));
        } catch (RuntimeException | Error e) {
            server.close();
            store.close();
            throw e;
        }
        this.manager = new ControllerManager(url(), "", options, clock, controllers);
        manager.onLeaderReady(1);
    }

    /**
     * The admin client, once the API answers it. In CI a fresh fixture's API once never answered: its ephemeral port was
     * one that an earlier chaos run's container had left forwarded in iptables (`chaos/stale-port-forwards.sh` now
     * removes such rules before the build). Should it happen again, the failure says what a plain request got, and a
     * client that got no answer for 15 s is replaced in case the client is what is stuck.
     */
    private KubernetesClient connect(Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        KubernetesClient c = LeaderSession.client(url(), "", 0);
        long fresh = System.nanoTime();
        while (true) {
            RuntimeException last;
            try {
                c.namespaces().withName("default").get();
                return c;
            } catch (io.fabric8.kubernetes.client.KubernetesClientException e) {
                last = e;
            }
            if (System.nanoTime() > deadline) {
                c.close();
                fail("timed out after " + timeout + " waiting for the API server to answer (" + last + "; a plain request: "
                        + plainRequest() + ")");
            }
            if (System.nanoTime() - fresh > Duration.ofSeconds(15).toNanos()) {
                System.err.println("ApiFixture: no answer to the admin client within 15 s (" + last + "); a plain request: "
                        + plainRequest() + "; trying a new client");
                c.close();
                c = LeaderSession.client(url(), "", 0);
                fresh = System.nanoTime();
            }
            try {
                Thread.sleep(50);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                fail("interrupted waiting for the API server");
            }
        }
    }

    /** GET /healthz over a new plain connection: its status code, or why it failed. */
    private String plainRequest() {
        try {
            java.net.HttpURLConnection h = (java.net.HttpURLConnection) java.net.URI.create(url() + "/healthz").toURL().openConnection();
            h.setConnectTimeout(5_000);
            h.setReadTimeout(5_000);
            int code = h.getResponseCode();
            h.disconnect();
            return "HTTP " + code;
        } catch (java.io.IOException e) {
            return e.toString();
        }
    }

    public String url() {
        return "http://127.0.0.1:" + server.port();
    }

    public KubernetesClient client() {
        return admin;
    }

    /** The API server's metrics ({@code apiserver_request_total} …): which requests the controllers made. */
    public SimpleMeterRegistry meters() {
        return meters;
    }

    public LocalKvStore store() {
        return store;
    }

    public ControllerManager manager() {
        return manager;
    }

    /** Polls {@code condition} every 50 ms until it holds or {@code timeout} passes (then fails with {@code what}). */
    public static void await(Duration timeout, String what, BooleanSupplier condition) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                fail("timed out after " + timeout + " waiting for: " + what);
            }
            try {
                Thread.sleep(50);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                fail("interrupted waiting for: " + what);
            }
        }
    }

    @Override
    public void close() {
        manager.close();
        admin.close();
        server.close();
        store.close();
    }
}
