package dev.warren;

import static dev.warren.TestSupport.awaitParkedIn;
import static dev.warren.TestSupport.unique;
import static dev.warren.TestSupport.withCredentials;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.warren.testing.BrokerAdmin;
import dev.warren.testing.RabbitBroker;
import dev.warren.testing.RabbitExtension;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordingStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/** Warren's JFR events, read back from a recording stream: one of each kind, with its fields. */
@ExtendWith(RabbitExtension.class)
@Timeout(60)
class JfrEventsTest {
    private static final String[] EVENTS = {"dev.warren.Publish", "dev.warren.Call", "dev.warren.Take",
        "dev.warren.Handle", "dev.warren.ChannelClosed"};

    private final List<RecordedEvent> events = new CopyOnWriteArrayList<>();
    private RecordingStream stream;

    @BeforeEach
    void startRecording() throws InterruptedException {
        stream = new RecordingStream();
        CountDownLatch started = new CountDownLatch(1);
        for (String e : EVENTS) {
            stream.enable(e).withoutThreshold();
            stream.onEvent(e, events::add);
        }
        stream.onFlush(started::countDown);
        stream.startAsync();
        assertThat(started.await(20, TimeUnit.SECONDS)).as("the recording stream flushed").isTrue();
    }

    @AfterEach
    void stopRecording() {
        stream.close();
    }

    /** Waits for the stream to deliver an event of this type that {@code test} accepts. */
    private RecordedEvent awaitEvent(String type, Predicate<RecordedEvent> test) {
        RecordedEvent[] found = new RecordedEvent[1];
        boolean seen = TestSupport.awaitTrue(() -> {
            for (RecordedEvent e : events) {
                if (e.getEventType().getName().equals(type) && test.test(e)) {
                    found[0] = e;
                    return true;
                }
            }
            return false;
        }, Duration.ofSeconds(20));
        assertThat(seen).as("a %s event; got %s", type, events).isTrue();
        return found[0];
    }

    @Test
    void publishIsRecordedWithItsExchangeRoutingKeySizeAndAck(RabbitBroker broker) throws Exception {
        try (BlockingConnection conn = Warren.connect(ConnectionOptions.of(broker.uri()).withConnectionName("jfr-pub"));
                BlockingChannel ch = conn.openChannel()) {
            String q = ch.queueDeclare(QueueSpec.named(unique("jfr-pub")).withDurable(false).withAutoDelete(true))
                    .name();
            ch.publish("", q, new byte[123]);
            RecordedEvent e = awaitEvent("dev.warren.Publish", r -> q.equals(r.getString("routingKey")));
            assertThat(e.getString("exchange")).isEmpty();
            assertThat(e.getInt("size")).isEqualTo(123);
            assertThat(e.getString("outcome")).isEqualTo("ack");
            assertThat(e.getString("connection")).isEqualTo("jfr-pub");
            assertThat(e.getInt("channel")).isEqualTo(ch.channelNumber());
            assertThat(e.getDuration().toNanos()).isPositive();
            ch.queueDelete(q);
        }
    }

    /** Before: an unnamed connection's events had no connection at all. */
    @Test
    void anUnnamedConnectionIsNamedInItsEvents(RabbitBroker broker) throws Exception {
        try (BlockingConnection conn = Warren.connect(broker.uri()); BlockingChannel ch = conn.openChannel()) {
            String q = ch.queueDeclare(QueueSpec.named(unique("jfr-unnamed")).withDurable(false).withAutoDelete(true))
                    .name();
            ch.publish("", q, new byte[1]);
            RecordedEvent e = awaitEvent("dev.warren.Publish", r -> q.equals(r.getString("routingKey")));
            assertThat(e.getString("connection")).startsWith("unnamed-").contains(" to ");
            ch.queueDelete(q);
        }
    }

    @Test
    void nackedPublishIsRecordedAsNack(RabbitBroker broker) throws Exception {
        try (BlockingConnection conn = Warren.connect(broker.uri()); BlockingChannel ch = conn.openChannel()) {
            String q = ch.queueDeclare(QueueSpec.named(unique("jfr-nack")).withDurable(false).withAutoDelete(true)
                    .withMaxLength(1).withOverflow(QueueSpec.Overflow.REJECT_PUBLISH)).name();
            ch.publish("", q, "first".getBytes());
            assertThatThrownBy(() -> ch.publish("", q, "second".getBytes()))
                    .isInstanceOf(PublishNackedException.class);
            RecordedEvent e = awaitEvent("dev.warren.Publish",
                    r -> q.equals(r.getString("routingKey")) && r.getInt("size") == "second".length());
            assertThat(e.getString("outcome")).isEqualTo("nack");
            ch.queueDelete(q);
        }
    }

