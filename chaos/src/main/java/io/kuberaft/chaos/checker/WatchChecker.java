package io.kuberaft.chaos.checker;

import com.fasterxml.jackson.databind.JsonNode;
import io.kuberaft.chaos.history.Op;
import io.kuberaft.chaos.history.Pairing;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;

/**
 * The watch workload's checker. The history holds, per process:
 * <ul>
 * <li>writers: {@code write} of a unique value to a key; {@code ok} carries {@code {"value", "rv"}} (the
 * resourceVersion the server answered), {@code fail} = not applied, {@code info} = maybe applied;</li>
 * <li>watchers: {@code list} ({@code ok} value {@code {"rv", "items": [[key, rv, value], …]}}) and watch
 * sessions ({@code watch}, invoked with {@code {"from"}}, completed with {@code {"from", "events":
 * [[rv, type, key, value, ms], …]}}: every event and bookmark received, in order, whatever ended the
 * session; {@code fail} with an error starting "410" = Gone, followed by a relist);</li>
 * <li>{@code final-list}: one linearizable list after the nemesis healed.</li>
 * </ul>
 * The revisions of each key that are known to exist are the union of acknowledged writes, events of
 * every watcher and every list; a (key, revision) must carry one value everywhere, and a value must
 * come from a write of that key that did not fail, applied once. A watcher's <em>epoch</em> is a list
 * at revision L and the events of its sessions until the next relist; the epoch covers (L, C], C the
 * highest revision it received (event or bookmark). In an epoch: revisions only increase (a
 * bookmark included), no (key, revision) twice and nothing at or below L (exactly once), ADDED only
 * for absent keys and MODIFIED/DELETED only for present ones, and every known revision in (L, C]
 * delivered (no gap: acknowledged writes and what other watchers saw). Every list, relists included,
 * must hold each key's latest known revision at or below its own revision (not stale, nothing from the
 * future); a relist must not go back behind what the watcher already saw. Finally each watcher's
 * state at the final list's revision must equal the final list (the watchers agree with each other and
 * with the final state); a watcher that never caught up with it is reported as behind.
 */
public final class WatchChecker {
    /** A value at a revision: a number, "deleted", or "-" for objects without a numeric value. */
    private record Known(String value, String source) {
    }

    private record Event(long rv, String type, String key, String value, long ms) {
        boolean bookmark() {
            return type.equals("BOOKMARK");
        }
    }

    private record Item(long rv, String value) {
    }

    private static final class Epoch {
        final long listRv;
        final Map<String, Item> list;
        final List<Event> events = new ArrayList<>();

        Epoch(long listRv, Map<String, Item> list) {
            this.listRv = listRv;
            this.list = list;
        }
    }

    private record ListOp(int process, long rv, Map<String, Item> items) {
    }

    private record Write(String key, Op.Type type, Long rv, long ackNanos) {
    }

    private final String keyPrefix;

    /** @param keyPrefix keys whose values must come from the writes (others, e.g. kube-root-ca.crt, are only checked for agreement) */
    public WatchChecker(String keyPrefix) {
        this.keyPrefix = keyPrefix;
    }

    public WatchChecker() {
        this("w-");
    }

    private final Map<String, TreeMap<Long, Known>> known = new HashMap<>();
    private CheckResult r;

