package dev.warren.internal;

import java.time.Duration;

/** Durations as Warren's messages say them, and in nanoseconds without overflow. */
public final class Durations {
    private Durations() {}

    /** {@code d} in nanoseconds, at most {@code Long.MAX_VALUE / 4} so that deadlines never wrap. */
    public static long saturatedNanos(Duration d) {
        try {
            return Math.min(d.toNanos(), Long.MAX_VALUE / 4);
        } catch (ArithmeticException e) {
            return Long.MAX_VALUE / 4;
        }
    }

    /** A short human form: {@code 250 µs}, {@code 1.5 ms}, {@code 30 s}, {@code 2 min 5 s}. */
    public static String describe(Duration d) {
        if (d.compareTo(Duration.ofMillis(1)) < 0) {
            long nanos = d.toNanos();
            return nanos < 1000 ? nanos + " ns" : trim(nanos / 1000.0) + " µs";
        }
        if (d.compareTo(Duration.ofSeconds(1)) < 0) {
            return trim(d.toNanos() / 1_000_000.0) + " ms";
        }
        if (d.compareTo(Duration.ofMinutes(1)) < 0) {
            return trim(d.toMillis() / 1000.0) + " s";
        }
        return d.toString();
    }

    private static String trim(double v) {
        String s = String.format(java.util.Locale.ROOT, "%.3f", v);
        s = s.replaceAll("0+$", "");
        return s.endsWith(".") ? s.substring(0, s.length() - 1) : s;
    }
}
