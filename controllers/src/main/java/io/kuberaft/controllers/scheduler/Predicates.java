package io.kuberaft.controllers.scheduler;

import io.fabric8.kubernetes.api.model.LabelSelector;
import io.fabric8.kubernetes.api.model.LabelSelectorRequirement;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.NodeSelectorRequirement;
import io.fabric8.kubernetes.api.model.NodeSelectorTerm;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.Taint;
import io.fabric8.kubernetes.api.model.Toleration;

import java.util.List;
import java.util.Map;
import java.util.Objects;

/** Upstream's matching rules (tolerations, node selector terms, label selectors), on fabric8 objects. */
public final class Predicates {
    private Predicates() {
    }

    /** v1.Toleration.ToleratesTaint: empty key with Exists tolerates everything; empty effect matches every effect. */
    public static boolean tolerates(Toleration t, Taint taint) {
        if (t.getEffect() != null && !t.getEffect().isEmpty() && !t.getEffect().equals(taint.getEffect())) {
            return false;
        }
        String key = t.getKey() == null ? "" : t.getKey();
        if (!key.isEmpty() && !key.equals(taint.getKey())) {
            return false;
        }
        String op = t.getOperator() == null || t.getOperator().isEmpty() ? "Equal" : t.getOperator();
        return switch (op) {
            case "Exists" -> true;
            case "Equal" -> Objects.equals(nz(t.getValue()), nz(taint.getValue()));
            default -> false;
        };
    }

    public static boolean tolerated(List<Toleration> tolerations, Taint taint) {
        if (tolerations != null) {
            for (Toleration t : tolerations) {
                if (tolerates(t, taint)) {
                    return true;
                }
            }
        }
        return false;
    }

    public static List<Toleration> tolerations(Pod pod) {
        List<Toleration> t = pod.getSpec() == null ? null : pod.getSpec().getTolerations();
        return t == null ? List.of() : t;
    }

    public static List<Taint> taints(Node node) {
        List<Taint> t = node.getSpec() == null ? null : node.getSpec().getTaints();
        return t == null ? List.of() : t;
    }

    public static Map<String, String> labels(io.fabric8.kubernetes.api.model.HasMetadata o) {
        Map<String, String> l = o.getMetadata().getLabels();
        return l == null ? Map.of() : l;
    }

    /** A nodeSelectorTerm: every matchExpression and matchField holds (an empty term matches nothing). */
    public static boolean matches(NodeSelectorTerm term, Node node) {
        List<NodeSelectorRequirement> exprs = term.getMatchExpressions() == null ? List.of() : term.getMatchExpressions();
        List<NodeSelectorRequirement> fields = term.getMatchFields() == null ? List.of() : term.getMatchFields();
        if (exprs.isEmpty() && fields.isEmpty()) {
            return false;
        }
        Map<String, String> labels = labels(node);
        for (NodeSelectorRequirement r : exprs) {
            if (!matchesRequirement(r, labels.containsKey(r.getKey()), labels.get(r.getKey()))) {
                return false;
            }
        }
        for (NodeSelectorRequirement r : fields) {
            if (!"metadata.name".equals(r.getKey())) {
                return false;
            }
            if (!matchesRequirement(r, true, node.getMetadata().getName())) {
                return false;
            }
        }
        return true;
    }

    /** Terms are ORed. */
    public static boolean matchesAny(List<NodeSelectorTerm> terms, Node node) {
        for (NodeSelectorTerm t : terms) {
            if (matches(t, node)) {
                return true;
            }
        }
        return false;
    }

    private static boolean matchesRequirement(NodeSelectorRequirement r, boolean has, String value) {
        List<String> values = r.getValues() == null ? List.of() : r.getValues();
        return switch (r.getOperator()) {
            case "In" -> has && values.contains(value);
            case "NotIn" -> !has || !values.contains(value);
            case "Exists" -> has;
            case "DoesNotExist" -> !has;
            case "Gt", "Lt" -> {
                if (!has || values.size() != 1) {
                    yield false;
                }
                try {
                    long v = Long.parseLong(value);
                    long bound = Long.parseLong(values.get(0));
                    yield r.getOperator().equals("Gt") ? v > bound : v < bound;
                } catch (NumberFormatException e) {
                    yield false;
                }
            }
            default -> false;
        };
    }

    /** The pod's nodeSelector and required node affinity both hold for {@code node}. */
    public static boolean nodeAffinityMatches(Pod pod, Node node) {
        Map<String, String> sel = pod.getSpec().getNodeSelector();
        if (sel != null && !sel.isEmpty()) {
            Map<String, String> labels = labels(node);
            for (var e : sel.entrySet()) {
                if (!Objects.equals(labels.get(e.getKey()), e.getValue())) {
                    return false;
                }
            }
        }
        var aff = pod.getSpec().getAffinity();
        if (aff != null && aff.getNodeAffinity() != null
                && aff.getNodeAffinity().getRequiredDuringSchedulingIgnoredDuringExecution() != null) {
            List<NodeSelectorTerm> terms = aff.getNodeAffinity().getRequiredDuringSchedulingIgnoredDuringExecution().getNodeSelectorTerms();
            return terms != null && matchesAny(terms, node);
        }
        return true;
    }

    /** metav1.LabelSelector; null selects nothing, empty selects everything. */
    public static boolean matches(LabelSelector s, Map<String, String> labels) {
        if (s == null) {
            return false;
        }
        if (s.getMatchLabels() != null) {
            for (var e : s.getMatchLabels().entrySet()) {
                if (!Objects.equals(labels.get(e.getKey()), e.getValue())) {
                    return false;
                }
            }
        }
        if (s.getMatchExpressions() != null) {
            for (LabelSelectorRequirement r : s.getMatchExpressions()) {
                boolean has = labels.containsKey(r.getKey());
                List<String> values = r.getValues() == null ? List.of() : r.getValues();
                boolean ok = switch (r.getOperator()) {
                    case "In" -> has && values.contains(labels.get(r.getKey()));
                    case "NotIn" -> !has || !values.contains(labels.get(r.getKey()));
                    case "Exists" -> has;
                    case "DoesNotExist" -> !has;
                    default -> false;
                };
                if (!ok) {
                    return false;
                }
            }
        }
        return true;
    }

    private static String nz(String s) {
        return s == null ? "" : s;
    }
}
