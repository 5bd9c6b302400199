package io.kuberaft.kubeapi;

import com.fasterxml.jackson.databind.ObjectMapper;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

import java.math.BigDecimal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class QuantityTest {

    @ParameterizedTest(name = "{0} -> {1}")
    @CsvSource({
            // decimal SI
            "1, 1", "0, 0", "+1, 1", "-1, -1", "1.5, 1500m", "0.5, 500m", "500m, 500m", "2000m, 2", "1000, 1k",
            "1500, 1500", "12000, 12k", "1k, 1k", "1M, 1M", "1G, 1G", "1T, 1T", "1P, 1P", "1E, 1E", "100m, 100m",
            "0.1, 100m", "1u, 1u", "1n, 1n", "0.000000001, 1n", "1.0, 1", "1., 1", ".5, 500m", "10Mi, 10Mi",
            // binary SI
            "1Ki, 1Ki", "1024Ki, 1Mi", "1.5Gi, 1536Mi", "1536Mi, 1536Mi", "0.5Ki, 512", "128Mi, 128Mi",
            "1024Mi, 1Gi", "1000Mi, 1000Mi", "1Ei, 1Ei", "0.5Mi, 512Ki",
            // exponent
            "1e3, 1e3", "1E3, 1e3", "1e-3, 1e-3", "100e-3, 100e-3", "1.5e3, 1500", "12e6, 12e6",
            // rounding up to nano
            "0.0000000001, 1n", "1.0000000001, 1000000001n"
    })
    void canonicalForm(String in, String canonical) {
        assertThat(Quantity.parse(in).toString()).isEqualTo(canonical);
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "abc", "1.2.3", ".", "+", "-", "1 Gi", "1Gb", "1KI", "1ki", "Mi", "1.5.5Mi", "1e", "1e1.5", "--1"})
    void rejectsMalformed(String s) {
        assertThatThrownBy(() -> Quantity.parse(s)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void malformedCarriesUpstreamMessage() {
        assertThatThrownBy(() -> Quantity.parse("abc"))
                .hasMessage("quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'");
    }

    @Test
    void comparesByValueAcrossFormats() {
        assertThat(Quantity.parse("1Ki")).isEqualTo(Quantity.parse("1024"));
        assertThat(Quantity.parse("1Ki")).hasSameHashCodeAs(Quantity.parse("1024"));
        assertThat(Quantity.parse("1")).isEqualTo(Quantity.parse("1000m"));
        assertThat(Quantity.parse("1G").compareTo(Quantity.parse("1Gi"))).isNegative();
        assertThat(Quantity.parse("5Mi").compareTo(Quantity.parse("10Mi"))).isNegative();
        assertThat(Quantity.parse("1e3").compareTo(Quantity.parse("1k"))).isZero();
        assertThat(Quantity.parse("-1").compareTo(Quantity.ZERO)).isNegative();
    }

    @Test
    void valuesRoundUp() {
        assertThat(Quantity.parse("500m").value()).isEqualTo(1);
        assertThat(Quantity.parse("1.5").milliValue()).isEqualTo(1500);
        assertThat(Quantity.parse("1n").milliValue()).isEqualTo(1);
        assertThat(Quantity.parse("1Gi").value()).isEqualTo(1L << 30);
        assertThat(Quantity.parse("2k").value()).isEqualTo(2000);
    }

    @Test
    void additionKeepsTheFormatOfTheFirstNonZeroTerm() {
        assertThat(Quantity.parse("1Gi").add(Quantity.parse("512Mi")).toString()).isEqualTo("1536Mi");
        assertThat(Quantity.ZERO.add(Quantity.parse("128Mi")).toString()).isEqualTo("128Mi");
        assertThat(Quantity.parse("500m").add(Quantity.parse("1.5")).toString()).isEqualTo("2");
        assertThat(Quantity.parse("2").subtract(Quantity.parse("500m")).toString()).isEqualTo("1500m");
        assertThat(Quantity.parse("1").subtract(Quantity.parse("1")).toString()).isEqualTo("0");
    }

    @Test
    void parsesJsonNumbersAndStrings() throws Exception {
        ObjectMapper m = new ObjectMapper();
        assertThat(Quantity.parse(m.readTree("1")).toString()).isEqualTo("1");
        assertThat(Quantity.parse(m.readTree("0.5")).toString()).isEqualTo("500m");
        assertThat(Quantity.parse(m.readTree("\"64Mi\"")).toString()).isEqualTo("64Mi");
        assertThat(Quantity.tryParse(m.readTree("true"))).isNull();
    }

    @Property
    void canonicalFormRoundTrips(@ForAll("quantities") String s) {
        Quantity q = Quantity.parse(s);
        Quantity again = Quantity.parse(q.toString());
        assertThat(again).isEqualTo(q);
        // Like upstream, a BinarySI value that is no multiple of 1024 prints as a plain number, which
        // parses back as DecimalSI ("15552000" → "15552k"): the canonical form is a fixed point from
        // the second round on, not necessarily the first.
        String canonical = again.toString();
        assertThat(Quantity.parse(canonical).toString()).isEqualTo(canonical);
    }

    @Property
    void orderMatchesDecimalValue(@ForAll("quantities") String a, @ForAll("quantities") String b) {
        Quantity qa = Quantity.parse(a);
        Quantity qb = Quantity.parse(b);
        assertThat(Integer.signum(qa.compareTo(qb))).isEqualTo(Integer.signum(qa.decimalValue().compareTo(qb.decimalValue())));
        assertThat(qa.add(qb).subtract(qb)).isEqualTo(qa);
    }

    @Property
    void binaryAndDecimalAgreeOnIntegers(@ForAll("mebibytes") long mi) {
        assertThat(Quantity.parse(mi + "Mi")).isEqualTo(Quantity.parse(String.valueOf(mi * 1024 * 1024)));
        assertThat(Quantity.parse(mi + "Mi").decimalValue()).isEqualByComparingTo(BigDecimal.valueOf(mi).multiply(BigDecimal.valueOf(1 << 20)));
    }

    @Provide
    Arbitrary<Long> mebibytes() {
        return Arbitraries.longs().between(0, 1L << 20);
    }

    @Provide
    Arbitrary<String> quantities() {
        Arbitrary<String> sign = Arbitraries.of("", "", "-", "+");
        Arbitrary<String> number = Combinators.combine(Arbitraries.integers().between(0, 99999),
                        Arbitraries.strings().numeric().ofMaxLength(4))
                .as((i, frac) -> frac.isEmpty() ? String.valueOf(i) : i + "." + frac);
        Arbitrary<String> suffix = Arbitraries.of("", "m", "k", "M", "G", "Ki", "Mi", "Gi", "Ti", "n", "u", "e3", "e-3", "E6", "e0");
        return Combinators.combine(sign, number, suffix).as((s, n, x) -> s + n + x);
    }
}
