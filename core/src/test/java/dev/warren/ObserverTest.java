package dev.warren;

import static org.assertj.core.api.Assertions.assertThat;

import dev.warren.testing.RabbitBroker;
import dev.warren.testing.RabbitExtension;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/** What core promises every observer: its headers are sent, its failures never break the operation. */
@ExtendWith(RabbitExtension.class)
@Timeout(30)
class ObserverTest {

    @Test
    void throwingObserverNeitherFailsThePublishNorTheTake(RabbitBroker broker) throws Exception {
        List<String> calls = new CopyOnWriteArrayList<>();
        WarrenObserver broken = new WarrenObserver() {
            @Override
            public void published(String exchange, String routingKey, int bodySize, Outcome outcome, long nanos) {
                calls.add("published " + outcome.tag());
                throw new IllegalStateException("observer bug");
            }

            @Override
            public void delivered(String queue) {
                calls.add("delivered");
                throw new IllegalStateException("observer bug");
            }
        };
        try (BlockingConnection conn = Warren.connect(ConnectionOptions.of(broker.uri()).withObserver(broken));
                BlockingChannel ch = conn.openChannel()) {
            String q = ch.queueDeclare(QueueSpec.named(TestSupport.unique("observer")).withDurable(false)
                    .withAutoDelete(true)).name();
            ch.publish("", q, "x".getBytes());
            try (Subscription s = ch.consume(q)) {
                s.take().ack();
            }
            assertThat(calls).containsExactly("published ack", "delivered");
            ch.queueDelete(q);
        }
    }

    @Test
    void aDeferredPublishIsObservedWhenItsOutcomeComesEvenIfNobodyAwaitsIt(RabbitBroker broker) throws Exception {
        List<String> published = new CopyOnWriteArrayList<>();
        java.util.concurrent.CountDownLatch both = new java.util.concurrent.CountDownLatch(2);
        WarrenObserver observer = new WarrenObserver() {
            @Override
            public void published(String exchange, String routingKey, int bodySize, Outcome outcome, long nanos) {
                published.add(routingKey + " " + outcome.tag() + " " + bodySize);
                both.countDown();
            }
        };
        try (BlockingConnection conn = Warren.connect(ConnectionOptions.of(broker.uri()).withObserver(observer));
                BlockingChannel ch = conn.openChannel()) {
            String q = ch.queueDeclare(QueueSpec.named(TestSupport.unique("observed-deferred")).withDurable(false)
                    .withAutoDelete(false).withMaxLength(1).withOverflow(QueueSpec.Overflow.REJECT_PUBLISH)).name();
            ch.publishDeferred("", q, Message.of(new byte[5]));
            ch.publishDeferred("", q, Message.of(new byte[7]));
            assertThat(both.await(10, java.util.concurrent.TimeUnit.SECONDS)).isTrue();
            assertThat(published).containsExactly(q + " ack 5", q + " nack 7");
            ch.queueDelete(q);
        }
    }

    @Test
    void headersAddedByTheTracingHookAreSentAndTheMessagesOwnKept(RabbitBroker broker) throws Exception {
        List<WarrenObserver.Outcome> ended = new CopyOnWriteArrayList<>();
        WarrenObserver tracer = new WarrenObserver() {
            @Override
            public boolean tracesMessages() {
                return true;
            }

            @Override
            public Operation startPublish(String exchange, String routingKey, Map<String, Object> headers,
                    com.rabbitmq.client.AMQP.BasicProperties properties) {
                headers.put("traceparent", "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01");
                return (outcome, failure) -> ended.add(outcome);
            }
        };
        try (BlockingConnection conn = Warren.connect(ConnectionOptions.of(broker.uri()).withObserver(tracer));
                BlockingChannel ch = conn.openChannel()) {
            String q = ch.queueDeclare(QueueSpec.named(TestSupport.unique("traced")).withDurable(false)
                    .withAutoDelete(true)).name();
            ch.publish("", q, Message.text("x").withHeader("mine", "kept"));
            try (Subscription s = ch.consume(q)) {
                Delivery d = s.take();
                assertThat(d.headers()).containsEntry("mine", "kept")
                        .containsEntry("traceparent", "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01");
                d.ack();
            }
            assertThat(ended).containsExactly(WarrenObserver.Outcome.ACK);
            ch.queueDelete(q);
        }
    }
}
