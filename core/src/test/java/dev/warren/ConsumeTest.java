package dev.warren;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.warren.testing.RabbitBroker;
import dev.warren.testing.RabbitExtension;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Queue;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

@ExtendWith(RabbitExtension.class)
@Timeout(60)
class ConsumeTest {
    private RabbitBroker broker;
    private TestQueues queues;
    private BlockingConnection conn;

    @BeforeEach
    void setUp(RabbitBroker broker) throws Exception {
        this.broker = broker;
        queues = new TestQueues(broker);
        conn = Warren.connect(broker.uri());
    }

    @AfterEach
    void tearDown() throws Exception {
        conn.close();
        queues.close();
    }

    private String declare(BlockingChannel ch, String what) throws InterruptedException {
        return queues.declare(ch, TestQueues.spec(TestQueues.unique(what)));
    }

    // ---------------------------------------------------------------- order and prefetch

    @Test
    void deliveriesArriveInBrokerOrder() throws Exception {
        BlockingChannel ch = conn.openChannel();
        String q = declare(ch, "order");
        queues.publishNumbered(q, "m", 500);
        try (Subscription sub = ch.consume(q, ConsumeOptions.defaults().withPrefetch(100))) {
            for (int i = 0; i < 500; i++) {
                Delivery d = sub.take();
                assertThat(d.bodyAsString()).isEqualTo("m" + i);
                d.ack();
            }
        }
    }

    @Test
    void neverMoreUnackedDeliveriesThanThePrefetch() throws Exception {
        BlockingChannel ch = conn.openChannel();
        String q = declare(ch, "prefetch");
        queues.publishNumbered(q, "m", 50);
        try (Subscription sub = ch.consume(q, ConsumeOptions.defaults().withPrefetch(7))) {
            // The broker's own counts: it stops at the prefetch however slowly it delivers.
            awaitBrokerCounts(q, 43, 7);
            List<Delivery> taken = takeExactly(sub, 7);
            taken.getFirst().ack();
            awaitBrokerCounts(q, 42, 7);
            assertThat(takeExactly(sub, 1)).hasSize(1);
            assertThat(brokerCounts(q)).containsExactly(42, 7);
        }
    }

    @Test
    void eachSubscriptionOfAChannelHasItsOwnPrefetch() throws Exception {
        BlockingChannel ch = conn.openChannel();
        String q1 = declare(ch, "prefetch-a");
        String q2 = declare(ch, "prefetch-b");
        queues.publishNumbered(q1, "a", 20);
        queues.publishNumbered(q2, "b", 20);
        try (Subscription a = ch.consume(q1, ConsumeOptions.defaults().withPrefetch(2));
                Subscription b = ch.consume(q2, ConsumeOptions.defaults().withPrefetch(5))) {
            awaitBrokerCounts(q1, 18, 2);
            awaitBrokerCounts(q2, 15, 5);
            assertThat(takeExactly(a, 2)).hasSize(2);
            assertThat(takeExactly(b, 5)).hasSize(5);
        }
    }

