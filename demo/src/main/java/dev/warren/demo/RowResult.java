package dev.warren.demo;

import java.util.Map;

/**
 * The outcome of one row.
 *
 * @param key the row's key
 * @param kind which table it belongs to
 * @param raw the raw side's medians, or null when it has no contender or failed
 * @param warren Warren's medians, or null when it has no contender (yet) or failed
 * @param failures the sides that failed, with what went wrong
 * @param pins for each side that ran, the virtual-thread pins of {@link PinCounter#THRESHOLD} or
 *             more in this JVM during its runs (warm-ups included), summed over them
 */
record RowResult(String key, Row.Kind kind, Summary raw, Summary warren, Map<Side, String> failures,
                 Map<Side, Long> pins) {

    RowResult {
        failures = Map.copyOf(failures);
        pins = Map.copyOf(pins);
    }

    /** This result with the pins counted for it. */
    RowResult withPins(Map<Side, Long> counted) {
        return new RowResult(key, kind, raw, warren, failures, counted);
    }

    Summary get(Side side) {
        return side == Side.RAW ? raw : warren;
    }

    /** Warren's rate over raw's, or NaN unless both were measured. */
    double ratio() {
        return raw == null || warren == null ? Double.NaN : warren.rate() / raw.rate();
    }
}
