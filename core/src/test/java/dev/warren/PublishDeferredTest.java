package dev.warren;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.warren.testing.RabbitBroker;
import dev.warren.testing.RabbitExtension;
import dev.warren.testing.TcpProxy;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/** {@link BlockingChannel#publishDeferred}: one thread, many confirms in flight, each awaited later. */
@ExtendWith(RabbitExtension.class)
@Timeout(60)
class PublishDeferredTest {

    private static String unique(String what) {
        return TestSupport.unique("deferred." + what);
    }

    /** An await of {@code c} on a virtual thread of its own, parked by the time this returns. */
    private record Awaiter(Thread thread, CompletableFuture<Throwable> thrown) {
        static Awaiter start(DeferredConfirm c) {
            CompletableFuture<Throwable> thrown = new CompletableFuture<>();
            Thread t = Thread.ofVirtual().start(() -> {
                try {
                    c.await();
                    thrown.complete(null);
                } catch (Throwable x) {
                    thrown.complete(x);
                }
            });
            assertThat(TestSupport.awaitTrue(() -> t.getState() == Thread.State.WAITING, Duration.ofSeconds(10)))
                    .as("the awaiter parked").isTrue();
            return new Awaiter(t, thrown);
        }

        /** What its await threw (null when it returned), within 10 s. */
        Throwable outcome() throws Exception {
            return thrown.get(10, TimeUnit.SECONDS);
        }
    }

    private static String transientQueue(BlockingChannel ch, String name) throws InterruptedException {
        return ch.queueDeclare(QueueSpec.named(unique(name)).withDurable(false).withAutoDelete(false)).name();
    }

    @Test
    void oneThreadKeepsManyMessagesInFlightAndEachIsConfirmedInOrder(RabbitBroker broker) throws Exception {
        try (BlockingConnection conn = Warren.connect(broker.uri()); BlockingChannel ch = conn.openChannel()) {
            String q = transientQueue(ch, "pipeline");
            ArrayDeque<DeferredConfirm> window = new ArrayDeque<>();
            int maxInFlight = 0;
            for (int i = 0; i < 5_000; i++) {
                if (window.size() == 500) {
                    window.poll().await();
                }
                window.add(ch.publishDeferred("", q, Message.of(Integer.toString(i).getBytes())));
                maxInFlight = Math.max(maxInFlight, ch.unconfirmedCount());
            }
            for (DeferredConfirm c : window) {
                c.await();
                assertThat(c.isDone()).isTrue();
            }
            assertThat(maxInFlight).as("confirms outstanding at once on one thread").isGreaterThan(1);
            assertThat(ch.unconfirmedCount()).isZero();
            assertThat(ch.queueDeclarePassive(q).messageCount()).isEqualTo(5_000);
            try (Subscription s = ch.consume(q, ConsumeOptions.defaults().withPrefetch(100))) {
                for (int i = 0; i < 5_000; i++) {
                    Delivery d = s.take();
                    assertThat(new String(d.body())).as("written in the order of the calls").isEqualTo(Integer.toString(i));
                    d.ack();
                }
            }
            ch.queueDelete(q);
        }
    }

    @Test
    void aNackIsThrownByAwaitAndAgainByEveryLaterAwait(RabbitBroker broker) throws Exception {
        try (BlockingConnection conn = Warren.connect(broker.uri()); BlockingChannel ch = conn.openChannel()) {
            String q = ch.queueDeclare(QueueSpec.named(unique("nack")).withDurable(false).withAutoDelete(true)
                    .withMaxLength(1).withOverflow(QueueSpec.Overflow.REJECT_PUBLISH)).name();
            DeferredConfirm first = ch.publishDeferred("", q, Message.of("first".getBytes()));
            DeferredConfirm second = ch.publishDeferred("", q, Message.of("second".getBytes()));
            first.await();
            assertThatThrownBy(second::await).isInstanceOf(PublishNackedException.class);
            assertThatThrownBy(() -> second.await(Duration.ofSeconds(1))).isInstanceOf(PublishNackedException.class);
            assertThat(second.isDone()).isTrue();
            assertThat(first.await(Duration.ZERO)).isTrue();
        }
    }

    @Test
    void anUnroutableMandatoryMessageIsThrownByAwait(RabbitBroker broker) throws Exception {
        try (BlockingConnection conn = Warren.connect(broker.uri()); BlockingChannel ch = conn.openChannel()) {
            DeferredConfirm c = ch.publishDeferred("amq.direct", unique("nowhere"),
                    Message.of(new byte[3]).withMandatory(true));
            assertThatThrownBy(c::await).isInstanceOfSatisfying(UnroutableException.class,
                    e -> assertThat(e.replyCode()).isEqualTo(312));
            // The channel goes on.
            ch.publishDeferred("amq.direct", unique("nowhere"), Message.of(new byte[3])).await();
        }
    }

    @Test
    void theChannelsCloseIsThrownByAwaitWithItsReplyCode(RabbitBroker broker) throws Exception {
        try (BlockingConnection conn = Warren.connect(broker.uri()); BlockingChannel ch = conn.openChannel()) {
            DeferredConfirm c = ch.publishDeferred(unique("no-such-exchange"), "k", Message.of(new byte[3]));
            assertThatThrownBy(c::await).isInstanceOfSatisfying(ChannelClosedException.class, e -> {
                assertThat(e.replyCode()).isEqualTo(404);
                assertThat(e.failedMethod()).isEqualTo("basic.publish");
            });
            assertThatThrownBy(() -> ch.publishDeferred("", "k", Message.of(new byte[3])))
                    .as("a closed channel refuses the next one at once, nothing sent")
                    .isInstanceOf(ChannelClosedException.class);
        }
    }

