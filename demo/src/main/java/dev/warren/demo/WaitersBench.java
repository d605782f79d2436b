package dev.warren.demo;

import dev.warren.BlockingChannel;
import dev.warren.BlockingConnection;
import dev.warren.ClosedException;
import dev.warren.ConnectionOptions;
import dev.warren.Message;
import dev.warren.Subscription;
import dev.warren.Warren;
import dev.warren.demo.Bench.Row;
import dev.warren.demo.Bench.Side;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.LongAdder;

/**
 * waiters (Warren only: the raw client has no blocking waiters to park): what a parked waiter
 * costs and how fast a channel close reaches all of them. {@code --waiters} virtual threads
 * (100,000 unless told) park in {@code take()} on 100 subscriptions of one channel, or in
 * {@code call()} to a queue nobody serves; the settled heap they add is divided among them, then
 * the broker is made to close the channel and the time until the last one wakes is taken.
 */
final class WaitersBench implements Bench.Scenario {
    private static final int SUBSCRIPTIONS = 100;
    /**
     * Calls started at a time, each batch's requests confirmed before the next starts. Warren
     * keeps unconfirmed publishes in a ring of at most 65,536 slots and the rest in a side map
     * that every multiple ack scans, so a million requests in flight at once cost the reader
     * thread time quadratic in their number (over 20 minutes); in batches they never leave the ring.
     */
    private static final int CALL_BATCH = 10_000;
    private static final MemoryMXBean MEMORY = ManagementFactory.getMemoryMXBean();

    private final BrokerFixture fixture;
    private final BenchOptions options;
    private final int waiters;
    /** How long parking or waking them all may take before the run fails: 2 minutes per 100,000. */
    private final Duration patience;
    private final String takeQueue;
    private final String callQueue;

    WaitersBench(BrokerFixture fixture, BenchOptions options) throws Exception {
        this.fixture = fixture;
        this.options = options;
        this.waiters = options.waiters();
        this.patience = Duration.ofMinutes(2).multipliedBy(Math.max(1, (waiters + 99_999) / 100_000));
        this.takeQueue = fixture.declareQueue("waiters-take");
        this.callQueue = fixture.declareQueue("waiters-call");
    }

    // The warm-up is one whole unmeasured cycle: the first one also pays for class loading and
    // JIT, which would count as heap and wake-up time.
    @Override
    public List<Row> rows() {
        return List.of(
                new Row("waiters/take", Report.Kind.WAITERS,
                        Map.of(Side.WARREN, Trial.warmedUp(options, length -> cycle(takeQueue, false)))),
                new Row("waiters/call", Report.Kind.WAITERS,
                        Map.of(Side.WARREN, Trial.warmedUp(options, length -> cycle(callQueue, true)))));
    }

    /**
     * Parks the waiters between two readings of the settled heap, then times from provoking the
     * channel's close until every one of them has woken.
     */
    private Sample cycle(String queue, boolean calls) throws Exception {
        try {
            long before = settledUsedHeap();
            BlockingConnection conn = Warren.connect(calls
                    // The bound on unconfirmed publishes is raised above the number of waiters: with the
                    // default (2048) nearly every call first parks on that bound, and the JDK then keeps a
                    // second stack chunk per thread (about 1 KiB), which is the bound's cost, not the cost
                    // of a parked call.
                    ? ConnectionOptions.of(fixture.uri()).withMaxUnconfirmed(waiters + 1)
                    : ConnectionOptions.of(fixture.uri()));
            try (conn) {
                BlockingChannel ch = conn.openChannel();
                LongAdder closed = new LongAdder();
                CountDownLatch ended = park(ch, queue, calls, closed);
                long after = settledUsedHeap();
                long start = System.nanoTime();
                // From another channel's point of view nothing happens; this one gets 404 and closes.
                Thread.ofVirtual().start(() -> {
                    try {
                        ch.queueDeclarePassive("warren.bench.no-such-queue-" + System.nanoTime());
                    } catch (Exception expected) {
                        // ChannelClosedException 404: the point of the exercise.
                    }
                });
                if (!ended.await(patience.toNanos(), TimeUnit.NANOSECONDS)) {
                    throw new TimeoutException(ended.getCount() + " waiters still blocked after " + patience);
                }
                long wake = System.nanoTime() - start;
                return Sample.waiters(waiters, (after - before) / (double) waiters, wake, closed.sum());
            }
        } finally {
            fixture.purge(queue);
        }
    }

