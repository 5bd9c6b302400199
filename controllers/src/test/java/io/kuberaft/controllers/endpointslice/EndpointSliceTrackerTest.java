package io.kuberaft.controllers.endpointslice;

import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSliceBuilder;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

class EndpointSliceTrackerTest {
    private static EndpointSlice slice(String uid, long generation) {
        return new EndpointSliceBuilder().withNewMetadata().withName("web-" + uid).withUid(uid).withGeneration(generation).endMetadata().build();
    }

    @Test
    void aCacheMissingOurCreateOrShowingAnOlderGenerationOrADeletedSliceIsStale() {
        EndpointSliceTracker t = new EndpointSliceTracker();
        assertThat(t.stale("default/web", List.of(slice("a", 1)))).as("nothing written: the cache is all we know").isFalse();

        t.written("default/web", slice("a", 1));
        assertThat(t.stale("default/web", List.of())).as("our new slice not in the cache yet").isTrue();
        assertThat(t.stale("default/web", List.of(slice("a", 1)))).isFalse();

        t.written("default/web", slice("a", 2));
        assertThat(t.stale("default/web", List.of(slice("a", 1)))).as("our update not in the cache yet").isTrue();
        assertThat(t.stale("default/web", List.of(slice("a", 3)))).as("someone wrote after us").isFalse();

        t.deleted("default/web", slice("a", 3));
        assertThat(t.stale("default/web", List.of(slice("a", 3)))).as("our deletion not in the cache yet").isTrue();
        assertThat(t.stale("default/web", List.of())).isFalse();
        assertThat(t.stale("default/other", List.of(slice("b", 1)))).as("per Service").isFalse();
    }

    @Test
    void aSliceDeletedByAnyoneIsNoLongerWaitedFor() {
        EndpointSliceTracker t = new EndpointSliceTracker();
        t.written("default/web", slice("a", 2));
        t.deletionObserved("default/web", slice("a", 2));
        assertThat(t.stale("default/web", List.of())).isFalse();
        t.written("default/web", slice("b", 1));
        t.forget("default/web");
        assertThat(t.stale("default/web", List.of())).isFalse();
    }
}
