package io.kuberaft.controllers.runtime;

import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.api.model.apps.ReplicaSet;
import io.fabric8.kubernetes.api.model.apps.ReplicaSetBuilder;
import io.kuberaft.controllers.ApiFixture;
import io.kuberaft.controllers.ControllerOptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

class EventRecorderTest {
    @TempDir
    Path tmp;

    /**
     * client-go's aggregator: a ReplicaSet's FailedCreate names a new pod each time, so after nine distinct messages the
     * rest become one "(combined from similar events)" event whose count grows and whose message is the latest.
     */
    @Test
    void distinctMessagesOfOneKindAreCombinedAfterTheNinth() {
        try (ApiFixture api = new ApiFixture(tmp, ControllerOptions.defaults(), List.of());
             EventRecorder recorder = new EventRecorder(api.client(), Clock.systemUTC())) {
            ReplicaSet rs = api.client().apps().replicaSets().inNamespace("default").resource(new ReplicaSetBuilder().withNewMetadata()
                    .withName("web").endMetadata().withNewSpec().withNewSelector().addToMatchLabels("app", "web").endSelector()
                    .withNewTemplate().withNewMetadata().addToLabels("app", "web").endMetadata().withNewSpec().addNewContainer()
                    .withName("c").withImage("nginx").endContainer().endSpec().endTemplate().endSpec().build()).create();
            EventRecorder.Source source = recorder.source("replicaset-controller");
            for (int i = 1; i <= 12; i++) { // 9 events of their own, then the 10th, 11th and 12th combined
                source.warning(rs, "FailedCreate", "Error creating: pods \"web-" + i + "\" is forbidden: quota");
            }
            ApiFixture.await(Duration.ofSeconds(10), "the combined event counted 3 times", () -> events(api).stream()
                    .anyMatch(e -> e.getMessage().startsWith("(combined") && e.getCount() == 3));
            List<Event> all = events(api);
            assertThat(all).filteredOn(e -> !e.getMessage().startsWith("(combined")).hasSize(9);
            Event combined = all.stream().filter(e -> e.getMessage().startsWith("(combined")).findFirst().orElseThrow();
            assertThat(combined.getMessage()).isEqualTo("(combined from similar events): Error creating: pods \"web-12\" is forbidden: quota");
            assertThat(combined.getType()).isEqualTo("Warning");
        }
    }

    private static List<Event> events(ApiFixture api) {
        return api.client().v1().events().inNamespace("default").list().getItems().stream()
                .filter(e -> "FailedCreate".equals(e.getReason())).toList();
    }
}
