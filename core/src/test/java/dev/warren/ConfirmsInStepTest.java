package dev.warren;

import static dev.warren.TestSupport.unique;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.warren.testing.RabbitBroker;
import dev.warren.testing.RabbitExtension;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * What amqp-client cannot encode is refused before a sequence number is taken or a reply is
 * registered, so the channel stays in step: later confirms go to their own messages, and the
 * next synchronous method gets its own reply. No publish timeout is set: a shifted confirm
 * would hang the last publisher for good (and the test at its timeout).
 */
@ExtendWith(RabbitExtension.class)
@Timeout(60)
class ConfirmsInStepTest {
    private BlockingConnection conn;
    private BlockingChannel ch;
    private String rejecting;
    private String open;

    @BeforeEach
    void setUp(RabbitBroker broker) throws Exception {
        conn = Warren.connect(broker.uri());
        ch = conn.openChannel();
        rejecting = ch.queueDeclare(QueueSpec.named(unique("full")).durable(false).autoDelete(true).maxLength(0)
                .overflow(QueueSpec.Overflow.REJECT_PUBLISH)).name();
        open = ch.queueDeclare(QueueSpec.named(unique("open")).durable(false).autoDelete(true)).name();
    }

    @AfterEach
    void tearDown() {
        conn.close();
    }

    @Test
    void aHeaderOfAnUnencodableTypeIsRefusedAndConfirmsStayInStep() throws Exception {
        assertThatThrownBy(() -> ch.publish("", open, Message.text("x").withHeader("id", UUID.randomUUID())))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("java.util.UUID");
        assertConfirmsInStep();
    }

    @Test
    void headersLargerThanTheFrameMaxAreRefusedAndConfirmsStayInStep() throws Exception {
        int frameMax = conn.unwrap().getFrameMax();
        assertThat(frameMax).isPositive();
        assertThatThrownBy(() -> ch.publish("", open, Message.text("x").withHeader("big", "h".repeat(frameMax))))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("frame_max");
        assertConfirmsInStep();
    }

    @Test
    void aQueueArgumentOfAnUnencodableTypeIsRefusedAndTheNextDeclareGetsItsOwnReply() throws Exception {
        String name = unique("arg");
        assertThatThrownBy(() -> ch.queueDeclare(QueueSpec.named(name).durable(false).autoDelete(true)
                .argument("x-warren-id", UUID.randomUUID())))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("java.util.UUID");
        DeclaredQueue q = ch.queueDeclare(QueueSpec.named(name).durable(false).autoDelete(true));
        assertThat(q.name()).isEqualTo(name);
        assertThat(ch.queueDeclarePassive(open).name()).isEqualTo(open);
        assertThat(ch.isOpen()).isTrue();
    }

    @Test
    void aConsumerArgumentOfAnUnencodableTypeIsRefusedAndTheChannelGoesOn() throws Exception {
        assertThatThrownBy(() -> ch.consume(open, ConsumeOptions.defaults().withArguments(Map.of("x-id", new Object()))))
                .isInstanceOf(IllegalArgumentException.class);
        ch.publish("", open, Message.text("after"));
        try (Subscription s = ch.consume(open)) {
            Delivery d = s.take();
            assertThat(d.bodyAsString()).isEqualTo("after");
            d.ack();
        }
    }

    @Test
    void aRawPublishThatWouldShiftTheConfirmsIsRefused() throws Exception {
        assertThatThrownBy(() -> ch.unwrap().basicPublish("", open, null, new byte[1]))
                .isInstanceOf(UnsupportedOperationException.class);
        assertConfirmsInStep();
    }

    /** On the same channel: a rejected message is nacked, a normal one confirmed, 1000 more all confirmed. */
    private void assertConfirmsInStep() throws Exception {
        assertThatThrownBy(() -> ch.publish("", rejecting, Message.text("rejected")))
                .isInstanceOf(PublishNackedException.class);
        ch.publish("", open, Message.text("confirmed"));
        try (ExecutorService exec = Executors.newVirtualThreadPerTaskExecutor()) {
            for (int t = 0; t < 100; t++) {
                exec.submit(() -> {
                    for (int i = 0; i < 10; i++) {
                        ch.publish("", open, Message.text("more"));
                    }
                    return null;
                });
            }
        }
        assertThat(ch.queueDeclarePassive(open).messageCount()).isEqualTo(1001);
        assertThat(ch.unwrap().getNextPublishSeqNo()).isEqualTo(1003);
        assertThat(ch.isOpen()).isTrue();
    }
}
