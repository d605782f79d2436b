package dev.warren;

import dev.warren.testing.TcpProxy;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.rabbitmq.client.ConfirmListener;
import com.rabbitmq.client.GetResponse;
import dev.warren.testing.BrokerAdmin;
import dev.warren.testing.RabbitBroker;
import dev.warren.testing.RabbitExtension;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/** Confirmed publishing against a real broker. */
@ExtendWith(RabbitExtension.class)
@Timeout(60)
class PublishTest {

    private static String unique(String what) {
        return TestSupport.unique("publish." + what);
    }

    @Test
    void thousandThreadsPublishTenThousandMessagesEachExactlyOnce(RabbitBroker broker) throws Exception {
        try (BlockingConnection conn = Warren.connect(broker.uri()); BlockingChannel ch = conn.openChannel()) {
            String q = ch.queueDeclare(QueueSpec.named(unique("bulk")).withDurable(false).withAutoDelete(false)).name();
            try (ExecutorService exec = Executors.newVirtualThreadPerTaskExecutor()) {
                List<Future<?>> all = new ArrayList<>();
                for (int t = 0; t < 1000; t++) {
                    int thread = t;
                    all.add(exec.submit(() -> {
                        for (int i = 0; i < 10; i++) {
                            ch.publish("", q, (thread + "-" + i).getBytes(StandardCharsets.UTF_8));
                        }
                        return null;
                    }));
                }
                for (Future<?> f : all) {
                    f.get();
                }
            }
            assertThat(ch.unconfirmedCount()).isZero();
            assertThat(ch.queueDeclarePassive(q).messageCount()).isEqualTo(10_000);
            Set<String> seen = new HashSet<>();
            GetResponse r;
            while ((r = ch.unwrap().basicGet(q, true)) != null) {
                assertThat(seen.add(new String(r.getBody(), StandardCharsets.UTF_8))).isTrue();
            }
            assertThat(seen).hasSize(10_000);
            ch.queueDelete(q);
        }
    }

    @Test
    void overflowOfRejectPublishQueueIsNacked(RabbitBroker broker) throws Exception {
        try (BlockingConnection conn = Warren.connect(broker.uri()); BlockingChannel ch = conn.openChannel()) {
            String q = ch.queueDeclare(QueueSpec.named(unique("nack")).withDurable(false).withAutoDelete(true)
                    .withMaxLength(1).withOverflow(QueueSpec.Overflow.REJECT_PUBLISH)).name();
            ch.publish("", q, "first".getBytes());
            assertThatThrownBy(() -> ch.publish("", q, "second".getBytes()))
                    .isInstanceOfSatisfying(PublishNackedException.class, e -> {
                        assertThat(e.routingKey()).isEqualTo(q);
                        assertThat(e.exchange()).isEmpty();
                    });
            // The channel survives a nack.
            assertThat(ch.isOpen()).isTrue();
            assertThat(ch.queuePurge(q)).isEqualTo(1);
            ch.publish("", q, "third".getBytes());
            ch.queueDelete(q);
        }
    }