    /**
     * Takes {@code n} deliveries without settling them, then checks that no other one is
     * buffered; call it once the broker's counts say that no more are on their way.
     */
    private static List<Delivery> takeExactly(Subscription sub, int n) throws InterruptedException {
        List<Delivery> taken = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            Delivery d = sub.poll(Duration.ofSeconds(10));
            assertThat(d).as("delivery %d of %d", i + 1, n).isNotNull();
            taken.add(d);
        }
        assertThat(sub.poll(Duration.ZERO)).as("a delivery beyond the %d the broker counted", n).isNull();
        return taken;
    }

    /** The queue's ready and unacknowledged message counts, as the broker itself keeps them. */
    private List<Integer> brokerCounts(String q) {
        String out = broker.admin().rabbitmqctl("list_queues", "-q", "--no-table-headers", "-p",
                broker.admin().vhost(), "name", "messages_ready", "messages_unacknowledged");
        for (String line : out.split("\n")) {
            String[] f = line.strip().split("\\s+");
            if (f.length == 3 && f[0].equals(q)) {
                return List.of(Integer.parseInt(f[1]), Integer.parseInt(f[2]));
            }
        }
        throw new AssertionError("queue " + q + " not listed: " + out);
    }

    /** Waits (polling rabbitmqctl, up to a deadline) until the broker counts these for the queue. */
    private void awaitBrokerCounts(String q, int ready, int unacked) {
        List<List<Integer>> last = new ArrayList<>(List.of(List.of()));
        boolean reached = TestSupport.awaitTrue(() -> {
            last.set(0, brokerCounts(q));
            return last.get(0).equals(List.of(ready, unacked));
        }, Duration.ofSeconds(30));
        assertThat(reached).as("broker counts of %s (ready, unacked): %s, wanted [%d, %d]", q, last.get(0), ready,
                unacked).isTrue();
    }

    @Test
    void pollReturnsNullWhenNothingArrivesInTime() throws Exception {
        BlockingChannel ch = conn.openChannel();
        String q = declare(ch, "poll");
        try (Subscription sub = ch.consume(q)) {
            assertThat(sub.poll(Duration.ofMillis(50))).isNull();
            assertThat(sub.poll(Duration.ZERO)).isNull();
            queues.publish(q, "late");
            assertThat(sub.poll(Duration.ofSeconds(10)).bodyAsString()).isEqualTo("late");
        }
    }

    @Test
    void consumingAMissingQueueClosesTheChannelWith404() throws Exception {
        BlockingChannel ch = conn.openChannel();
        assertThatThrownBy(() -> ch.consume("warren.consume.missing"))
                .isInstanceOfSatisfying(ChannelClosedException.class, e -> {
                    assertThat(e.replyCode()).isEqualTo(404);
                    assertThat(e.failedMethod()).isEqualTo("basic.consume");
                });
        assertThat(ch.isOpen()).isFalse();
    }

    @Test
    void consumerTagExclusiveAndPriorityReachTheBroker() throws Exception {
        BlockingChannel ch = conn.openChannel();
        String q = declare(ch, "options");
        String tag = TestQueues.unique("tag");
        try (Subscription high = ch.consume(q, ConsumeOptions.defaults().withConsumerTag(tag).withPriority(10));
                Subscription low = ch.consume(q, ConsumeOptions.defaults().withPriority(0))) {
            assertThat(high.consumerTag()).isEqualTo(tag);
            assertThat(low.consumerTag()).isNotEqualTo(tag).isNotEmpty();
            queues.publishNumbered(q, "m", 20);
            // The higher-priority consumer has room for all of them, so the other gets none.
            awaitBrokerCounts(q, 0, 20);
            assertThat(takeExactly(high, 20)).hasSize(20);
            assertThat(low.poll(Duration.ZERO)).isNull();
        }
        String other = declare(ch, "exclusive");
        try (Subscription only = ch.consume(other, ConsumeOptions.defaults().withExclusive(true))) {
            BlockingChannel second = conn.openChannel();
            assertThatThrownBy(() -> second.consume(other)).isInstanceOfSatisfying(ChannelClosedException.class,
                    e -> assertThat(e.replyCode()).isEqualTo(403));
            assertThat(only.isActive()).isTrue();
        }
    }

    // ---------------------------------------------------------------- many takers

    @Test
    void hundredTakersEachDeliveryReachesExactlyOne() throws Exception {
        int messages = 5000;
        BlockingChannel ch = conn.openChannel();
        String q = declare(ch, "hundred");
        queues.publishNumbered(q, "m", messages);
        Set<String> seen = ConcurrentHashMap.newKeySet();
        AtomicInteger duplicates = new AtomicInteger();
        CountDownLatch all = new CountDownLatch(messages);
        Subscription sub = ch.consume(q, ConsumeOptions.defaults().withPrefetch(100));
        for (int t = 0; t < 100; t++) {
            ch.fork(() -> {
                for (Delivery d : sub) {
                    if (!seen.add(d.bodyAsString())) {
                        duplicates.incrementAndGet();
                    }
                    d.ack();
                    all.countDown();
                }
                return null;
            });
        }
        assertThat(all.await(30, TimeUnit.SECONDS)).isTrue();
        sub.close();
        ch.join();
        assertThat(duplicates).hasValue(0);
        assertThat(seen).hasSize(messages);
        assertThat(ch.get(q)).isEmpty();
        assertThat(queues.ready(q)).isZero();
    }

    // ---------------------------------------------------------------- ends

    @Test
    void deletingTheQueueWakesEveryTakerWithConsumerCancelled() throws Exception {
        BlockingChannel ch = conn.openChannel();
        String q = declare(ch, "deleted");
        Subscription sub = ch.consume(q);
        Queue<Throwable> outcomes = new ConcurrentLinkedQueue<>();
        CountDownLatch ended = startTakers(sub, 10, outcomes);
        BlockingChannel other = conn.openChannel();
        other.queueDelete(q);
        assertThat(ended.await(10, TimeUnit.SECONDS)).isTrue();
        assertThat(outcomes).hasSize(10).allSatisfy(e -> assertThat(e)
                .isInstanceOfSatisfying(ConsumerCancelledException.class, c -> {
                    assertThat(c.queue()).isEqualTo(q);
                    assertThat(c.consumerTag()).isEqualTo(sub.consumerTag());
                }));
        assertThat(sub.isActive()).isFalse();
        assertThat(ch.isOpen()).isTrue();
        sub.close();
    }

    @Test
    void deliveriesBufferedBeforeABrokerCancelAreStillTaken() throws Exception {
        BlockingChannel ch = conn.openChannel();
        String q = declare(ch, "cancel-drain");
        queues.publish(q, "one", "two");
        Subscription sub = ch.consume(q);
        awaitAllDelivered(q);
        conn.openChannel().queueDelete(q);
        assertThat(sub.take().bodyAsString()).isEqualTo("one");
        assertThat(sub.take().bodyAsString()).isEqualTo("two");
        assertThatThrownBy(sub::take).isInstanceOf(ConsumerCancelledException.class);
    }

    @Test
    void iterationThrowsWhenTheBrokerCancels() throws Exception {
        BlockingChannel ch = conn.openChannel();
        String q = declare(ch, "iter-cancel");
        Subscription sub = ch.consume(q);
        conn.openChannel().queueDelete(q);
        assertThatThrownBy(() -> sub.iterator().hasNext()).isInstanceOf(ConsumerCancelledException.class);
    }

    @Test
    void channelCloseWakesEveryTakerWithTheClosedException() throws Exception {
        int takers = 1000;
        BlockingChannel ch = conn.openChannel();
        String q = declare(ch, "closed");
        queues.publish(q, "buffered");
        Subscription sub = ch.consume(q);
        awaitAllDelivered(q);
        Queue<Throwable> outcomes = new ConcurrentLinkedQueue<>();
        Delivery first = sub.take();
        CountDownLatch ended = startTakers(sub, takers, outcomes);
        assertThatThrownBy(() -> ch.queueDeclarePassive("warren.consume.missing"))
                .isInstanceOf(ChannelClosedException.class);
        assertThat(ended.await(10, TimeUnit.SECONDS)).isTrue();
        assertThat(outcomes).hasSize(takers).allSatisfy(e -> assertThat(e)
                .isInstanceOfSatisfying(ChannelClosedException.class, c -> assertThat(c.replyCode()).isEqualTo(404)));
        assertThat(first).isNotNull();
    }

    @Test
    void channelCloseThrowsAtOnceEvenWithDeliveriesBuffered() throws Exception {
        BlockingChannel ch = conn.openChannel();
        String q = declare(ch, "closed-buffered");
        queues.publish(q, "a", "b");
        Subscription sub = ch.consume(q);
        awaitAllDelivered(q);
        assertThatThrownBy(() -> ch.queueDeclarePassive("warren.consume.missing"))
                .isInstanceOf(ChannelClosedException.class);
        assertThatThrownBy(sub::take).isInstanceOf(ChannelClosedException.class);
        assertThatThrownBy(() -> sub.poll(Duration.ZERO)).isInstanceOf(ChannelClosedException.class);
        sub.close();
        assertThat(queues.ready(q)).isEqualTo(2);
    }

    @Test
    void takeFailsAsSoonAsTheChannelIsMarkedClosedBeforeItsSubscriptionHearsOfIt() throws Exception {
        BlockingChannel ch = conn.openChannel();
        String q = declare(ch, "closed-marked");
        AtomicReference<Subscription> sub = new AtomicReference<>();
        AtomicReference<Object> seenInHook = new AtomicReference<>();
        CountDownLatch hookRan = new CountDownLatch(1);
        // Registered before the subscription's own hook, so it runs while the channel is marked
        // closed and the subscription has not been told yet.
        ch.context().onClose(cause -> {
            try {
                seenInHook.set(sub.get().poll(Duration.ZERO));
            } catch (RuntimeException | InterruptedException e) {
                seenInHook.set(e);
            }
            hookRan.countDown();
        });
        queues.publish(q, "a");
        sub.set(ch.consume(q));
        awaitAllDelivered(q);
        assertThatThrownBy(() -> ch.queueDeclarePassive("warren.consume.missing"))
                .isInstanceOf(ChannelClosedException.class);
        assertThat(hookRan.await(10, TimeUnit.SECONDS)).isTrue();
        assertThat(seenInHook.get()).isInstanceOf(ChannelClosedException.class);
    }

    @Test
    void closeRequeuesWhatWasBufferedAndNotTaken() throws Exception {
        BlockingChannel ch = conn.openChannel();
        String q = declare(ch, "close-requeue");
        queues.publishNumbered(q, "m", 10);
        Subscription sub = ch.consume(q, ConsumeOptions.defaults().withPrefetch(10));
        Delivery d0 = sub.take();
        Delivery d1 = sub.take();
        awaitAllDelivered(q);
        sub.close();
        d0.ack();
        d1.ack();
        // On the same, still open channel: had they stayed unacked here, basic.get would not see them.
        List<String> back = new ArrayList<>();
        for (Optional<Delivery> g = ch.get(q); g.isPresent(); g = ch.get(q)) {
            assertThat(g.get().envelope().isRedeliver()).isTrue();
            back.add(g.get().bodyAsString());
            g.get().ack();
        }
        assertThat(back).containsExactly("m2", "m3", "m4", "m5", "m6", "m7", "m8", "m9");
    }

    @Test
    void afterCloseTakeThrowsAndIterationEndsNormally() throws Exception {
        BlockingChannel ch = conn.openChannel();
        String q = declare(ch, "closed-by-app");
        Subscription sub = ch.consume(q);
        CountDownLatch iterating = new CountDownLatch(1);
        var iteration = ch.fork(() -> {
            iterating.countDown();
            int n = 0;
            for (Delivery d : sub) {
                n++;
            }
            return n;
        });
        assertThat(iterating.await(10, TimeUnit.SECONDS)).isTrue();
        sub.close();
        sub.close();
        ch.join();
        assertThat(iteration.get()).isZero();
        assertThatThrownBy(sub::take).isInstanceOf(IllegalStateException.class);
        assertThat(sub.isActive()).isFalse();
        assertThat(ch.isOpen()).isTrue();
    }

    // ---------------------------------------------------------------- settling

    @Test
    void nackWithRequeueRedeliversTheMessage() throws Exception {
        BlockingChannel ch = conn.openChannel();
        String q = declare(ch, "nack");
        queues.publish(q, "again");
        try (Subscription sub = ch.consume(q)) {
            Delivery first = sub.take();
            assertThat(first.envelope().isRedeliver()).isFalse();
            first.nack(true);
            Delivery second = sub.take();
            assertThat(second.bodyAsString()).isEqualTo("again");
            assertThat(second.envelope().isRedeliver()).isTrue();
            second.ack();
        }
    }

    @Test
    void settlingTwiceFailsAndSendsNoSecondFrame() throws Exception {
        BlockingChannel ch = conn.openChannel();
        String q = declare(ch, "twice");
        queues.publish(q, "x");
        try (Subscription sub = ch.consume(q)) {
            Delivery d = sub.take();
            d.ack();
            assertThat(d.isSettled()).isTrue();
            assertThatThrownBy(d::ack).isInstanceOf(IllegalStateException.class).hasMessageContaining("already acked");
            assertThatThrownBy(() -> d.nack(true)).isInstanceOf(IllegalStateException.class);
            assertThatThrownBy(() -> d.reject(false)).isInstanceOf(IllegalStateException.class);
            // A second basic.ack for the tag would have made the broker close the channel (406).
            ch.queueDeclarePassive(q);
            assertThat(ch.isOpen()).isTrue();
        }
    }

    @Test
    void settlingFromAnInterruptedThreadKeepsItsInterruptStatus() throws Exception {
        BlockingChannel ch = conn.openChannel();
        String q = declare(ch, "settle-interrupted");
        queues.publish(q, "acked", "nacked", "rejected");
        Subscription sub = ch.consume(q, ConsumeOptions.defaults().withPrefetch(3));
        List<Delivery> ds = List.of(sub.take(), sub.take(), sub.take());
        List<TestSupport.Action> settles = List.of(ds.get(0)::ack, () -> ds.get(1).nack(false),
                () -> ds.get(2).reject(false));
        for (TestSupport.Action settle : settles) {
            // A virtual thread: one interrupted while it writes to a socket closes the socket.
            AtomicReference<Object> outcome = new AtomicReference<>();
            Thread.ofVirtual().start(() -> {
                Thread.currentThread().interrupt();
                Throwable t = TestSupport.caught(settle);
                outcome.set(t != null ? t : Thread.currentThread().isInterrupted());
            }).join();
            assertThat(outcome.get()).as("interrupt status after settling").isEqualTo(Boolean.TRUE);
        }
        assertThat(ds).allMatch(Delivery::isSettled);
        ch.close();
        // The broker took all three: none was requeued when the channel closed.
        assertThat(conn.isOpen()).isTrue();
        assertThat(queues.ready(q)).isZero();
    }

    @Test
    void settlingAfterTheChannelClosedThrowsTheClosedException() throws Exception {
        BlockingChannel ch = conn.openChannel();
        String q = declare(ch, "settle-closed");
        queues.publish(q, "x");
        Subscription sub = ch.consume(q);
        Delivery d = sub.take();
        ch.close();
        assertThatThrownBy(d::ack).isInstanceOfSatisfying(ChannelClosedException.class,
                e -> assertThat(e.replyCode()).isEqualTo(200));
        assertThat(d.isSettled()).isFalse();
        assertThat(queues.ready(q)).isEqualTo(1);
    }

    @Test
    void autoAckDeliveriesNeedNoSettling() throws Exception {
        BlockingChannel ch = conn.openChannel();
        String q = declare(ch, "auto-ack");
        queues.publish(q, "x");
        try (Subscription sub = ch.consume(q, ConsumeOptions.defaults().withAutoAck(true))) {
            Delivery d = sub.take();
            assertThat(d.isSettled()).isTrue();
            assertThatThrownBy(d::ack).isInstanceOf(IllegalStateException.class).hasMessageContaining("auto-ack");
        }
        assertThat(queues.ready(q)).isZero();
    }

    @Test
    void unackedDeliveriesComeBackOnAnotherChannelWhenTheirChannelCloses() throws Exception {
        BlockingChannel a = conn.openChannel();
        String q = declare(a, "at-least-once");
        queues.publishNumbered(q, "m", 5);
        Subscription sub = a.consume(q);
        for (int i = 0; i < 5; i++) {
            assertThat(sub.take().bodyAsString()).isEqualTo("m" + i);
        }
        a.close();
        BlockingChannel b = conn.openChannel();
        try (Subscription again = b.consume(q)) {
            for (int i = 0; i < 5; i++) {
                Delivery d = again.take();
                assertThat(d.bodyAsString()).isEqualTo("m" + i);
                assertThat(d.envelope().isRedeliver()).isTrue();
                d.ack();
            }
        }
    }

    // ---------------------------------------------------------------- basic.get

    @Test
    void getOnAnEmptyQueueReturnsEmpty() throws Exception {
        BlockingChannel ch = conn.openChannel();
        String q = declare(ch, "get-empty");
        assertThat(ch.get(q)).isEmpty();
    }

    @Test
    void getReturnsAMessageToAcknowledge() throws Exception {
        BlockingChannel ch = conn.openChannel();
        String q = declare(ch, "get");
        queues.publish(q, "fetched");
        Delivery d = ch.get(q).orElseThrow();
        assertThat(d.bodyAsString()).isEqualTo("fetched");
        assertThat(d.envelope().getRoutingKey()).isEqualTo(q);
        assertThat(d.isSettled()).isFalse();
        d.ack();
        assertThatThrownBy(d::ack).isInstanceOf(IllegalStateException.class);
        assertThat(ch.get(q)).isEmpty();
        assertThat(queues.ready(q)).isZero();
    }

    // ---------------------------------------------------------------- streams

    @Test
    void streamQueueIsReadFromFirstWithAConsumerArgument() throws Exception {
        BlockingChannel ch = conn.openChannel();
        String q = queues.declare(ch, QueueSpec.stream(TestQueues.unique("stream")));
        queues.publishNumbered(q, "s", 5);
        ConsumeOptions fromFirst = ConsumeOptions.defaults().withPrefetch(10).withArgument("x-stream-offset", "first");
        try (Subscription sub = ch.consume(q, fromFirst)) {
            for (int i = 0; i < 5; i++) {
                Delivery d = sub.take();
                assertThat(d.bodyAsString()).isEqualTo("s" + i);
                d.ack();
            }
        }
    }

    /** Waits until the broker has handed every ready message of the queue to a consumer. */
    private void awaitAllDelivered(String q) {
        assertThat(TestSupport.awaitTrue(() -> {
            try {
                return queues.ready(q) == 0;
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        }, Duration.ofSeconds(10))).as("all of %s delivered", q).isTrue();
    }

    /**
     * Starts {@code n} virtual threads that each block in {@code take()} and record what it
     * threw (a delivery is recorded as an error), and returns once all have started.
     *
     * @return counted down as each taker ends
     */
    private static CountDownLatch startTakers(Subscription sub, int n, Queue<Throwable> outcomes)
            throws InterruptedException {
        CountDownLatch started = new CountDownLatch(n);
        CountDownLatch ended = new CountDownLatch(n);
        for (int i = 0; i < n; i++) {
            Thread.ofVirtual().start(() -> {
                started.countDown();
                try {
                    sub.take();
                    outcomes.add(new AssertionError("took a delivery"));
                } catch (Throwable e) {
                    outcomes.add(e);
                }
                ended.countDown();
            });
        }
        assertThat(started.await(10, TimeUnit.SECONDS)).isTrue();
        return ended;
    }
}
