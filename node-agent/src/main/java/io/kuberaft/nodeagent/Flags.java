package io.kuberaft.nodeagent;

import io.kuberaft.kubeapi.Quantity;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/** Parsers of the agent's list flags; a bad value is an {@link IllegalArgumentException} that names the flag and the entry. */
public final class Flags {
    private static final Pattern QUALIFIED = Pattern.compile("([a-z0-9]([-a-z0-9.]*[a-z0-9])?/)?[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?");
    private static final Pattern VALUE = Pattern.compile("([A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?)?");
    private static final Set<String> EFFECTS = Set.of("NoSchedule", "PreferNoSchedule", "NoExecute");

    private Flags() {
    }

    /** A taint as {@code --register-with-taints} gives it: {@code key[=value]:Effect}. */
    public record Taint(String key, String value, String effect) {
    }

    /** {@code k=v,k2=v2} (label keys and values as upstream validates them). */
    public static Map<String, String> labels(String spec) {
        Map<String, String> out = new LinkedHashMap<>();
        for (String entry : entries(spec)) {
            int eq = entry.indexOf('=');
            if (eq <= 0) {
                throw new IllegalArgumentException("--labels: \"" + entry + "\" is not key=value");
            }
            String k = entry.substring(0, eq);
            String v = entry.substring(eq + 1);
            if (!QUALIFIED.matcher(k).matches() || k.length() > 316) {
                throw new IllegalArgumentException("--labels: \"" + k + "\" is not a valid label key");
            }
            if (!VALUE.matcher(v).matches() || v.length() > 63) {
                throw new IllegalArgumentException("--labels: \"" + v + "\" is not a valid label value (key " + k + ")");
            }
            out.put(k, v);
        }
        return out;
    }

    /** {@code key=value:NoSchedule,key2:NoExecute}. */
    public static List<Taint> taints(String spec) {
        List<Taint> out = new ArrayList<>();
        for (String entry : entries(spec)) {
            int colon = entry.lastIndexOf(':');
            if (colon <= 0) {
                throw new IllegalArgumentException("--register-with-taints: \"" + entry + "\" is not key[=value]:Effect");
            }
            String effect = entry.substring(colon + 1);
            if (!EFFECTS.contains(effect)) {
                throw new IllegalArgumentException("--register-with-taints: \"" + entry + "\": effect must be one of NoSchedule, PreferNoSchedule, NoExecute");
            }
            String kv = entry.substring(0, colon);
            int eq = kv.indexOf('=');
            String k = eq < 0 ? kv : kv.substring(0, eq);
            String v = eq < 0 ? null : kv.substring(eq + 1);
            if (!QUALIFIED.matcher(k).matches()) {
                throw new IllegalArgumentException("--register-with-taints: \"" + k + "\" is not a valid taint key");
            }
            if (v != null && !VALUE.matcher(v).matches()) {
                throw new IllegalArgumentException("--register-with-taints: \"" + v + "\" is not a valid taint value");
            }
            out.add(new Taint(k, v, effect));
        }
        return out;
    }

    /** {@code cpu=4,memory=8Gi,pods=110}: resource names with Kubernetes quantities, in canonical form. */
    public static Map<String, String> capacity(String spec) {
        Map<String, String> out = new LinkedHashMap<>();
        for (String entry : entries(spec)) {
            int eq = entry.indexOf('=');
            if (eq <= 0) {
                throw new IllegalArgumentException("--capacity: \"" + entry + "\" is not resource=quantity");
            }
            String name = entry.substring(0, eq);
            String q = entry.substring(eq + 1);
            try {
                out.put(name, Quantity.parse(q).toString());
            } catch (RuntimeException e) {
                throw new IllegalArgumentException("--capacity: \"" + q + "\" is not a quantity (resource " + name + ")");
            }
        }
        for (String required : List.of("cpu", "memory", "pods")) {
            if (!out.containsKey(required)) {
                throw new IllegalArgumentException("--capacity: missing " + required + " (e.g. cpu=4,memory=8Gi,pods=110)");
            }
        }
        return out;
    }

    private static List<String> entries(String spec) {
        List<String> out = new ArrayList<>();
        if (spec == null) {
            return out;
        }
        for (String s : spec.split(",")) {
            if (!s.isBlank()) {
                out.add(s.trim());
            }
        }
        return out;
    }
}
