package dev.warren;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.LongString;
import dev.warren.testing.RabbitBroker;
import dev.warren.testing.RabbitExtension;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/** Each typed accessor of {@link Delivery} reads what a raw amqp-client publisher sent. */
@ExtendWith(RabbitExtension.class)
@Timeout(60)
class DeliveryAccessorsTest {
    private TestQueues queues;
    private BlockingConnection conn;
    private BlockingChannel ch;

    @BeforeEach
    void setUp(RabbitBroker broker) throws Exception {
        queues = new TestQueues(broker);
        conn = Warren.connect(broker.uri());
        ch = conn.openChannel();
    }

    @AfterEach
    void tearDown() throws Exception {
        conn.close();
        queues.close();
    }

    /** Publishes one message with these properties through a raw channel and takes it with Warren. */
    private Delivery deliver(AMQP.BasicProperties props) throws Exception {
        String q = queues.declare(ch, TestQueues.spec(TestQueues.unique("accessors")));
        queues.publishRaw("", q, props, "body".getBytes(StandardCharsets.UTF_8));
        Delivery d = ch.get(q).orElseThrow();
        d.ack();
        return d;
    }

    private static AMQP.BasicProperties.Builder props() {
        return new AMQP.BasicProperties.Builder();
    }

    @Test
    void stringHeadersAreStringsNotLongStrings() throws Exception {
        Delivery d = deliver(props().headers(Map.of("s", "text", "n", 42)).build());
        assertThat(d.properties().getHeaders().get("s")).isInstanceOf(LongString.class);
        assertThat(d.headers()).containsEntry("s", "text").containsEntry("n", 42);
        assertThat("text".equals(d.headers().get("s"))).isTrue();
    }

    @Test
    void nestedTablesAndArraysHaveStringsToo() throws Exception {
        Map<String, Object> nested = new LinkedHashMap<>();
        nested.put("inner", "deep");
        nested.put("list", List.of("a", 1));
        Delivery d = deliver(props().headers(Map.of("table", nested, "array", List.of("x", List.of("y")))).build());
        assertThat(d.headers().get("table")).isEqualTo(Map.of("inner", "deep", "list", List.of("a", 1)));
        assertThat(d.headers().get("array")).isEqualTo(List.of("x", List.of("y")));
    }

    @Test
    void headersAreUnmodifiable() throws Exception {
        Delivery d = deliver(props().headers(Map.of("s", "text")).build());
        assertThatThrownBy(() -> d.headers().put("t", "u")).isInstanceOf(UnsupportedOperationException.class);
        @SuppressWarnings("unchecked")
        Map<String, Object> table = (Map<String, Object>) deliver(props().headers(Map.of("t", Map.of("a", "b"))).build())
                .headers().get("t");
        assertThatThrownBy(() -> table.put("c", "d")).isInstanceOf(UnsupportedOperationException.class);
    }

    @Test
    void headersAreEmptyWhenNoneWereSent() throws Exception {
        Delivery d = deliver(props().build());
        assertThat(d.headers()).isEmpty();
        assertThat(d.header("missing")).isEmpty();
    }

    @Test
    void headerReturnsOneConvertedValue() throws Exception {
        Delivery d = deliver(props().headers(Map.of("tenant", "acme", "n", 7L)).build());
        assertThat(d.header("tenant")).isEqualTo(Optional.of("acme"));
        assertThat(d.header("n")).isEqualTo(Optional.of(7L));
        assertThat(d.header("other")).isEmpty();
    }

    @Test
    void contentType() throws Exception {
        assertThat(deliver(props().contentType("application/json").build()).contentType())
                .isEqualTo("application/json");
    }

    @Test
    void contentEncoding() throws Exception {
        assertThat(deliver(props().contentEncoding("gzip").build()).contentEncoding()).isEqualTo("gzip");
    }

    @Test
    void correlationId() throws Exception {
        assertThat(deliver(props().correlationId("c-17").build()).correlationId()).isEqualTo("c-17");
    }

    @Test
    void messageId() throws Exception {
        assertThat(deliver(props().messageId("m-17").build()).messageId()).isEqualTo("m-17");
    }

    @Test
    void replyTo() throws Exception {
        assertThat(deliver(props().replyTo("answers").build()).replyTo()).isEqualTo("answers");
    }

    @Test
    void persistent() throws Exception {
        assertThat(deliver(props().deliveryMode(2).build()).persistent()).isTrue();
        assertThat(deliver(props().deliveryMode(1).build()).persistent()).isFalse();
    }

    @Test
    void expiration() throws Exception {
        assertThat(deliver(props().expiration("60000").build()).expiration()).isEqualTo(Duration.ofMinutes(1));
        assertThat(deliver(props().build()).expiration()).isNull();
    }

    @Test
    void priority() throws Exception {
        assertThat(deliver(props().priority(7).build()).priority()).isEqualTo(7);
    }

    @Test
    void timestamp() throws Exception {
        Instant t = Instant.ofEpochSecond(1_700_000_000L);
        assertThat(deliver(props().timestamp(Date.from(t)).build()).timestamp()).isEqualTo(t);
    }

    @Test
    void type() throws Exception {
        assertThat(deliver(props().type("order.created").build()).type()).isEqualTo("order.created");
    }

    @Test
    void userId() throws Exception {
        assertThat(deliver(props().userId("guest").build()).userId()).isEqualTo("guest");
    }

    @Test
    void appId() throws Exception {
        assertThat(deliver(props().appId("billing").build()).appId()).isEqualTo("billing");
    }

    @Test
    void exchangeAndRoutingKey() throws Exception {
        String x = TestQueues.unique("accessors-x");
        ch.exchangeDeclare(ExchangeSpec.direct(x).withDurable(false).withAutoDelete(true));
        String q = queues.declare(ch, TestQueues.spec(TestQueues.unique("accessors")));
        ch.queueBind(q, x, "orders.eu");
        queues.publishRaw(x, "orders.eu", props().build(), new byte[0]);
        try (Subscription sub = ch.consume(q)) {
            Delivery d = sub.take();
            assertThat(d.exchange()).isEqualTo(x);
            assertThat(d.routingKey()).isEqualTo("orders.eu");
            assertThat(d.deliveryTag()).isEqualTo(d.envelope().getDeliveryTag()).isPositive();
            d.ack();
        } finally {
            ch.exchangeDelete(x);
        }
    }

    @Test
    void redelivered() throws Exception {
        String q = queues.declare(ch, TestQueues.spec(TestQueues.unique("accessors")));
        queues.publishRaw("", q, props().build(), new byte[0]);
        try (Subscription sub = ch.consume(q)) {
            Delivery first = sub.take();
            assertThat(first.redelivered()).isFalse();
            first.nack(true);
            Delivery again = sub.take();
            assertThat(again.redelivered()).isTrue();
            again.ack();
        }
    }
}
