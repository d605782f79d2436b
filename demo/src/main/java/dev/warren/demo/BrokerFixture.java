package dev.warren.demo;

import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import java.time.Duration;
import java.util.LinkedHashSet;
import java.util.Set;

/**
 * The harness's own connection, for the broker-side set-up no contender is timed on: it
 * declares the bench's queues (deleted again by {@link #close}), purges and prefills them.
 *
 * <p>The broker may be shared with test suites that close every connection to inject faults,
 * so the connection and channel are reopened whenever they are found closed. Only the
 * harness's thread uses a fixture.
 */
final class BrokerFixture implements AutoCloseable {
    private final String uri;
    private final Set<String> queues = new LinkedHashSet<>();
    private Connection connection;
    private Channel channel;

    private BrokerFixture(String uri) {
        this.uri = uri;
    }

    static BrokerFixture open(String uri) throws Exception {
        BrokerFixture fixture = new BrokerFixture(uri);
        fixture.channel();
        return fixture;
    }

    /** The broker's AMQP URI. */
    String uri() {
        return uri;
    }

    /**
     * A name no other process on the broker uses: the broker may be shared with other
     * builds, whose tests must not see our messages nor we theirs.
     */
    static String uniqueName(String purpose) {
        return "warren.bench." + ProcessHandle.current().pid() + "." + purpose;
    }

    /** The broker's version, as it says in its {@code version} server property (e.g. {@code 4.0.5}). */
    String brokerVersion() throws Exception {
        channel();
        return String.valueOf(connection.getServerProperties().get("version"));
    }

    /** Declares a classic, non-durable queue for this run of the bench and returns its name. */
    String declareQueue(String purpose) throws Exception {
        String name = uniqueName(purpose);
        channel().queueDeclare(name, false, false, false, null);
        queues.add(name);
        return name;
    }

    /** Deletes a queue {@link #declareQueue} declared. */
    void deleteQueue(String queue) throws Exception {
        channel().queueDelete(queue);
        queues.remove(queue);
    }

    void purge(String queue) throws Exception {
        channel().queuePurge(queue);
    }

    /**
     * Fills {@code queue} with {@code count} copies of {@code body} by pipelined confirmed
     * publishing, and checks that it holds exactly that many.
     */
    void prefill(String queue, long count, byte[] body) throws Exception {
        channel();
        try (Channel publisher = connection.createChannel()) {
            new ConfirmPipeline(publisher).publish("", queue, body, count, Window.startingNow(Duration.ofDays(1)));
        }
        long depth = channel().queueDeclarePassive(queue).getMessageCount();
        if (depth != count) {
            throw new IllegalStateException(queue + " holds " + depth + " messages, not the " + count + " prefilled");
        }
    }

    private Channel channel() throws Exception {
        if (connection == null || !connection.isOpen()) {
            connection = RawClient.connect(uri, "warren-bench-fixture");
            channel = null;
        }
        if (channel == null || !channel.isOpen()) {
            channel = connection.createChannel();
        }
        return channel;
    }

    /** Deletes the queues this fixture declared and still has, then closes its connection. */
    @Override
    public void close() throws Exception {
        try {
            for (String queue : queues) {
                channel().queueDelete(queue);
            }
        } finally {
            if (connection != null && connection.isOpen()) {
                connection.close();
            }
        }
    }
}
