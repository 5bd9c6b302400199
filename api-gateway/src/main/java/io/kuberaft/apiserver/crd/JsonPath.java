package io.kuberaft.apiserver.crd;

import com.fasterxml.jackson.databind.JsonNode;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The subset of kubectl's JSONPath that CRD printer columns and scale paths use: {@code .a.b}, {@code [n]},
 * {@code [*]} and {@code [?(@.type=="Ready")]} (also {@code !=}).
 */
final class JsonPath {
    private static final Pattern FILTER = Pattern.compile("\\?\\(@\\.([\\w.-]+)\\s*(==|!=)\\s*['\"]?([^'\"]*)['\"]?\\)");

    private JsonPath() {
    }

    /** Every value the path selects, in order; empty when it selects nothing. */
    static List<JsonNode> select(JsonNode root, String path) {
        List<JsonNode> cur = new ArrayList<>(List.of(root));
        String p = path.strip();
        if (p.startsWith("{") && p.endsWith("}")) {
            p = p.substring(1, p.length() - 1);
        }
        if (p.startsWith("$")) {
            p = p.substring(1);
        }
        int i = 0;
        while (i < p.length() && !cur.isEmpty()) {
            char c = p.charAt(i);
            if (c == '.') {
                int j = i + 1;
                while (j < p.length() && p.charAt(j) != '.' && p.charAt(j) != '[') {
                    j++;
                }
                String field = p.substring(i + 1, j);
                List<JsonNode> next = new ArrayList<>();
                for (JsonNode n : cur) {
                    if (field.isEmpty()) {
                        next.add(n);
                    } else if (n.has(field)) {
                        next.add(n.get(field));
                    }
                }
                cur = next;
                i = j;
            } else if (c == '[') {
                int j = p.indexOf(']', i);
                if (j < 0) {
                    return List.of();
                }
                String sel = p.substring(i + 1, j).strip();
                List<JsonNode> next = new ArrayList<>();
                Matcher m = FILTER.matcher(sel);
                for (JsonNode n : cur) {
                    if (sel.equals("*")) {
                        n.forEach(next::add);
                    } else if (m.matches()) {
                        for (JsonNode e : n) {
                            JsonNode v = select(e, "." + m.group(1)).stream().findFirst().orElse(null);
                            boolean eq = v != null && v.asText().equals(m.group(3));
                            if (m.group(2).equals("==") == eq) {
                                next.add(e);
                            }
                        }
                    } else if (n.isArray()) {
                        try {
                            int idx = Integer.parseInt(sel);
                            JsonNode e = n.get(idx < 0 ? n.size() + idx : idx);
                            if (e != null) {
                                next.add(e);
                            }
                        } catch (NumberFormatException e) {
                            return List.of();
                        }
                    } else if (n.isObject() && (sel.startsWith("'") || sel.startsWith("\""))) {
                        String key = sel.substring(1, sel.length() - 1);
                        if (n.has(key)) {
                            next.add(n.get(key));
                        }
                    }
                }
                cur = next;
                i = j + 1;
            } else {
                return List.of();
            }
        }
        return cur;
    }

    /** The first value the path selects, or null. */
    static JsonNode first(JsonNode root, String path) {
        List<JsonNode> all = select(root, path);
        return all.isEmpty() ? null : all.get(0);
    }
}
