package dev.warren;

import static dev.warren.TestSupport.unique;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.warren.testing.BrokerAdmin;
import dev.warren.testing.RabbitBroker;
import dev.warren.testing.RabbitExtension;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Where RabbitMQ 3.x and 4.x differ, each test asserts what the broker it runs on does (the
 * JDK 25 leg meets 3.10, the JDK 21 leg 4.0): delivery limits, the largest message, global qos,
 * transient queues.
 */
@ExtendWith(RabbitExtension.class)
@Timeout(60)
class BrokerRulesTest {
    private static final String ONE_MIB = "1048576";

    @Test
    void aMessageReturnedPastTheDeliveryLimitIsDeadLettered(RabbitBroker broker) throws Exception {
        QueueSpec limited = QueueSpec.quorum(unique("limited")).withDeliveryLimit(2);
        assertThat(deliveriesUntilDeadLettered(broker, limited, 10)).isEqualTo(3);
    }

    @Test
    void aQuorumQueueDeadLettersAfter20ReturnsOn4xAndKeepsRedeliveringOn3x(RabbitBroker broker) throws Exception {
        int deliveries = deliveriesUntilDeadLettered(broker, QueueSpec.quorum(unique("default-limit")), 25);
        // 4.0's default limit is 20 returns; 3.x has none, so the message is still there after 25.
        assertThat(deliveries).isEqualTo(BrokerVersion.of(broker.uri()).is4x() ? 21 : -1);
    }

    @Test
    void unlimitedDeliveriesLiftTheLimitOn4xAndDeadLetterOnTheFirstReturnOn3x(RabbitBroker broker) throws Exception {
        QueueSpec unlimited = QueueSpec.quorum(unique("unlimited")).withUnlimitedDeliveries();
        // 3.x takes -1 as a limit below any count: the opposite of what 4.x means by it.
        assertThat(deliveriesUntilDeadLettered(broker, unlimited, 25))
                .isEqualTo(BrokerVersion.of(broker.uri()).is4x() ? -1 : 1);
    }

    /**
     * Publishes one message to a new queue of {@code spec} with a dead-letter queue, nacks it with
     * requeue each time it comes, and returns how many deliveries it took until it was
     * dead-lettered, or -1 if it still came after {@code tries} deliveries. Deletes both queues.
     */
    private static int deliveriesUntilDeadLettered(RabbitBroker broker, QueueSpec spec, int tries) throws Exception {
        String dlq = unique("dead-letters");
        try (BlockingConnection conn = Warren.connect(broker.uri()); BlockingChannel ch = conn.openChannel()) {
            ch.queueDeclare(QueueSpec.named(dlq).withDurable(false).withExclusive(true));
            String queue = ch.queueDeclare(spec.withDeadLetterExchange("").withDeadLetterRoutingKey(dlq)).name();
            try (Subscription source = ch.consume(queue, ConsumeOptions.defaults().withPrefetch(1));
                 Subscription deadLetters = ch.consume(dlq)) {
                ch.publish("", queue, Message.text("again and again"));
                int deliveries = 0;
                // Each return brings it back, or sends it to the dead letters: wait for either.
                while (true) {
                    Delivery back = source.poll(Duration.ofMillis(50));
                    if (back != null) {
                        if (++deliveries > tries) {
                            return -1;
                        }
                        back.nack(true);
                        continue;
                    }
                    Delivery dead = deadLetters.poll(Duration.ofMillis(50));
                    if (dead != null) {
                        dead.ack();
                        assertThat(dead.bodyAsString()).isEqualTo("again and again");
                        assertThat(String.valueOf(dead.header("x-first-death-reason").orElseThrow()))
                                .isEqualTo("delivery_limit");
                        return deliveries;
                    }
                }
            } finally {
                ch.queueDelete(queue);
            }
        }
    }

    @Test
    void brokersAllow128MiBOn3xAnd16MiBOn4xByDefault(RabbitBroker broker, BrokerAdmin admin) {
        String limit = admin.rabbitmqctl("eval", "application:get_env(rabbit, max_message_size).").strip();
        assertThat(limit).isEqualTo(BrokerVersion.of(broker.uri()).is4x() ? "{ok,16777216}" : "{ok,134217728}");
    }

