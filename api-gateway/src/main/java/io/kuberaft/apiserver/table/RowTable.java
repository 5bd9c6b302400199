package io.kuberaft.apiserver.table;

import com.fasterxml.jackson.databind.node.ObjectNode;

import java.util.List;
import java.util.function.Function;

/** A {@link TableConvertor} made of a column list and a function from an object to its cells. */
final class RowTable implements TableConvertor {
    @FunctionalInterface
    interface Row {
        List<Object> cells(ObjectNode obj, long nowMillis);
    }

    /** Upstream's default table convertor: name, and creationTimestamp as RFC 3339 (kubectl shows "CREATED AT"). */
    static final RowTable CREATED_AT = new RowTable(List.of(Columns.NAME, Columns.CREATED_AT),
            (o, now) -> List.of(Cells.name(o), Cells.createdAt(o)));

    private final List<Column> columns;
    private final Row row;
    private final Function<ObjectNode, List<RowCondition>> conditions;

    RowTable(List<Column> columns, Row row) {
        this(columns, row, o -> List.of());
    }

    RowTable(List<Column> columns, Row row, Function<ObjectNode, List<RowCondition>> conditions) {
        this.columns = List.copyOf(columns);
        this.row = row;
        this.conditions = conditions;
    }

    @Override
    public List<Column> columns() {
        return columns;
    }

    @Override
    public List<Object> cells(ObjectNode obj, long nowMillis) {
        return row.cells(obj, nowMillis);
    }

    @Override
    public List<RowCondition> conditions(ObjectNode obj) {
        return conditions.apply(obj);
    }
}
