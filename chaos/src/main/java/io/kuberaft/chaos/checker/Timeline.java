package io.kuberaft.chaos.checker;

import com.fasterxml.jackson.databind.JsonNode;
import io.kuberaft.chaos.history.Op;
import io.kuberaft.chaos.history.Pairing;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * What the reflectors of a workload recorded ({@code list} snapshots and {@code watch} sessions, see the
 * workloads' ObjectWatcher), merged into one timeline in resourceVersion order: resourceVersions are the
 * store's global revisions, so the streams of different kinds interleave exactly as the writes happened.
 * Only revisions every reflector covered (its last event, bookmark or list) are replayed.
 */
final class Timeline {
    /** One recorded revision of one kind: an event ({@code object}), or a whole LIST ({@code items}). */
    record Entry(long rv, String kind, String type, JsonNode object, JsonNode items) {
        boolean isList() {
            return items != null;
        }
    }

    final List<Entry> entries;
    /** The last revision every kind's reflector covered. */
    final long horizon;

    private Timeline(List<Entry> entries, long horizon) {
        this.entries = entries;
        this.horizon = horizon;
    }

    static Timeline of(List<Pairing.Completed> completed, List<String> kinds) {
        List<Entry> all = new ArrayList<>();
        Map<String, Long> covered = new HashMap<>();
        for (Pairing.Completed c : completed) {
            Op done = c.completion();
            JsonNode v = done.value();
            if (c.invoke().f().equals("list") && done.type() == Op.Type.ok) {
                all.add(new Entry(v.path("rv").asLong(), v.path("kind").asText(), "LIST", null, v.path("items")));
                covered.merge(v.path("kind").asText(), v.path("rv").asLong(), Math::max);
            } else if (c.invoke().f().equals("watch") && v != null) {
                String kind = v.path("kind").asText();
                for (JsonNode e : v.path("events")) {
                    covered.merge(kind, e.path("rv").asLong(), Math::max);
                    if (!e.path("type").asText().equals("BOOKMARK")) {
                        all.add(new Entry(e.path("rv").asLong(), kind, e.path("type").asText(), e, null));
                    }
                }
            }
        }
        long horizon = kinds.stream().mapToLong(k -> covered.getOrDefault(k, 0L)).min().orElse(0);
        // a list at revision L is the state after L: it goes after any event of that revision
        all.sort(Comparator.comparingLong(Entry::rv).thenComparing(Entry::isList));
        List<Entry> out = new ArrayList<>();
        Map<String, Long> kindAt = new HashMap<>();
        for (Entry e : all) {
            if (e.rv() > horizon) {
                break;
            }
            if (!e.isList() && e.rv() <= kindAt.getOrDefault(e.kind(), -1L)) {
                continue; // already in a later snapshot of this kind (a relist), or received twice
            }
            kindAt.put(e.kind(), e.rv());
            out.add(e);
        }
        return new Timeline(out, horizon);
    }
}
