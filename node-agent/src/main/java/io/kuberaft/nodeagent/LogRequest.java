package io.kuberaft.nodeagent;

import io.kuberaft.nodeagent.runtime.CriLog;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The parameters of a log request ({@code PodLogOptions}: tailLines, limitBytes, sinceSeconds, sinceTime,
 * timestamps, follow, previous) and how they select and render {@link CriLog} entries, as the kubelet does.
 */
record LogRequest(Long tailLines, Long limitBytes, Instant since, boolean timestamps, boolean follow, boolean previous) {

    /** @throws IllegalArgumentException with the message of a 400 */
    static LogRequest parse(Map<String, String> q, Instant now) {
        Long tail = number(q, "tailLines");
        Long limit = number(q, "limitBytes");
        Long sinceSeconds = number(q, "sinceSeconds");
        if (limit != null && limit < 1) {
            throw new IllegalArgumentException("limitBytes: must be greater than 0");
        }
        if (sinceSeconds != null && sinceSeconds < 1) {
            throw new IllegalArgumentException("sinceSeconds: must be greater than 0");
        }
        Instant since = null;
        if (sinceSeconds != null) {
            since = now.minusSeconds(sinceSeconds);
        }
        String st = q.get("sinceTime");
        if (st != null && !st.isEmpty()) {
            if (since != null) {
                throw new IllegalArgumentException("at most one of sinceTime or sinceSeconds may be specified");
            }
            try {
                since = Instant.parse(st);
            } catch (DateTimeParseException e) {
                throw new IllegalArgumentException("sinceTime: not an RFC3339 time: " + st);
            }
        }
        return new LogRequest(tail, limit, since, flag(q, "timestamps"), flag(q, "follow"), flag(q, "previous"));
    }

    private static Long number(Map<String, String> q, String name) {
        String v = q.get(name);
        if (v == null || v.isEmpty()) {
            return null;
        }
        try {
            return Long.parseLong(v);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(name + ": not an integer: " + v);
        }
    }

    private static boolean flag(Map<String, String> q, String name) {
        String v = q.get(name);
        return v != null && (v.isEmpty() || v.equals("true") || v.equals("1"));
    }

    /** The complete entries in {@code bytes} (up to its last newline); {@link #consumed} tells how far that is. */
    static List<CriLog.Line> entries(byte[] bytes) {
        int end = consumed(bytes);
        List<CriLog.Line> out = new ArrayList<>();
        if (end == 0) {
            return out;
        }
        for (String l : new String(bytes, 0, end, StandardCharsets.UTF_8).split("\n")) {
            out.add(CriLog.parse(l));
        }
        return out;
    }

    static int consumed(byte[] bytes) {
        for (int i = bytes.length - 1; i >= 0; i--) {
            if (bytes[i] == '\n') {
                return i + 1;
            }
        }
        return 0;
    }

    boolean selected(CriLog.Line l) {
        return since == null || !l.time().isBefore(since);
    }

    /** The first answer: {@code since}, then {@code tailLines}, rendered. */
    String first(List<CriLog.Line> lines) {
        List<CriLog.Line> sel = new ArrayList<>();
        for (CriLog.Line l : lines) {
            if (selected(l)) {
                sel.add(l);
            }
        }
        if (tailLines != null && tailLines >= 0) {
            // A tail counts whole lines: a partial entry belongs to the line its successor ends.
            int complete = 0;
            int i = sel.size();
            while (i > 0) {
                boolean endsALine = !sel.get(i - 1).partial() || i == sel.size();
                if (endsALine) {
                    if (complete == tailLines) {
                        break;
                    }
                    complete++;
                }
                i--;
            }
            sel = sel.subList(i, sel.size());
        }
        return render(sel);
    }

    String render(List<CriLog.Line> lines) {
        StringBuilder b = new StringBuilder();
        for (CriLog.Line l : lines) {
            if (selected(l)) {
                b.append(l.render(timestamps));
            }
        }
        return b.toString();
    }
}
