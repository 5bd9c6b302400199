package io.kuberaft.chaos.checker;

import io.kuberaft.chaos.history.Op;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** The watch checker on synthetic histories: a correct one with a resume and a 410 relist, then one known anomaly each. */
class WatchCheckerTest {
    private static final int A = 100;
    private static final int B = 101;
    private static final int FINAL = 900;

    private static List<Object> ev(long rv, String type, String key, Long value) {
        return Arrays.asList(rv, type, key, value, rv);
    }

    private static List<Object> added(long rv, String key, long value) {
        return ev(rv, "ADDED", key, value);
    }

    private static List<Object> modified(long rv, String key, long value) {
        return ev(rv, "MODIFIED", key, value);
    }

    private static List<Object> bookmark(long rv) {
        return ev(rv, "BOOKMARK", null, null);
    }

    private static List<Object> item(String key, long rv, long value) {
        return List.of(key, rv, value);
    }

    /** A small fluent history: writes, lists, watch sessions, the final list. */
    private static final class W {
        final H h = new H();

        W write(int p, String key, long v, long rv) {
            h.inv(p, "write", key, v).ok(p, "write", key, Map.of("value", v, "rv", rv));
            return this;
        }

        W failedWrite(int p, String key, long v) {
            h.inv(p, "write", key, v).fail(p, "write", key, v);
            return this;
        }

        W list(int p, long rv, List<?>... items) {
            h.inv(p, "list", null, null).ok(p, "list", null, Map.of("rv", rv, "items", List.of(items)));
            return this;
        }

        W finalList(long rv, List<?>... items) {
            h.inv(FINAL, "final-list", null, null).ok(FINAL, "final-list", null, Map.of("rv", rv, "items", List.of(items)));
            return this;
        }

        W watch(int p, long from, List<?>... events) {
            h.inv(p, "watch", null, Map.of("from", from)).ok(p, "watch", null, Map.of("from", from, "events", List.of(events)));
            return this;
        }

        W gone(int p, long from, List<?>... events) {
            h.inv(p, "watch", null, Map.of("from", from))
                    .done(p, Op.Type.fail, "watch", null, Map.of("from", from, "events", List.of(events)), "410 Gone: too old resource version");
            return this;
        }

        CheckResult check() {
            return new WatchChecker("w-").check(h.ops);
        }
    }

    /** Four acknowledged writes (revision 13 is some other object's), and watcher B's first part (list at 10, one event). */
    private static W writes() {
        return new W().write(0, "w-0", 1, 10).write(1, "w-1", 2, 11).write(0, "w-0", 3, 12).write(1, "w-1", 4, 14)
                .list(B, 10, item("w-0", 10, 1)).watch(B, 10, added(11, "w-1", 2));
    }

    /** Watcher B after its first part: 410, relist at 13, resume to 14; then the final list. */
    private static W restOfB(W w) {
        return w.gone(B, 11).list(B, 13, item("w-0", 12, 3), item("w-1", 11, 2)).watch(B, 13, modified(14, "w-1", 4))
                .finalList(14, item("w-0", 12, 3), item("w-1", 14, 4));
    }

    @Test
    void resumedAndRelistedWatchersThatSeeEveryRevisionOnceAreValid() {
        CheckResult r = restOfB(writes().list(A, 9).watch(A, 9, added(10, "w-0", 1), added(11, "w-1", 2), bookmark(11))
                .watch(A, 11, modified(12, "w-0", 3), bookmark(13), modified(14, "w-1", 4))).check();
        assertThat(r.anomalies).isEmpty();
        assertThat(r.valid).isEqualTo(CheckResult.Validity.TRUE);
        assertThat(r.stats).containsEntry("gone-410", 1).containsEntry("relists", 1).containsEntry("final-revision", 14L);
    }

    @Test
    void aMissedEventIsAnAnomaly() {
        // A's resume from 11 skips revision 12 (an acknowledged write): a gap, and A ends with w-0 at 10
        CheckResult r = restOfB(writes().list(A, 9).watch(A, 9, added(10, "w-0", 1), added(11, "w-1", 2))
                .watch(A, 11, modified(14, "w-1", 4))).check();
        assertThat(r.valid).isEqualTo(CheckResult.Validity.FALSE);
        assertThat(kinds(r)).contains("missed-event", "final-state-mismatch");
        assertThat(detail(r, "missed-event")).contains("p100").contains("w-0@12");
    }

    @Test
    void aDuplicateEventIsAnAnomaly() {
        // the resume from 11 replays revision 11
        CheckResult r = restOfB(writes().list(A, 9).watch(A, 9, added(10, "w-0", 1), added(11, "w-1", 2))
                .watch(A, 11, added(11, "w-1", 2), modified(12, "w-0", 3), modified(14, "w-1", 4))).check();
        assertThat(kinds(r)).containsExactly("duplicate-event");
        assertThat(detail(r, "duplicate-event")).contains("revision 11 twice");
    }

    @Test
    void anEventAlreadyInTheListIsADuplicate() {
        CheckResult r = restOfB(writes().list(A, 10, item("w-0", 10, 1)).watch(A, 10, added(10, "w-0", 1), added(11, "w-1", 2),
                modified(12, "w-0", 3), modified(14, "w-1", 4))).check();
        assertThat(kinds(r)).containsExactly("duplicate-event");
    }

