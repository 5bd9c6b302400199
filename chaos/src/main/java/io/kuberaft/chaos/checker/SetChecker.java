package io.kuberaft.chaos.checker;

import com.fasterxml.jackson.databind.JsonNode;
import io.kuberaft.chaos.history.Op;
import io.kuberaft.chaos.history.Pairing;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * The set workload's checker (Jepsen's set): unique {@code add}s, then one final {@code read} of the
 * whole set. Every acknowledged add must be in the final read (else lost); a failed add must not be
 * (it reported that it did not happen); indeterminate adds may or may not be; nothing that was never
 * added may appear.
 */
public final class SetChecker {
    public CheckResult check(List<Op> history) {
        CheckResult r = new CheckResult("set");
        Map<Long, Op.Type> outcome = new HashMap<>();
        JsonNode finalRead = null;
        Pairing ops = Pairing.of(history);
        for (Pairing.Completed c : ops.completed()) {
            Op inv = c.invoke();
            Op op = c.completion();
            if (inv.f().equals("add")) {
                outcome.put(inv.value().asLong(), op.type());
            } else if (inv.f().equals("read") && op.type() == Op.Type.ok) {
                finalRead = op.value();
            }
        }
        for (Op inv : ops.open().values()) {
            if (inv.f().equals("add")) {
                outcome.put(inv.value().asLong(), Op.Type.info);
            }
        }
        Set<Long> okAdds = new TreeSet<>();
        Set<Long> failed = new TreeSet<>();
        Set<Long> info = new TreeSet<>();
        outcome.forEach((v, t) -> (t == Op.Type.ok ? okAdds : t == Op.Type.fail ? failed : info).add(v));
        r.stats.put("attempted", outcome.size());
        r.stats.put("acknowledged", okAdds.size());
        r.stats.put("failed", failed.size());
        r.stats.put("indeterminate", info.size());
        if (finalRead == null) {
            return r.unknown("no successful final read");
        }
        Set<Long> seen = new LinkedHashSet<>();
        List<Long> duplicates = new ArrayList<>();
        for (JsonNode n : finalRead) {
            if (!seen.add(n.asLong())) {
                duplicates.add(n.asLong());
            }
        }
        List<Long> lost = okAdds.stream().filter(v -> !seen.contains(v)).toList();
        List<Long> failedPresent = failed.stream().filter(seen::contains).toList();
        List<Long> unexpected = seen.stream().filter(v -> !outcome.containsKey(v)).toList();
        long recovered = info.stream().filter(seen::contains).count();
        r.stats.put("final-size", seen.size());
        r.stats.put("recovered", recovered);
        if (!lost.isEmpty()) {
            r.anomaly("lost-add", null, lost.size() + " acknowledged adds missing from the final read: " + head(lost));
        }
        if (!failedPresent.isEmpty()) {
            r.anomaly("failed-add-present", null, failedPresent.size() + " adds reported failed are present: " + head(failedPresent));
        }
        if (!unexpected.isEmpty()) {
            r.anomaly("unexpected-element", null, "never added: " + head(unexpected));
        }
        if (!duplicates.isEmpty()) {
            r.anomaly("duplicate-element", null, "read twice: " + head(duplicates));
        }
        return r;
    }

    private static String head(List<Long> l) {
        return l.size() <= 20 ? l.toString() : l.subList(0, 20) + "...";
    }
}
