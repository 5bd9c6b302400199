package io.kuberaft.kubeapi;

import com.fasterxml.jackson.databind.JsonNode;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.math.RoundingMode;
import java.util.Map;

/**
 * Kubernetes' {@code resource.Quantity}: a fixed-point decimal with a suffix ({@code 500m}, {@code 1.5},
 * {@code 128Mi}, {@code 2G}, {@code 1e3}). Parsed exactly, rounded up to nano precision as upstream, compared
 * by value, and printed in upstream's canonical form ({@code 1.5} → {@code 1500m}, {@code 1.5Gi} →
 * {@code 1536Mi}, {@code 2000} → {@code 2k}). Immutable.
 */
public final class Quantity implements Comparable<Quantity> {

    /** How a quantity is printed: the family of its suffix. */
    public enum Format { DECIMAL_EXPONENT, BINARY_SI, DECIMAL_SI }

    /** Upstream's parse error message (apimachinery's ErrFormatWrong). */
    public static final String FORMAT_ERROR =
            "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'";
    public static final String SUFFIX_ERROR = "unable to parse quantity's suffix";

    public static final Quantity ZERO = new Quantity(BigDecimal.ZERO, Format.DECIMAL_SI);

    private static final BigDecimal K1024 = BigDecimal.valueOf(1024);
    private static final String[] BINARY_SUFFIXES = {"", "Ki", "Mi", "Gi", "Ti", "Pi", "Ei"};
    private static final Map<String, Integer> BINARY_POWERS = Map.of("Ki", 1, "Mi", 2, "Gi", 3, "Ti", 4, "Pi", 5, "Ei", 6);
    private static final Map<String, Integer> DECIMAL_EXPONENTS = Map.of(
            "n", -9, "u", -6, "m", -3, "", 0, "k", 3, "M", 6, "G", 9, "T", 12, "P", 15, "E", 18);
    private static final Map<Integer, String> DECIMAL_SUFFIXES = Map.of(
            -9, "n", -6, "u", -3, "m", 0, "", 3, "k", 6, "M", 9, "G", 12, "T", 15, "P", 18, "E");
    private static final int NANO_SCALE = 9;

    private final BigDecimal value;
    private final Format format;

    private Quantity(BigDecimal value, Format format) {
        // Upstream keeps at most nano precision and rounds anything finer up (away from zero).
        this.value = value.scale() > NANO_SCALE ? value.setScale(NANO_SCALE, RoundingMode.UP) : value;
        this.format = format;
    }

    public static Quantity of(long value, Format format) {
        return new Quantity(BigDecimal.valueOf(value), format);
    }

    public static Quantity ofMilli(long milli, Format format) {
        return new Quantity(BigDecimal.valueOf(milli, 3), format);
    }

    public static Quantity of(BigDecimal value, Format format) {
        return new Quantity(value, format);
    }

    /** Parses upstream's syntax; {@link IllegalArgumentException} with upstream's message when malformed. */
    public static Quantity parse(String s) {
        if (s == null || s.isEmpty()) {
            throw new IllegalArgumentException(FORMAT_ERROR);
        }
        int i = 0;
        boolean negative = false;
        if (s.charAt(0) == '+' || s.charAt(0) == '-') {
            negative = s.charAt(0) == '-';
            i++;
        }
        int numStart = i;
        int intDigits = 0;
        while (i < s.length() && isDigit(s.charAt(i))) {
            i++;
            intDigits++;
        }
        int fracDigits = 0;
        if (i < s.length() && s.charAt(i) == '.') {
            i++;
            while (i < s.length() && isDigit(s.charAt(i))) {
                i++;
                fracDigits++;
            }
        }
        if (intDigits + fracDigits == 0) {
            throw new IllegalArgumentException(FORMAT_ERROR);
        }
        String number = s.substring(numStart, i);
        String suffix = s.substring(i);
        BigDecimal mantissa = new BigDecimal(number.endsWith(".") ? number + "0" : number.startsWith(".") ? "0" + number : number);
        if (negative) {
            mantissa = mantissa.negate();
        }
        Integer binary = BINARY_POWERS.get(suffix);
        if (binary != null) {
            return new Quantity(mantissa.multiply(K1024.pow(binary)), Format.BINARY_SI);
        }
        Integer decimal = DECIMAL_EXPONENTS.get(suffix);
        if (decimal != null) {
            return new Quantity(mantissa.scaleByPowerOfTen(decimal), Format.DECIMAL_SI);
        }
        if (suffix.length() >= 2 && (suffix.charAt(0) == 'e' || suffix.charAt(0) == 'E')) {
            String exp = suffix.substring(1);
            if (!exp.matches("[+-]?[0-9]{1,9}")) {
                throw new IllegalArgumentException(exp.matches("[+-]?[0-9]+") ? FORMAT_ERROR : SUFFIX_ERROR);
            }
            return new Quantity(mantissa.scaleByPowerOfTen(Integer.parseInt(exp)), Format.DECIMAL_EXPONENT);
        }
        if (!suffix.matches("[eEinumkKMGTP]*[-+]?[0-9]*")) {
            throw new IllegalArgumentException(FORMAT_ERROR);
        }
        throw new IllegalArgumentException(SUFFIX_ERROR);
    }