    @Test
    void eventsOutOfOrderAreAnAnomaly() {
        CheckResult r = restOfB(writes().list(A, 9).watch(A, 9, added(11, "w-1", 2), added(10, "w-0", 1))
                .watch(A, 11, modified(12, "w-0", 3), modified(14, "w-1", 4))).check();
        assertThat(kinds(r)).containsExactly("out-of-order");
    }

    @Test
    void aBookmarkGoingBackIsAnAnomaly() {
        // resumed from 12 on a replica that has applied only 11: its bookmark says 11
        CheckResult r = restOfB(writes().list(A, 9).watch(A, 9, added(10, "w-0", 1), added(11, "w-1", 2), modified(12, "w-0", 3))
                .watch(A, 12, bookmark(11), modified(14, "w-1", 4))).check();
        assertThat(kinds(r)).containsExactly("out-of-order");
        assertThat(detail(r, "out-of-order")).contains("bookmark at revision 11 after revision 12");
    }

    @Test
    void aStaleRelistIsAnAnomaly() {
        // B relists at 13 but gets w-0 at 10, while 12 exists
        W w = writes().list(A, 9).watch(A, 9, added(10, "w-0", 1), added(11, "w-1", 2), modified(12, "w-0", 3), modified(14, "w-1", 4))
                .gone(B, 11).list(B, 13, item("w-0", 10, 1), item("w-1", 11, 2)).watch(B, 13, modified(14, "w-1", 4))
                .finalList(14, item("w-0", 12, 3), item("w-1", 14, 4));
        CheckResult r = w.check();
        assertThat(kinds(r)).contains("stale-list").contains("final-state-mismatch");
        assertThat(detail(r, "stale-list")).contains("at revision 13 holds revision 10, but revision 12 exists");
    }

    @Test
    void aRelistBehindWhatTheWatcherSawIsAnAnomaly() {
        W w = writes().list(A, 9).watch(A, 9, added(10, "w-0", 1), added(11, "w-1", 2), modified(12, "w-0", 3))
                .gone(A, 12).list(A, 11, item("w-0", 10, 1), item("w-1", 11, 2)).watch(A, 11, modified(12, "w-0", 3), modified(14, "w-1", 4));
        CheckResult r = restOfB(w).check();
        assertThat(kinds(r)).contains("relist-regression");
    }

    @Test
    void anAcknowledgedWriteMissingEverywhereIsCaughtByTheFinalList() {
        // nobody saw w-1's revision 14 and the final list is at 14 with w-1 at 11: the final list is stale
        W w = new W().write(0, "w-0", 1, 10).write(1, "w-1", 2, 11).write(0, "w-0", 3, 12).write(1, "w-1", 4, 14)
                .list(A, 9).watch(A, 9, added(10, "w-0", 1), added(11, "w-1", 2), modified(12, "w-0", 3), bookmark(14))
                .finalList(14, item("w-0", 12, 3), item("w-1", 11, 2));
        CheckResult r = w.check();
        assertThat(kinds(r)).contains("stale-list", "missed-event");
    }

    @Test
    void aFailedWriteThatShowsUpIsAnAnomaly() {
        W w = writes().failedWrite(2, "w-0", 7).list(A, 9).watch(A, 9, added(10, "w-0", 1), added(11, "w-1", 2), modified(12, "w-0", 3),
                modified(13, "w-0", 7), modified(14, "w-1", 4));
        CheckResult r = restOfB(w).check();
        assertThat(kinds(r)).contains("failed-write-visible");
    }

    @Test
    void watchersThatDisagreeOnARevisionAreAnAnomaly() {
        // A says revision 12 of w-0 is 3; B's relist says it is 1
        W w = writes().list(A, 9).watch(A, 9, added(10, "w-0", 1), added(11, "w-1", 2), modified(12, "w-0", 3), modified(14, "w-1", 4))
                .gone(B, 11).list(B, 13, item("w-0", 12, 1), item("w-1", 11, 2)).watch(B, 13, modified(14, "w-1", 4))
                .finalList(14, item("w-0", 12, 3), item("w-1", 14, 4));
        assertThat(kinds(w.check())).contains("conflicting-revision");
    }

    @Test
    void aWatcherThatNeverCaughtUpIsReported() {
        CheckResult r = restOfB(writes().list(A, 9).watch(A, 9, added(10, "w-0", 1), added(11, "w-1", 2))).check();
        assertThat(kinds(r)).containsExactly("watcher-behind");
    }

    @Test
    void withoutAFinalListTheResultIsUnknown() {
        CheckResult r = writes().list(A, 9).watch(A, 9, added(10, "w-0", 1)).check();
        assertThat(r.valid).isEqualTo(CheckResult.Validity.UNKNOWN);
    }

    private static List<String> kinds(CheckResult r) {
        List<String> k = new ArrayList<>();
        r.anomalies.forEach(a -> {
            if (!k.contains(a.kind())) {
                k.add(a.kind());
            }
        });
        return k;
    }

    private static String detail(CheckResult r, String kind) {
        return r.anomalies.stream().filter(a -> a.kind().equals(kind)).map(CheckResult.Anomaly::detail).findFirst().orElse("");
    }
}
