package io.kuberaft.chaos.checker;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

class SetCheckerTest {
    private final SetChecker checker = new SetChecker();

    private H adds() {
        return new H().seq(0, "add", null, 1, 1).inv(1, "add", null, 2).fail(1, "add", null, 2)
                .inv(2, "add", null, 3).info(2, "add", null, 3).seq(0, "add", null, 4, 4);
    }

    @Test
    void everyAcknowledgedAddPresentIsValid() {
        CheckResult r = checker.check(adds().seq(3, "read", null, null, List.of(1, 4, 3)).ops);
        assertThat(r.valid).isEqualTo(CheckResult.Validity.TRUE);
        assertThat(r.stats).containsEntry("recovered", 1L).containsEntry("acknowledged", 2);
        // the indeterminate add may also be absent
        assertThat(checker.check(adds().seq(3, "read", null, null, List.of(1, 4)).ops).valid).isEqualTo(CheckResult.Validity.TRUE);
    }

    @Test
    void lostAddIsAnAnomaly() {
        CheckResult r = checker.check(adds().seq(3, "read", null, null, List.of(4)).ops);
        assertThat(r.valid).isEqualTo(CheckResult.Validity.FALSE);
        assertThat(r.anomalies).extracting(CheckResult.Anomaly::kind).containsExactly("lost-add");
    }

    @Test
    void failedAddPresentAndUnknownElementsAreAnomalies() {
        CheckResult r = checker.check(adds().seq(3, "read", null, null, List.of(1, 2, 4, 99)).ops);
        assertThat(r.anomalies).extracting(CheckResult.Anomaly::kind).containsExactly("failed-add-present", "unexpected-element");
    }

    @Test
    void withoutAFinalReadTheResultIsUnknown() {
        CheckResult r = checker.check(adds().inv(3, "read", null, null).fail(3, "read", null, null).ops);
        assertThat(r.valid).isEqualTo(CheckResult.Validity.UNKNOWN);
    }
}
