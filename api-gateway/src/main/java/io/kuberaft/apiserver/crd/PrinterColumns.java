package io.kuberaft.apiserver.crd;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.kuberaft.apiserver.table.TableConvertor;

import java.util.ArrayList;
import java.util.List;

/**
 * The table of a custom resource version: Name, then its {@code additionalPrinterColumns} (JSONPath cells with the
 * declared type, format, description and priority); a version without columns gets upstream's default, Age. A
 * {@code date} cell holds the time since the timestamp, as upstream prints it.
 */
final class PrinterColumns implements TableConvertor {
    private record Spec(Column column, String jsonPath) {
    }

    private static final String NAME_DOC = "Name must be unique within a namespace. Is required when creating resources, although "
            + "some resources may allow a client to request the generation of an appropriate name automatically. Name is primarily "
            + "intended for creation idempotence and configuration definition. Cannot be updated. More info: "
            + "https://kubernetes.io/docs/concepts/overview/working-with-objects/names#names";
    private static final String AGE_DOC = "CreationTimestamp is a timestamp representing the server time when this object was "
            + "created. It is not guaranteed to be set in happens-before order across separate operations. Clients may not set this "
            + "value. It is represented in RFC3339 form and is in UTC.\n\nPopulated by the system. Read-only. Null for lists. More "
            + "info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#metadata";

    private final List<Spec> specs = new ArrayList<>();
    private final List<Column> columns = new ArrayList<>();

    PrinterColumns(JsonNode declared) {
        columns.add(new Column("Name", "string", "name", NAME_DOC, 0));
        if (declared == null || !declared.isArray() || declared.isEmpty()) {
            specs.add(new Spec(new Column("Age", "date", "", AGE_DOC, 0), ".metadata.creationTimestamp"));
        } else {
            for (JsonNode c : declared) {
                specs.add(new Spec(new Column(c.path("name").asText(), c.path("type").asText("string"), c.path("format").asText(""),
                        c.path("description").asText(""), c.path("priority").asInt(0)), c.path("jsonPath").asText("")));
            }
        }
        specs.forEach(s -> columns.add(s.column()));
    }

    @Override
    public List<Column> columns() {
        return columns;
    }

    @Override
    public List<Object> cells(ObjectNode obj, long nowMillis) {
        List<Object> cells = new ArrayList<>();
        cells.add(obj.path("metadata").path("name").asText());
        for (Spec s : specs) {
            Object cell = cell(JsonPath.select(obj, s.jsonPath()), s.column().type());
            // upstream's CRD table convertor prints a date column as the time since then ("5m"), not the timestamp
            cells.add(cell != null && s.column().type().equals("date") ? io.kuberaft.apiserver.table.Ages.since(cell.toString(), nowMillis) : cell);
        }
        return cells;
    }

    private static Object cell(List<JsonNode> values, String type) {
        if (values.isEmpty() || values.get(0).isNull()) {
            return null;
        }
        if (values.size() == 1) {
            JsonNode v = values.get(0);
            if (type.equals("integer") && v.canConvertToLong()) {
                return v.asLong();
            } else if (type.equals("number") && v.isNumber()) {
                return v.isIntegralNumber() ? (Object) v.asLong() : (Object) v.asDouble();
            } else if (type.equals("boolean") && v.isBoolean()) {
                return v.asBoolean();
            }
            return v.isValueNode() ? v.asText() : v.toString();
        }
        List<String> parts = new ArrayList<>();
        values.forEach(v -> parts.add(v.isValueNode() ? v.asText() : v.toString()));
        return String.join(",", parts);
    }
}
