package io.kuberaft.chaos.checker;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What a checker concluded. {@code valid} is TRUE, FALSE, or UNKNOWN (the search was cut off, or the
 * history has nothing to decide on); only FALSE is an anomaly.
 */
public final class CheckResult {
    public enum Validity {
        TRUE, FALSE, UNKNOWN
    }

    /** One anomaly: its kind (stale-read, lost-write, nonlinearizable, lost-add, ...), where and why. */
    public record Anomaly(String kind, String key, String detail) {
    }

    public final String checker;
    public Validity valid = Validity.TRUE;
    public final List<Anomaly> anomalies = new ArrayList<>();
    public final Map<String, Object> stats = new LinkedHashMap<>();

    public CheckResult(String checker) {
        this.checker = checker;
    }

    public CheckResult anomaly(String kind, String key, String detail) {
        anomalies.add(new Anomaly(kind, key, detail));
        valid = Validity.FALSE;
        return this;
    }

    public CheckResult unknown(String why) {
        if (valid == Validity.TRUE) {
            valid = Validity.UNKNOWN;
        }
        stats.merge("unknown", why, (a, b) -> a + "; " + b);
        return this;
    }

    public boolean isValid() {
        return valid != Validity.FALSE;
    }

    public Map<String, Object> toMap() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("checker", checker);
        m.put("valid", valid == Validity.TRUE ? Boolean.TRUE : valid == Validity.FALSE ? Boolean.FALSE : "unknown");
        m.put("anomalies", anomalies);
        m.putAll(stats);
        return m;
    }
}