    /** A quantity from a JSON value: a string, or a number (as upstream's unmarshaller accepts). */
    public static Quantity parse(JsonNode n) {
        if (n == null || n.isNull() || n.isMissingNode()) {
            throw new IllegalArgumentException(FORMAT_ERROR);
        }
        if (n.isNumber()) {
            return parse(n.isIntegralNumber() ? n.bigIntegerValue().toString() : n.decimalValue().toPlainString());
        }
        if (!n.isTextual()) {
            throw new IllegalArgumentException(FORMAT_ERROR);
        }
        return parse(n.asText());
    }

    /** Null instead of an exception. */
    public static Quantity tryParse(JsonNode n) {
        try {
            return parse(n);
        } catch (IllegalArgumentException e) {
            return null;
        }
    }

    private static boolean isDigit(char c) {
        return c >= '0' && c <= '9';
    }

    public BigDecimal decimalValue() {
        return value;
    }

    public Format format() {
        return format;
    }

    /** The value rounded up to an integer (upstream's Value()). */
    public long value() {
        return value.setScale(0, RoundingMode.UP).longValueExact();
    }

    /** The value in thousandths, rounded up (upstream's MilliValue()). */
    public long milliValue() {
        return value.scaleByPowerOfTen(3).setScale(0, RoundingMode.UP).longValueExact();
    }

    public int signum() {
        return value.signum();
    }

    public boolean isZero() {
        return value.signum() == 0;
    }

    /** Sum; keeps this format unless this is zero (as upstream's Add). */
    public Quantity add(Quantity o) {
        return new Quantity(value.add(o.value), isZero() ? o.format : format);
    }

    public Quantity subtract(Quantity o) {
        return new Quantity(value.subtract(o.value), isZero() ? o.format : format);
    }

    public Quantity negate() {
        return new Quantity(value.negate(), format);
    }

    public Quantity max(Quantity o) {
        return compareTo(o) >= 0 ? this : o;
    }

    @Override
    public int compareTo(Quantity o) {
        return value.compareTo(o.value);
    }

    /** Equal by value, whatever the format ({@code 1Ki} equals {@code 1024}), as upstream's semantic equality. */
    @Override
    public boolean equals(Object o) {
        return o instanceof Quantity q && value.compareTo(q.value) == 0;
    }

    @Override
    public int hashCode() {
        return value.signum() == 0 ? 0 : value.stripTrailingZeros().hashCode();
    }

    /** Upstream's canonical form. */
    @Override
    public String toString() {
        if (value.signum() == 0) {
            return "0";
        }
        Format f = format;
        if (f == Format.BINARY_SI) {
            boolean small = value.abs().compareTo(K1024) < 0;
            boolean integral = value.signum() == 0 || value.stripTrailingZeros().scale() <= 0;
            if (small || !integral) {
                f = Format.DECIMAL_SI;
            } else {
                BigInteger n = value.toBigIntegerExact();
                BigInteger k = BigInteger.valueOf(1024);
                int power = 0;
                while (power < BINARY_SUFFIXES.length - 1 && n.mod(k).signum() == 0 && n.signum() != 0) {
                    n = n.divide(k);
                    power++;
                }
                return n + BINARY_SUFFIXES[power];
            }
        }
        // Decimal: mantissa × 10^exponent with exponent a multiple of 3, the mantissa an integer and the exponent
        // as large as possible.
        BigDecimal stripped = value.stripTrailingZeros();
        int exponent = -stripped.scale();
        int e3 = Math.floorDiv(exponent, 3) * 3;
        BigInteger mantissa = stripped.scaleByPowerOfTen(-e3).toBigIntegerExact();
        String suffix;
        if (f == Format.DECIMAL_EXPONENT) {
            suffix = e3 == 0 ? "" : "e" + e3;
        } else {
            String s = DECIMAL_SUFFIXES.get(e3);
            suffix = s != null ? s : "e" + e3;
        }
        return mantissa + suffix;
    }
}
