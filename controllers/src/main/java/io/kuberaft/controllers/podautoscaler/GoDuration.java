package io.kuberaft.controllers.podautoscaler;

import java.math.BigDecimal;
import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Go's time.ParseDuration, for the {@code window} of PodMetrics ({@code 15s}, {@code 10.483s}, {@code 1m0s}).
 * fabric8's Duration reads fractions wrongly ({@code 10.483s} as 8 min 3 s), and the window decides whether a
 * young pod's cpu sample counts.
 */
final class GoDuration {
    private static final Pattern PART = Pattern.compile("([0-9]*(?:\\.[0-9]*)?)(ns|us|µs|μs|ms|s|m|h)");

    private GoDuration() {
    }

    static Duration parse(String s) {
        String v = s.trim();
        boolean negative = v.startsWith("-");
        if (negative || v.startsWith("+")) {
            v = v.substring(1);
        }
        if (v.equals("0")) {
            return Duration.ZERO;
        }
        Matcher m = PART.matcher(v);
        BigDecimal nanos = BigDecimal.ZERO;
        int end = 0;
        while (end < v.length() && m.find(end) && m.start() == end) {
            String number = m.group(1);
            if (number.isEmpty() || number.equals(".")) {
                throw new IllegalArgumentException("time: invalid duration \"" + s + "\"");
            }
            long unit = switch (m.group(2)) {
                case "ns" -> 1L;
                case "us", "µs", "μs" -> 1_000L;
                case "ms" -> 1_000_000L;
                case "s" -> 1_000_000_000L;
                case "m" -> 60_000_000_000L;
                default -> 3_600_000_000_000L;
            };
            nanos = nanos.add(new BigDecimal(number).multiply(BigDecimal.valueOf(unit)));
            end = m.end();
        }
        if (end == 0 || end != v.length()) {
            throw new IllegalArgumentException("time: invalid duration \"" + s + "\"");
        }
        Duration d = Duration.ofNanos(nanos.longValue());
        return negative ? d.negated() : d;
    }
}
