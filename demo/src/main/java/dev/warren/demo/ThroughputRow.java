package dev.warren.demo;

import java.time.Duration;
import java.util.List;

/**
 * A row measured in operations per second: each run of a side is a warm-up trial then a
 * measured one, each with the broker set up afresh by the row's {@link Stage}.
 */
final class ThroughputRow<S> implements Row<Sample> {

    /** What the harness does on the broker around each trial of a row. */
    interface Stage<S> {
        /** Sets the broker up for a trial of {@code length} and says what the trial is to do. */
        S before(Duration length) throws Exception;

        /** Cleans up after a trial, e.g. purges what it left in a queue. */
        default void after() throws Exception {
        }

        /** CPU nanoseconds used so far by helpers in this JVM that no side should be charged for. */
        default long helperCpuNanos() {
            return 0;
        }

        /**
         * Why a helper the trial relied on (the RPC server) stopped, or null if none did;
         * asked when a trial fails, since the helper's failure is then the real cause.
         */
        default Exception helperFailure() {
            return null;
        }
    }

    private final String key;
    private final Sides<S> sides;
    private final Stage<S> stage;
    private final Duration warmup;
    private final Duration measured;

    ThroughputRow(String key, Sides<S> sides, Stage<S> stage, BenchOptions options) {
        this.key = key;
        this.sides = sides;
        this.stage = stage;
        this.warmup = options.warmup();
        this.measured = options.measured();
    }

    @Override
    public String key() {
        return key;
    }

    @Override
    public Kind kind() {
        return Kind.THROUGHPUT;
    }

    @Override
    public boolean has(Side side) {
        return sides.get(side) != null;
    }

    @Override
    public Sample runOnce(Side side) throws Exception {
        if (!warmup.isZero()) {
            trial(side, warmup);
        }
        return trial(side, measured);
    }

    private Sample trial(Side side, Duration length) throws Exception {
        S setup = stage.before(length);
        try {
            return Meter.measure(sides.get(side), setup, length, stage::helperCpuNanos);
        } catch (Exception e) {
            Exception helper = stage.helperFailure();
            if (helper != null) {
                helper.addSuppressed(e);
                throw helper;
            }
            throw e;
        } finally {
            stage.after();
        }
    }

    @Override
    public Summary summarize(List<Sample> runs) {
        return Summary.ofSamples(runs);
    }
}
