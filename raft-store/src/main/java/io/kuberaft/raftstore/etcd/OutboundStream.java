package io.kuberaft.raftstore.etcd;

import com.google.protobuf.MessageLite;
import io.grpc.Status;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;

import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The sending half of a server stream, safe to feed from any thread without blocking (the store's
 * apply thread among them): messages are queued and written in order by one drain task at a time
 * on {@code executor}, only while the transport is ready (gRPC flow control); the call's on-ready
 * handler restarts the drain. Queued bytes are bounded: a client that reads slower than the store
 * writes loses its stream ({@code RESOURCE_EXHAUSTED}) rather than the replica its memory.
 *
 * <p>Must be created inside the service method (gRPC accepts the on-ready handler only there).
 */
final class OutboundStream<T extends MessageLite> {
    private final ServerCallStreamObserver<T> call;
    private final Executor executor;
    private final long maxQueuedBytes;
    private final Runnable onOverflow;
    private final Queue<Object> queue = new ConcurrentLinkedQueue<>();
    private final AtomicInteger wip = new AtomicInteger();
    private final AtomicLong queuedBytes = new AtomicLong();
    private volatile boolean terminated;
    /** Only touched by the (single) drain task. */
    private boolean done;

    /** The end of the stream: OK when status is null. */
    private record End(Status status) {
    }

    OutboundStream(StreamObserver<T> observer, Executor executor, long maxQueuedBytes, Runnable onOverflow) {
        this.call = (ServerCallStreamObserver<T>) observer;
        this.executor = executor;
        this.maxQueuedBytes = maxQueuedBytes;
        this.onOverflow = onOverflow;
        call.setOnReadyHandler(this::schedule);
    }

    /** Queues a message; false if the stream has ended (the message is dropped). */
    boolean send(T message) {
        if (terminated) {
            return false;
        }
        if (queuedBytes.addAndGet(message.getSerializedSize()) > maxQueuedBytes) {
            fail(Status.RESOURCE_EXHAUSTED.withDescription(
                    "kuberaft: the client reads this stream too slowly; its queue exceeded " + maxQueuedBytes + " bytes"));
            // Not inline: the caller may hold the store's watch lock.
            try {
                executor.execute(onOverflow);
            } catch (RejectedExecutionException e) {
                // shutting down: the streams are being closed anyway
            }
            return false;
        }
        queue.add(message);
        schedule();
        return true;
    }

    /** Ends the stream with OK after the queued messages. */
    void complete() {
        end(new End(null), false);
    }

    /** Ends the stream with an error at once, dropping what is still queued. */
    void fail(Status status) {
        end(new End(status), true);
    }

    /** The client has gone: drop everything, write nothing more. */
    void abandon() {
        terminated = true;
        queue.clear();
        queuedBytes.set(0);
    }

    boolean isTerminated() {
        return terminated;
    }

    private synchronized void end(End end, boolean dropQueued) {
        if (terminated) {
            return;
        }
        terminated = true;
        if (dropQueued) {
            queue.clear();
            queuedBytes.set(0);
        }
        queue.add(end);
        schedule();
    }

    private void schedule() {
        if (wip.getAndIncrement() == 0) {
            try {
                executor.execute(this::drain);
            } catch (RejectedExecutionException e) {
                // The server is shutting down; gRPC closes the call.
                wip.set(0);
            }
        }
    }

    @SuppressWarnings("unchecked")
    private void drain() {
        int missed = 1;
        while (true) {
            while (!done) {
                Object head = queue.peek();
                if (head == null) {
                    break;
                }
                if (head instanceof End end) {
                    queue.poll();
                    done = true;
                    queue.clear();
                    try {
                        if (end.status() == null) {
                            call.onCompleted();
                        } else {
                            call.onError(end.status().asRuntimeException());
                        }
                    } catch (RuntimeException e) {
                        // already cancelled by the client
                    }
                    break;
                }
                if (!call.isReady()) {
                    break;
                }
                queue.poll();
                T message = (T) head;
                queuedBytes.addAndGet(-message.getSerializedSize());
                try {
                    call.onNext(message);
                } catch (RuntimeException e) {
                    // cancelled by the client meanwhile: nothing more can be written
                    done = true;
                    abandon();
                }
            }
            if (done) {
                queue.clear();
            }
            missed = wip.addAndGet(-missed);
            if (missed == 0) {
                return;
            }
        }
    }
}
