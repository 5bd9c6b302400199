package io.kuberaft.kubeapi;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;

/** {@code ?fieldSelector=spec.nodeName=n1,status.phase!=Running}: only =, == and != as upstream. */
public final class FieldSelector {
    public record Term(String field, boolean equals, String value) {
    }

    private final List<Term> terms;

    private FieldSelector(List<Term> terms) {
        this.terms = terms;
    }

    public static FieldSelector parse(String s) {
        List<Term> out = new ArrayList<>();
        if (s == null || s.isBlank()) {
            return new FieldSelector(out);
        }
        for (String part : s.split(",")) {
            String p = part.trim();
            if (p.isEmpty()) {
                continue;
            }
            int ne = p.indexOf("!=");
            int eq = p.indexOf('=');
            if (ne > 0) {
                out.add(new Term(p.substring(0, ne), false, p.substring(ne + 2)));
            } else if (eq > 0) {
                int skip = p.startsWith("==", eq) ? 2 : 1;
                out.add(new Term(p.substring(0, eq), true, p.substring(eq + skip)));
            } else {
                throw new IllegalArgumentException("invalid selector: '" + p + "'; can't understand '" + p + "'");
            }
        }
        return new FieldSelector(out);
    }

    public List<Term> terms() {
        return terms;
    }

    public boolean isEverything() {
        return terms.isEmpty();
    }

    /** {@code fields} returns the value of a supported field, or null for an unsupported one. */
    public boolean matches(Function<String, String> fields) {
        for (Term t : terms) {
            String v = fields.apply(t.field());
            String actual = v == null ? "" : v;
            if (t.equals() != actual.equals(t.value())) {
                return false;
            }
        }
        return true;
    }
}
