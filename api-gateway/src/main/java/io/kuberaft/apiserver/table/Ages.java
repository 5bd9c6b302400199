package io.kuberaft.apiserver.table;

import com.fasterxml.jackson.databind.JsonNode;

import java.time.Instant;
import java.time.format.DateTimeParseException;

/** kubectl's human durations: 45s, 7m27s, 3h4m, 5d, 2y (apimachinery duration.HumanDuration). */
public final class Ages {
    private Ages() {
    }

    public static String age(JsonNode obj, long nowMillis) {
        return since(obj.path("metadata").path("creationTimestamp").asText(null), nowMillis);
    }

    /** The age of an RFC 3339 timestamp ("<unknown>" when unset). */
    public static String since(String timestamp, long nowMillis) {
        if (timestamp == null || timestamp.isEmpty()) {
            return "<unknown>";
        }
        try {
            return human((nowMillis - Instant.parse(timestamp).toEpochMilli()) / 1000);
        } catch (DateTimeParseException e) {
            return "<invalid>";
        }
    }

    /** Like upstream: up to one second in the future reads "0s" (clock skew), further is "<invalid>". */
    public static String human(long seconds) {
        if (seconds < -1) {
            return "<invalid>";
        }
        if (seconds < 0) {
            return "0s";
        }
        if (seconds < 60 * 2) {
            return seconds + "s";
        }
        long minutes = seconds / 60;
        if (minutes < 10) {
            long s = seconds % 60;
            return s == 0 ? minutes + "m" : minutes + "m" + s + "s";
        }
        if (minutes < 60 * 3) {
            return minutes + "m";
        }
        long hours = seconds / 3600;
        if (hours < 8) {
            long m = minutes % 60;
            return m == 0 ? hours + "h" : hours + "h" + m + "m";
        }
        if (hours < 48) {
            return hours + "h";
        }
        if (hours < 24 * 8) {
            long h = hours % 24;
            return h == 0 ? hours / 24 + "d" : hours / 24 + "d" + h + "h";
        }
        if (hours < 24 * 365 * 2) {
            return hours / 24 + "d";
        }
        if (hours < 24 * 365 * 8) {
            long dy = (hours / 24) % 365;
            return dy == 0 ? hours / 24 / 365 + "y" : hours / 24 / 365 + "y" + dy + "d";
        }
        return hours / 24 / 365 + "y";
    }
}
