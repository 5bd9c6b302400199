package io.kuberaft.apiserver.table;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.kuberaft.apiserver.table.TableConvertor.Column;

import java.util.List;

import static io.kuberaft.apiserver.table.Cells.text;

/**
 * Events (core/v1 and events.k8s.io/v1, which upstream prints alike): LAST SEEN TYPE REASON OBJECT
 * MESSAGE, wide SUBOBJECT SOURCE FIRST SEEN COUNT NAME. LAST SEEN comes from lastTimestamp, else the
 * first timestamp (firstTimestamp, else eventTime), or a series' lastObservedTime; COUNT from count
 * or series.count, 1 for a singleton.
 */
final class EventTable {
    private EventTable() {
    }

    static final List<Column> COLUMNS = List.of(
            Columns.col("Last Seen", "string", SwaggerDocs.EVENT_LAST_TIMESTAMP),
            Columns.col("Type", "string", SwaggerDocs.EVENT_TYPE),
            Columns.col("Reason", "string", SwaggerDocs.EVENT_REASON),
            Columns.col("Object", "string", SwaggerDocs.EVENT_INVOLVED_OBJECT),
            Columns.wide("Subobject", "string", SwaggerDocs.OBJECT_REFERENCE_FIELD_PATH),
            Columns.wide("Source", "string", SwaggerDocs.EVENT_SOURCE),
            Columns.col("Message", "string", SwaggerDocs.EVENT_MESSAGE),
            Columns.wide("First Seen", "string", SwaggerDocs.EVENT_FIRST_TIMESTAMP),
            Columns.wide("Count", "string", SwaggerDocs.EVENT_COUNT),
            new Column("Name", "string", "name", SwaggerDocs.OBJECT_META_NAME, 1));

    static final TableConvertor TABLE = new RowTable(COLUMNS, EventTable::cells);

    static List<Object> cells(ObjectNode ev, long now) {
        // events.k8s.io/v1 renames the core fields; read whichever is there.
        boolean newApi = !ev.has("involvedObject") && (ev.has("regarding") || ev.has("note")
                || ev.has("deprecatedFirstTimestamp") || ev.has("deprecatedLastTimestamp"));
        JsonNode involved = ev.path(newApi ? "regarding" : "involvedObject");
        JsonNode source = ev.path(newApi ? "deprecatedSource" : "source");
        String firstTs = text(ev.path(newApi ? "deprecatedFirstTimestamp" : "firstTimestamp"));
        String lastTs = text(ev.path(newApi ? "deprecatedLastTimestamp" : "lastTimestamp"));
        long count = Cells.integer(ev.path(newApi ? "deprecatedCount" : "count"), 0);
        String message = text(ev.path(newApi ? "note" : "message"));

        String first = firstTs.isEmpty() ? Ages.since(text(ev.path("eventTime")), now) : Ages.since(firstTs, now);
        String last = lastTs.isEmpty() ? first : Ages.since(lastTs, now);
        JsonNode series = ev.path("series");
        if (series.isObject()) {
            last = Ages.since(text(series.path("lastObservedTime")), now);
            count = Cells.integer(series.path("count"), 0);
        } else if (count == 0) {
            count = 1; // singleton events have no count in the new API
        }

        String kind = text(involved.path("kind")).toLowerCase();
        String name = text(involved.path("name"));
        String target = name.isEmpty() ? kind : kind + "/" + name;

        String reporter = text(ev.path(newApi ? "reportingController" : "reportingComponent"));
        String component = first(text(source.path("component")), reporter);
        String instance = first(text(source.path("host")), text(ev.path("reportingInstance")));
        String src = instance.isEmpty() ? component : component + ", " + instance;

        return List.of(last, text(ev.path("type")), text(ev.path("reason")), target, text(involved.path("fieldPath")),
                src, message.strip(), first, count, Cells.name(ev));
    }

    private static String first(String a, String b) {
        return a.isEmpty() ? b : a;
    }
}
