package io.kuberaft.apiserver.metrics;

import com.fasterxml.jackson.databind.JsonNode;
import io.kuberaft.apiserver.http.PodStreams;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * When the scraper asks agents and for how long it keeps their answers, against an HTTP server that answers as an
 * agent does after a delay the test sets (a real agent cannot be made slow on purpose; what real agents answer is
 * node-agent's KubectlTopTest). The freshness clock is the test's; the timeouts are real.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class AgentScraperTest {
    private static final String SUMMARY = "{\"items\":[{\"node\":{\"nodeName\":\"n1\"},\"pods\":[]},{\"node\":{\"nodeName\":\"n2\"},\"pods\":[]}]}";
    private Vertx vertx;
    private HttpServer agent;
    private final AtomicInteger requests = new AtomicInteger();
    private final AtomicLong delayMs = new AtomicLong();
    private final AtomicLong clock = new AtomicLong(1_000_000_000L);
    private AgentScraper scraper;
    private PodStreams.AgentAddress address;

    @BeforeEach
    void start() {
        vertx = Vertx.vertx();
        agent = vertx.createHttpServer().requestHandler(req -> {
            requests.incrementAndGet();
            assertThat(req.uri()).isEqualTo("/stats/summary?node=*");
            long d = delayMs.get();
            Runnable answer = () -> req.response().putHeader("Content-Type", "application/json").end(SUMMARY);
            if (d == 0) {
                answer.run();
            } else {
                vertx.setTimer(d, id -> answer.run());
            }
        }).listen(0, "127.0.0.1").await();
        scraper = new AgentScraper(vertx, vertx.createHttpClient(), clock::get);
        address = new PodStreams.AgentAddress("127.0.0.1", agent.actualPort());
    }

    @AfterEach
    void stop() {
        vertx.close().await();
    }

    private Map<String, JsonNode> ask() throws Exception {
        return scraper.summaries(List.of(address, address)).await(30, TimeUnit.SECONDS).get(address);
    }

    private static long millisSince(long startNanos) {
        return TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startNanos);
    }

    /** Asks until the agent's answer is there (a JVM's first request may take longer than the timeout on a busy machine). */
    private Map<String, JsonNode> answer() throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        Map<String, JsonNode> got = ask();
        while (got.isEmpty() && System.nanoTime() < deadline) {
            Thread.sleep(100);
            got = ask();
        }
        return got;
    }

    @Test
    void anAnswerServesEveryRequestUntilItIsNoLongerFresh() throws Exception {
        assertThat(answer().keySet()).containsExactlyInAnyOrder("n1", "n2");
        assertThat(ask().keySet()).containsExactlyInAnyOrder("n1", "n2");
        assertThat(requests.get()).as("one request for the same agent named twice, and for the later calls").isEqualTo(1);
        clock.addAndGet(AgentScraper.FRESH.toNanos() - 1);
        ask();
        assertThat(requests.get()).isEqualTo(1);
        clock.addAndGet(1);
        assertThat(ask()).hasSize(2);
        assertThat(requests.get()).as("asked again once the answer is " + AgentScraper.FRESH + " old").isEqualTo(2);
    }

    /** A slow agent costs the first request the timeout, the next ones nothing, and its late answer serves those after it. */
    @Test
    void aLateAnswerIsKeptForTheRequestsAfterIt() throws Exception {
        delayMs.set(AgentScraper.TIMEOUT.toMillis() + 1500);
        long start = System.nanoTime();
        assertThat(ask()).isEmpty();
        assertThat(millisSince(start)).isBetween(AgentScraper.TIMEOUT.toMillis() - 100, AgentScraper.TIMEOUT.toMillis() + 2000);
        start = System.nanoTime();
        assertThat(ask()).as("overdue: not waited for again").isEmpty();
        assertThat(millisSince(start)).isLessThan(500);
        assertThat(answer().keySet()).as("the late answer").containsExactlyInAnyOrder("n1", "n2");
        assertThat(requests.get()).isEqualTo(1);
    }

    @Test
    void anAgentThatIsDownIsNotAskedAgainAtOnce() throws Exception {
        agent.close().await();
        long start = System.nanoTime();
        assertThat(ask()).isEmpty();
        assertThat(millisSince(start)).as("a refused connection fails at once").isLessThan(AgentScraper.TIMEOUT.toMillis() - 1000);
        agent = vertx.createHttpServer().requestHandler(req -> {
            requests.incrementAndGet();
            req.response().end(SUMMARY);
        }).listen(address.port(), "127.0.0.1").await();
        assertThat(ask()).as("the failure is remembered").isEmpty();
        assertThat(requests.get()).isZero();
        clock.addAndGet(AgentScraper.FRESH.toNanos());
        assertThat(answer()).hasSize(2);
        assertThat(requests.get()).isEqualTo(1);
    }
}
