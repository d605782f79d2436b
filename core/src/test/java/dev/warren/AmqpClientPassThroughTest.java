package dev.warren;

import static dev.warren.TestSupport.unique;
import static org.assertj.core.api.Assertions.assertThat;

import com.rabbitmq.client.MetricsCollector;
import dev.warren.testing.RabbitBroker;
import dev.warren.testing.RabbitExtension;
import java.lang.reflect.Proxy;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/** Settings of amqp-client's that the options hand through: the inbound body limit, its metrics collector. */
@ExtendWith(RabbitExtension.class)
@Timeout(30)
class AmqpClientPassThroughTest {

    @Test
    void aDeliveryLargerThanTheInboundLimitClosesTheConnectionBeforeItIsBuffered(RabbitBroker broker)
            throws Exception {
        String queue = unique("inbound-limit");
        try (BlockingConnection publisher = Warren.connect(broker.uri());
             BlockingChannel pch = publisher.openChannel();
             BlockingConnection conn = Warren.connect(ConnectionOptions.of(broker.uri())
                     .withConnectionName(unique("inbound-limit")).withMaxInboundMessageBodySize(1024));
             BlockingChannel ch = conn.openChannel()) {
            pch.queueDeclare(QueueSpec.named(queue).durable(false).autoDelete(false));
            try {
                pch.publish("", queue, new byte[1000]);
                try (Subscription s = ch.consume(queue)) {
                    assertThat(s.take().body()).hasSize(1000);
                    // Only now: a close fails the takes of what is buffered too, so the first must be taken.
                    pch.publish("", queue, new byte[4096]);
                    Throwable t = TestSupport.caught(s::take);
                    assertThat(t).isInstanceOf(ConnectionClosedException.class);
                    assertThat(((ConnectionClosedException) t).replyText()).contains("too large");
                }
            } finally {
                pch.queueDelete(queue);
            }
        }
    }

    @Test
    void amqpClientsMetricsCollectorSeesTheConnection(RabbitBroker broker) throws Exception {
        Set<String> seen = ConcurrentHashMap.newKeySet();
        MetricsCollector collector = (MetricsCollector) Proxy.newProxyInstance(MetricsCollector.class.getClassLoader(),
                new Class<?>[] {MetricsCollector.class}, (proxy, method, args) -> {
                    seen.add(method.getName());
                    return null;
                });
        try (BlockingConnection conn = Warren.connect(ConnectionOptions.of(broker.uri()).withMetricsCollector(collector));
             BlockingChannel ch = conn.openChannel()) {
            ch.publish("", unique("nowhere"), Message.text("x"));
        }
        assertThat(seen).as("%s", seen).contains("newConnection", "newChannel", "basicPublish", "basicPublishAck");
    }
}
