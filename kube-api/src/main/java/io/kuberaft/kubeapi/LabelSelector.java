package io.kuberaft.kubeapi;

import com.fasterxml.jackson.databind.JsonNode;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A label selector: the string form of {@code ?labelSelector=} ({@code a=b,c!=d,e in (x,y),f notin (z),g,!h})
 * or the {@code matchLabels}/{@code matchExpressions} form of a spec.
 */
public final class LabelSelector {
    public enum Op { EQUALS, NOT_EQUALS, IN, NOT_IN, EXISTS, DOES_NOT_EXIST }

    public record Requirement(String key, Op op, Set<String> values) {
        boolean matches(Map<String, String> labels) {
            String v = labels.get(key);
            return switch (op) {
                case EQUALS, IN -> v != null && values.contains(v);
                case NOT_EQUALS, NOT_IN -> v == null || !values.contains(v);
                case EXISTS -> v != null;
                case DOES_NOT_EXIST -> v == null;
            };
        }
    }

    private static final LabelSelector EVERYTHING = new LabelSelector(List.of(), false);
    private static final LabelSelector NOTHING = new LabelSelector(List.of(), true);

    private final List<Requirement> requirements;
    private final boolean matchesNothing;

    private LabelSelector(List<Requirement> requirements, boolean matchesNothing) {
        this.requirements = requirements;
        this.matchesNothing = matchesNothing;
    }

    public static LabelSelector everything() {
        return EVERYTHING;
    }

    public List<Requirement> requirements() {
        return requirements;
    }

    public boolean isEverything() {
        return !matchesNothing && requirements.isEmpty();
    }

    public boolean matches(Map<String, String> labels) {
        if (matchesNothing) {
            return false;
        }
        for (Requirement r : requirements) {
            if (!r.matches(labels)) {
                return false;
            }
        }
        return true;
    }

    /** Parses the query-string form; throws IllegalArgumentException with upstream-like messages. */
    public static LabelSelector parse(String s) {
        if (s == null || s.isBlank()) {
            return EVERYTHING;
        }
        List<Requirement> out = new ArrayList<>();
        int i = 0;
        int n = s.length();
        while (i < n) {
            while (i < n && s.charAt(i) == ' ') {
                i++;
            }
            boolean not = false;
            if (i < n && s.charAt(i) == '!') {
                not = true;
                i++;
            }
            int start = i;
            while (i < n && isKeyChar(s.charAt(i))) {
                i++;
            }
            String key = s.substring(start, i).trim();
            if (key.isEmpty()) {
                throw new IllegalArgumentException("unable to parse requirement: found '" + (i < n ? s.charAt(i) : "EOF") + "', expected: identifier");
            }
            while (i < n && s.charAt(i) == ' ') {
                i++;
            }
            if (not) {
                out.add(new Requirement(key, Op.DOES_NOT_EXIST, Set.of()));
            } else if (i >= n || s.charAt(i) == ',') {
                out.add(new Requirement(key, Op.EXISTS, Set.of()));
            } else if (s.startsWith("==", i) || s.startsWith("!=", i) || s.charAt(i) == '=') {
                Op op = s.startsWith("!=", i) ? Op.NOT_EQUALS : Op.EQUALS;
                i += s.startsWith("==", i) || s.startsWith("!=", i) ? 2 : 1;
                int vs = i;
                while (i < n && s.charAt(i) != ',') {
                    i++;
                }
                String value = s.substring(vs, i).trim();
                checkValue(value);
                out.add(new Requirement(key, op, Set.of(value)));
            } else if (s.startsWith("in", i) || s.startsWith("notin", i)) {
                Op op = s.startsWith("in", i) ? Op.IN : Op.NOT_IN;
                i += op == Op.IN ? 2 : 5;
                while (i < n && s.charAt(i) == ' ') {
                    i++;
                }
                if (i >= n || s.charAt(i) != '(') {
                    throw new IllegalArgumentException("unable to parse requirement: found '" + (i < n ? s.charAt(i) : "EOF") + "', expected: '('");
                }
                int close = s.indexOf(')', i);
                if (close < 0) {
                    throw new IllegalArgumentException("unable to parse requirement: found 'EOF', expected: ')'");
                }
                Set<String> values = new LinkedHashSet<>();
                for (String v : s.substring(i + 1, close).split(",")) {
                    String t = v.trim();
                    checkValue(t);
                    values.add(t);
                }
                out.add(new Requirement(key, op, values));
                i = close + 1;
            } else {
                throw new IllegalArgumentException("unable to parse requirement: found '" + s.charAt(i) + "', expected: in, notin, =, ==, !=, gt, lt");
            }
            while (i < n && s.charAt(i) == ' ') {
                i++;
            }
            if (i < n) {
                if (s.charAt(i) != ',') {
                    throw new IllegalArgumentException("unable to parse requirement: found '" + s.charAt(i) + "', expected: ','");
                }
                i++;
            }
        }
        return new LabelSelector(out, false);
    }

    private static boolean isKeyChar(char c) {
        return Character.isLetterOrDigit(c) || c == '-' || c == '_' || c == '.' || c == '/';
    }

    private static void checkValue(String v) {
        if (v.length() > 63 || !v.matches("(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?")) {
            throw new IllegalArgumentException("invalid label value: \"" + v + "\": a valid label must be an empty string or consist of "
                    + "alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character");
        }
    }

    /**
     * The spec form (metav1.LabelSelector). A null or absent selector matches nothing, an empty one
     * matches everything, as upstream's LabelSelectorAsSelector.
     */
    public static LabelSelector fromSpec(JsonNode sel) {
        if (sel == null || sel.isNull() || sel.isMissingNode()) {
            return NOTHING;
        }
        List<Requirement> out = new ArrayList<>();
        JsonNode ml = sel.path("matchLabels");
        ml.fields().forEachRemaining(e -> out.add(new Requirement(e.getKey(), Op.EQUALS, Set.of(e.getValue().asText()))));
        for (JsonNode e : sel.path("matchExpressions")) {
            Set<String> values = new LinkedHashSet<>();
            e.path("values").forEach(v -> values.add(v.asText()));
            Op op = switch (e.path("operator").asText()) {
                case "In" -> Op.IN;
                case "NotIn" -> Op.NOT_IN;
                case "Exists" -> Op.EXISTS;
                case "DoesNotExist" -> Op.DOES_NOT_EXIST;
                default -> throw new IllegalArgumentException("\"" + e.path("operator").asText() + "\" is not a valid label selector operator");
            };
            out.add(new Requirement(e.path("key").asText(), op, values));
        }
        return new LabelSelector(out, false);
    }

    @Override
    public String toString() {
        List<String> parts = new ArrayList<>();
        for (Requirement r : requirements) {
            parts.add(switch (r.op()) {
                case EQUALS -> r.key() + "=" + r.values().iterator().next();
                case NOT_EQUALS -> r.key() + "!=" + r.values().iterator().next();
                case IN -> r.key() + " in (" + String.join(",", r.values()) + ")";
                case NOT_IN -> r.key() + " notin (" + String.join(",", r.values()) + ")";
                case EXISTS -> r.key();
                case DOES_NOT_EXIST -> "!" + r.key();
            });
        }
        return String.join(",", parts);
    }
}
