package io.kuberaft.apiserver.table;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class QuantitiesAndAgesTest {

    @ParameterizedTest
    @CsvSource({
            "10Gi, 10Gi", "1024Mi, 1Gi", "1.5Gi, 1536Mi", "2048Ki, 2Mi", "100Mi, 100Mi", "512, 512", "1000Ki, 1000Ki",
            "1000, 1k", "1500, 1500", "2000m, 2", "0.5, 500m", "500m, 500m", "1, 1", "0, 0", "0Gi, 0", "100M, 100M",
            "1e3, 1e3", "1.5e3, 1500", "0.1Ki, 102400m", "1n, 1n", "0.0000000001, 1n", "1G, 1G", "1000000k, 1G",
            "-1Gi, -1Gi", "notaquantity, notaquantity"
    })
    void canonicalQuantities(String in, String expected) {
        assertThat(Quantities.canonical(in)).isEqualTo(expected);
    }

    @Test
    void emptyQuantityIsZero() {
        assertThat(Quantities.canonical("")).isEqualTo("0");
        assertThat(Quantities.canonical(null)).isEqualTo("0");
    }

    @ParameterizedTest
    @CsvSource({
            "-5, <invalid>", "-1, 0s", "0, 0s", "119, 119s", "120, 2m", "447, 7m27s", "600, 10m", "10799, 179m",
            "10800, 3h", "11100, 3h5m", "28800, 8h", "172799, 47h", "172800, 2d", "180000, 2d2h", "691200, 8d",
            "63072000, 2y", "63158400, 2y1d", "252288000, 8y"
    })
    void humanDurations(long seconds, String expected) {
        assertThat(Ages.human(seconds)).isEqualTo(expected);
    }

    @Test
    void agesOfTimestamps() {
        long now = Fixtures.NOW.toEpochMilli();
        assertThat(Ages.since(Fixtures.ago(26), now)).isEqualTo("26s");
        assertThat(Ages.since(null, now)).isEqualTo("<unknown>");
        assertThat(Ages.since(Fixtures.NOW.plusSeconds(60).toString(), now)).isEqualTo("<invalid>");
    }
}
