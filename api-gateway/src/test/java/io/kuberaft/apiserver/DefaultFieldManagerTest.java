package io.kuberaft.apiserver;

import org.junit.jupiter.api.Test;

import java.util.HashMap;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** Writes without fieldManager are recorded under the User-Agent's product, as upstream's handlers do. */
class DefaultFieldManagerTest {
    private static Map<String, String> params(String method, String contentType, String userAgent, Map<String, String> given) {
        Map<String, String> p = new HashMap<>(given);
        ApiServer.defaultFieldManager(p, method, contentType, userAgent);
        return p;
    }

    @Test
    void theUserAgentsProductNamesTheManagerOfAWrite() {
        String kubectl = "kubectl/v1.32.4 (linux/amd64) kubernetes/59526cd";
        assertThat(params("PATCH", "application/merge-patch+json", kubectl, Map.of())).containsEntry("fieldManager", "kubectl");
        assertThat(params("PUT", "application/json", "kube-controller-manager/v1.32.4", Map.of())).containsEntry("fieldManager", "kube-controller-manager");
        assertThat(params("POST", "application/json", kubectl, Map.of("fieldManager", "mine"))).containsEntry("fieldManager", "mine");
        assertThat(params("GET", null, kubectl, Map.of())).doesNotContainKey("fieldManager");
        assertThat(params("PATCH", "application/apply-patch+yaml", kubectl, Map.of()))
                .as("server-side apply must name its manager itself").doesNotContainKey("fieldManager");
        assertThat(params("POST", "application/json", null, Map.of())).doesNotContainKey("fieldManager");
        assertThat(params("POST", "application/json", "x".repeat(200), Map.of()).get("fieldManager")).hasSize(128);
    }
}
