package io.kuberaft.raftstore.raft;

import org.apache.ratis.client.RaftClient;
import org.apache.ratis.protocol.RaftPeerId;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Function;

/**
 * A Ratis client that is replaced when it breaks. Ratis' ordered async client closes its sliding
 * window for good once a request exhausts its retries (AlreadyClosedException on every later send),
 * e.g. during a long election; a replica must outlive any number of those.
 *
 * <p>It is also replaced when this replica learns of a new leader that the client does not know yet
 * ({@link #follow}): a Ratis client only moves on from a leader that stopped answering — a paused or
 * partitioned one — when its request times out, and meanwhile every write through this replica
 * (node heartbeats among them) waits on the deposed leader. The requests cut off by the swap fail with
 * AlreadyClosedException and are retried at once by the caller on the new client (each command carries
 * its own request id, so a retry is applied at most once).
 */
final class ReconnectingClient implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(ReconnectingClient.class);
    /** Builds a client; the argument is the leader to try first, or null for any peer. */
    private final Function<RaftPeerId, RaftClient> factory;
    private final AtomicReference<RaftClient> current;
    /**
     * Closes replaced clients. Closing fails their pending requests at once, but then waits for gRPC's
     * graceful channel shutdown (seconds, when the peer is paused): the caller — a request's retry, or
     * the leadership events thread — must not wait for that.
     */
    private final ExecutorService closer = Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "kuberaft-raft-client-closer");
        t.setDaemon(true);
        return t;
    });
    private volatile boolean closed;

    ReconnectingClient(Function<RaftPeerId, RaftClient> factory) {
        this.factory = factory;
        this.current = new AtomicReference<>(factory.apply(null));
    }

    RaftClient get() {
        return current.get();
    }

    /** Swaps in a fresh client if {@code broken} is still the current one. */
    void replace(RaftClient broken) {
        if (closed || current.get() != broken) {
            return; // already replaced (every request in flight on a replaced client fails and lands here)
        }
        swap(broken, factory.apply(broken.getLeaderId()), "replaced a broken Raft client");
    }

    /** Points the client at {@code leader} unless it already is. */
    void follow(RaftPeerId leader) {
        RaftClient used = current.get();
        if (closed || leader.equals(used.getLeaderId())) {
            return;
        }
        swap(used, factory.apply(leader), "the Raft client follows the new leader " + leader);
    }

    private void swap(RaftClient old, RaftClient fresh, String why) {
        if (current.compareAndSet(old, fresh)) {
            LOG.info(why);
            closeLater(old);
        } else {
            closeLater(fresh);
        }
    }

    private void closeLater(RaftClient c) {
        try {
            closer.execute(() -> closeQuietly(c));
        } catch (RejectedExecutionException e) {
            closeQuietly(c); // this replica is closing anyway
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
        closer.shutdown();
        closeQuietly(current.get());
    }
}