    @Test
    void aTimedAwaitReturnsFalseWhileTheConfirmIsHeldBackAndTheConfirmStillCounts(RabbitBroker broker)
            throws Exception {
        try (TcpProxy proxy = new TcpProxy(broker.uri());
             BlockingConnection conn = Warren.connect(proxy.uri(broker.uri()));
             BlockingChannel ch = conn.openChannel()) {
            String q = transientQueue(ch, "held");
            proxy.pause();
            DeferredConfirm c = ch.publishDeferred("", q, Message.of(new byte[10]));
            long t0 = System.nanoTime();
            assertThat(c.await(Duration.ofMillis(200))).isFalse();
            assertThat(Duration.ofNanos(System.nanoTime() - t0)).isGreaterThanOrEqualTo(Duration.ofMillis(200));
            assertThat(c.isDone()).isFalse();
            assertThat(c.await(Duration.ZERO)).as("zero only looks").isFalse();
            proxy.resume();
            assertThat(c.await(Duration.ofSeconds(20))).isTrue();
            assertThat(ch.queueDeclarePassive(q).messageCount()).isEqualTo(1);
            ch.queueDelete(q);
        }
    }

    @Test
    void anInterruptedAwaitLeavesTheMessageInFlightAndItCanBeAwaitedAgain(RabbitBroker broker) throws Exception {
        try (TcpProxy proxy = new TcpProxy(broker.uri());
             BlockingConnection conn = Warren.connect(proxy.uri(broker.uri()));
             BlockingChannel ch = conn.openChannel()) {
            String q = transientQueue(ch, "interrupted");
            proxy.pause();
            DeferredConfirm c = ch.publishDeferred("", q, Message.of(new byte[10]));
            Awaiter awaiter = Awaiter.start(c);
            awaiter.thread().interrupt();
            assertThat(awaiter.outcome()).isInstanceOf(InterruptedException.class);
            proxy.resume();
            c.await();
            assertThat(ch.queueDeclarePassive(q).messageCount()).isEqualTo(1);
            ch.queueDelete(q);
        }
    }

    @Test
    void aSecondThreadAwaitingTheSameConfirmAtOnceIsRefused(RabbitBroker broker) throws Exception {
        try (TcpProxy proxy = new TcpProxy(broker.uri());
             BlockingConnection conn = Warren.connect(proxy.uri(broker.uri()));
             BlockingChannel ch = conn.openChannel()) {
            proxy.pause();
            DeferredConfirm c = ch.publishDeferred("amq.direct", unique("nowhere"), Message.of(new byte[10]));
            Awaiter first = Awaiter.start(c);
            assertThatThrownBy(() -> c.await(Duration.ofSeconds(1))).isInstanceOf(IllegalStateException.class);
            proxy.resume();
            assertThat(first.outcome()).as("the first awaiter got the confirm").isNull();
            assertThat(c.await(Duration.ZERO)).isTrue();
        }
    }

    @Test
    void aRefusedSecondAwaiterLeavesTheFirstOneItsPublishTimeout(RabbitBroker broker) throws Exception {
        Duration timeout = Duration.ofMillis(500);
        try (TcpProxy proxy = new TcpProxy(broker.uri());
             BlockingConnection conn = Warren.connect(ConnectionOptions.of(proxy.uri(broker.uri()))
                     .withPublishTimeout(timeout))) {
            BlockingChannel ch = conn.openChannel();
            ch.publishDeferred("amq.direct", unique("nowhere"), Message.of(new byte[10])).await();
            proxy.pause();
            DeferredConfirm c = ch.publishDeferred("amq.direct", unique("nowhere"), Message.of(new byte[10]));
            Awaiter first = Awaiter.start(c);
            assertThatThrownBy(c::await).isInstanceOf(IllegalStateException.class);
            assertThat(first.outcome()).as("the first awaiter still ends at the publish timeout")
                    .isInstanceOf(PublishTimeoutException.class);
            proxy.cut(); // closing through a frozen link would wait for amqp-client's own timeout
        }
    }

    @Test
    void theConnectionsPublishTimeoutEndsADeferredConfirmThatNeverComes(RabbitBroker broker) throws Exception {
        Duration timeout = Duration.ofMillis(300);
        try (TcpProxy proxy = new TcpProxy(broker.uri())) {
            try (BlockingConnection conn = Warren.connect(ConnectionOptions.of(proxy.uri(broker.uri()))
                    .withPublishTimeout(timeout))) {
                BlockingChannel ch = conn.openChannel();
                ch.publishDeferred("amq.direct", unique("nowhere"), Message.of(new byte[10])).await();
                proxy.pause();
                List<DeferredConfirm> held = new ArrayList<>();
                for (int i = 0; i < 3; i++) {
                    held.add(ch.publishDeferred("amq.direct", unique("nowhere"), Message.of(new byte[10])));
                }
                long t0 = System.nanoTime();
                for (DeferredConfirm c : held) {
                    assertThatThrownBy(c::await).isInstanceOfSatisfying(PublishTimeoutException.class, e -> {
                        assertThat(e.sent()).isTrue();
                        assertThat(e.timeout()).isEqualTo(timeout);
                    });
                }
                assertThat(Duration.ofNanos(System.nanoTime() - t0)).isLessThan(timeout.multipliedBy(10));
                proxy.cut(); // closing through a frozen link would wait for amqp-client's own timeout
            }
        }
    }
}
