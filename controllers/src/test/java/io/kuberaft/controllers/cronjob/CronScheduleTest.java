package io.kuberaft.controllers.cronjob;

import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.temporal.ChronoUnit;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class CronScheduleTest {
    static final ZoneId UTC = ZoneOffset.UTC;

    static Instant next(String spec, String after) {
        return CronSchedule.parse(spec).next(Instant.parse(after), UTC);
    }

    @Test
    void fieldsRangesStepsListsAndNames() {
        assertThat(next("* * * * *", "2025-03-04T10:20:30Z")).isEqualTo("2025-03-04T10:21:00Z");
        assertThat(next("* * * * *", "2025-03-04T10:20:00Z")).isEqualTo("2025-03-04T10:21:00Z");
        assertThat(next("*/15 9-17 * * MON-FRI", "2025-03-07T17:50:00Z")).isEqualTo("2025-03-10T09:00:00Z"); // Fri → Mon
        assertThat(next("0 0 1,15 * *", "2025-03-02T00:00:00Z")).isEqualTo("2025-03-15T00:00:00Z");
        assertThat(next("30 2 * feb,Dec sun", "2025-03-01T00:00:00Z")).isEqualTo("2025-12-07T02:30:00Z");
        assertThat(next("5/20 * * * *", "2025-03-01T00:26:00Z")).isEqualTo("2025-03-01T00:45:00Z");
        assertThat(next("0 0 29 2 *", "2025-03-01T00:00:00Z")).isEqualTo("2028-02-29T00:00:00Z");
        assertThat(next("? ? ? ? ?", "2025-03-01T00:00:00Z")).isEqualTo("2025-03-01T00:01:00Z");
    }

    @Test
    void dayOfMonthAndDayOfWeekAreOredUnlessOneIsStar() {
        // 2025-06-13 is a Friday; from June 1st the first Friday is the 6th
        assertThat(next("0 0 13 * FRI", "2025-06-01T00:00:00Z")).isEqualTo("2025-06-06T00:00:00Z");
        assertThat(next("0 0 13 * *", "2025-06-01T00:00:00Z")).isEqualTo("2025-06-13T00:00:00Z");
        assertThat(next("0 0 * * FRI", "2025-06-07T00:00:00Z")).isEqualTo("2025-06-13T00:00:00Z");
    }

    @Test
    void descriptors() {
        assertThat(next("@hourly", "2025-03-04T10:20:30Z")).isEqualTo("2025-03-04T11:00:00Z");
        assertThat(next("@daily", "2025-03-04T10:20:30Z")).isEqualTo("2025-03-05T00:00:00Z");
        assertThat(next("@midnight", "2025-03-04T10:20:30Z")).isEqualTo("2025-03-05T00:00:00Z");
        assertThat(next("@weekly", "2025-03-04T10:20:30Z")).isEqualTo("2025-03-09T00:00:00Z");
        assertThat(next("@monthly", "2025-03-04T10:20:30Z")).isEqualTo("2025-04-01T00:00:00Z");
        assertThat(next("@yearly", "2025-03-04T10:20:30Z")).isEqualTo("2026-01-01T00:00:00Z");
        assertThat(next("@annually", "2025-03-04T10:20:30Z")).isEqualTo("2026-01-01T00:00:00Z");
        // robfig's ParseStandard (what upstream validates with) accepts @every as a constant delay
        assertThat(next("@every 1h30m", "2025-03-04T10:20:30.5Z")).isEqualTo("2025-03-04T11:50:30Z");
    }

    @Test
    void timeZones() {
        CronSchedule s = CronSchedule.parse("0 9 * * *");
        assertThat(s.next(Instant.parse("2025-03-04T01:00:00Z"), ZoneId.of("Asia/Tokyo"))).isEqualTo("2025-03-05T00:00:00Z");
        // New York switches to daylight time on 2025-03-09: 09:00 local is 14:00 UTC before, 13:00 UTC after
        ZoneId ny = ZoneId.of("America/New_York");
        assertThat(s.next(Instant.parse("2025-03-08T15:00:00Z"), ny)).isEqualTo("2025-03-09T13:00:00Z");
        assertThat(s.next(Instant.parse("2025-03-07T15:00:00Z"), ny)).isEqualTo("2025-03-08T14:00:00Z");
    }

    @Test
    void badSchedulesAreRejectedWithRobfigsMessages() {
        bad("* * * *", "expected exactly 5 fields, found 4: [* * * *]");
        bad("* * * * * *", "expected exactly 5 fields, found 6: [* * * * * *]");
        bad("60 * * * *", "end of range (60) above maximum (59): 60");
        bad("* 24 * * *", "end of range (24) above maximum (23): 24");
        bad("* * 0 * *", "beginning of range (0) below minimum (1): 0");
        bad("* * * 13 *", "end of range (13) above maximum (12): 13");
        bad("* * * * 7", "end of range (7) above maximum (6): 7");
        bad("5-1 * * * *", "beginning of range (5) beyond end of range (1): 5-1");
        bad("*/0 * * * *", "step of range should be a positive number: */0");
        bad("1-2-3 * * * *", "too many hyphens: 1-2-3");
        bad("*/2/3 * * * *", "too many slashes: */2/3");
        bad("x * * * *", "failed to parse int from x: strconv.Atoi: parsing \"x\": invalid syntax");
        bad("* * * * FUNDAY", "failed to parse int from FUNDAY: strconv.Atoi: parsing \"FUNDAY\": invalid syntax");
        bad("@fortnightly", "unrecognized descriptor: @fortnightly");
        bad("@every", "unrecognized descriptor: @every");
        bad("@every soon", "failed to parse duration soon: time: invalid duration \"soon\"");
        bad("TZ=Europe/Paris 0 9 * * *", "cannot use TZ or CRON_TZ in schedule, use timeZone field instead");
        bad("CRON_TZ=UTC 0 9 * * *", "cannot use TZ or CRON_TZ in schedule, use timeZone field instead");
        bad("", "empty spec string");
    }

    static void bad(String spec, String message) {
        assertThatThrownBy(() -> CronSchedule.parse(spec)).isInstanceOf(IllegalArgumentException.class).hasMessage(message);
    }

    record Case(Set<Integer> minutes, Set<Integer> hours, Set<Integer> days, long start) {
        String spec() {
            return join(minutes) + " " + join(hours) + " * * " + (days.isEmpty() ? "*" : join(days));
        }

        static String join(Set<Integer> s) {
            return s.stream().map(String::valueOf).collect(Collectors.joining(","));
        }
    }

    @Provide
    Arbitrary<Case> cases() {
        return Combinators.combine(
                Arbitraries.integers().between(0, 59).set().ofMinSize(1).ofMaxSize(5).map(TreeSet::new),
                Arbitraries.integers().between(0, 23).set().ofMinSize(1).ofMaxSize(4).map(TreeSet::new),
                Arbitraries.integers().between(0, 6).set().ofMaxSize(3).map(TreeSet::new),
                Arbitraries.longs().between(1_600_000_000L, 1_900_000_000L)).as(Case::new);
    }

    /** next(t) is after t, matches every field, and no minute in between matches (checked minute by minute). */
    @Property(tries = 150)
    void nextIsTheFirstMatchingMinuteAfter(@ForAll("cases") Case c) {
        Instant t = Instant.ofEpochSecond(c.start());
        Instant n = CronSchedule.parse(c.spec()).next(t, UTC);
        assertThat(n).isAfter(t);
        assertThat(matches(c, n)).as("%s matches %s", n, c.spec()).isTrue();
        for (Instant m = t.truncatedTo(ChronoUnit.MINUTES).plusSeconds(60); m.isBefore(n); m = m.plusSeconds(60)) {
            assertThat(matches(c, m)).as("%s in between matches %s", m, c.spec()).isFalse();
        }
    }

    static boolean matches(Case c, Instant i) {
        ZonedDateTime z = i.atZone(UTC);
        return z.getSecond() == 0 && c.minutes().contains(z.getMinute()) && c.hours().contains(z.getHour())
                && (c.days().isEmpty() || c.days().contains(z.getDayOfWeek().getValue() % 7));
    }
}
