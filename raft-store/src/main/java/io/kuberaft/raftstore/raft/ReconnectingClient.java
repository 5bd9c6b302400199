package io.kuberaft.raftstore.raft;

import org.apache.ratis.client.RaftClient;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;

/**
 * A Ratis client that is replaced when it breaks. Ratis' ordered async client closes its sliding
 * window for good once a request exhausts its retries (AlreadyClosedException on every later send),
 * e.g. during a long election; a replica must outlive any number of those.
 */
final class ReconnectingClient implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(ReconnectingClient.class);
    private final Supplier<RaftClient> factory;
    private final AtomicReference<RaftClient> current;
    private volatile boolean closed;

    ReconnectingClient(Supplier<RaftClient> factory) {
        this.factory = factory;
        this.current = new AtomicReference<>(factory.get());
    }

    RaftClient get() {
        return current.get();
    }

    /** Swaps in a fresh client if {@code broken} is still the current one. */
    void replace(RaftClient broken) {
        if (closed) {
            return;
        }
        RaftClient fresh = factory.get();
        if (current.compareAndSet(broken, fresh)) {
            LOG.info("replaced a broken Raft client");
            closeQuietly(broken);
        } else {
            closeQuietly(fresh);
        }
    }

    private static void closeQuietly(RaftClient c) {
        try {
            c.close();
        } catch (IOException | RuntimeException e) {
            LOG.debug("closing a Raft client: {}", e.toString());
        }
    }

    @Override
    public void close() {
        closed = true;
        closeQuietly(current.get());
    }
}
