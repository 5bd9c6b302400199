package io.kuberaft.apiserver.table;

import com.fasterxml.jackson.databind.node.ObjectNode;

import java.util.List;

/**
 * The columns `kubectl get` prints for a kind (server-side printing, meta.k8s.io/v1 Table). Columns
 * with priority &gt; 0 appear only with {@code -o wide}.
 */
public interface TableConvertor {
    record Column(String name, String type, String format, String description, int priority) {
        public static Column of(String name, String type, String description) {
            return new Column(name, type, "", description, 0);
        }

        public static Column wide(String name, String type, String description) {
            return new Column(name, type, "", description, 1);
        }
    }

    /** A meta.k8s.io/v1 TableRowCondition (upstream marks finished pods {@code Completed}). */
    record RowCondition(String type, String status, String reason, String message) {
    }

    List<Column> columns();

    /**
     * One cell per column, in order, wide columns included (a real apiserver always prints wide and
     * kubectl drops priority &gt; 0 columns unless {@code -o wide}); {@code now} is for ages.
     */
    List<Object> cells(ObjectNode obj, long nowMillis);

    /** The row's conditions; none by default. */
    default List<RowCondition> conditions(ObjectNode obj) {
        return List.of();
    }

    /** Name and Age: what every kind has. */
    TableConvertor DEFAULT = new TableConvertor() {
        @Override
        public List<Column> columns() {
            return List.of(new Column("Name", "string", "name", "Name must be unique within a namespace.", 0),
                    Column.of("Age", "string", "CreationTimestamp is a timestamp representing the server time when this object was created."));
        }

        @Override
        public List<Object> cells(ObjectNode obj, long nowMillis) {
            return List.of(obj.path("metadata").path("name").asText(), Ages.age(obj, nowMillis));
        }
    };
}
