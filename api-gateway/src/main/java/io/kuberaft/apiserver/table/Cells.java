package io.kuberaft.apiserver.table;

import com.fasterxml.jackson.databind.JsonNode;

import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Cell formatting shared by the printers: labels and label selectors, container names and images,
 * service ports, access modes, int-or-strings, and the "a,b,c + N more..." lists.
 */
final class Cells {
    private Cells() {
    }

    static final String NONE = "<none>";
    static final String UNSET = "<unset>";
    static final String UNKNOWN = "<unknown>";

    // ---- field access --------------------------------------------------------------------------------

    static String name(JsonNode obj) {
        return text(obj.path("metadata").path("name"));
    }

    static String age(JsonNode obj, long nowMillis) {
        return Ages.age(obj, nowMillis);
    }

    /** A scalar as text, "" when missing or null (Go's zero string). */
    static String text(JsonNode n) {
        return n == null || n.isMissingNode() || n.isNull() || n.isContainerNode() ? "" : n.asText();
    }

    /** A scalar as text, {@code dflt} when missing, null or empty (a field upstream would have defaulted). */
    static String text(JsonNode n, String dflt) {
        String s = text(n);
        return s.isEmpty() ? dflt : s;
    }

    static long integer(JsonNode n, long dflt) {
        return n == null || !n.isValueNode() || n.isNull() ? dflt : n.asLong(dflt);
    }

    static boolean bool(JsonNode n, boolean dflt) {
        return n == null || !n.isValueNode() || n.isNull() ? dflt : n.asBoolean(dflt);
    }

    static boolean deleting(JsonNode obj) {
        return !text(obj.path("metadata").path("deletionTimestamp")).isEmpty();
    }

    static int size(JsonNode n) {
        return n != null && n.isContainerNode() ? n.size() : 0;
    }

    /** Go's "True"/"False" (printBool). */
    static String goBool(boolean b) {
        return b ? "True" : "False";
    }

    /** The default table convertor's "Created At": creationTimestamp in RFC 3339 at second precision, UTC. */
    static String createdAt(JsonNode obj) {
        String ts = text(obj.path("metadata").path("creationTimestamp"));
        if (ts.isEmpty()) {
            return "0001-01-01T00:00:00Z";
        }
        try {
            return Instant.parse(ts).truncatedTo(ChronoUnit.SECONDS).toString();
        } catch (DateTimeParseException e) {
            return ts;
        }
    }

    // ---- labels and selectors ------------------------------------------------------------------------

    /** labels.FormatLabels: sorted "k=v,k2=v2", or {@code <none>}. */
    static String labels(JsonNode map) {
        if (map == null || !map.isObject() || map.isEmpty()) {
            return NONE;
        }
        TreeMap<String, String> sorted = new TreeMap<>();
        map.fields().forEachRemaining(e -> sorted.put(e.getKey(), text(e.getValue())));
        StringBuilder sb = new StringBuilder();
        for (Map.Entry<String, String> e : sorted.entrySet()) {
            if (!sb.isEmpty()) {
                sb.append(',');
            }
            sb.append(e.getKey()).append('=').append(e.getValue());
        }
        return sb.toString();
    }

    /** metav1.FormatLabelSelector: the selector string, {@code <none>} when empty, {@code <error>} when invalid. */
    static String labelSelector(JsonNode selector) {
        String s = selectorString(selector);
        if (s == null) {
            return "<error>";
        }
        return s.isEmpty() ? NONE : s;
    }

    /** LabelSelectorAsSelector(...).String(): "" for a missing or empty selector, null when invalid. */
    static String selectorString(JsonNode selector) {
        if (selector == null || !selector.isObject()) {
            return "";
        }
        List<String[]> reqs = new ArrayList<>(); // {key, rendered}
        selector.path("matchLabels").fields().forEachRemaining(e ->
                reqs.add(new String[]{e.getKey(), e.getKey() + "=" + text(e.getValue())}));
        for (JsonNode expr : selector.path("matchExpressions")) {
            String key = text(expr.path("key"));
            List<String> values = new ArrayList<>();
            expr.path("values").forEach(v -> values.add(text(v)));
            String op = text(expr.path("operator"));
            String rendered;
            switch (op) {
                case "In", "NotIn" -> {
                    if (values.isEmpty()) {
                        return null;
                    }
                    List<String> sorted = new ArrayList<>(values);
                    sorted.sort(null);
                    rendered = key + ("In".equals(op) ? " in (" : " notin (") + String.join(",", sorted) + ")";
                }
                case "Exists" -> {
                    if (!values.isEmpty()) {
                        return null;
                    }
                    rendered = key;
                }
                case "DoesNotExist" -> {
                    if (!values.isEmpty()) {
                        return null;
                    }
                    rendered = "!" + key;
                }
                default -> {
                    return null;
                }
            }
            reqs.add(new String[]{key, rendered});
        }
        reqs.sort((a, b) -> a[0].compareTo(b[0]));
        List<String> out = new ArrayList<>();
        reqs.forEach(r -> out.add(r[1]));
        return String.join(",", out);
    }