    @Test
    void aMessageLargerThanTheBrokerAllowsClosesTheChannelWith406NamingTheLimit() throws Exception {
        // A node this JVM started: its limit is lowered meanwhile.
        RabbitBroker broker = RabbitBroker.privateNode();
        BrokerAdmin admin = broker.admin();
        String before = admin.rabbitmqctl("eval", "application:get_env(rabbit, max_message_size).").strip();
        setMaxMessageSize(admin, ONE_MIB);
        try (BlockingConnection conn = Warren.connect(broker.uri())) {
            BlockingChannel ch = conn.openChannel();
            byte[] body = new byte[Integer.parseInt(ONE_MIB) + 1];
            assertThatThrownBy(() -> ch.publish("", unique("nowhere"), body))
                    .isInstanceOfSatisfying(ChannelClosedException.class, e -> {
                        assertThat(e.replyCode()).isEqualTo(406);
                        assertThat(e.replyText()).contains("PRECONDITION_FAILED").contains(ONE_MIB)
                                .contains(Integer.toString(body.length));
                        assertThat(e.failedMethod()).isEqualTo("basic.publish");
                    });
            assertThat(ch.isOpen()).isFalse();
            // Only the channel: the connection and its other channels go on.
            assertThat(conn.isOpen()).isTrue();
            try (BlockingChannel next = conn.openChannel()) {
                next.publish("", unique("nowhere"), new byte[Integer.parseInt(ONE_MIB)]);
            }
        } finally {
            setMaxMessageSize(admin, before.startsWith("{ok,") ? before.substring(4, before.length() - 1) : "134217728");
        }
    }

    /**
     * Sets the node's largest message: 3.x reads the application's setting when a channel opens,
     * 4.x keeps a copy in a persistent term that its channels read.
     */
    private static void setMaxMessageSize(BrokerAdmin admin, String bytes) {
        admin.rabbitmqctl("eval", "application:set_env(rabbit, max_message_size, " + bytes + "),"
                + " case persistent_term:get(max_message_size, undefined) of undefined -> ok;"
                + " _ -> persistent_term:put(max_message_size, " + bytes + ") end.");
    }

    @Test
    void warrenNeverSendsAGlobalQos(RabbitBroker broker) throws Exception {
        // What goes on the wire, not what the broker shows: 4.0's list_channels has no
        // global_prefetch_count any more.
        String requests = unique("requests");
        try (FrameSniffer sniffer = new FrameSniffer(broker.uri());
             BlockingConnection conn = Warren.connect(sniffer.uri(broker.uri()));
             BlockingChannel consuming = conn.openChannel();
             BlockingChannel serving = conn.openChannel();
             BlockingChannel global = conn.openChannel()) {
            String queue = consuming.queueDeclare(QueueSpec.serverNamed()).name();
            serving.queueDeclare(QueueSpec.named(requests).withDurable(false).withExclusive(true));
            try (Subscription s = consuming.consume(queue, ConsumeOptions.defaults().withPrefetch(7))) {
                serving.fork(() -> {
                    serving.serve(requests, request -> Message.text("pong"));
                    return null;
                });
                assertThat(consuming.call("", requests, Message.text("ping"), Duration.ofSeconds(10)).bodyAsString())
                        .isEqualTo("pong");
                // The control: a global qos, sent on purpose, is seen where it is.
                global.basicQos(5, true);
                List<long[]> qos = sniffer.sent(60, 10).stream()
                        .map(f -> new long[] {f.channel(), ByteBuffer.wrap(f.arguments()).getShort(4) & 0xffff,
                                f.arguments()[6] & 1})
                        .toList();
                assertThat(qos).anySatisfy(q -> assertThat(q).containsExactly(1, 7, 0));
                assertThat(qos).filteredOn(q -> q[2] != 0).singleElement()
                        .satisfies(q -> assertThat(q).containsExactly(3, 5, 1));
            }
        }
    }

    @Test
    void aTransientNonExclusiveQueueIsDeclaredWithNoWordToTheClientOn3xAnd4x(RabbitBroker broker) throws Exception {
        // 4.0 deprecates them (its log warns) and 4.3 denies them by default; AMQP 0-9-1 has no
        // method for a warning, so the client hears nothing until the broker refuses.
        String queue = unique("transient");
        try (BlockingConnection conn = Warren.connect(broker.uri()); BlockingChannel ch = conn.openChannel()) {
            DeclaredQueue declared = ch.queueDeclare(QueueSpec.named(queue).withDurable(false));
            assertThat(declared.name()).isEqualTo(queue);
            assertThat(ch.isOpen()).isTrue();
            assertThat(ch.queueDelete(queue)).isZero();
        }
    }
}
