package io.kuberaft.chaos.checker;

import io.kuberaft.chaos.history.History;
import io.kuberaft.chaos.history.Op;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;

class LinearizabilityCheckerTest {
    private final LinearizabilityChecker checker = new LinearizabilityChecker();

    private CheckResult check(H h) {
        return checker.check(h.ops);
    }

    @Test
    void sequentialHistoryIsLinearizable() {
        H h = new H().seq(0, "write", "k", 1, 1).seq(0, "read", "k", null, 1).seq(1, "cas", "k", List.of(1, 2), List.of(1, 2))
                .seq(1, "read", "k", null, 2);
        assertThat(check(h).valid).isEqualTo(CheckResult.Validity.TRUE);
    }

    @Test
    void concurrentReadMaySeeOldOrNewValue() {
        // p0 writes 1 while p1 and p2 read: one sees the old value (null: absent), the other the new one.
        H h = new H().inv(0, "write", "k", 1).inv(1, "read", "k", null).inv(2, "read", "k", null)
                .ok(1, "read", "k", 1).ok(2, "read", "k", null).ok(0, "write", "k", 1);
        // p2's read of null is fine only because it could linearize before the write: it did (invoked before).
        assertThat(check(h).valid).isEqualTo(CheckResult.Validity.TRUE);
    }

    @Test
    void staleReadIsAnAnomaly() {
        H h = new H().seq(0, "write", "k", 1, 1).seq(0, "write", "k", 2, 2).seq(1, "read", "k", null, 1);
        CheckResult r = check(h);
        assertThat(r.valid).isEqualTo(CheckResult.Validity.FALSE);
        assertThat(r.anomalies).singleElement().satisfies(a -> {
            assertThat(a.key()).isEqualTo("k");
            assertThat(a.detail()).contains("p1 read 1");
        });
    }

    @Test
    void lostWriteIsAnAnomaly() {
        // an acknowledged write that a later read does not see
        H h = new H().seq(0, "write", "k", 0, 0).seq(1, "write", "k", 5, 5).seq(2, "read", "k", null, 0);
        assertThat(check(h).valid).isEqualTo(CheckResult.Validity.FALSE);
    }

    @Test
    void duplicateApplyIsAnAnomaly() {
        // write 1 applied again after write 2: the value goes back to 1
        H h = new H().seq(0, "write", "k", 1, 1).seq(1, "write", "k", 2, 2).seq(2, "read", "k", null, 2)
                .seq(2, "read", "k", null, 1);
        assertThat(check(h).valid).isEqualTo(CheckResult.Validity.FALSE);
    }

    @Test
    void twoSuccessfulCasFromTheSameValueIsAnAnomaly() {
        H h = new H().seq(0, "write", "k", 0, 0).seq(1, "cas", "k", List.of(0, 1), List.of(0, 1))
                .seq(2, "cas", "k", List.of(0, 2), List.of(0, 2));
        assertThat(check(h).valid).isEqualTo(CheckResult.Validity.FALSE);
    }

    @Test
    void failedOpsDidNotHappen() {
        H ok = new H().seq(0, "write", "k", 0, 0).inv(1, "cas", "k", List.of(5, 6)).fail(1, "cas", "k", List.of(5, 6))
                .seq(0, "read", "k", null, 0);
        assertThat(check(ok).valid).isEqualTo(CheckResult.Validity.TRUE);
        // a value written only by a failed write shows up: it did happen after all
        H bad = new H().seq(0, "write", "k", 0, 0).inv(1, "write", "k", 7).fail(1, "write", "k", 7).seq(0, "read", "k", null, 7);
        assertThat(check(bad).valid).isEqualTo(CheckResult.Validity.FALSE);
    }

    @Test
    void indeterminateWritesMayTakeEffectLateOrNever() {
        H never = new H().seq(0, "write", "k", 0, 0).inv(1, "write", "k", 1).info(1, "write", "k", 1)
                .seq(0, "read", "k", null, 0);
        assertThat(check(never).valid).isEqualTo(CheckResult.Validity.TRUE);
        // seen much later, after other ops by the same client process id (a new process after info)
        H late = new H().seq(0, "write", "k", 0, 0).inv(1, "write", "k", 1).info(1, "write", "k", 1)
                .seq(0, "read", "k", null, 0).seq(0, "read", "k", null, 0).seq(2, "read", "k", null, 1);
        assertThat(check(late).valid).isEqualTo(CheckResult.Validity.TRUE);
        // but once seen it cannot be unseen
        H flicker = new H().seq(0, "write", "k", 0, 0).inv(1, "write", "k", 1).info(1, "write", "k", 1)
                .seq(0, "read", "k", null, 1).seq(0, "read", "k", null, 0);
        assertThat(check(flicker).valid).isEqualTo(CheckResult.Validity.FALSE);
    }