    // ---- pod templates -------------------------------------------------------------------------------

    /** The containers of a pod template spec ({@code spec.template.spec.containers}). */
    static JsonNode templateContainers(JsonNode obj) {
        return obj.path("spec").path("template").path("spec").path("containers");
    }

    /** layoutContainerCells: container names, comma separated. */
    static String containerNames(JsonNode containers) {
        List<String> out = new ArrayList<>();
        containers.forEach(c -> out.add(text(c.path("name"))));
        return String.join(",", out);
    }

    /** layoutContainerCells: container images, comma separated. */
    static String containerImages(JsonNode containers) {
        List<String> out = new ArrayList<>();
        containers.forEach(c -> out.add(text(c.path("image"))));
        return String.join(",", out);
    }

    // ---- services, endpoints -------------------------------------------------------------------------

    /** makePortString: "80/TCP,443:30443/TCP" ("" when there are none). Protocol defaults to TCP. */
    static String servicePorts(JsonNode ports) {
        List<String> out = new ArrayList<>();
        for (JsonNode p : ports) {
            long port = integer(p.path("port"), 0);
            long nodePort = integer(p.path("nodePort"), 0);
            String proto = text(p.path("protocol"), "TCP");
            out.add(nodePort > 0 ? port + ":" + nodePort + "/" + proto : port + "/" + proto);
        }
        return String.join(",", out);
    }

    /** net.JoinHostPort: brackets IPv6 literals. */
    static String joinHostPort(String host, long port) {
        return host.indexOf(':') >= 0 ? "[" + host + "]:" + port : host + ":" + port;
    }

    /** listWithMoreString: "a,b,c + 2 more...", {@code <unset>} when empty. */
    static String listWithMore(List<String> list, boolean more, int count, int max) {
        String ret = String.join(",", list);
        if (more) {
            return ret + " + " + (count - max) + " more...";
        }
        return ret.isEmpty() ? UNSET : ret;
    }

    /** A load balancer's ingress points (IP, else hostname): sorted, de-duplicated, comma separated. */
    static String loadBalancerIngress(JsonNode ingress) {
        java.util.TreeSet<String> result = new java.util.TreeSet<>();
        for (JsonNode i : ingress) {
            String ip = text(i.path("ip"));
            String host = text(i.path("hostname"));
            if (!ip.isEmpty()) {
                result.add(ip);
            } else if (!host.isEmpty()) {
                result.add(host);
            }
        }
        return String.join(",", result);
    }

    // ---- storage -------------------------------------------------------------------------------------

    /** GetAccessModesAsString: "RWO,ROX,RWX,RWOP" in that fixed order, duplicates dropped. */
    static String accessModes(JsonNode modes) {
        List<String> have = new ArrayList<>();
        modes.forEach(m -> have.add(text(m)));
        List<String> out = new ArrayList<>();
        if (have.contains("ReadWriteOnce")) {
            out.add("RWO");
        }
        if (have.contains("ReadOnlyMany")) {
            out.add("ROX");
        }
        if (have.contains("ReadWriteMany")) {
            out.add("RWX");
        }
        if (have.contains("ReadWriteOncePod")) {
            out.add("RWOP");
        }
        return String.join(",", out);
    }

    /** A resource quantity (e.g. {@code capacity.storage}) in canonical form, "0" when unset. */
    static String quantity(JsonNode q) {
        return Quantities.canonical(text(q));
    }

    // ---- misc ----------------------------------------------------------------------------------------

    /** intstr.IntOrString.String(). */
    static String intOrString(JsonNode n) {
        return n.isNumber() ? Long.toString(n.asLong()) : text(n);
    }

    static List<String> strings(JsonNode array) {
        List<String> out = new ArrayList<>();
        for (Iterator<JsonNode> it = array.elements(); it.hasNext(); ) {
            out.add(text(it.next()));
        }
        return out;
    }
}
