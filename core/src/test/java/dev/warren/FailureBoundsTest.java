package dev.warren;

import static dev.warren.TestSupport.unique;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.rabbitmq.client.GetResponse;
import dev.warren.testing.BrokerAdmin;
import dev.warren.testing.RabbitBroker;
import dev.warren.testing.RabbitExtension;
import dev.warren.testing.TcpProxy;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/** Every failure a Warren type, every wait bounded, every input checked before anything is sent. */
@ExtendWith(RabbitExtension.class)
@Timeout(60)
class FailureBoundsTest {

    @Test
    void aLostConnectionIsAClosedExceptionForEveryLaterCall(RabbitBroker broker) throws Exception {
        try (TcpProxy proxy = new TcpProxy(broker.uri());
                BlockingConnection conn = Warren.connect(proxy.uri(broker.uri()))) {
            BlockingChannel ch = conn.openChannel();
            String q = ch.queueDeclare(QueueSpec.serverNamed()).name();
            proxy.cut();
            // Whichever the client notices first, the reset or the shutdown: never an UncheckedIOException.
            assertThat(TestSupport.caught(() -> ch.publish("", q, new byte[1]))).isInstanceOf(ClosedException.class);
            assertThat(TestSupport.caught(() -> ch.consume(q))).isInstanceOf(ClosedException.class);
            assertThat(TestSupport.caught(conn::openChannel)).isInstanceOf(ConnectionClosedException.class);
        }
    }

    @Test
    void publishAllRefusesABatchWithAnUnencodableMessageBeforeSendingAny(RabbitBroker broker) throws Exception {
        try (BlockingConnection conn = Warren.connect(broker.uri()); BlockingChannel ch = conn.openChannel()) {
            String q = ch.queueDeclare(QueueSpec.named(unique("batch")).durable(false).autoDelete(false)).name();
            List<Message> batch = List.of(Message.text("a"), Message.text("b").withHeader("id", UUID.randomUUID()),
                    Message.text("c"));
            assertThatThrownBy(() -> ch.publishAll("", q, batch)).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("java.util.UUID");
            assertThat(ch.queueDeclarePassive(q).messageCount()).isZero();
            PublishBatch ok = ch.publishAll("", q, List.of(Message.text("a"), Message.text("c")));
            assertThat(ok.allConfirmed()).isTrue();
            ch.queueDelete(q);
        }
    }

    @Test
    void aMandatoryMessageReachesItsConsumerWithoutAnyHeaderAdded(RabbitBroker broker) throws Exception {
        try (BlockingConnection conn = Warren.connect(broker.uri()); BlockingChannel ch = conn.openChannel()) {
            String q = ch.queueDeclare(QueueSpec.named(unique("mandatory")).durable(false).autoDelete(false)).name();
            ch.publish("", q, Message.text("as sent").withMandatory(true));
            GetResponse raw = conn.unwrap().createChannel().basicGet(q, true);
            assertThat(raw).isNotNull();
            assertThat(raw.getProps().getHeaders()).isNull();
            assertThatThrownBy(() -> ch.publish("", unique("nowhere"), Message.text("lost").withMandatory(true)))
                    .isInstanceOf(UnroutableException.class);
            ch.queueDelete(q);
        }
    }

    @Test
    void closingAConnectionClosesItsChannelsInParallelWithinItsBound(RabbitBroker broker) throws Exception {
        try (TcpProxy proxy = new TcpProxy(broker.uri())) {
            BlockingConnection conn = Warren.connect(ConnectionOptions.of(proxy.uri(broker.uri()))
                    .withConnectTimeout(Duration.ofSeconds(1)));
            List<BlockingChannel> channels = new ArrayList<>();
            for (int i = 0; i < 6; i++) {
                channels.add(conn.openChannel());
            }
            // No close-ok will come: each channel's close waits for its bound, all of them at once.
            proxy.pause();
            long start = System.nanoTime();
            conn.close();
            Duration took = Duration.ofNanos(System.nanoTime() - start);
            assertThat(took).as("6 channels one after another would take 6 s or more").isLessThan(Duration.ofSeconds(5));
            assertThat(conn.isOpen()).isFalse();
            assertThat(channels).noneMatch(BlockingChannel::isOpen);
        }
    }

    @Test
    void anUnknownExchangeTypeClosesTheConnectionWith503On3xAndOnlyTheChannelWith406On4x(RabbitBroker broker)
            throws Exception {
        boolean on4x = BrokerVersion.of(broker.uri()).is4x();
        BlockingConnection conn = Warren.connect(broker.uri());
        try (BlockingChannel ch = conn.openChannel()) {
            Class<? extends ClosedException> expected = on4x ? ChannelClosedException.class : ConnectionClosedException.class;
            assertThatThrownBy(() -> ch.exchangeDeclare(ExchangeSpec.of(unique("bogus"), "bogus").withDurable(false)))
                    .isInstanceOf(expected)
                    .isInstanceOfSatisfying(ClosedException.class, e -> {
                        assertThat(e.replyCode()).isEqualTo(on4x ? 406 : 503);
                        assertThat(e.failedMethod()).isEqualTo("exchange.declare");
                    });
            assertThat(ch.isOpen()).isFalse();
            assertThat(conn.isOpen()).isEqualTo(on4x);
        } finally {
            conn.close();
        }
    }

    @Test
    void aSynchronousMethodDuringAMemoryAlarmEndsAtTheOperationTimeoutAndCloseStaysBounded() throws Exception {
        // A memory alarm acts on the whole broker: only on one this JVM started.
        RabbitBroker broker = RabbitBroker.privateNode();
        BrokerAdmin admin = broker.admin();
        try (BlockingConnection conn = Warren.connect(ConnectionOptions.of(broker.uri())
                .withOperationTimeout(Duration.ofSeconds(2)).withConnectTimeout(Duration.ofSeconds(2)))) {
            BlockingChannel ch = conn.openChannel();
            String q = ch.queueDeclare(QueueSpec.named(unique("alarm")).withDurable(false)
                    .withAutoDelete(true)).name();
            Subscription sub = ch.consume(q);
            java.util.concurrent.CountDownLatch blocked = new java.util.concurrent.CountDownLatch(1);
            conn.unwrap().addBlockedListener(reason -> blocked.countDown(), () -> { });
            try {
                admin.raiseMemoryAlarm();
                // The broker blocks a connection that publishes, and then reads nothing more from it.
                conn.unwrap().createChannel().basicPublish("", q, null, new byte[] {1});
                assertThat(blocked.await(20, java.util.concurrent.TimeUnit.SECONDS)).isTrue();
                long start = System.nanoTime();
                assertThatThrownBy(() -> ch.queueDeclare(QueueSpec.serverNamed()))
                        .isInstanceOfSatisfying(ChannelClosedException.class, e -> {
                            assertThat(e.initiatedByBroker()).isFalse();
                            assertThat(e.replyText()).contains("client-side timeout");
                        });
                long closing = System.nanoTime();
                sub.close();
                ch.close();
                long end = System.nanoTime();
                assertThat(Duration.ofNanos(closing - start)).isLessThan(Duration.ofSeconds(6));
                assertThat(Duration.ofNanos(end - closing)).as("closes are bounded").isLessThan(Duration.ofSeconds(6));
            } finally {
                admin.clearMemoryAlarm();
            }
        }
    }
}
