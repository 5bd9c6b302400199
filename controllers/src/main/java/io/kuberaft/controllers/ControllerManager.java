package io.kuberaft.controllers;

import io.kuberaft.controllers.runtime.Controller;
import io.kuberaft.controllers.runtime.LeaderSession;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Clock;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.Supplier;

/**
 * kube-controller-manager (and the scheduler) of one replica: idle until the replica is the ready Raft
 * leader, then one {@link LeaderSession} per term (ARCHITECTURE.md decision 5). The cli wires the
 * store's leadership events here; this module knows nothing of the store but the term number.
 */
public final class ControllerManager implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(ControllerManager.class);
    /** Where the controllers reach the API; null until it listens (a replica may lead before its API is up). */
    private final Supplier<String> apiUrl;
    private final String token;
    private final ControllerOptions options;
    private final Clock clock;
    private final List<Supplier<Controller>> controllers;
    /** One thread: sessions start and stop in the order leadership changed. */
    private final ExecutorService lifecycle = Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "controller-manager");
        t.setDaemon(true);
        return t;
    });
    private volatile LeaderSession session;
    /** The term this replica leads in, 0 when it does not: a start that failed is retried while it stays the same. */
    private volatile long leading;
    private final Object leadershipChanged = new Object();
    static final long RETRY_MIN_MS = 1_000;
    static final long RETRY_MAX_MS = 30_000;

    public ControllerManager(String apiUrl, String token, ControllerOptions options, Clock clock, List<Supplier<Controller>> controllers) {
        this(() -> apiUrl, token, options, clock, controllers);
    }

    public ControllerManager(Supplier<String> apiUrl, String token, ControllerOptions options, Clock clock,
                             List<Supplier<Controller>> controllers) {
        this.apiUrl = apiUrl;
        this.token = token;
        this.options = options;
        this.clock = clock;
        this.controllers = List.copyOf(controllers);
    }

    /** The manager with every built-in controller. */
    public static ControllerManager standard(String apiUrl, String token, ControllerOptions options) {
        return standard(() -> apiUrl, token, options);
    }

    public static ControllerManager standard(Supplier<String> apiUrl, String token, ControllerOptions options) {
        return new ControllerManager(apiUrl, token, options, Clock.systemUTC(), Controllers.all());
    }

    /** This replica leads in {@code term}: start (or restart) the controllers, fenced by it. */
    public void onLeaderReady(long term) {
        leading = term;
        wake();
        lifecycle.execute(() -> {
            stopSession();
            // A start that fails (informers not synced within their timeout, an API error) is retried with backoff
            // for as long as this term lasts: otherwise the term would pass with no controller running at all.
            long backoffMs = RETRY_MIN_MS;
            while (leading == term) {
                LOG.info("leader in term {}: starting controllers", term);
                LeaderSession s = null;
                try {
                    String url = apiUrl.get();
                    if (url == null) {
                        throw new IllegalStateException("the API server is not listening yet");
                    }
                    s = new LeaderSession(term, url, token, options, clock, controllers);
                    session = s;
                    s.run();
                    return;
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return;
                } catch (Exception e) {
                    LOG.warn("term {}: controllers did not start ({}); trying again in {} ms", term, e.toString(), backoffMs);
                    if (s != null) {
                        s.close();
                    }
                    session = null;
                }
                if (!waitWhileLeading(term, backoffMs)) {
                    return;
                }
                backoffMs = Math.min(RETRY_MAX_MS, backoffMs * 2);
            }
        });
    }

    /** Waits up to {@code ms}; false when the term ended (or the thread was interrupted) meanwhile. */
    private boolean waitWhileLeading(long term, long ms) {
        long deadline = System.nanoTime() + ms * 1_000_000;
        synchronized (leadershipChanged) {
            try {
                for (long left = ms; leading == term && left > 0; left = (deadline - System.nanoTime()) / 1_000_000) {
                    leadershipChanged.wait(left);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return false;
            }
        }
        return leading == term;
    }

    private void wake() {
        synchronized (leadershipChanged) {
            leadershipChanged.notifyAll();
        }
    }

    /** This replica stepped down: stop every controller now (their late writes are fenced anyway). */
    public void onNotLeader() {
        leading = 0;
        wake();
        LeaderSession s = session;
        if (s != null) {
            s.close();
        }
        try {
            lifecycle.execute(this::stopSession);
        } catch (java.util.concurrent.RejectedExecutionException e) {
            // the manager is closed (the replica shuts down and steps down on the way): the session is stopped above
        }
    }

    /** The term the controllers currently run in, 0 when none. */
    public long activeTerm() {
        LeaderSession s = session;
        return s == null ? 0 : s.term();
    }

    private void stopSession() {
        LeaderSession s = session;
        session = null;
        if (s != null) {
            LOG.info("stopping controllers of term {}", s.term());
            s.close();
        }
    }

    @Override
    public void close() {
        onNotLeader();
        lifecycle.shutdown();
    }
}