    /**
     * Starts the waiters on {@code ch}, each blocked in {@code take()} or {@code call()}, and
     * returns once every one is parked in it; the latch counts them down as they end, and
     * {@code closed} counts those that ended with Warren's {@code ClosedException}.
     */
    private CountDownLatch park(BlockingChannel ch, String queue, boolean calls, LongAdder closed) throws Exception {
        List<Subscription> subs = new ArrayList<>();
        if (!calls) {
            for (int i = 0; i < SUBSCRIPTIONS; i++) {
                subs.add(ch.consume(queue));
            }
        }
        Message request = Message.of(new byte[16]);
        CountDownLatch entered = new CountDownLatch(waiters);
        CountDownLatch ended = new CountDownLatch(waiters);
        List<Thread> threads = new ArrayList<>(waiters);
        long deadline = System.nanoTime() + patience.toNanos();
        for (int i = 0; i < waiters; i++) {
            if (calls && i > 0 && i % CALL_BATCH == 0) {
                awaitRequestsConfirmed(ch, i, deadline);
            }
            Subscription sub = calls ? null : subs.get(i % SUBSCRIPTIONS);
            threads.add(Thread.ofVirtual().start(() -> {
                entered.countDown();
                try {
                    if (sub != null) {
                        sub.take();
                    } else {
                        ch.call("", queue, request, Duration.ofHours(1));
                    }
                } catch (ClosedException e) {
                    closed.increment();
                } catch (Exception e) {
                    // Counted as not woken by the close: the log's count shows the shortfall.
                } finally {
                    ended.countDown();
                }
            }));
        }
        entered.await();
        if (calls) {
            // Measure the steady state: what a parked call holds, not requests still in flight.
            awaitRequestsConfirmed(ch, waiters, deadline);
        }
        awaitParked(threads);
        return ended;
    }

    /**
     * Waits until {@code calls} calls are pending (each has published its request before it
     * parks for the reply) and none of their requests is unconfirmed, or the deadline passes.
     */
    private static void awaitRequestsConfirmed(BlockingChannel ch, int calls, long deadline)
            throws InterruptedException {
        while (ch.pendingCallCount() < calls && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
        while (ch.unconfirmedCount() > 0 && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
    }

    /**
     * Returns once every thread is {@code WAITING} or {@code TIMED_WAITING}, which for a virtual
     * thread means parked (and unmounted from its carrier). A thread that parks briefly on its way
     * (a lock, a synchronous AMQP method) can be caught there, so this is called once the threads
     * can only block in the call under test: each has counted down a latch just before making it.
     */
    private void awaitParked(List<Thread> threads) throws InterruptedException, TimeoutException {
        long deadline = System.nanoTime() + patience.toNanos();
        while (true) {
            long running = threads.stream().filter(t -> t.getState() != Thread.State.WAITING
                    && t.getState() != Thread.State.TIMED_WAITING).count();
            if (running == 0) {
                return;
            }
            if (System.nanoTime() - deadline >= 0) {
                throw new TimeoutException(running + " of " + threads.size() + " threads did not park within " + patience);
            }
            Thread.sleep(10);
        }
    }

    /**
     * The used heap in bytes after full collections have stopped changing it. One
     * {@code System.gc()} is not enough: finalization, reference processing and a concurrent
     * collector's phases free more on the next one, so collect until two readings agree within
     * 0.5 % (or 10 rounds).
     */
    private static long settledUsedHeap() throws InterruptedException {
        long previous = Long.MAX_VALUE;
        for (int round = 0; round < 10; round++) {
            System.gc();
            Thread.sleep(50);
            long used = MEMORY.getHeapMemoryUsage().getUsed();
            if (Math.abs(previous - used) <= used / 200) {
                return used;
            }
            previous = used;
        }
        return previous;
    }

    @Override
    public String note() {
        return "waiters (Warren only, the raw client has no blocking waiters): " + String.format("%,d", waiters)
                + " virtual threads parked in take() on empty subscriptions (waiters/take) or in call() that no server"
                + " answers (waiters/call, started 10,000 at a time, each batch's requests confirmed before the next);"
                + " heap bytes per parked waiter (settled heap after minus before, over "
                + String.format("%,d", waiters) + "), and ms from provoking the broker's channel close until all have"
                + " woken; each measured cycle follows an unmeasured one unless --warmup=0.";
    }

    @Override
    public void close() throws Exception {
        try {
            fixture.deleteQueue(takeQueue);
        } finally {
            fixture.deleteQueue(callQueue);
        }
    }
}
