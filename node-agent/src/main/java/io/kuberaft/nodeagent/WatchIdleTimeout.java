package io.kuberaft.nodeagent;

import io.fabric8.kubernetes.client.http.AsyncBody;
import io.fabric8.kubernetes.client.http.BasicBuilder;
import io.fabric8.kubernetes.client.http.HttpRequest;
import io.fabric8.kubernetes.client.http.HttpResponse;
import io.fabric8.kubernetes.client.http.Interceptor;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * Ends a watch stream that has received nothing for {@code idle}; the informer then resumes from its last
 * resourceVersion on a new connection, which the load balancer sends to a replica that passes its health checks.
 *
 * <p>Why: the agent reaches the API through a TCP load balancer over HTTP/1.1. A replica that is frozen (SIGSTOP,
 * a stalled VM) keeps its connections open and sends nothing, so a watch pinned to it gets no events and no error,
 * and pods bound to the node never start (NodeFailureIT, SIGSTOP scenario). client-go notices such connections
 * with HTTP/2 pings (ReadIdleTimeout 30 s); HTTP/1.1 has none. Instead the API server sends a bookmark every
 * {@code --watch-bookmark-interval} on every watch that asks for them (fabric8 informers do), so a healthy watch is
 * never silent for long. Until the response headers arrive the request's timeout does the same job.
 */
final class WatchIdleTimeout implements Interceptor {
    private static final Logger LOG = LoggerFactory.getLogger(WatchIdleTimeout.class);
    /** Open watch streams of every client; one daemon thread checks them all, so a client needs no closing. */
    private static final Set<Stream> STREAMING = ConcurrentHashMap.newKeySet();

    static {
        ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "watch-idle-timeout");
            t.setDaemon(true);
            return t;
        });
        timer.scheduleWithFixedDelay(WatchIdleTimeout::cancelIdle, 250, 250, TimeUnit.MILLISECONDS);
    }

    private final Duration idle;

    WatchIdleTimeout(Duration idle) {
        this.idle = idle;
    }

    static boolean isWatch(HttpRequest request) {
        String query = request.uri().getRawQuery();
        return query != null && (query.startsWith("watch=true") || query.contains("&watch=true"));
    }

    @Override
    public void before(BasicBuilder builder, HttpRequest request, RequestTags tags) {
        if (builder instanceof HttpRequest.Builder b && isWatch(request)) {
            b.timeout(idle.toMillis(), TimeUnit.MILLISECONDS);
        }
    }

    @Override
    public AsyncBody.Consumer<List<ByteBuffer>> consumer(AsyncBody.Consumer<List<ByteBuffer>> consumer, HttpRequest request) {
        if (!isWatch(request)) {
            return consumer;
        }
        return new Stream(consumer, request.uri().getPath(), idle);
    }

    @Override
    public void after(HttpRequest request, HttpResponse<?> response, AsyncBody.Consumer<List<ByteBuffer>> consumer) {
        Stream s = consumer.unwrap(Stream.class);
        if (s != null && response.body() instanceof AsyncBody body) {
            s.body = body;
            s.touch();
            STREAMING.add(s);
            body.done().whenComplete((v, t) -> STREAMING.remove(s));
        }
    }

    private static void cancelIdle() {
        long now = System.nanoTime();
        for (Stream s : STREAMING) {
            if (now - s.lastNanos > s.idle.toNanos() && STREAMING.remove(s)) {
                LOG.warn("watch {} received nothing for {} ms: reconnecting", s.path, s.idle.toMillis());
                s.body.cancel();
            }
        }
    }

    private static final class Stream implements AsyncBody.Consumer<List<ByteBuffer>> {
        final AsyncBody.Consumer<List<ByteBuffer>> delegate;
        final String path;
        final Duration idle;
        volatile AsyncBody body;
        volatile long lastNanos = System.nanoTime();

        Stream(AsyncBody.Consumer<List<ByteBuffer>> delegate, String path, Duration idle) {
            this.delegate = delegate;
            this.path = path;
            this.idle = idle;
        }

        void touch() {
            lastNanos = System.nanoTime();
        }

        @Override
        public void consume(List<ByteBuffer> value, AsyncBody asyncBody) throws Exception {
            touch();
            delegate.consume(value, asyncBody);
        }

        @Override
        public <U> U unwrap(Class<U> target) {
            U self = AsyncBody.Consumer.super.unwrap(target);
            return self != null ? self : delegate.unwrap(target);
        }
    }
}
