package dev.warren;

import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.ThreadLocalRandom;

/**
 * How a {@link RobustConnection} waits between attempts to reconnect: exponential backoff with
 * jitter, from an initial delay up to a maximum, and optionally a limit on consecutive failed
 * attempts after which it gives up. Immutable.
 *
 * <pre>{@code
 * RecoveryPolicy policy = RecoveryPolicy.backoff(Duration.ofMillis(100), Duration.ofSeconds(10))
 *         .withMaxAttempts(20);
 * }</pre>
 *
 * <p>The delay before attempt {@code n} (counted from 1 after a loss) is drawn uniformly from
 * [d/2, d], where d = min(max, initial &times; 2<sup>n-1</sup>): "equal jitter", so a fleet of
 * clients that lost the same node does not reconnect in lockstep, yet no client waits much less
 * than the backoff asks for.
 */
public final class RecoveryPolicy {
    private static final RecoveryPolicy DEFAULT = backoff(Duration.ofMillis(100), Duration.ofSeconds(5));

    private final Duration initial;
    private final Duration max;
    private final int maxAttempts;

    private RecoveryPolicy(Duration initial, Duration max, int maxAttempts) {
        this.initial = initial;
        this.max = max;
        this.maxAttempts = maxAttempts;
    }

    /**
     * The default: backoff from 100 ms up to 5 s, and never give up.
     *
     * @return the shared default policy, with no limit on attempts
     */
    public static RecoveryPolicy defaults() {
        return DEFAULT;
    }

    /**
     * Exponential backoff with jitter from {@code initial} up to {@code max}, never giving up.
     *
     * @param initial the delay before the first attempt after a loss (at most; see jitter)
     * @param max the longest delay between attempts
     * @return the policy
     * @throws NullPointerException if an argument is null
     * @throws IllegalArgumentException if initial is negative or max is less than initial or zero
     */
    public static RecoveryPolicy backoff(Duration initial, Duration max) {
        Objects.requireNonNull(initial, "initial");
        Objects.requireNonNull(max, "max");
        if (initial.isNegative() || max.isZero() || max.compareTo(initial) < 0) {
            throw new IllegalArgumentException("backoff needs 0 <= initial <= max and max > 0, not " + initial
                    + " .. " + max);
        }
        return new RecoveryPolicy(initial, max, 0);
    }

    /**
     * This policy, giving up after {@code attempts} consecutive failed attempts to reconnect:
     * the robust connection then closes, waiting publishes and calls fail with a
     * {@link ConnectionClosedException} whose cause is the last {@link ConnectFailedException},
     * and every supervised work's {@link Supervised#join()} throws it.
     *
     * @param attempts at least 1
     * @return a copy with the limit
     * @throws IllegalArgumentException if attempts is less than 1
     */
    public RecoveryPolicy withMaxAttempts(int attempts) {
        if (attempts < 1) {
            throw new IllegalArgumentException("maxAttempts must be at least 1, not " + attempts);
        }
        return new RecoveryPolicy(initial, max, attempts);
    }

    /**
     * The delay before the first attempt after a loss (before jitter).
     *
     * @return the initial delay given to {@link #backoff(Duration, Duration)}
     */
    public Duration initial() {
        return initial;
    }

    /**
     * The longest delay between attempts (before jitter).
     *
     * @return the maximum delay given to {@link #backoff(Duration, Duration)}
     */
    public Duration max() {
        return max;
    }

    /**
     * Consecutive failed attempts before giving up; 0 means never.
     *
     * @return the limit set with {@link #withMaxAttempts(int)}, or 0 if there is none
     */
    public int maxAttempts() {
        return maxAttempts;
    }

    /**
     * The delay to wait before attempt {@code attempt} (1 for the first after a loss), jitter
     * included.
     *
     * @param attempt at least 1
     * @return a delay between half the backoff and the backoff
     */
    public Duration delayBefore(int attempt) {
        long initialNanos = initial.toNanos();
        long maxNanos = max.toNanos();
        int shift = Math.min(Math.max(attempt, 1) - 1, 62);
        long d = initialNanos == 0 ? 0 : initialNanos > (maxNanos >> shift) ? maxNanos : Math.min(maxNanos,
                initialNanos << shift);
        long half = d / 2;
        return Duration.ofNanos(half + (d - half == 0 ? 0 : ThreadLocalRandom.current().nextLong(d - half + 1)));
    }

    /** Whether {@code failures} consecutive failed attempts exhaust this policy. */
    boolean exhaustedAfter(int failures) {
        return maxAttempts > 0 && failures >= maxAttempts;
    }

    @Override
    public String toString() {
        return "RecoveryPolicy[backoff " + initial.toMillis() + " ms .. " + max.toMillis() + " ms"
                + (maxAttempts > 0 ? ", maxAttempts=" + maxAttempts : "") + "]";
    }
}