    @Test
    void unroutableMandatoryMessagesFailOnlyTheirOwnCallers(RabbitBroker broker) throws Exception {
        try (BlockingConnection conn = Warren.connect(broker.uri()); BlockingChannel ch = conn.openChannel()) {
            String q = ch.queueDeclare(QueueSpec.named(unique("routable")).withDurable(false).withAutoDelete(false)).name();
            ch.queueBind(q, "amq.direct", q);
            int n = 400;
            ConcurrentHashMap<Integer, Throwable> outcome = new ConcurrentHashMap<>();
            CountDownLatch start = new CountDownLatch(1);
            try (ExecutorService exec = Executors.newVirtualThreadPerTaskExecutor()) {
                for (int i = 0; i < n; i++) {
                    int id = i;
                    exec.submit(() -> {
                        start.await();
                        String key = id % 2 == 0 ? q : "warren.unbound." + id;
                        try {
                            ch.publish("amq.direct", key, Message.text("m" + id).withMandatory(true));
                            outcome.put(id, new NullPointerException("none"));
                        } catch (Throwable t) {
                            outcome.put(id, t);
                        }
                        return null;
                    });
                }
                start.countDown();
            }
            for (int i = 0; i < n; i++) {
                Throwable t = outcome.get(i);
                if (i % 2 == 0) {
                    assertThat(t).as("message %d", i).isInstanceOf(NullPointerException.class).hasMessage("none");
                } else {
                    int id = i;
                    assertThat(t).as("message %d", i).isInstanceOfSatisfying(UnroutableException.class, e -> {
                        assertThat(e.replyCode()).isEqualTo(312);
                        assertThat(e.replyText()).isEqualTo("NO_ROUTE");
                        assertThat(e.routingKey()).isEqualTo("warren.unbound." + id);
                    });
                }
            }
            assertThat(ch.queueDeclarePassive(q).messageCount()).isEqualTo(n / 2);
            ch.queueDelete(q);
        }
    }

    @Test
    void publishersWaitDuringMemoryAlarmAndCompleteAfterIt() throws Exception {
        // A memory alarm acts on the whole broker: only on one this JVM started.
        RabbitBroker broker = RabbitBroker.privateNode();
        BrokerAdmin admin = broker.admin();
        try (BlockingConnection conn = Warren.connect(broker.uri()); BlockingChannel ch = conn.openChannel()) {
            String q = ch.queueDeclare(QueueSpec.named(unique("alarm")).withDurable(false).withAutoDelete(false)).name();
            int n = 20;
            List<Future<?>> publishes = new ArrayList<>();
            try (ExecutorService exec = Executors.newVirtualThreadPerTaskExecutor()) {
                try {
                    admin.raiseMemoryAlarm();
                    for (int i = 0; i < n; i++) {
                        publishes.add(exec.submit(() -> {
                            ch.publish("", q, new byte[100]);
                            return null;
                        }));
                    }
                    assertThat(TestSupport.awaitTrue(conn::isBlocked, Duration.ofSeconds(30))).as("connection blocked").isTrue();
                    // Blocked: no publish can have been confirmed, since the broker stopped reading.
                    assertThat(publishes).noneMatch(Future::isDone);
                } finally {
                    admin.clearMemoryAlarm();
                }
                for (Future<?> f : publishes) {
                    f.get(30, TimeUnit.SECONDS);
                }
            }
            assertThat(conn.isBlocked()).isFalse();
            assertThat(ch.queueDeclarePassive(q).messageCount()).isEqualTo(n);
            ch.queueDelete(q);
        }
    }

    @Test
    void publishTimesOutWhileTheConnectionIsBlocked() throws Exception {
        RabbitBroker broker = RabbitBroker.privateNode();
        BrokerAdmin admin = broker.admin();
        Duration timeout = Duration.ofMillis(1500);
        ConnectionOptions options = ConnectionOptions.of(broker.uri()).withPublishTimeout(timeout);
        try (BlockingConnection conn = Warren.connect(options); BlockingChannel ch = conn.openChannel()) {
            try {
                admin.raiseMemoryAlarm();
                // The broker blocks a connection once it publishes: here on a raw channel of its own,
                // so that every publish below finds the connection blocked before it writes.
                conn.unwrap().createChannel().basicPublish("", unique("nowhere"), null, new byte[1]);
                assertThat(TestSupport.awaitTrue(conn::isBlocked, Duration.ofSeconds(30))).as("connection blocked").isTrue();
                long nextSeqNo = ch.unwrap().getNextPublishSeqNo();
                List<Future<Long>> publishes = new ArrayList<>();
                try (ExecutorService exec = Executors.newVirtualThreadPerTaskExecutor()) {
                    for (int i = 0; i < 10; i++) {
                        publishes.add(exec.submit(() -> {
                            long t0 = System.nanoTime();
                            try {
                                ch.publish("amq.direct", "warren.nowhere", new byte[10]);
                                return -1L;
                            } catch (PublishTimeoutException e) {
                                assertThat(e.sent()).as("sent").isFalse();
                                assertThat(e.timeout()).isEqualTo(timeout);
                                assertThat(e.getMessage()).contains("blocked the connection").contains("not sent");
                                return System.nanoTime() - t0;
                            }
                        }));
                    }
                    for (Future<Long> f : publishes) {
                        long took = f.get(30, TimeUnit.SECONDS);
                        assertThat(took).as("publish must time out").isPositive();
                        assertThat(Duration.ofNanos(took)).isBetween(timeout.minusMillis(50), timeout.multipliedBy(4));
                    }
                }
                // Nothing was written: no sequence number was taken, nothing waits for a confirm.
                assertThat(ch.unwrap().getNextPublishSeqNo()).isEqualTo(nextSeqNo);
                assertThat(ch.unconfirmedCount()).isZero();
            } finally {
                admin.clearMemoryAlarm();
            }
        }
    }

