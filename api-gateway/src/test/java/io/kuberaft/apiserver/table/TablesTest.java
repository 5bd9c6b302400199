package io.kuberaft.apiserver.table;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.kuberaft.apiserver.registry.BuiltinResources;
import io.kuberaft.apiserver.registry.ResourceDefinition;
import io.kuberaft.apiserver.registry.ResourceRegistry;
import org.junit.jupiter.api.Test;

import java.util.List;

import static io.kuberaft.apiserver.table.Fixtures.yaml;
import static org.assertj.core.api.Assertions.assertThat;

/** The meta.k8s.io/v1 Table document built from a kind's convertor. */
class TablesTest {
    private static final ResourceRegistry REGISTRY = new ResourceRegistry();

    static {
        BuiltinResources.registerAll(REGISTRY);
    }

    private static ResourceDefinition def(String group, String version, String plural) {
        return REGISTRY.find(group, version, plural).orElseThrow();
    }

    @Test
    void podTable_hasUpstreamColumnDefinitions_typedCells_andCompletedCondition() {
        ObjectNode done = yaml("""
                metadata: {name: job-tb4xt, namespace: default, creationTimestamp: "2024-05-01T11:59:00Z"}
                spec: {containers: [{name: job, image: busybox}]}
                status:
                  phase: Succeeded
                  containerStatuses: [{name: job, ready: false, state: {terminated: {exitCode: 0, reason: Completed}}}]
                """);
        ObjectNode t = Tables.table(def("", "v1", "pods"), List.of(done), "42", null, true, false);
        assertThat(t.path("kind").asText()).isEqualTo("Table");
        assertThat(t.path("apiVersion").asText()).isEqualTo("meta.k8s.io/v1");
        JsonNode cols = t.path("columnDefinitions");
        assertThat(cols).hasSize(9);
        assertThat(cols.get(0).path("format").asText()).isEqualTo("name");
        assertThat(cols.get(5).path("name").asText()).isEqualTo("IP");
        assertThat(cols.get(5).path("priority").asInt()).isEqualTo(1);
        JsonNode row = t.path("rows").get(0);
        assertThat(row.path("cells").get(1).asText()).isEqualTo("0/1");
        assertThat(row.path("cells").get(2).asText()).isEqualTo("Completed");
        assertThat(row.path("conditions").get(0).path("type").asText()).isEqualTo("Completed");
        assertThat(row.path("conditions").get(0).path("reason").asText()).isEqualTo("Succeeded");
        assertThat(row.path("object").path("kind").asText()).isEqualTo("PartialObjectMetadata");
    }

    @Test
    void numbersAndBooleansStayJsonTyped() {
        ObjectNode sc = yaml("metadata: {name: standard}\nprovisioner: k8s.io/minikube-hostpath");
        JsonNode cells = Tables.table(def("storage.k8s.io", "v1", "storageclasses"), List.of(sc), "1", null, true, false)
                .path("rows").get(0).path("cells");
        assertThat(cells.get(4).isBoolean()).isTrue();
        ObjectNode cm = yaml("metadata: {name: configmap}\ndata: {a: b}");
        JsonNode cmCells = Tables.table(def("", "v1", "configmaps"), List.of(cm), "1", null, false, false)
                .path("rows").get(0).path("cells");
        assertThat(cmCells.get(1).isIntegralNumber()).isTrue();
        assertThat(cmCells.get(1).asLong()).isEqualTo(1);
    }
}
