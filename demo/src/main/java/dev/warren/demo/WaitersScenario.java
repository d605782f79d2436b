package dev.warren.demo;

import java.time.Duration;
import java.util.List;

/**
 * waiters (Warren only): what a parked waiter costs and how fast a channel close reaches all
 * of them. {@link BenchOptions#waiters()} virtual threads (100,000 unless told) park in
 * {@code take()} on empty subscriptions, or in {@code call()} to a queue nobody serves; the heap
 * they add is divided among them, then the broker is made to close the channel and the time
 * until the last one wakes is taken.
 */
final class WaitersScenario implements Scenario {
    private final BrokerFixture fixture;
    private final int waiters;
    /** How long waking them all may take: 2 minutes per 100,000. */
    private final Duration wakeTimeout;
    private final boolean warmup;
    private final String takeQueue;
    private final String callQueue;

    WaitersScenario(BrokerFixture fixture, BenchOptions options) throws Exception {
        this.fixture = fixture;
        this.waiters = options.waiters();
        this.wakeTimeout = WaitersSetup.patience(waiters);
        this.warmup = !options.warmup().isZero();
        this.takeQueue = fixture.declareQueue("waiters-take");
        this.callQueue = fixture.declareQueue("waiters-call");
    }

    @Override
    public List<Row<?>> rows() {
        return List.of(
                new WaitersRow("waiters/take", Contenders.WAITERS_TAKE, takeQueue),
                new WaitersRow("waiters/call", Contenders.WAITERS_CALL, callQueue));
    }

    @Override
    public String note() {
        return "waiters (Warren only, the raw client has no blocking waiters): " + String.format("%,d", waiters)
                + " virtual threads parked in take() on empty subscriptions (waiters/take) or in call() that no server"
                + " answers (waiters/call, started 10,000 at a time, each batch's requests confirmed before the next); heap bytes per parked waiter (settled heap after minus before, over "
                + String.format("%,d", waiters) + "), and ms from provoking the broker's channel close until all have woken; each measured cycle follows an"
                + " unmeasured one unless --warmup=0.";
    }

    @Override
    public void close() throws Exception {
        try {
            fixture.deleteQueue(takeQueue);
        } finally {
            fixture.deleteQueue(callQueue);
        }
    }

    private final class WaitersRow implements Row<WaiterSample> {
        private final String key;
        private final WaitersContender contender;
        private final String queue;

        WaitersRow(String key, WaitersContender contender, String queue) {
            this.key = key;
            this.contender = contender;
            this.queue = queue;
        }

        @Override
        public String key() {
            return key;
        }

        @Override
        public Kind kind() {
            return Kind.WAITERS;
        }

        @Override
        public boolean has(Side side) {
            return side == Side.WARREN && contender != null;
        }

        // The warm-up is one whole unmeasured cycle: the first one also pays for class loading
        // and JIT, which would count as heap and wake-up time.
        @Override
        public WaiterSample runOnce(Side side) throws Exception {
            if (warmup) {
                cycle();
            }
            return cycle();
        }

        private WaiterSample cycle() throws Exception {
            WaitersSetup setup = new WaitersSetup(fixture.uri(), queue, waiters);
            try {
                long before = HeapProbe.settledUsedHeap();
                try (ParkedWaiters parked = contender.park(setup)) {
                    long after = HeapProbe.settledUsedHeap();
                    long start = System.nanoTime();
                    parked.provokeClose();
                    long woken = parked.awaitAllWoken(wakeTimeout);
                    long wake = System.nanoTime() - start;
                    return new WaiterSample(waiters, (after - before) / (double) waiters, wake, woken);
                }
            } finally {
                fixture.purge(queue);
            }
        }

        @Override
        public Summary summarize(List<WaiterSample> runs) {
            return Summary.ofWaiters(runs);
        }
    }
}