    @Test
    void pendingInvocationsAreIndeterminate() {
        H h = new H().seq(0, "write", "k", 0, 0).inv(1, "cas", "k", List.of(0, 3)).seq(0, "read", "k", null, 3);
        assertThat(check(h).valid).isEqualTo(CheckResult.Validity.TRUE);
    }

    @Test
    void keysAreIndependentRegisters() {
        H h = new H().seq(0, "write", "a", 1, 1).seq(0, "write", "b", 2, 2).seq(1, "read", "a", null, 1).seq(1, "read", "b", null, 2);
        assertThat(check(h).valid).isEqualTo(CheckResult.Validity.TRUE);
        h.seq(1, "read", "b", null, 1);
        CheckResult r = check(h);
        assertThat(r.valid).isEqualTo(CheckResult.Validity.FALSE);
        assertThat(r.anomalies).extracting(CheckResult.Anomaly::key).containsExactly("b");
    }

    @Test
    void boundedSearchReportsUnknownNotValid() {
        List<Op> h = simulate(new Random(1), 400, 8, false);
        CheckResult r = new LinearizabilityChecker(10).check(h);
        assertThat(r.valid).isEqualTo(CheckResult.Validity.UNKNOWN);
        assertThat(r.isValid()).isTrue();
    }

    @Test
    void simulatedLinearizableHistoriesPassAndCorruptedOnesFail() {
        for (int seed = 0; seed < 30; seed++) {
            List<Op> good = simulate(new Random(seed), 300, 6, false);
            assertThat(checker.check(good).valid).as("seed %d", seed).isEqualTo(CheckResult.Validity.TRUE);
            List<Op> bad = simulate(new Random(seed), 300, 6, true);
            assertThat(checker.check(bad).valid).as("seed %d corrupted", seed).isEqualTo(CheckResult.Validity.FALSE);
        }
    }

    /**
     * A real register shared by concurrent processes: each op takes effect at one instant between its
     * invocation and completion; some completions are lost (info) or refused (fail, no effect). With
     * {@code corrupt}, one late read returns a value no write ever wrote.
     */
    static List<Op> simulate(Random rnd, int n, int procs, boolean corrupt) {
        List<Op> out = new ArrayList<>();
        Long reg = 0L;
        out.add(new Op(99, Op.Type.invoke, "write", "k", History.v(0), 0, null, null));
        out.add(new Op(99, Op.Type.ok, "write", "k", History.v(0), 0, null, null));
        // phase per process: 0 idle, 1 invoked (not applied), 2 applied (not completed)
        int[] phase = new int[procs];
        Op[] pending = new Op[procs];
        Object[] result = new Object[procs];
        boolean[] refused = new boolean[procs];
        int[] pid = new int[procs];
        for (int i = 0; i < procs; i++) {
            pid[i] = i;
        }
        int nextPid = procs;
        int done = 0;
        int corruptAt = n / 2;
        long t = 1;
        while (done < n) {
            int i = rnd.nextInt(procs);
            if (phase[i] == 0) {
                int kind = rnd.nextInt(3);
                Object v = kind == 0 ? null : kind == 1 ? (Object) (long) rnd.nextInt(5) : List.of((long) rnd.nextInt(5), (long) rnd.nextInt(5));
                String f = kind == 0 ? "read" : kind == 1 ? "write" : "cas";
                pending[i] = new Op(pid[i], Op.Type.invoke, f, "k", History.v(v), t++, null, null);
                out.add(pending[i]);
                phase[i] = 1;
            } else if (phase[i] == 1) {
                Op inv = pending[i];
                refused[i] = false;
                switch (inv.f()) {
                    case "read" -> result[i] = reg;
                    case "write" -> {
                        reg = inv.value().asLong();
                        result[i] = reg;
                    }
                    default -> {
                        if (reg == inv.value().get(0).asLong()) {
                            reg = inv.value().get(1).asLong();
                        } else {
                            refused[i] = true;
                        }
                        result[i] = List.of(inv.value().get(0).asLong(), inv.value().get(1).asLong());
                    }
                }
                phase[i] = 2;
            } else {
                Op inv = pending[i];
                Object res = result[i];
                Op.Type type = refused[i] ? Op.Type.fail : rnd.nextInt(20) == 0 ? Op.Type.info : Op.Type.ok;
                if (corrupt && inv.f().equals("read") && done >= corruptAt) {
                    res = 1000L;
                    type = Op.Type.ok;
                    corrupt = false;
                }
                out.add(new Op(pid[i], type, inv.f(), "k", History.v(res), t++, null, null));
                if (type == Op.Type.info) {
                    pid[i] = nextPid++; // Jepsen: a crashed process is replaced by a new one
                }
                phase[i] = 0;
                done++;
            }
        }
        return out;
    }
}