    @Test
    void callIsRecordedWithItsOutcomeAndHandlerRunToo(RabbitBroker broker) throws Exception {
        try (BlockingConnection conn = Warren.connect(broker.uri()); BlockingChannel client = conn.openChannel();
                BlockingChannel server = conn.openChannel()) {
            String q = server.queueDeclare(QueueSpec.named(unique("jfr-rpc")).withDurable(false).withAutoDelete(true))
                    .name();
            server.fork(() -> server.serve(q, req -> Message.text("re:" + req.bodyAsString())));
            Delivery reply = client.call("", q, Message.text("ping"), Duration.ofSeconds(10));
            assertThat(reply.bodyAsString()).isEqualTo("re:ping");
            RecordedEvent call = awaitEvent("dev.warren.Call", r -> q.equals(r.getString("routingKey")));
            assertThat(call.getString("exchange")).isEmpty();
            assertThat(call.getString("outcome")).isEqualTo("reply");
            assertThat(call.getInt("channel")).isEqualTo(client.channelNumber());
            assertThat(call.getDuration().toNanos()).isPositive();
            RecordedEvent handle = awaitEvent("dev.warren.Handle", r -> q.equals(r.getString("queue")));
            assertThat(handle.getBoolean("serve")).isTrue();
            assertThat(handle.getString("outcome")).isEqualTo("ack");
            assertThat(handle.getInt("channel")).isEqualTo(server.channelNumber());
        }
    }

    @Test
    void blockedTakeIsRecordedWithTheTimeItWaited(RabbitBroker broker) throws Exception {
        try (BlockingConnection conn = Warren.connect(broker.uri()); BlockingChannel ch = conn.openChannel()) {
            String q = ch.queueDeclare(QueueSpec.named(unique("jfr-take")).withDurable(false).withAutoDelete(true))
                    .name();
            try (Subscription s = ch.consume(q)) {
                Thread[] taker = new Thread[1];
                CountDownLatch forked = new CountDownLatch(1);
                Subtask<Delivery> take = ch.fork(() -> {
                    taker[0] = Thread.currentThread();
                    forked.countDown();
                    return s.take();
                });
                forked.await();
                awaitParkedIn(taker[0], "awaitNext");
                long parkedAt = System.nanoTime();
                ch.publish("", q, "x".getBytes());
                ch.join();
                long atLeast = System.nanoTime() - parkedAt;
                take.get().ack();
                RecordedEvent e = awaitEvent("dev.warren.Take", r -> q.equals(r.getString("queue")));
                assertThat(e.getString("outcome")).isEqualTo("delivery");
                assertThat(e.getInt("channel")).isEqualTo(ch.channelNumber());
                // It waited at least from the moment it was seen parked until it had its delivery.
                assertThat(e.getDuration().toNanos()).isGreaterThan(0).isLessThan(Duration.ofSeconds(20).toNanos());
                assertThat(e.getThread().getJavaName()).isEqualTo(taker[0].getName());
                assertThat(atLeast).isPositive();
            }
            ch.queueDelete(q);
        }
    }

    @Test
    void accessRefusedCloseIsRecordedWithMethodFailedOperationsAndCancelledSubtasks(RabbitBroker broker,
            BrokerAdmin admin) throws Exception {
        String user = "warren-jfr-" + System.nanoTime();
        String password = "pw-" + System.nanoTime();
        admin.addUser(user, password, "", ".*", ".*");
        String q;
        try (BlockingConnection guest = Warren.connect(broker.uri()); BlockingChannel ch = guest.openChannel()) {
            q = ch.queueDeclare(QueueSpec.named(unique("jfr-403")).withDurable(false)).name();
        }
        try (BlockingConnection conn = Warren.connect(ConnectionOptions.of(withCredentials(broker.uri(), user, password)))) {
            BlockingChannel ch = conn.openChannel();
            Subscription s = ch.consume(q);
            CountDownLatch asleep = new CountDownLatch(3);
            for (int i = 0; i < 3; i++) {
                TestSupport.sleeper(ch, asleep);
            }
            asleep.await();
            List<Thread> takers = new CopyOnWriteArrayList<>();
            for (int i = 0; i < 2; i++) {
                ch.fork(() -> {
                    takers.add(Thread.currentThread());
                    return s.take();
                });
            }
            TestSupport.awaitTrue(() -> takers.size() == 2, Duration.ofSeconds(10));
            takers.forEach(t -> awaitParkedIn(t, "awaitNext"));
            // The declare is refused: the close fails it and both takes, and cancels all five subtasks.
            assertThatThrownBy(() -> ch.queueDeclare(QueueSpec.named(unique("jfr-forbidden")).withDurable(false)))
                    .isInstanceOfSatisfying(ChannelClosedException.class, c -> assertThat(c.replyCode()).isEqualTo(403));
            RecordedEvent e = awaitEvent("dev.warren.ChannelClosed", r -> r.getInt("replyCode") == 403
                    && r.getInt("channel") == ch.channelNumber());
            assertThat(e.getString("replyText")).startsWith("ACCESS_REFUSED");
            assertThat(e.getString("failedMethod")).isEqualTo("queue.declare");
            assertThat(e.getBoolean("initiatedByBroker")).isTrue();
            assertThat(e.getInt("failedOperations")).isEqualTo(3);
            assertThat(e.getInt("cancelledSubtasks")).isEqualTo(5);
            ch.close();
        } finally {
            admin.deleteUser(user);
            try (BlockingConnection guest = Warren.connect(broker.uri()); BlockingChannel ch = guest.openChannel()) {
                ch.queueDelete(q);
            }
        }
    }
}
