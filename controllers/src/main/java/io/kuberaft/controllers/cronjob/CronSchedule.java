package io.kuberaft.controllers.cronjob;

import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZonedDateTime;
import java.time.temporal.ChronoUnit;
import java.util.Locale;
import java.util.Map;

/**
 * A CronJob schedule as upstream parses it (robfig/cron v3's {@code ParseStandard}): five fields
 * (minute, hour, day of month, month, day of week) of lists, ranges, steps, {@code *} and {@code ?},
 * month and weekday names, or a descriptor ({@code @yearly @annually @monthly @weekly @daily @midnight
 * @hourly}, and {@code @every <duration>}, which robfig's standard parser accepts too). Day of month and
 * day of week are OR-ed unless one of them is a bare {@code *}, as cron does. Errors carry robfig's messages.
 */
public abstract sealed class CronSchedule permits CronSchedule.Spec, CronSchedule.Every {
    private static final Map<String, Integer> MONTHS = Map.ofEntries(Map.entry("jan", 1), Map.entry("feb", 2), Map.entry("mar", 3),
            Map.entry("apr", 4), Map.entry("may", 5), Map.entry("jun", 6), Map.entry("jul", 7), Map.entry("aug", 8),
            Map.entry("sep", 9), Map.entry("oct", 10), Map.entry("nov", 11), Map.entry("dec", 12));
    private static final Map<String, Integer> DAYS = Map.of("sun", 0, "mon", 1, "tue", 2, "wed", 3, "thu", 4, "fri", 5, "sat", 6);
    private static final long STAR = 1L << 63;

    /** The first activation strictly after {@code t}, in {@code zone}; null when there is none within five years. */
    public abstract Instant next(Instant t, ZoneId zone);

    /** Parses {@code spec}; throws {@link IllegalArgumentException} with robfig's message when it is invalid. */
    public static CronSchedule parse(String spec) {
        if (spec == null || spec.isBlank()) {
            throw new IllegalArgumentException("empty spec string");
        }
        String s = spec.trim();
        if (s.startsWith("TZ=") || s.startsWith("CRON_TZ=")) {
            throw new IllegalArgumentException("cannot use TZ or CRON_TZ in schedule, use timeZone field instead");
        }
        if (s.startsWith("@")) {
            return descriptor(s);
        }
        String[] f = s.split("\\s+");
        if (f.length != 5) {
            throw new IllegalArgumentException("expected exactly 5 fields, found " + f.length + ": [" + String.join(" ", f) + "]");
        }
        return new Spec(field(f[0], 0, 59, null), field(f[1], 0, 23, null), field(f[2], 1, 31, null),
                field(f[3], 1, 12, MONTHS), field(f[4], 0, 6, DAYS));
    }

    private static CronSchedule descriptor(String s) {
        long all = ~0L & ~STAR;
        return switch (s) {
            case "@yearly", "@annually" -> new Spec(1L, 1L, 1L << 1, 1L << 1, all | STAR);
            case "@monthly" -> new Spec(1L, 1L, 1L << 1, all | STAR, all | STAR);
            case "@weekly" -> new Spec(1L, 1L, all | STAR, all | STAR, 1L);
            case "@daily", "@midnight" -> new Spec(1L, 1L, all | STAR, all | STAR, all | STAR);
            case "@hourly" -> new Spec(1L, all | STAR, all | STAR, all | STAR, all | STAR);
            default -> {
                if (s.startsWith("@every ")) {
                    Duration d = goDuration(s.substring(7).trim());
                    yield new Every(d);
                }
                throw new IllegalArgumentException("unrecognized descriptor: " + s);
            }
        };
    }

    /** One field: a comma list of {@code *|?|n|a-b} with an optional {@code /step}; bit i set when value i matches. */
    private static long field(String field, int min, int max, Map<String, Integer> names) {
        long bits = 0;
        for (String expr : field.split(",", -1)) {
            bits |= range(expr, min, max, names);
        }
        return bits;
    }