    @Test
    void publishTimesOutWaitingForRoomUnderTheUnconfirmedBound(RabbitBroker broker) throws Exception {
        Duration timeout = Duration.ofMillis(300);
        try (TcpProxy proxy = new TcpProxy(broker.uri())) {
            ConnectionOptions options = ConnectionOptions.of(proxy.uri(broker.uri()))
                    .withPublishTimeout(timeout).withMaxUnconfirmed(1);
            try (BlockingConnection conn = Warren.connect(options)) {
                BlockingChannel ch = conn.openChannel();
                proxy.pause(); // the first message goes out, its confirm never comes back
                assertThatThrownBy(() -> ch.publish("amq.direct", "warren.nowhere", new byte[10]))
                        .isInstanceOfSatisfying(PublishTimeoutException.class, e -> assertThat(e.sent()).isTrue());
                // It keeps the only room until its confirm or the close.
                assertThat(ch.unconfirmedCount()).isEqualTo(1);
                long nextSeqNo = ch.unwrap().getNextPublishSeqNo();
                long t0 = System.nanoTime();
                assertThatThrownBy(() -> ch.publish("amq.direct", "warren.nowhere", new byte[10]))
                        .isInstanceOfSatisfying(PublishTimeoutException.class, e -> {
                            assertThat(e.sent()).isFalse();
                            assertThat(e.timeout()).isEqualTo(timeout);
                            assertThat(e.getMessage()).contains("room under the bound of 1").contains("not sent");
                        });
                assertThat(Duration.ofNanos(System.nanoTime() - t0)).isBetween(timeout, timeout.multipliedBy(10));
                assertThat(ch.unwrap().getNextPublishSeqNo()).as("the second message was never written").isEqualTo(nextSeqNo);
                assertThat(ch.unconfirmedCount()).isEqualTo(1);
                proxy.cut(); // closing through a frozen link would wait for amqp-client's own timeout
                ch.close();
            }
        }
    }

    @Test
    void publishTimesOutWaitingForAConfirmThatNeverComes(RabbitBroker broker) throws Exception {
        Duration timeout = Duration.ofMillis(300);
        try (TcpProxy proxy = new TcpProxy(broker.uri())) {
            ConnectionOptions options = ConnectionOptions.of(proxy.uri(broker.uri())).withPublishTimeout(timeout);
            try (BlockingConnection conn = Warren.connect(options)) {
                BlockingChannel ch = conn.openChannel();
                ch.publish("amq.direct", "warren.nowhere", new byte[10]); // the confirm path works
                assertThat(ch.publishTimeoutsAlive()).isTrue();
                proxy.pause(); // the message goes out, its confirm never comes back
                long t0 = System.nanoTime();
                assertThatThrownBy(() -> ch.publish("amq.direct", "warren.nowhere", new byte[10]))
                        .isInstanceOfSatisfying(PublishTimeoutException.class, e -> {
                            assertThat(e.sent()).isTrue();
                            assertThat(e.timeout()).isEqualTo(timeout);
                        });
                assertThat(Duration.ofNanos(System.nanoTime() - t0)).isBetween(timeout, timeout.multipliedBy(10));
                // The message stays unconfirmed (and counted) until the channel closes.
                assertThat(ch.unconfirmedCount()).isEqualTo(1);
                proxy.cut(); // closing through a frozen link would wait for amqp-client's own timeout
                ch.close();
                assertThat(TestSupport.awaitTrue(() -> !ch.publishTimeoutsAlive(), Duration.ofSeconds(10))).isTrue();
            }
        }
    }

