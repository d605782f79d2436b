package dev.warren;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.ConnectionFactory;
import dev.warren.testing.RabbitBroker;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Test support: unique queue names, queues declared for a test and deleted after it, and a plain
 * amqp-client connection that publishes with confirms, independent of Warren's own publishing.
 */
final class TestQueues implements AutoCloseable {

    private final Connection conn;
    private final Channel ch;
    private final List<String> declared = new ArrayList<>();

    TestQueues(RabbitBroker broker) throws Exception {
        ConnectionFactory f = new ConnectionFactory();
        f.setUri(broker.uri());
        f.setAutomaticRecoveryEnabled(false);
        conn = f.newConnection("warren-consume-test-publisher");
        ch = conn.createChannel();
        ch.confirmSelect();
    }

    /** A name no other test (nor another JVM on this broker) uses. */
    static String unique(String what) {
        return dev.warren.testing.Declared.name("warren.consume." + what);
    }

    /** A transient queue that expires a while after the test even if it is not deleted. */
    static QueueSpec spec(String name) {
        return QueueSpec.named(name).withDurable(false).withArgument("x-expires", 120_000);
    }

    /** Declares {@code spec} on {@code on} and deletes the queue again when this closes; returns its name. */
    String declare(BlockingChannel on, QueueSpec spec) throws InterruptedException {
        on.queueDeclare(spec);
        declared.add(spec.name());
        return spec.name();
    }

    /** Publishes each body to the queue through the default exchange and waits for the confirms. */
    void publish(String queue, String... bodies) throws Exception {
        for (String b : bodies) {
            ch.basicPublish("", queue, new AMQP.BasicProperties(), b.getBytes(StandardCharsets.UTF_8));
        }
        ch.waitForConfirmsOrDie(10_000);
    }

    /** Publishes one message with these raw amqp-client properties and waits for its confirm. */
    void publishRaw(String exchange, String routingKey, AMQP.BasicProperties props, byte[] body) throws Exception {
        ch.basicPublish(exchange, routingKey, props, body);
        ch.waitForConfirmsOrDie(10_000);
    }

    /** Publishes "prefix0" .. "prefix(n-1)". */
    void publishNumbered(String queue, String prefix, int n) throws Exception {
        for (int i = 0; i < n; i++) {
            ch.basicPublish("", queue, new AMQP.BasicProperties(), (prefix + i).getBytes(StandardCharsets.UTF_8));
        }
        ch.waitForConfirmsOrDie(30_000);
    }

    /** Ready messages in the queue (not counting delivered, unacked ones). */
    int ready(String queue) throws Exception {
        return ch.queueDeclarePassive(queue).getMessageCount();
    }

    void delete(String queue) throws Exception {
        ch.queueDelete(queue);
    }

    /** Deletes the queues declared through {@link #declare}, then closes the connection. */
    @Override
    public void close() throws java.io.IOException {
        for (String q : declared) {
            ch.queueDelete(q);
        }
        conn.close();
    }
}
