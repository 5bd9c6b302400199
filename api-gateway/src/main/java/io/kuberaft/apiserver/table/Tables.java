package io.kuberaft.apiserver.table;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.kuberaft.apiserver.registry.Objects;
import io.kuberaft.apiserver.registry.ResourceDefinition;

import java.util.List;

/** Builds meta.k8s.io/v1 Table responses from objects and a kind's {@link TableConvertor}. */
public final class Tables {
    private Tables() {
    }

    public static ObjectNode table(ResourceDefinition def, List<ObjectNode> objects, String resourceVersion,
                                   String continueToken, boolean withColumns, boolean includeFullObject) {
        ObjectNode t = Objects.JSON.createObjectNode();
        t.put("kind", "Table").put("apiVersion", "meta.k8s.io/v1");
        ObjectNode meta = t.putObject("metadata");
        if (resourceVersion != null) {
            meta.put("resourceVersion", resourceVersion);
        }
        if (continueToken != null) {
            meta.put("continue", continueToken);
        }
        ArrayNode cols = t.putArray("columnDefinitions");
        if (withColumns) {
            for (TableConvertor.Column c : def.table().columns()) {
                cols.addObject().put("name", c.name()).put("type", c.type()).put("format", c.format())
                        .put("description", c.description()).put("priority", c.priority());
            }
        }
        ArrayNode rows = t.putArray("rows");
        long now = System.currentTimeMillis();
        for (ObjectNode o : objects) {
            ObjectNode row = rows.addObject();
            ArrayNode cells = row.putArray("cells");
            // Columns are computed from the storage form, the same whichever version the request used.
            ObjectNode stored = def.conversion().toStorage(def, o);
            for (Object cell : def.table().cells(stored, now)) {
                if (cell == null) {
                    cells.addNull();
                } else if (cell instanceof Number n) {
                    cells.add(n.longValue());
                } else if (cell instanceof Boolean b) {
                    cells.add(b);
                } else {
                    cells.add(cell.toString());
                }
            }
            List<TableConvertor.RowCondition> conditions = def.table().conditions(stored);
            if (!conditions.isEmpty()) {
                ArrayNode conds = row.putArray("conditions");
                for (TableConvertor.RowCondition c : conditions) {
                    conds.addObject().put("type", c.type()).put("status", c.status()).put("reason", c.reason())
                            .put("message", c.message());
                }
            }
            if (includeFullObject) {
                row.set("object", o);
            } else {
                ObjectNode partial = row.putObject("object");
                partial.put("kind", "PartialObjectMetadata").put("apiVersion", "meta.k8s.io/v1");
                partial.set("metadata", o.path("metadata").deepCopy());
            }
        }
        return t;
    }
}
