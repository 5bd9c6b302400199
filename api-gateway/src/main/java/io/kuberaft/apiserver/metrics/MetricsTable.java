package io.kuberaft.apiserver.metrics;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.kuberaft.apiserver.table.TableConvertor;
import io.kuberaft.kubeapi.Quantity;

import java.util.List;

/**
 * metrics-server's table of NodeMetrics and PodMetrics ({@code kubectl get nodemetrics}): name, one column per
 * resource (a pod's summed over its containers) and the window.
 */
final class MetricsTable implements TableConvertor {
    static final MetricsTable INSTANCE = new MetricsTable();

    private static final List<Column> COLUMNS = List.of(new Column("Name", "string", "name", "Name of the resource", 0),
            new Column("cpu", "string", "quantity", "", 0), new Column("memory", "string", "quantity", "", 0),
            new Column("Window", "string", "duration", "", 0));

    @Override
    public List<Column> columns() {
        return COLUMNS;
    }

    @Override
    public List<Object> cells(ObjectNode obj, long nowMillis) {
        String name = obj.path("metadata").path("name").asText();
        if (obj.has("usage")) {
            return List.of(name, obj.path("usage").path("cpu").asText(), obj.path("usage").path("memory").asText(), obj.path("window").asText());
        }
        return List.of(name, sum(obj, "cpu"), sum(obj, "memory"), obj.path("window").asText());
    }

    private static String sum(ObjectNode pod, String resource) {
        Quantity total = Quantity.ZERO;
        for (JsonNode c : pod.path("containers")) {
            JsonNode q = c.path("usage").path(resource);
            if (q.isTextual()) {
                total = total.add(Quantity.parse(q.asText()));
            }
        }
        return total.toString();
    }
}
