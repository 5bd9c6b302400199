package io.kuberaft.controllers.nodelifecycle;

import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.NodeBuilder;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;

import static org.assertj.core.api.Assertions.assertThat;

@Timeout(30)
class NoExecuteTaintFenceTest {
    private final NoExecuteTaintFence fence = new NoExecuteTaintFence();

    private static Node node(String rv, boolean tainted) {
        NodeBuilder b = new NodeBuilder().withNewMetadata().withName("n1").withResourceVersion(rv).endMetadata();
        if (tainted) {
            b.withNewSpec().addNewTaint().withKey("node.kubernetes.io/unreachable").withEffect("NoExecute").endTaint().endSpec();
        }
        return b.build();
    }

    private static boolean tainted(Node n) {
        return !TaintEvictionController.noExecute(n).isEmpty();
    }

    @Test
    void aLiftWaitsForTheEvictionBeingWrittenAndTheNextEvictionSeesTheLift() throws Exception {
        AtomicReference<Node> cache = new AtomicReference<>(node("10", true));
        CountDownLatch writing = new CountDownLatch(1);
        CountDownLatch finish = new CountDownLatch(1);
        CompletableFuture<Boolean> eviction = CompletableFuture.supplyAsync(() -> fence.evict("n1", cache::get, NoExecuteTaintFenceTest::tainted, () -> {
            writing.countDown();
            try {
                finish.await(10, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }));
        assertThat(writing.await(10, TimeUnit.SECONDS)).isTrue();
        AtomicBoolean lifted = new AtomicBoolean();
        assertThat(fence.lift("n1", () -> {
            lifted.set(true);
            return 11;
        })).as("no lift while an eviction is being written").isFalse();
        assertThat(lifted).isFalse();
        finish.countDown();
        assertThat(eviction.get(10, TimeUnit.SECONDS)).isTrue();

        assertThat(fence.lift("n1", () -> 11)).isTrue();
        // the eviction controller's cache has not seen the lift yet: still tainted at resourceVersion 10
        AtomicBoolean evicted = new AtomicBoolean();
        assertThat(fence.evict("n1", cache::get, NoExecuteTaintFenceTest::tainted, () -> evicted.set(true))).isFalse();
        cache.set(node("11", false));
        assertThat(fence.evict("n1", cache::get, NoExecuteTaintFenceTest::tainted, () -> evicted.set(true))).isFalse();
        assertThat(evicted).isFalse();
        // tainted again later: evictions go on
        cache.set(node("14", true));
        assertThat(fence.evict("n1", cache::get, NoExecuteTaintFenceTest::tainted, () -> evicted.set(true))).isTrue();
        assertThat(evicted).isTrue();
    }

    @Test
    void otherNodesAreNotHeldBack() {
        assertThat(fence.lift("n1", () -> 20)).isTrue();
        AtomicBoolean evicted = new AtomicBoolean();
        Node n2 = new NodeBuilder(node("5", true)).editMetadata().withName("n2").endMetadata().build();
        assertThat(fence.evict("n2", () -> n2, NoExecuteTaintFenceTest::tainted, () -> evicted.set(true))).isTrue();
        assertThat(evicted).isTrue();
    }
}