    @Test
    void forcedConnectionCloseFailsEveryUnconfirmedPublish() throws Exception {
        // A memory alarm acts on the whole broker: only on one this JVM started.
        RabbitBroker broker = RabbitBroker.privateNode();
        BrokerAdmin admin = broker.admin();
        String name = unique("forced");
        ConnectionOptions options = ConnectionOptions.of(broker.uri()).withConnectionName(name);
        BlockingConnection conn = Warren.connect(options);
        BlockingChannel ch = conn.openChannel();
        List<Future<Throwable>> publishes = new ArrayList<>();
        try (ExecutorService exec = Executors.newVirtualThreadPerTaskExecutor()) {
            try {
                // Under an alarm the broker stops reading, so the publishes stay unconfirmed.
                admin.raiseMemoryAlarm();
                for (int i = 0; i < 500; i++) {
                    publishes.add(exec.submit(() -> {
                        try {
                            ch.publish("amq.direct", "warren.nowhere", new byte[10]);
                            return null;
                        } catch (Throwable t) {
                            return t;
                        }
                    }));
                }
                assertThat(TestSupport.awaitTrue(() -> ch.unconfirmedCount() == 500 || conn.isBlocked(),
                        Duration.ofSeconds(30))).as("publishes in flight").isTrue();
                admin.closeConnection(name, "test closes it");
            } finally {
                admin.clearMemoryAlarm();
            }
            int closed = 0;
            for (Future<Throwable> f : publishes) {
                Throwable t = f.get(30, TimeUnit.SECONDS);
                assertThat(t).isInstanceOfSatisfying(ConnectionClosedException.class, e -> {
                    assertThat(e.replyCode()).isEqualTo(320);
                    assertThat(e.replyText()).contains("CONNECTION_FORCED");
                    assertThat(e.initiatedByBroker()).isTrue();
                });
                closed++;
            }
            assertThat(closed).isEqualTo(500);
        } finally {
            ch.close();
            conn.close();
        }
    }

    @Test
    void boundOnUnconfirmedMessagesIsNeverExceeded(RabbitBroker broker) throws Exception {
        int bound = 8;
        ConnectionOptions options = ConnectionOptions.of(broker.uri()).withMaxUnconfirmed(bound);
        try (BlockingConnection conn = Warren.connect(options); BlockingChannel ch = conn.openChannel()) {
            String q = ch.queueDeclare(QueueSpec.named(unique("bound")).withDurable(false).withAutoDelete(false)).name();
            // Observed on the wire, independently of Warren's own count: when an ack for tag T
            // reaches this listener (after Warren's), Warren has settled exactly up to T (one
            // queue, transient messages: acks come in order), so the sequence numbers written by
            // then, minus T, are what is unconfirmed.
            AtomicInteger worst = new AtomicInteger();
            ch.unwrap().addConfirmListener(new ConfirmListener() {
                @Override
                public void handleAck(long tag, boolean multiple) {
                    long written = ch.unwrap().getNextPublishSeqNo() - 1;
                    worst.accumulateAndGet((int) (written - tag), Math::max);
                }

                @Override
                public void handleNack(long tag, boolean multiple) {
                    handleAck(tag, multiple);
                }
            });
            AtomicInteger worstCounted = new AtomicInteger();
            CountDownLatch done = new CountDownLatch(1);
            Thread sampler = Thread.ofPlatform().start(() -> {
                while (done.getCount() > 0) {
                    worstCounted.accumulateAndGet(ch.unconfirmedCount(), Math::max);
                }
            });
            try (ExecutorService exec = Executors.newVirtualThreadPerTaskExecutor()) {
                for (int t = 0; t < 100; t++) {
                    exec.submit(() -> {
                        for (int i = 0; i < 20; i++) {
                            ch.publish("", q, new byte[64]);
                        }
                        return null;
                    });
                }
            }
            done.countDown();
            sampler.join();
            assertThat(worst.get()).isBetween(0, bound);
            assertThat(worstCounted.get()).isBetween(1, bound);
            assertThat(ch.queueDeclarePassive(q).messageCount()).isEqualTo(2000);
            ch.queueDelete(q);
        }
    }

