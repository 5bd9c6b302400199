package io.kuberaft.apiserver.table;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Objects from YAML and rows keyed by column name, at a fixed "now". */
final class Fixtures {
    private Fixtures() {
    }

    static final Instant NOW = Instant.parse("2024-05-01T12:00:00Z");
    private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());

    static ObjectNode yaml(String text) {
        try {
            return (ObjectNode) YAML.readTree(text);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** An RFC 3339 timestamp {@code seconds} before {@link #NOW}. */
    static String ago(long seconds) {
        return NOW.minusSeconds(seconds).toString();
    }

    static List<Object> cells(TableConvertor table, ObjectNode obj) {
        return table.cells(obj, NOW.toEpochMilli());
    }

    /** Column name → cell, checking there is one cell per column. */
    static Map<String, Object> row(TableConvertor table, ObjectNode obj) {
        List<Object> cells = cells(table, obj);
        List<TableConvertor.Column> cols = table.columns();
        if (cells.size() != cols.size()) {
            throw new AssertionError(cols.size() + " columns but " + cells.size() + " cells: " + cells);
        }
        Map<String, Object> out = new LinkedHashMap<>();
        for (int i = 0; i < cols.size(); i++) {
            out.put(cols.get(i).name(), cells.get(i));
        }
        return out;
    }

    static List<String> columnNames(TableConvertor table) {
        return table.columns().stream().map(TableConvertor.Column::name).toList();
    }

    static List<String> normalColumnNames(TableConvertor table) {
        return table.columns().stream().filter(c -> c.priority() == 0).map(TableConvertor.Column::name).toList();
    }
}
