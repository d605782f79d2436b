package dev.warren.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Envelope;
import dev.warren.ChannelClosedException;
import dev.warren.ConsumeOptions;
import dev.warren.ConsumerCancelledException;
import dev.warren.Delivery;
import java.lang.reflect.Field;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Semaphore;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The subscription's lock-free buffer and waiter stack, driven by hand without a broker: the
 * test thread plays amqp-client's dispatch thread.
 */
@Timeout(60)
class SubscriptionBufferTest {
    private final Channel raw = InertChannel.create();
    private static final Writer WRITER = new Writer("test-writer");
    private final ChannelContext ctx = new ChannelContext(raw, "test", WRITER, Duration.ofSeconds(30));
    private final Consumers consumers = new Consumers(ctx);

    private SubscriptionImpl subscription() {
        return new SubscriptionImpl(consumers, ctx, new Scope("test"), "q", ConsumeOptions.defaults(), "tag");
    }

    private static void deliver(SubscriptionImpl s, long tag) {
        s.handleDelivery("tag", new Envelope(tag, false, "", "q"), null, new byte[0]);
    }

    /**
     * Rounds of one to three deliveries, each round waited for before the next: if the last
     * delivery of a round failed to wake a parked taker, the round would never complete.
     */
    @Test
    void everyDeliveryWakesAParkedTaker() throws Exception {
        rounds(false);
    }

    @Test
    void everyDeliveryWakesAParkedTakerAmongTimingOutPollers() throws Exception {
        rounds(true);
    }

    private void rounds(boolean withPollers) throws Exception {
        SubscriptionImpl s = subscription();
        int rounds = 20_000;
        Semaphore consumed = new Semaphore(0);
        Set<Long> seen = ConcurrentHashMap.newKeySet();
        AtomicInteger duplicates = new AtomicInteger();
        List<Thread> takers = new CopyOnWriteArrayList<>();
        for (int i = 0; i < 8; i++) {
            boolean polling = withPollers && i % 2 == 0;
            takers.add(Thread.ofVirtual().start(() -> {
                try {
                    for (;;) {
                        Delivery d = polling
                                ? s.poll(Duration.ofNanos(ThreadLocalRandom.current().nextInt(1, 200_000)))
                                : s.take();
                        if (d == null) {
                            continue;
                        }
                        if (!seen.add(d.envelope().getDeliveryTag())) {
                            duplicates.incrementAndGet();
                        }
                        consumed.release();
                    }
                } catch (ConsumerCancelledException | InterruptedException e) {
                    // the end of the test
                }
            }));
        }
        long tag = 0;
        for (int r = 0; r < rounds; r++) {
            int k = 1 + (r % 3);
            for (int j = 0; j < k; j++) {
                deliver(s, ++tag);
            }
            assertThat(consumed.tryAcquire(k, 10, TimeUnit.SECONDS)).as("round %d completed", r).isTrue();
        }
        s.handleCancel("tag");
        for (Thread t : takers) {
            t.join();
        }
        assertThat(duplicates).hasValue(0);
        assertThat(seen).hasSize((int) tag);
    }

    /**
     * One taker, and a producer that spins instead of parking, so that its next delivery often
     * lands in the instant between the taker finding the buffer empty and parking.
     */
    @Test
    void aDeliveryRacingATakerGoingToSleepWakesIt() throws Exception {
        SubscriptionImpl s = subscription();
        AtomicInteger consumed = new AtomicInteger();
        Thread taker = Thread.ofVirtual().start(() -> {
            try {
                for (;;) {
                    s.take();
                    consumed.incrementAndGet();
                }
            } catch (ConsumerCancelledException | InterruptedException e) {
                // the end of the test
            }
        });
        for (int r = 1; r <= 100_000; r++) {
            deliver(s, r);
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (consumed.get() < r) {
                assertThat(System.nanoTime() - deadline).as("delivery %d taken", r).isNegative();
                Thread.onSpinWait();
            }
        }
        s.handleCancel("tag");
        taker.join();
    }

