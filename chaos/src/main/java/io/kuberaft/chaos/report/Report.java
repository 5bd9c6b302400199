package io.kuberaft.chaos.report;

import io.kuberaft.chaos.history.Op;
import io.kuberaft.chaos.history.Pairing;
import io.kuberaft.chaos.nemesis.Schedule;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** report.html: latency of every completed op over time (log scale), nemesis intervals shaded, throughput, summary. */
public final class Report {
    private Report() {
    }

    public static String html(String title, Map<String, Object> results, List<Op> history, List<Schedule.Interval> intervals) {
        int w = 1000;
        int ph = 320;
        int left = 60;
        double tmax = 1;
        for (Op o : history) {
            tmax = Math.max(tmax, o.time() / 1e9);
        }
        double lmin = Math.log10(1);
        double lmax = Math.log10(10_000);
        StringBuilder svg = new StringBuilder();
        svg.append("<svg xmlns='http://www.w3.org/2000/svg' width='").append(w + left + 20).append("' height='").append(ph + 160).append("'>");
        for (Schedule.Interval iv : intervals) {
            double x0 = left + iv.startNanos() / 1e9 / tmax * w;
            double x1 = left + iv.endNanos() / 1e9 / tmax * w;
            svg.append(String.format("<rect x='%.1f' y='0' width='%.1f' height='%d' fill='#f4cccc' opacity='0.6'><title>%s: %s</title></rect>",
                    x0, Math.max(1, x1 - x0), ph + 120, esc(iv.nemesis()), esc(iv.detail())));
            svg.append(String.format("<text x='%.1f' y='12' font-size='10'>%s</text>", x0 + 2, esc(iv.nemesis())));
        }
        for (int ms : new int[] {1, 10, 100, 1000, 10000}) {
            double y = ph - (Math.log10(ms) - lmin) / (lmax - lmin) * ph;
            svg.append(String.format("<line x1='%d' x2='%d' y1='%.1f' y2='%.1f' stroke='#ddd'/><text x='2' y='%.1f' font-size='10'>%d ms</text>",
                    left, left + w, y, y, y + 3, ms));
        }
        int[] perSecond = new int[(int) tmax + 2];
        for (Pairing.Completed done : Pairing.of(history).completed()) {
            Op inv = done.invoke();
            Op o = done.completion();
            double ms = Math.max(1, (o.time() - inv.time()) / 1e6);
            double x = left + inv.time() / 1e9 / tmax * w;
            double y = ph - (Math.log10(Math.min(ms, 9999)) - lmin) / (lmax - lmin) * ph;
            String color = switch (o.type()) {
                case ok -> inv.f().equals("read") ? "#3c78d8" : "#6aa84f";
                case fail -> "#cc0000";
                default -> "#e69138";
            };
            svg.append(String.format("<circle cx='%.1f' cy='%.1f' r='1.6' fill='%s'/>", x, y, color));
            if (o.type() == Op.Type.ok) {
                perSecond[(int) (o.time() / 1e9)]++;
            }
        }
        // throughput (ok ops per second) below the latency plot
        int max = 1;
        for (int v : perSecond) {
            max = Math.max(max, v);
        }
        StringBuilder pts = new StringBuilder();
        for (int s = 0; s < perSecond.length; s++) {
            pts.append(String.format("%.1f,%.1f ", left + s / tmax * w, ph + 140 - perSecond[s] * 100.0 / max));
        }
        svg.append("<polyline fill='none' stroke='#333' points='").append(pts).append("'/>");
        svg.append(String.format("<text x='2' y='%d' font-size='10'>%d ok/s</text>", ph + 44, max));
        svg.append(String.format("<text x='%d' y='%d' font-size='10'>%.0f s</text>", left + w - 30, ph + 155, tmax));
        svg.append("</svg>");

        StringBuilder b = new StringBuilder("<!doctype html><html><head><meta charset='utf-8'><title>").append(esc(title))
                .append("</title><style>body{font-family:sans-serif;margin:20px}td,th{border:1px solid #ccc;padding:3px 8px;text-align:left}"
                        + "table{border-collapse:collapse}pre{white-space:pre-wrap}</style></head><body><h1>").append(esc(title)).append("</h1>");
        Object valid = results.get("valid");
        b.append("<p><b style='color:").append(Boolean.TRUE.equals(valid) ? "green" : "red").append("'>valid: ").append(valid).append("</b></p>");
        b.append("<table>");
        for (Map.Entry<String, Object> e : results.entrySet()) {
            if (!e.getKey().equals("workloads") && !e.getKey().equals("anomalies")) {
                b.append("<tr><th>").append(esc(e.getKey())).append("</th><td>").append(esc(String.valueOf(e.getValue()))).append("</td></tr>");
            }
        }
        b.append("</table><h2>Latency (log) and ok throughput over time</h2><p>blue: ok read, green: ok write/cas/add, red: fail, orange: info (indeterminate); shaded: nemesis active</p>");
        b.append(svg);
        b.append("<h2>Operations</h2><table><tr><th>f</th><th>ok</th><th>fail</th><th>info</th><th>p50 ms (ok)</th><th>p99 ms (ok)</th><th>max ms (ok)</th></tr>");
        for (Map.Entry<String, long[]> e : summary(history).entrySet()) {
            long[] s = e.getValue();
            b.append("<tr><td>").append(esc(e.getKey())).append("</td>");
            for (long v : s) {
                b.append("<td>").append(v).append("</td>");
            }
            b.append("</tr>");
        }
        b.append("</table><h2>Nemesis</h2><table><tr><th>nemesis</th><th>what</th><th>from s</th><th>to s</th></tr>");
        for (Schedule.Interval iv : intervals) {
            b.append(String.format("<tr><td>%s</td><td>%s</td><td>%.1f</td><td>%.1f</td></tr>", esc(iv.nemesis()), esc(iv.detail()),
                    iv.startNanos() / 1e9, iv.endNanos() / 1e9));
        }
        b.append("</table><h2>Checkers</h2><pre>").append(esc(String.valueOf(results.get("workloads")))).append("</pre>");
        b.append("<h2>Anomalies</h2><pre>").append(esc(String.valueOf(results.get("anomalies")))).append("</pre></body></html>");
        return b.toString();
    }

    /** f → [ok, fail, info, p50, p99, max] (latencies of ok ops, ms). */
    public static Map<String, long[]> summary(List<Op> history) {
        Map<String, long[]> counts = new java.util.TreeMap<>();
        Map<String, List<Long>> lat = new HashMap<>();
        for (Pairing.Completed done : Pairing.of(history).completed()) {
            Op inv = done.invoke();
            Op o = done.completion();
            long[] c = counts.computeIfAbsent(inv.f(), k -> new long[6]);
            c[o.type() == Op.Type.ok ? 0 : o.type() == Op.Type.fail ? 1 : 2]++;
            if (o.type() == Op.Type.ok) {
                lat.computeIfAbsent(inv.f(), k -> new ArrayList<>()).add((o.time() - inv.time()) / 1_000_000);
            }
        }
        counts.forEach((f, c) -> {
            List<Long> l = lat.getOrDefault(f, List.of());
            if (!l.isEmpty()) {
                List<Long> s = l.stream().sorted().toList();
                c[3] = s.get(s.size() / 2);
                c[4] = s.get(Math.min(s.size() - 1, (int) (s.size() * 0.99)));
                c[5] = s.get(s.size() - 1);
            }
        });
        return counts;
    }

    private static String esc(String s) {
        return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("'", "&#39;");
    }
}
