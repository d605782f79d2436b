package dev.warren;

import static dev.warren.TestSupport.unique;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.warren.testing.RabbitBroker;
import dev.warren.testing.RabbitExtension;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Consuming a stream queue from each kind of {@link StreamOffset}, over AMQP 0-9-1 (streams are
 * part of the broker since 3.9: the same on 3.10 and 4.0).
 */
@ExtendWith(RabbitExtension.class)
@Timeout(60)
class StreamOffsetTest {
    private BlockingConnection conn;
    private BlockingChannel ch;
    private String stream;

    @BeforeEach
    void declareStreamOfFiveMessages(RabbitBroker broker) throws Exception {
        conn = Warren.connect(broker.uri());
        ch = conn.openChannel();
        stream = ch.queueDeclare(QueueSpec.stream(unique("stream"))).name();
        for (int i = 0; i < 5; i++) {
            ch.publish("", stream, Message.text("m" + i));
        }
    }

    @AfterEach
    void deleteStream() throws Exception {
        try (BlockingChannel cleanup = conn.openChannel()) {
            cleanup.queueDelete(stream);
        } finally {
            conn.close();
        }
    }

    @Test
    void firstStartsAtTheFirstMessage() throws Exception {
        assertThat(read(StreamOffset.first(), 5)).containsExactly("m0", "m1", "m2", "m3", "m4");
    }

    @Test
    void aNumericOffsetStartsAtThatMessageAndEachDeliveryCarriesItsOffset() throws Exception {
        try (Subscription s = ch.consume(stream, ConsumeOptions.defaults().withStreamOffset(StreamOffset.offset(3)))) {
            Delivery d = s.take();
            assertThat(d.bodyAsString()).isEqualTo("m3");
            assertThat(d.header("x-stream-offset")).contains(3L);
            d.ack();
        }
    }

    @Test
    void lastStartsAtTheLastChunk() throws Exception {
        try (Subscription s = ch.consume(stream, ConsumeOptions.defaults().withStreamOffset(StreamOffset.last()))) {
            List<String> seen = new ArrayList<>();
            while (!seen.contains("m4")) {
                Delivery d = s.take();
                seen.add(d.bodyAsString());
                d.ack();
            }
            // A chunk is what the broker wrote at once: never the whole stream of five publishes.
            assertThat(seen).doesNotContain("m0").endsWith("m4");
        }
    }

    @Test
    void nextSkipsWhatTheStreamHeldWhenTheConsumerStarted() throws Exception {
        try (Subscription s = ch.consume(stream, ConsumeOptions.defaults().withStreamOffset(StreamOffset.next()))) {
            ch.publish("", stream, Message.text("later"));
            Delivery d = s.take();
            assertThat(d.bodyAsString()).isEqualTo("later");
            d.ack();
        }
    }

    @Test
    void aTimestampStartsAtTheMessagesWrittenFromThatSecond() throws Exception {
        // The five were written before this second began; AMQP timestamps are whole seconds.
        Instant second = Instant.now().truncatedTo(ChronoUnit.SECONDS).plusSeconds(1);
        assertThat(TestSupport.awaitTrue(() -> !Instant.now().isBefore(second), Duration.ofSeconds(3))).isTrue();
        ch.publish("", stream, Message.text("from then"));
        assertThat(read(StreamOffset.timestamp(second), 1)).containsExactly("from then");
    }

    @Test
    void closingAStreamSubscriptionWithDeliveriesNobodyTookKeepsTheConnectionOpen(RabbitBroker broker)
            throws Exception {
        CountDownLatch arrived = new CountDownLatch(5);
        WarrenObserver counting = new WarrenObserver() {
            @Override
            public void delivered(String queue) {
                arrived.countDown();
            }
        };
        try (BlockingConnection reader = Warren.connect(ConnectionOptions.of(broker.uri()).withObserver(counting));
             BlockingChannel rc = reader.openChannel()) {
            try (Subscription s = rc.consume(stream, ConsumeOptions.defaults().withStreamOffset(StreamOffset.first()))) {
                s.take().ack();
                // The other four wait in the buffer, untaken, when the subscription closes.
                arrived.await();
            }
            // A nack of those (what close does on a classic or quorum queue) would close the
            // connection with 540 NOT_IMPLEMENTED.
            try (BlockingChannel after = reader.openChannel()) {
                assertThat(after.queueDeclarePassive(stream).name()).isEqualTo(stream);
            }
            assertThat(reader.isOpen()).isTrue();
        }
    }

    @Test
    void aStreamRefusesAnAutoAckConsumerWith406() {
        assertThatThrownBy(() -> ch.consume(stream,
                ConsumeOptions.defaults().withAutoAck(true).withStreamOffset(StreamOffset.first())))
                .isInstanceOfSatisfying(ChannelClosedException.class, e -> assertThat(e.replyCode()).isEqualTo(406));
    }

    @Test
    void aNegativeOffsetIsRefusedBeforeAnythingIsSent() {
        assertThatThrownBy(() -> StreamOffset.offset(-1)).isInstanceOf(IllegalArgumentException.class);
    }

    /** The bodies of the first {@code n} deliveries from {@code offset}, each acked. */
    private List<String> read(StreamOffset offset, int n) throws Exception {
        List<String> bodies = new ArrayList<>();
        try (Subscription s = ch.consume(stream, ConsumeOptions.defaults().withStreamOffset(offset))) {
            while (bodies.size() < n) {
                Delivery d = s.take();
                bodies.add(d.bodyAsString());
                d.ack();
            }
        }
        return bodies;
    }
}