    @Test
    void publishAllReportsEachFailureByIndex(RabbitBroker broker) throws Exception {
        try (BlockingConnection conn = Warren.connect(broker.uri()); BlockingChannel ch = conn.openChannel()) {
            String q = ch.queueDeclare(QueueSpec.named(unique("batch")).withDurable(false).withAutoDelete(false)
                    .withMaxLength(3).withOverflow(QueueSpec.Overflow.REJECT_PUBLISH)).name();
            List<Message> batch = new ArrayList<>();
            for (int i = 0; i < 5; i++) {
                batch.add(Message.text("m" + i));
            }
            PublishBatch result = ch.publishAll("", q, batch);
            assertThat(result.size()).isEqualTo(5);
            assertThat(result.confirmed()).isEqualTo(3);
            assertThat(result.failures()).containsOnlyKeys(3, 4);
            assertThat(result.failures().values()).allMatch(e -> e instanceof PublishNackedException);
            ch.queueDelete(q);
        }
    }

    @Test
    void publishToMissingExchangeClosesTheChannelWith404(RabbitBroker broker) throws Exception {
        try (BlockingConnection conn = Warren.connect(broker.uri()); BlockingChannel ch = conn.openChannel()) {
            assertThatThrownBy(() -> ch.publish("warren.no-such-exchange", "k", new byte[1]))
                    .isInstanceOfSatisfying(ChannelClosedException.class, e -> {
                        assertThat(e.replyCode()).isEqualTo(404);
                        assertThat(e.failedMethod()).isEqualTo("basic.publish");
                    });
            assertThatThrownBy(() -> ch.publish("", "k", new byte[1])).isInstanceOf(ChannelClosedException.class);
            assertThat(conn.isOpen()).isTrue();
        }
    }

    @Test
    void badPublishArgumentsAreRejectedBeforeAnythingIsSent(RabbitBroker broker) throws Exception {
        try (BlockingConnection conn = Warren.connect(broker.uri()); BlockingChannel ch = conn.openChannel()) {
            assertThatThrownBy(() -> ch.publish(null, "k", new byte[1])).isInstanceOf(NullPointerException.class);
            assertThatThrownBy(() -> ch.publish("", null, new byte[1])).isInstanceOf(NullPointerException.class);
            assertThatThrownBy(() -> ch.publish("", "k", (byte[]) null)).isInstanceOf(NullPointerException.class);
            assertThatThrownBy(() -> ch.publish("", "k".repeat(256), new byte[1]))
                    .isInstanceOf(IllegalArgumentException.class);
            assertThatThrownBy(() -> Message.of(new byte[0]).withPriority(256))
                    .isInstanceOf(IllegalArgumentException.class);
            assertThat(ch.unwrap().getNextPublishSeqNo()).isEqualTo(1);
            assertThat(ch.isOpen()).isTrue();
        }
    }
}
