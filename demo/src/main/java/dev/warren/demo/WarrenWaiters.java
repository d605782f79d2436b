package dev.warren.demo;

import dev.warren.BlockingChannel;
import dev.warren.BlockingConnection;
import dev.warren.ClosedException;
import dev.warren.ConnectionOptions;
import dev.warren.Message;
import dev.warren.Subscription;
import dev.warren.Warren;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.LongAdder;

/**
 * Warren's side of the waiters scenario: virtual threads parked in {@code take()} (on 100
 * subscriptions of one channel) or in {@code call()} (to a queue nobody serves), all woken by
 * the broker closing the channel.
 */
final class WarrenWaiters implements WaitersContender {
    private static final int SUBSCRIPTIONS = 100;
    /**
     * Calls started at a time, each batch's requests confirmed before the next starts. Warren
     * keeps unconfirmed publishes in a ring of at most 65,536 slots and the rest in a side map
     * that every multiple ack scans, so a million requests in flight at once cost the reader
     * thread time quadratic in their number (over 20 minutes); in batches they never leave the ring.
     */
    private static final int CALL_BATCH = 10_000;

    /** What each parked thread is blocked in. */
    enum Kind { TAKE, CALL }

    private final Kind kind;

    WarrenWaiters(Kind kind) {
        this.kind = kind;
    }

    @Override
    public ParkedWaiters park(WaitersSetup setup) throws Exception {
        // For call(), the bound on unconfirmed publishes is raised above the number of waiters:
        // with the default (2048) nearly every call first parks on that bound, and the JDK then
        // keeps a second stack chunk per thread (about 1 KiB), which is the bound's cost, not
        // the cost of a parked call.
        BlockingConnection conn = Warren.connect(kind == Kind.CALL
                ? ConnectionOptions.of(setup.uri()).withMaxUnconfirmed(setup.waiters() + 1)
                : ConnectionOptions.of(setup.uri()));
        BlockingChannel ch = conn.openChannel();
        List<Subscription> subs = new ArrayList<>();
        if (kind == Kind.TAKE) {
            for (int i = 0; i < SUBSCRIPTIONS; i++) {
                subs.add(ch.consume(setup.queue()));
            }
        }
        Message request = Message.of(new byte[16]);
        LongAdder closed = new LongAdder();
        CountDownLatch entered = new CountDownLatch(setup.waiters());
        CountDownLatch ended = new CountDownLatch(setup.waiters());
        List<Thread> threads = new ArrayList<>(setup.waiters());
        long deadline = System.nanoTime() + setup.patience().toNanos();
        for (int i = 0; i < setup.waiters(); i++) {
            if (kind == Kind.CALL && i > 0 && i % CALL_BATCH == 0) {
                awaitRequestsConfirmed(ch, i, deadline);
            }
            Subscription sub = kind == Kind.TAKE ? subs.get(i % SUBSCRIPTIONS) : null;
            threads.add(Thread.ofVirtual().start(() -> {
                entered.countDown();
                try {
                    if (sub != null) {
                        sub.take();
                    } else {
                        ch.call("", setup.queue(), request, Duration.ofHours(1));
                    }
                } catch (ClosedException e) {
                    closed.increment();
                } catch (Exception e) {
                    // Counted as not woken by the close: the scenario reports the shortfall.
                } finally {
                    ended.countDown();
                }
            }));
        }
        entered.await();
        if (kind == Kind.CALL) {
            // Measure the steady state: what a parked call holds, not requests still in flight.
            awaitRequestsConfirmed(ch, setup.waiters(), deadline);
        }
        Parking.awaitParked(threads, setup.patience());
        return parked(ch, conn, ended, closed);
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

    /** The parked waiters of {@code ch}, woken by making the broker close it. */
    private static ParkedWaiters parked(BlockingChannel ch, BlockingConnection conn, CountDownLatch ended,
                                        LongAdder closed) {
        return new ParkedWaiters() {
            @Override
            public void provokeClose() throws Exception {
                // From another channel's point of view nothing happens; this one gets 404 and closes.
                Thread.ofVirtual().start(() -> {
                    try {
                        ch.queueDeclarePassive("warren.bench.no-such-queue-" + System.nanoTime());
                    } catch (Exception expected) {
                        // ChannelClosedException 404: the point of the exercise.
                    }
                });
            }

            @Override
            public long awaitAllWoken(Duration timeout) throws InterruptedException, TimeoutException {
                if (!ended.await(timeout.toNanos(), TimeUnit.NANOSECONDS)) {
                    throw new TimeoutException(ended.getCount() + " waiters still blocked after " + timeout);
                }
                return closed.sum();
            }

            @Override
            public void close() {
                ch.close();
                conn.close();
            }
        };
    }
}