    public CheckResult check(List<Op> history) {
        r = new CheckResult("watch");
        known.clear();
        Map<String, Write> writes = new HashMap<>();
        Map<Integer, List<Epoch>> watchers = new LinkedHashMap<>();
        List<ListOp> lists = new ArrayList<>();
        ListOp finalList = null;
        int sessions = 0;
        int gone = 0;
        int relists = 0;
        long events = 0;
        Pairing ops = Pairing.of(history);
        for (Pairing.Completed c : ops.completed()) {
            Op inv = c.invoke();
            Op op = c.completion();
            switch (inv.f()) {
                case "write" -> {
                    String v = inv.value().asText();
                    Long rv = op.type() == Op.Type.ok ? op.value().path("rv").asLong() : null;
                    writes.put(v, new Write(inv.key(), op.type(), rv, op.time()));
                }
                case "list", "final-list" -> {
                    if (op.type() != Op.Type.ok) {
                        break;
                    }
                    ListOp l = new ListOp(op.process(), op.value().path("rv").asLong(), items(op.value().path("items")));
                    lists.add(l);
                    if (inv.f().equals("final-list")) {
                        finalList = l;
                    } else {
                        List<Epoch> es = watchers.computeIfAbsent(op.process(), p -> new ArrayList<>());
                        relists += es.isEmpty() ? 0 : 1;
                        es.add(new Epoch(l.rv, l.items));
                    }
                }
                case "watch" -> {
                    sessions++;
                    if (op.error() != null && op.error().startsWith("410")) {
                        gone++;
                    }
                    List<Epoch> es = watchers.get(op.process());
                    if (es == null || es.isEmpty()) {
                        r.anomaly("watch-without-list", null, "p" + op.process() + " watched before any list");
                        break;
                    }
                    for (JsonNode e : op.value().path("events")) {
                        es.get(es.size() - 1).events.add(new Event(e.get(0).asLong(), e.get(1).asText(), e.get(2).isNull() ? null : e.get(2).asText(),
                                value(e.get(3), e.get(1).asText()), e.path(4).asLong()));
                        events++;
                    }
                }
                default -> {
                }
            }
        }
        for (Map.Entry<Integer, Op> e : ops.open().entrySet()) {
            if (e.getValue().f().equals("write")) {
                writes.put(e.getValue().value().asText(), new Write(e.getValue().key(), Op.Type.info, null, 0));
            }
        }

        // 1. Every revision known to exist, from every source; one value per (key, revision).
        writes.forEach((v, w) -> {
            if (w.type == Op.Type.ok) {
                know(w.key, w.rv, v, "write of " + v + " acknowledged");
            }
        });
        for (ListOp l : lists) {
            l.items.forEach((k, it) -> know(k, it.rv, it.value, "list p" + l.process + " at " + l.rv));
        }
        watchers.forEach((p, es) -> {
            for (Epoch ep : es) {
                for (Event e : ep.events) {
                    if (!e.bookmark()) {
                        know(e.key, e.rv, e.value, "event of p" + p);
                    }
                }
            }
        });

        // 2. Values come from writes of that key that did not fail, each applied at one revision.
        Map<String, Long> appliedAt = new HashMap<>();
        int recovered = 0;
        for (Map.Entry<String, TreeMap<Long, Known>> k : known.entrySet()) {
            if (!k.getKey().startsWith(keyPrefix)) {
                continue;
            }
            for (Map.Entry<Long, Known> rev : k.getValue().entrySet()) {
                String v = rev.getValue().value;
                if (v.equals("deleted")) {
                    continue;
                }
                Write w = writes.get(v);
                if (w == null || !w.key.equals(k.getKey())) {
                    r.anomaly("phantom-value", k.getKey(), "value " + v + " at revision " + rev.getKey() + " was never written to this key ("
                            + rev.getValue().source + ")");
                    continue;
                }
                if (w.type == Op.Type.fail) {
                    r.anomaly("failed-write-visible", k.getKey(), "value " + v + " at revision " + rev.getKey() + " was reported failed ("
                            + rev.getValue().source + ")");
                }
                if (w.type == Op.Type.info) {
                    recovered++;
                }
                Long other = appliedAt.putIfAbsent(v, rev.getKey());
                if (other != null) {
                    r.anomaly("duplicate-apply", k.getKey(), "value " + v + " at revisions " + other + " and " + rev.getKey());
                }
            }
        }

        // 3. Lists: the latest known revision of each key at or below the list's revision, nothing newer.
        for (ListOp l : lists) {
            checkList(l);
        }
        if (finalList != null) {
            for (Map.Entry<String, Write> w : writes.entrySet()) {
                if (w.getValue().type == Op.Type.ok && w.getValue().rv > finalList.rv) {
                    r.anomaly("stale-final-list", w.getValue().key, "write of " + w.getKey() + " acknowledged at revision " + w.getValue().rv
                            + " before the final list, which is at " + finalList.rv);
                }
            }
        }

        // 4. Each watcher's epochs; 5. its state at the final list's revision.
        List<Long> lags = new ArrayList<>();
        Map<String, Object> perWatcher = new LinkedHashMap<>();
        for (Map.Entry<Integer, List<Epoch>> w : watchers.entrySet()) {
            int p = w.getKey();
            Map<String, Item> prevState = null;
            long prevCovered = 0;
            Map<String, Item> atFinal = null;
            long lastCovered = 0;
            long lastListRv = 0;
            long delivered = 0;
            for (Epoch ep : w.getValue()) {
                if (prevState != null) {
                    if (ep.listRv < prevCovered) {
                        r.anomaly("relist-regression", null, "p" + p + " relisted at revision " + ep.listRv + " after it had seen " + prevCovered);
                    }
                    for (Map.Entry<String, Item> s : prevState.entrySet()) {
                        Item now = ep.list.get(s.getKey());
                        if (now != null ? now.rv < s.getValue().rv : !s.getValue().value.equals("deleted")) {
                            r.anomaly("relist-regression", s.getKey(), "p" + p + " had revision " + s.getValue().rv + " of it; its relist at "
                                    + ep.listRv + " has " + (now == null ? "nothing" : now.rv));
                        }
                    }
                }
                Map<String, Item> state = new HashMap<>(ep.list);
                Map<String, Item> snapshot = null;
                Set<String> seen = new HashSet<>();
                long max = ep.listRv;
                for (Event e : ep.events) {
                    if (finalList != null && snapshot == null && e.rv > finalList.rv && ep.listRv <= finalList.rv) {
                        snapshot = new HashMap<>(state);
                    }
                    if (e.bookmark()) {
                        if (e.rv < max) {
                            r.anomaly("out-of-order", null, "p" + p + " got a bookmark at revision " + e.rv + " after revision " + max);
                        }
                        max = Math.max(max, e.rv);
                        continue;
                    }
                    String id = e.key + "@" + e.rv;
                    if (e.rv <= ep.listRv) {
                        r.anomaly("duplicate-event", e.key, "p" + p + " got " + e.type + " at revision " + e.rv
                                + ", already in its list at " + ep.listRv);
                        continue;
                    }
                    if (!seen.add(id)) {
                        r.anomaly("duplicate-event", e.key, "p" + p + " got revision " + e.rv + " twice");
                        continue;
                    }
                    if (e.rv < max) {
                        r.anomaly("out-of-order", e.key, "p" + p + " got revision " + e.rv + " after revision " + max);
                    }
                    Item before = state.get(e.key);
                    boolean present = before != null && !before.value.equals("deleted");
                    if (e.type.equals("ADDED") == present) {
                        r.anomaly("wrong-event-type", e.key, "p" + p + " got " + e.type + " at revision " + e.rv + " for a key "
                                + (present ? "it holds (revision " + before.rv + ")" : "it does not hold"));
                    }
                    if (before == null || before.rv < e.rv) {
                        state.put(e.key, new Item(e.rv, e.type.equals("DELETED") ? "deleted" : e.value));
                    }
                    max = Math.max(max, e.rv);
                    delivered++;
                    Write wr = writes.get(e.value);
                    if (wr != null && wr.type == Op.Type.ok && wr.rv == e.rv) {
                        lags.add(Math.max(0, e.ms - wr.ackNanos / 1_000_000));
                    }
                }
                // No gap: every known revision in (list, covered] was delivered.
                List<String> missed = new ArrayList<>();
                for (Map.Entry<String, TreeMap<Long, Known>> k : known.entrySet()) {
                    for (Map.Entry<Long, Known> rev : k.getValue().subMap(ep.listRv, false, max, true).entrySet()) {
                        if (!seen.contains(k.getKey() + "@" + rev.getKey())) {
                            missed.add(k.getKey() + "@" + rev.getKey() + " (" + rev.getValue().source + ")");
                        }
                    }
                }
                if (!missed.isEmpty()) {
                    r.anomaly("missed-event", null, "p" + p + " covered (" + ep.listRv + ", " + max + "] but missed " + missed.size() + ": "
                            + head(missed));
                }
                if (finalList != null && ep.listRv <= finalList.rv && max >= finalList.rv) {
                    atFinal = snapshot != null ? snapshot : state;
                }
                prevState = state;
                prevCovered = max;
                lastCovered = max;
                lastListRv = ep.listRv;
            }
            if (finalList != null) {
                if (atFinal != null) {
                    Map<String, Item> want = new HashMap<>(finalList.items);
                    Map<String, Item> got = new HashMap<>(atFinal);
                    got.values().removeIf(i -> i.value.equals("deleted"));
                    if (!want.equals(got)) {
                        r.anomaly("final-state-mismatch", null, "p" + p + " at revision " + finalList.rv + ": " + diff(got, want));
                    }
                } else if (lastCovered < finalList.rv) {
                    r.anomaly("watcher-behind", null, "p" + p + " reached revision " + lastCovered + ", never the final list's " + finalList.rv);
                }
            }
            perWatcher.put("p" + p, Map.of("epochs", w.getValue().size(), "delivered", delivered, "covered", lastCovered,
                    "last-list", lastListRv));
        }
        r.stats.put("writes", writes.values().stream().filter(w -> w.type == Op.Type.ok).count() + " ok, "
                + writes.values().stream().filter(w -> w.type == Op.Type.fail).count() + " fail, "
                + writes.values().stream().filter(w -> w.type == Op.Type.info).count() + " info (" + recovered + " seen applied)");
        r.stats.put("revisions", known.values().stream().mapToInt(Map::size).sum());
        r.stats.put("sessions", sessions);
        r.stats.put("gone-410", gone);
        r.stats.put("relists", relists);
        r.stats.put("events", events);
        r.stats.put("final-revision", finalList == null ? null : finalList.rv);
        if (!lags.isEmpty()) {
            List<Long> s = lags.stream().sorted().toList();
            r.stats.put("event-after-ack-ms", Map.of("p50", s.get(s.size() / 2), "p99", s.get(Math.min(s.size() - 1, (int) (s.size() * 0.99))),
                    "max", s.get(s.size() - 1)));
        }
        r.stats.put("watchers", perWatcher);
        if (finalList == null) {
            r.unknown("no successful final list");
        }
        if (watchers.isEmpty()) {
            r.unknown("no watcher listed");
        }
        return r;
    }

