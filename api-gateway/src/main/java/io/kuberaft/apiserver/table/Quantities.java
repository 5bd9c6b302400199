package io.kuberaft.apiserver.table;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.math.RoundingMode;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * resource.Quantity's canonical text ("1536Mi" for "1.5Gi", "2k" for "2000", "500m" for "0.5"), which
 * is what a real apiserver stores and prints. Text that does not parse is returned unchanged.
 */
final class Quantities {
    private Quantities() {
    }

    private static final Pattern FORMAT = Pattern.compile(
            "([+-]?(?:[0-9]+(?:\\.[0-9]*)?|\\.[0-9]+))(Ki|Mi|Gi|Ti|Pi|Ei|n|u|m|k|M|G|T|P|E|[eE][+-]?[0-9]+)?");
    private static final Map<String, Integer> BINARY = Map.of("Ki", 1, "Mi", 2, "Gi", 3, "Ti", 4, "Pi", 5, "Ei", 6);
    private static final Map<String, Integer> DECIMAL = Map.of("n", -9, "u", -6, "m", -3, "", 0, "k", 3, "M", 6,
            "G", 9, "T", 12, "P", 15, "E", 18);
    private static final String[] BINARY_SUFFIX = {"", "Ki", "Mi", "Gi", "Ti", "Pi", "Ei"};
    private static final BigInteger K1024 = BigInteger.valueOf(1024);

    private enum Format { BINARY_SI, DECIMAL_SI, DECIMAL_EXPONENT }

    static String canonical(String text) {
        if (text == null || text.isEmpty()) {
            return "0";
        }
        Matcher m = FORMAT.matcher(text.trim());
        if (!m.matches()) {
            return text;
        }
        BigDecimal value = new BigDecimal(m.group(1));
        String suffix = m.group(2) == null ? "" : m.group(2);
        Format format;
        if (BINARY.containsKey(suffix)) {
            format = Format.BINARY_SI;
            value = value.multiply(new BigDecimal(K1024.pow(BINARY.get(suffix))));
        } else if (DECIMAL.containsKey(suffix)) {
            format = Format.DECIMAL_SI;
            value = value.scaleByPowerOfTen(DECIMAL.get(suffix));
        } else {
            format = Format.DECIMAL_EXPONENT;
            value = value.scaleByPowerOfTen(Integer.parseInt(suffix.substring(1)));
        }
        // Quantities keep nano precision at most, rounding away from zero.
        if (value.scale() > 9) {
            value = value.setScale(9, RoundingMode.UP);
        }
        if (value.signum() == 0) {
            return "0";
        }
        if (format == Format.BINARY_SI) {
            boolean small = value.abs().compareTo(BigDecimal.valueOf(1024)) < 0;
            boolean integral = value.stripTrailingZeros().scale() <= 0;
            if (small || !integral) {
                format = Format.DECIMAL_SI;
            } else {
                BigInteger amount = value.toBigIntegerExact();
                int exp = 0;
                while (exp < BINARY_SUFFIX.length - 1 && amount.mod(K1024).signum() == 0) {
                    amount = amount.divide(K1024);
                    exp++;
                }
                return amount + BINARY_SUFFIX[exp];
            }
        }
        BigDecimal stripped = value.stripTrailingZeros();
        BigInteger mantissa = stripped.unscaledValue();
        int exponent = -stripped.scale();
        int down = Math.floorMod(exponent, 3);
        mantissa = mantissa.multiply(BigInteger.TEN.pow(down));
        exponent -= down;
        if (format == Format.DECIMAL_EXPONENT) {
            return exponent == 0 ? mantissa.toString() : mantissa + "e" + exponent;
        }
        for (Map.Entry<String, Integer> e : DECIMAL.entrySet()) {
            if (e.getValue() == exponent) {
                return mantissa + e.getKey();
            }
        }
        return mantissa + "e" + exponent;
    }
}