    /**
     * The waiter a delivery wakes (the last to park) is interrupted at once: if it goes before
     * taking the delivery, it must hand its wake-up to the other waiter.
     */
    @Test
    void aTakerInterruptedAsItIsWokenPassesTheDeliveryOn() throws Exception {
        for (int r = 1; r <= 300; r++) {
            SubscriptionImpl s = subscription();
            AtomicInteger taken = new AtomicInteger();
            Runnable take = () -> {
                try {
                    s.take();
                    taken.incrementAndGet();
                } catch (ConsumerCancelledException | InterruptedException e) {
                    // cancelled below, or interrupted
                }
            };
            Thread first = Thread.ofVirtual().start(take);
            awaitParked(first);
            Thread second = Thread.ofVirtual().start(take);
            awaitParked(second);
            deliver(s, r);
            second.interrupt();
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (taken.get() == 0) {
                assertThat(System.nanoTime() - deadline).as("round %d: delivery taken", r).isNegative();
                Thread.onSpinWait();
            }
            s.handleCancel("tag");
            first.join();
            second.join();
        }
    }

    private static void awaitParked(Thread t) {
        while (t.getState() != Thread.State.WAITING) {
            Thread.onSpinWait();
        }
    }

    @Test
    void manyTakersAndAFastProducerLoseNothing() throws Exception {
        SubscriptionImpl s = subscription();
        int n = 200_000;
        CountDownLatch all = new CountDownLatch(n);
        Set<Long> seen = ConcurrentHashMap.newKeySet();
        // The producer plays a broker that keeps to the prefetch: more would abort the channel.
        Semaphore prefetch = new Semaphore(ConsumeOptions.DEFAULT_PREFETCH);
        for (int i = 0; i < 16; i++) {
            Thread.ofVirtual().start(() -> {
                try {
                    for (;;) {
                        seen.add(s.take().envelope().getDeliveryTag());
                        prefetch.release();
                        all.countDown();
                    }
                } catch (ConsumerCancelledException | InterruptedException e) {
                    // the end of the test
                }
            });
        }
        for (long t = 1; t <= n; t++) {
            prefetch.acquire();
            deliver(s, t);
        }
        assertThat(all.await(30, TimeUnit.SECONDS)).isTrue();
        assertThat(seen).hasSize(n);
        s.handleCancel("tag");
    }

    @Test
    void takersGetDeliveriesInOrderThenTheCancel() throws Exception {
        SubscriptionImpl s = subscription();
        for (long t = 1; t <= 5; t++) {
            deliver(s, t);
        }
        s.handleCancel("tag");
        for (long t = 1; t <= 5; t++) {
            assertThat(s.take().envelope().getDeliveryTag()).isEqualTo(t);
        }
        assertThatThrownBy(s::take).isInstanceOf(ConsumerCancelledException.class);
        assertThatThrownBy(() -> s.poll(Duration.ofSeconds(1))).isInstanceOf(ConsumerCancelledException.class);
    }

