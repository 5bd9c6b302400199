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
    private final String apiUrl;
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

    public ControllerManager(String apiUrl, String token, ControllerOptions options, Clock clock, List<Supplier<Controller>> controllers) {
        this.apiUrl = apiUrl;
        this.token = token;
        this.options = options;
        this.clock = clock;
        this.controllers = List.copyOf(controllers);
    }

    /** The manager with every built-in controller. */
    public static ControllerManager standard(String apiUrl, String token, ControllerOptions options) {
        return new ControllerManager(apiUrl, token, options, Clock.systemUTC(), Controllers.all());
    }

    /** This replica leads in {@code term}: start (or restart) the controllers, fenced by it. */
    public void onLeaderReady(long term) {
        lifecycle.execute(() -> {
            stopSession();
            LOG.info("leader in term {}: starting controllers", term);
            LeaderSession s = new LeaderSession(term, apiUrl, token, options, clock, controllers);
            session = s;
            try {
                s.run();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } catch (Exception e) {
                LOG.warn("term {}: controllers did not start: {}", term, e.toString());
            }
        });
    }

    /** This replica stepped down: stop every controller now (their late writes are fenced anyway). */
    public void onNotLeader() {
        LeaderSession s = session;
        if (s != null) {
            s.close();
        }
        lifecycle.execute(this::stopSession);
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
