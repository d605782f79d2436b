package dev.warren.demo;

import java.time.Duration;
import java.util.List;

/**
 * consume: take and ack messages from a prefilled queue. A run takes exactly the number of
 * messages the queue holds, so it ends when the queue is empty rather than at a deadline; that
 * number is sized per row from a raw calibration, so a raw run lasts about
 * {@code --seconds}. Both sides of a row take the same number.
 */
final class ConsumeScenario implements Scenario {
    static final List<Integer> PREFETCH = List.of(100, 1000);
    private static final long CALIBRATION_MESSAGES = 20_000;
    private static final long MIN_MESSAGES = 1_000;
    /** About 2 GB of 1 KB bodies in the broker: enough for several seconds at any plausible rate. */
    private static final long MAX_MESSAGES = 2_000_000;

    private final BrokerFixture fixture;
    private final BenchOptions options;
    private final String queue;
    private final byte[] body;

    ConsumeScenario(BrokerFixture fixture, BenchOptions options) throws Exception {
        this.fixture = fixture;
        this.options = options;
        this.queue = fixture.declareQueue("consume");
        this.body = new byte[options.size()];
    }

    @Override
    public List<Row<?>> rows() {
        return PREFETCH.stream().<Row<?>>map(this::row).toList();
    }

    private Row<Sample> row(int prefetch) {
        return new ThroughputRow<>("consume/prefetch=" + prefetch, Contenders.CONSUME, new Prefilled(prefetch), options);
    }

    /** Purges and prefills the queue before each trial, sized by the row's calibrated rate. */
    private final class Prefilled implements ThroughputRow.Stage<ConsumeSetup> {
        private final int prefetch;
        /** Raw deliveries per second, measured once before the row's first trial. */
        private double calibratedRate;

        Prefilled(int prefetch) {
            this.prefetch = prefetch;
        }

        @Override
        public ConsumeSetup before(Duration length) throws Exception {
            if (calibratedRate == 0) {
                calibratedRate = calibrate();
            }
            long messages = Math.round(calibratedRate * length.toNanos() / 1e9);
            return fill(Math.clamp(messages, MIN_MESSAGES, MAX_MESSAGES));
        }

        // Twice, keeping the second: the first runs on a cold JIT and underestimates the rate.
        private double calibrate() throws Exception {
            double rate = 0;
            for (int pass = 0; pass < 2; pass++) {
                ConsumeSetup setup = fill(CALIBRATION_MESSAGES);
                try {
                    rate = Meter.measure(Contenders.CONSUME.raw(), setup, Duration.ZERO, () -> 0).rate();
                } finally {
                    fixture.purge(queue);
                }
            }
            System.err.printf("  consume/prefetch=%d calibration: raw %,.0f /s%n", prefetch, rate);
            return rate;
        }

        private ConsumeSetup fill(long messages) throws Exception {
            fixture.purge(queue);
            fixture.prefill(queue, messages, body);
            return new ConsumeSetup(fixture.uri(), queue, prefetch, messages);
        }

        @Override
        public void after() throws Exception {
            fixture.purge(queue);
        }
    }

    @Override
    public String note() {
        return "consume: deliveries/s taken and acked one by one from a queue prefilled (by pipelined confirms)"
                + " with " + options.size() + "-byte messages; a run ends when the queue is empty."
                + " raw: DefaultConsumer acking in its callback; warren: take() and ack() on a subscription.";
    }

    @Override
    public void close() throws Exception {
        fixture.deleteQueue(queue);
    }
}