    @Test
    void timedOutPollsDoNotPileUpWaiters() throws Exception {
        SubscriptionImpl s = subscription();
        // A taker parked at the bottom of the stack: timed-out polls above it must not stay there.
        Thread taker = Thread.ofVirtual().start(() -> {
            try {
                s.take();
            } catch (InterruptedException | RuntimeException e) {
                // ends the test's taker
            }
        });
        awaitWaiters(s, 1);
        Thread poller = Thread.ofVirtual().start(() -> {
            try {
                for (int i = 0; i < 10_000; i++) {
                    assertThat(s.poll(Duration.ofNanos(1))).isNull();
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        for (int i = 0; i < 10_000; i++) {
            assertThat(s.poll(Duration.ofNanos(1))).isNull();
        }
        poller.join();
        // The parked taker, and at most one withdrawn node per poller that a sibling's push
        // covered before it could pop itself (the next push drops it).
        List<Object> left = waiters(s);
        assertThat(left).as("waiter stack after 20,000 timed-out polls").hasSizeBetween(1, 3);
        assertThat(left).filteredOn(w -> state(w) == WAITING).hasSize(1);
        deliver(s, 1);
        taker.join();
        assertThat(waiters(s)).noneMatch(w -> state(w) == WAITING);
        deliver(s, 2);
        assertThat(s.take().envelope().getDeliveryTag()).isEqualTo(2);
    }

    @Test
    void theChannelCloseWakesEveryTakerAtOnce() throws Exception {
        SubscriptionImpl s = subscription();
        consumers.register(s);
        deliver(s, 1);
        int takers = 10_000;
        CountDownLatch closed = new CountDownLatch(takers);
        for (int i = 0; i < takers; i++) {
            Thread.ofVirtual().start(() -> {
                try {
                    s.take();
                    s.take();
                } catch (ChannelClosedException e) {
                    closed.countDown();
                } catch (InterruptedException e) {
                    // not expected: the count stays short
                }
            });
        }
        List<Object> parked = awaitWaiters(s, takers);
        ctx.shutdown(new ChannelClosedException(1, 406, "PRECONDITION_FAILED - test", true, "basic.ack", null));
        // At once: the close itself signalled every parked taker before it returned, rather than
        // each woken taker waking the next.
        assertThat(waiters(s)).isEmpty();
        assertThat(parked).allSatisfy(w -> assertThat(state(w)).isEqualTo(SIGNALLED));
        assertThat(closed.await(10, TimeUnit.SECONDS)).isTrue();
    }

    @Test
    void aTakenDeliveryKeepsNoLaterOneReachable() throws Exception {
        SubscriptionImpl s = subscription();
        deliver(s, 1);
        deliver(s, 2);
        deliver(s, 3);
        InboundDelivery first = (InboundDelivery) s.take();
        InboundDelivery second = (InboundDelivery) s.take();
        // The first was the buffer's head until the second was taken; now it links to itself.
        assertThat(first.next()).isSameAs(first);
        assertThat(second.next()).isNotSameAs(second);
        assertThat(s.take().envelope().getDeliveryTag()).isEqualTo(3);
    }

    // The waiter stack is private to SubscriptionImpl; the tests read it reflectively.
    private static final int WAITING = 0;
    private static final int SIGNALLED = 1;

    /** Waits until {@code n} takers are parked on the stack; returns its nodes. */
    private static List<Object> awaitWaiters(SubscriptionImpl s, int n) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        List<Object> w;
        while ((w = waiters(s)).size() != n || !w.stream().allMatch(x -> state(x) == WAITING)) {
            assertThat(System.nanoTime() - deadline).as("%d waiters parked, %d there", n, w.size()).isNegative();
            Thread.onSpinWait();
        }
        return w;
    }

    /** The nodes of the waiter stack, top first, cancelled ones included. */
    private static List<Object> waiters(SubscriptionImpl s) {
        try {
            Field top = SubscriptionImpl.class.getDeclaredField("waiters");
            top.setAccessible(true);
            List<Object> nodes = new java.util.ArrayList<>();
            for (Object w = top.get(s); w != null; w = field(w, "next")) {
                nodes.add(w);
            }
            return nodes;
        } catch (ReflectiveOperationException e) {
            throw new AssertionError(e);
        }
    }

    private static int state(Object waiter) {
        try {
            return (int) field(waiter, "state");
        } catch (ReflectiveOperationException e) {
            throw new AssertionError(e);
        }
    }

    private static Object field(Object o, String name) throws ReflectiveOperationException {
        Field f = o.getClass().getDeclaredField(name);
        f.setAccessible(true);
        return f.get(o);
    }
}