    private void know(String key, long rv, String value, String source) {
        Known prev = known.computeIfAbsent(key, k -> new TreeMap<>()).putIfAbsent(rv, new Known(value, source));
        if (prev != null && !prev.value.equals(value)) {
            r.anomaly("conflicting-revision", key, "revision " + rv + " is " + prev.value + " (" + prev.source + ") and " + value + " (" + source + ")");
        }
    }

    private void checkList(ListOp l) {
        Set<String> keys = new HashSet<>(known.keySet());
        keys.addAll(l.items.keySet());
        for (String k : keys) {
            Item it = l.items.get(k);
            Map.Entry<Long, Known> latest = known.getOrDefault(k, new TreeMap<>()).floorEntry(l.rv);
            if (it != null && it.rv > l.rv) {
                r.anomaly("list-from-future", k, "list p" + l.process + " at revision " + l.rv + " holds revision " + it.rv);
            } else if (it != null && latest != null && latest.getKey() > it.rv) {
                r.anomaly("stale-list", k, "list p" + l.process + " at revision " + l.rv + " holds revision " + it.rv + ", but revision "
                        + latest.getKey() + " exists (" + latest.getValue().source + ")");
            } else if (it == null && latest != null && !latest.getValue().value.equals("deleted")) {
                r.anomaly("stale-list", k, "list p" + l.process + " at revision " + l.rv + " lacks the key, which exists at revision "
                        + latest.getKey() + " (" + latest.getValue().source + ")");
            }
        }
    }

    private static Map<String, Item> items(JsonNode items) {
        Map<String, Item> m = new HashMap<>();
        for (JsonNode i : items) {
            m.put(i.get(0).asText(), new Item(i.get(1).asLong(), value(i.get(2), "ADDED")));
        }
        return m;
    }

    private static String value(JsonNode v, String type) {
        if (type.equals("DELETED")) {
            return "deleted";
        }
        return v == null || v.isNull() ? "-" : v.asText();
    }

    private static String diff(Map<String, Item> got, Map<String, Item> want) {
        List<String> d = new ArrayList<>();
        Set<String> keys = new java.util.TreeSet<>(got.keySet());
        keys.addAll(want.keySet());
        for (String k : keys) {
            if (!Objects.equals(got.get(k), want.get(k))) {
                d.add(k + ": watcher " + fmt(got.get(k)) + ", final " + fmt(want.get(k)));
            }
        }
        return head(d);
    }

    private static String fmt(Item i) {
        return i == null ? "absent" : i.value + "@" + i.rv;
    }

    private static String head(List<String> l) {
        return l.size() <= 10 ? l.toString() : l.subList(0, 10) + "... (" + l.size() + ")";
    }
}
