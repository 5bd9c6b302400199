package io.kuberaft.controllers.replicaset;

import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

class PodsTest {
    static Pod pod(String name, String node, String phase, boolean ready, String created) {
        PodBuilder b = new PodBuilder().withNewMetadata().withName(name).withUid(name).withCreationTimestamp(created).endMetadata()
                .withNewSpec().withNodeName(node).endSpec()
                .withNewStatus().withPhase(phase).endStatus();
        if (ready) {
            b.editStatus().addNewCondition().withType("Ready").withStatus("True").withLastTransitionTime(created).endCondition().endStatus();
        }
        return b.build();
    }

    @Test
    void deletesUnscheduledThenPendingThenNotReadyThenNewest() {
        Instant now = Instant.parse("2025-01-01T12:00:00Z");
        Pod unscheduled = pod("unscheduled", null, "Pending", false, "2025-01-01T10:00:00Z");
        Pod pending = pod("pending", "n1", "Pending", false, "2025-01-01T10:00:00Z");
        Pod notReady = pod("notready", "n1", "Running", false, "2025-01-01T10:00:00Z");
        Pod readyNew = pod("readynew", "n2", "Running", true, "2025-01-01T11:59:00Z");
        Pod readyOld = pod("readyold", "n3", "Running", true, "2025-01-01T01:00:00Z");
        List<Pod> all = List.of(readyOld, readyNew, notReady, pending, unscheduled);
        assertThat(Pods.toDelete(all, all, 4, now)).extracting(p -> p.getMetadata().getName())
                .containsExactly("unscheduled", "pending", "notready", "readynew");
        assertThat(Pods.toDelete(all, all, 2, now)).extracting(p -> p.getMetadata().getName())
                .containsExactly("unscheduled", "pending");
    }

    @Test
    void deletionCostAndDoubledUpNodes() {
        Instant now = Instant.parse("2025-01-01T12:00:00Z");
        Pod a = pod("a", "n1", "Running", true, "2025-01-01T10:00:00Z");
        Pod b = pod("b", "n1", "Running", true, "2025-01-01T10:00:00Z");
        Pod c = pod("c", "n2", "Running", true, "2025-01-01T10:00:00Z");
        List<Pod> all = List.of(c, a, b);
        // two on n1: one of them goes first
        assertThat(Pods.toDelete(all, all, 1, now).get(0).getMetadata().getName()).isIn("a", "b");
        c.getMetadata().setAnnotations(java.util.Map.of(Pods.DELETION_COST, "-5"));
        assertThat(Pods.toDelete(all, all, 1, now).get(0).getMetadata().getName()).isEqualTo("c");
    }

    @Test
    void expectationsGateTheNextSync() {
        Expectations e = new Expectations(java.time.Clock.systemUTC());
        assertThat(e.satisfied("ns/rs")).isTrue();
        e.expectCreations("ns/rs", 2);
        assertThat(e.satisfied("ns/rs")).isFalse();
        e.creationObserved("ns/rs");
        e.creationObserved("ns/rs");
        assertThat(e.satisfied("ns/rs")).isTrue();
        e.expectDeletions("ns/rs", List.of("ns/p1"));
        assertThat(e.satisfied("ns/rs")).isFalse();
        e.deletionObserved("ns/rs", "ns/p2");
        assertThat(e.satisfied("ns/rs")).isFalse();
        e.deletionObserved("ns/rs", "ns/p1");
        assertThat(e.satisfied("ns/rs")).isTrue();
    }
}
