package dev.warren.internal;

import java.math.BigDecimal;
import java.time.Duration;

/** Durations in messages, and in nanoseconds without overflow. */
public final class Durations {
    private Durations() {}

    /**
     * The duration in milliseconds as given, with the fraction a sub-millisecond part needs:
     * {@code 5000 ms}, {@code 0.5 ms}, {@code 1.000001 ms}, never a rounded {@code 0 ms}.
     *
     * @param d a duration
     * @return its length in milliseconds, with unit
     */
    public static String millis(Duration d) {
        BigDecimal ms = BigDecimal.valueOf(d.getSeconds()).scaleByPowerOfTen(3)
                .add(BigDecimal.valueOf(d.getNano(), 6));
        return ms.stripTrailingZeros().toPlainString() + " ms";
    }

    /**
     * {@code d} in nanoseconds, at most {@code Long.MAX_VALUE / 4} so that deadlines never wrap.
     *
     * @param d a duration
     * @return its nanoseconds, saturated
     */
    public static long saturatedNanos(Duration d) {
        try {
            return Math.min(d.toNanos(), Long.MAX_VALUE / 4);
        } catch (ArithmeticException e) {
            return Long.MAX_VALUE / 4;
        }
    }
}