    private static long range(String expr, int min, int max, Map<String, Integer> names) {
        String[] rangeAndStep = expr.split("/", -1);
        String[] lowAndHigh = rangeAndStep[0].split("-", -1);
        boolean single = lowAndHigh.length == 1;
        int start;
        int end;
        long extra = 0;
        if (lowAndHigh[0].equals("*") || lowAndHigh[0].equals("?")) {
            start = min;
            end = max;
            extra = STAR;
        } else {
            start = value(lowAndHigh[0], names);
            switch (lowAndHigh.length) {
                case 1 -> end = start;
                case 2 -> end = value(lowAndHigh[1], names);
                default -> throw new IllegalArgumentException("too many hyphens: " + expr);
            }
        }
        int step;
        switch (rangeAndStep.length) {
            case 1 -> step = 1;
            case 2 -> {
                step = integer(rangeAndStep[1]);
                if (single) {
                    end = max; // "n/step" means n-max/step
                }
                if (step > 1) {
                    extra = 0;
                }
            }
            default -> throw new IllegalArgumentException("too many slashes: " + expr);
        }
        if (start < min) {
            throw new IllegalArgumentException("beginning of range (" + start + ") below minimum (" + min + "): " + expr);
        }
        if (end > max) {
            throw new IllegalArgumentException("end of range (" + end + ") above maximum (" + max + "): " + expr);
        }
        if (start > end) {
            throw new IllegalArgumentException("beginning of range (" + start + ") beyond end of range (" + end + "): " + expr);
        }
        if (step == 0) {
            throw new IllegalArgumentException("step of range should be a positive number: " + expr);
        }
        long bits = 0;
        for (int i = start; i <= end; i += step) {
            bits |= 1L << i;
        }
        return bits | extra;
    }

    private static int value(String s, Map<String, Integer> names) {
        if (names != null) {
            Integer v = names.get(s.toLowerCase(Locale.ROOT));
            if (v != null) {
                return v;
            }
        }
        return integer(s);
    }

    private static int integer(String s) {
        if (!s.matches("[0-9]+") || s.length() > 9) {
            if (s.matches("-[0-9]+")) {
                throw new IllegalArgumentException("negative number (" + s + ") not allowed: " + s);
            }
            throw new IllegalArgumentException("failed to parse int from " + s + ": strconv.Atoi: parsing \"" + s + "\": invalid syntax");
        }
        return Integer.parseInt(s);
    }

    /** Go's time.ParseDuration for the units a schedule would use (h, m, s, ms). */
    static Duration goDuration(String s) {
        var m = java.util.regex.Pattern.compile("([0-9]+(?:\\.[0-9]+)?)(h|ms|m|s)").matcher(s);
        int pos = 0;
        double nanos = 0;
        while (m.lookingAt()) {
            double v = Double.parseDouble(m.group(1));
            nanos += v * switch (m.group(2)) {
                case "h" -> 3600e9;
                case "m" -> 60e9;
                case "s" -> 1e9;
                default -> 1e6;
            };
            pos = m.end();
            m.region(pos, s.length());
        }
        if (s.isEmpty() || pos != s.length()) {
            throw new IllegalArgumentException("failed to parse duration " + s + ": time: invalid duration \"" + s + "\"");
        }
        return Duration.ofNanos((long) nanos);
    }

    /** Five bit sets, one per field. */
    static final class Spec extends CronSchedule {
        final long minute;
        final long hour;
        final long dom;
        final long month;
        final long dow;

        Spec(long minute, long hour, long dom, long month, long dow) {
            this.minute = minute;
            this.hour = hour;
            this.dom = dom;
            this.month = month;
            this.dow = dow;
        }

        @Override
        public Instant next(Instant after, ZoneId zone) {
            ZonedDateTime t = after.atZone(zone).truncatedTo(ChronoUnit.MINUTES).plusMinutes(1);
            int yearLimit = t.getYear() + 5;
            while (t.getYear() <= yearLimit) {
                if ((1L << t.getMonthValue() & month) == 0) {
                    t = t.withDayOfMonth(1).truncatedTo(ChronoUnit.DAYS).plusMonths(1);
                    continue;
                }
                if (!dayMatches(t)) {
                    t = t.truncatedTo(ChronoUnit.DAYS).plusDays(1);
                    continue;
                }
                if ((1L << t.getHour() & hour) == 0) {
                    t = t.truncatedTo(ChronoUnit.HOURS).plusHours(1);
                    continue;
                }
                if ((1L << t.getMinute() & minute) == 0) {
                    t = t.plusMinutes(1);
                    continue;
                }
                return t.toInstant();
            }
            return null;
        }

        private boolean dayMatches(ZonedDateTime t) {
            boolean domMatch = (1L << t.getDayOfMonth() & dom) != 0;
            boolean dowMatch = (1L << (t.getDayOfWeek().getValue() % 7) & dow) != 0;
            if ((dom & STAR) != 0 || (dow & STAR) != 0) {
                return domMatch && dowMatch;
            }
            return domMatch || dowMatch;
        }
    }

    /** {@code @every d}: robfig's ConstantDelaySchedule (whole seconds, at least one). */
    static final class Every extends CronSchedule {
        final Duration delay;

        Every(Duration d) {
            Duration whole = Duration.ofSeconds(d.getSeconds());
            this.delay = whole.compareTo(Duration.ofSeconds(1)) < 0 ? Duration.ofSeconds(1) : whole;
        }

        @Override
        public Instant next(Instant t, ZoneId zone) {
            return t.plus(delay).minusNanos(t.getNano());
        }
    }
}
