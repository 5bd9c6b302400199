package io.kuberaft.apiserver.metrics;

import com.fasterxml.jackson.databind.JsonNode;
import io.kuberaft.apiserver.http.PodStreams.AgentAddress;
import io.kuberaft.apiserver.registry.Objects;
import io.vertx.core.AsyncResult;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientRequest;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.time.Duration;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.LongSupplier;

/**
 * Reads node agents' {@code /stats/summary?node=*} (every node an agent hosts in one request), as metrics-server
 * scrapes kubelets: concurrently, with the API server's kubelet client certificate. A request for metrics waits at
 * most {@link #TIMEOUT} for an agent; a slow agent's answer is still taken until {@link #LATE} and serves the requests
 * after it. An agent's answer, or its failure, is shared for {@link #FRESH}, so {@code kubectl top} and autoscalers
 * polling every replica do not each cost the agents a request, and an agent that is down or hangs is not asked again
 * at once (while a request to it is overdue, others do not wait for it).
 */
final class AgentScraper {
    private static final Logger LOG = LoggerFactory.getLogger(AgentScraper.class);
    static final Duration TIMEOUT = Duration.ofSeconds(5);
    static final Duration FRESH = Duration.ofSeconds(5);
    static final Duration LATE = Duration.ofSeconds(10);
    private static final Duration FORGET = Duration.ofMinutes(2);

    /** One request to an agent: in flight, answered or failed. */
    private static final class Entry {
        final long startedNanos;
        private final Promise<Map<String, JsonNode>> outcome = Promise.promise();
        final Future<Map<String, JsonNode>> answer = outcome.future();
        private volatile long finishedNanos;
        private volatile boolean finished;
        /** A waiter gave up on it: later ones do not wait. */
        private volatile boolean overdue;

        Entry(long startedNanos) {
            this.startedNanos = startedNanos;
        }

        /**
         * The first outcome wins (the answer, its failure or the timer's). When it was is recorded before anyone waiting can
         * see it: a waiter that has seen the outcome must find it timed, or a stale entry would pass for a new one.
         */
        synchronized boolean finish(AsyncResult<Map<String, JsonNode>> ar, long now) {
            if (finished) {
                return false;
            }
            finishedNanos = now;
            finished = true;
            if (ar.succeeded()) {
                outcome.complete(ar.result());
            } else {
                outcome.fail(ar.cause());
            }
            return true;
        }

        boolean fresh(long now) {
            return finished ? now - finishedNanos < FRESH.toNanos() : now - startedNanos < LATE.toNanos() + TIMEOUT.toNanos();
        }

        Future<Map<String, JsonNode>> await() {
            if (answer.isComplete() || overdue) {
                return answer.isComplete() ? answer.otherwise(Map.of()) : Future.succeededFuture(Map.of());
            }
            return answer.timeout(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS).otherwise(t -> {
                if (!answer.isComplete()) {
                    overdue = true;
                }
                return Map.of();
            });
        }
    }

    private final Vertx vertx;
    private final HttpClient http;
    private final LongSupplier nanoTime;
    private final Map<AgentAddress, Entry> cache = new ConcurrentHashMap<>();

    AgentScraper(Vertx vertx, HttpClient http, LongSupplier nanoTime) {
        this.vertx = vertx;
        this.http = http;
        this.nanoTime = nanoTime;
    }

    /**
     * The summaries of the nodes each agent hosts (agent → node name → summary); an agent that did not answer in time,
     * or not with summaries, maps to no nodes. Never fails.
     */
    Future<Map<AgentAddress, Map<String, JsonNode>>> summaries(Collection<AgentAddress> addresses) {
        long now = nanoTime.getAsLong();
        cache.values().removeIf(e -> now - e.startedNanos > FORGET.toNanos());
        List<AgentAddress> distinct = List.copyOf(new LinkedHashSet<>(addresses));
        List<Future<Map<String, JsonNode>>> answers = distinct.stream()
                .map(a -> cache.compute(a, (k, e) -> e != null && e.fresh(now) ? e : fetch(k, new Entry(now))).await())
                .toList();
        return Future.join(answers).map(all -> {
            Map<AgentAddress, Map<String, JsonNode>> out = new HashMap<>();
            for (int i = 0; i < distinct.size(); i++) {
                out.put(distinct.get(i), answers.get(i).result());
            }
            return out;
        });
    }

    /** Starts the request to {@code a} that {@code entry} is the outcome of. */
    private Entry fetch(AgentAddress a, Entry entry) {
        AtomicReference<HttpClientRequest> request = new AtomicReference<>();
        long timer = vertx.setTimer(LATE.toMillis(), id -> {
            if (entry.finish(Future.failedFuture(new TimeoutException("no answer within " + LATE.toSeconds() + " s")), nanoTime.getAsLong())) {
                HttpClientRequest r = request.get();
                if (r != null) {
                    r.reset();
                }
            }
        });
        http.request(new RequestOptions().setMethod(HttpMethod.GET).setHost(a.host()).setPort(a.port()).setURI("/stats/summary?node=*")
                        .setConnectTimeout(LATE.toMillis()).setIdleTimeout(LATE.toMillis()))
                .compose(req -> {
                    request.set(req);
                    return req.send();
                })
                .compose(resp -> resp.body().compose(body -> resp.statusCode() == 200 ? Future.succeededFuture(body)
                        : Future.failedFuture(new IOException("HTTP " + resp.statusCode() + ": " + body.toString().strip()))))
                .map(body -> {
                    try {
                        return byNode(Objects.JSON.readTree(body.getBytes()));
                    } catch (IOException e) {
                        throw new IllegalStateException("not JSON: " + e.getMessage(), e);
                    }
                })
                .onComplete(ar -> {
                    vertx.cancelTimer(timer);
                    entry.finish(ar, nanoTime.getAsLong());
                });
        entry.answer.onFailure(t -> LOG.info("resource metrics: the node agent at {}:{} did not answer /stats/summary: {}", a.host(), a.port(),
                t.toString()));
        return entry;
    }

    /** {@code {"items": [summary, ...]}} (or one summary, from an agent of one node) by each summary's node name. */
    static Map<String, JsonNode> byNode(JsonNode body) {
        Map<String, JsonNode> out = new HashMap<>();
        Iterable<JsonNode> summaries = body.has("items") ? body.path("items") : List.of(body);
        for (JsonNode s : summaries) {
            String name = s.path("node").path("nodeName").asText("");
            if (!name.isEmpty()) {
                out.put(name, s);
            }
        }
        return out;
    }
}
