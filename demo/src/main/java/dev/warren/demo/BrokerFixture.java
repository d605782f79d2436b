package dev.warren.demo;

import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import java.time.Duration;
import java.util.LinkedHashSet;
import java.util.Set;

/**
 * The harness's own connection, for the broker-side set-up no contender is timed on: it
 * declares the bench's queues (deleted again by {@link #close}), purges and prefills them.
 */
final class BrokerFixture implements AutoCloseable {
    private final String uri;
    private final Connection connection;
    private final Channel channel;
    private final Set<String> queues = new LinkedHashSet<>();

    private BrokerFixture(String uri, Connection connection, Channel channel) {
        this.uri = uri;
        this.connection = connection;
        this.channel = channel;
    }

    static BrokerFixture open(String uri) throws Exception {
        Connection connection = RawClient.connect(uri, "warren-bench-fixture");
        try {
            return new BrokerFixture(uri, connection, connection.createChannel());
        } catch (Exception e) {
            connection.abort();
            throw e;
        }
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

    /** Declares a classic, non-durable queue for this run of the bench and returns its name. */
    String declareQueue(String purpose) throws Exception {
        String name = uniqueName(purpose);
        channel.queueDeclare(name, false, false, false, null);
        queues.add(name);
        return name;
    }

    /** Deletes a queue {@link #declareQueue} declared. */
    void deleteQueue(String queue) throws Exception {
        channel.queueDelete(queue);
        queues.remove(queue);
    }

    void purge(String queue) throws Exception {
        channel.queuePurge(queue);
    }

    /**
     * Fills {@code queue} with {@code count} copies of {@code body} by pipelined confirmed
     * publishing, and checks that it holds exactly that many.
     */
    void prefill(String queue, long count, byte[] body) throws Exception {
        try (Channel publisher = connection.createChannel()) {
            new ConfirmPipeline(publisher).publish("", queue, body, count, Window.startingNow(Duration.ofDays(1)));
        }
        long depth = channel.queueDeclarePassive(queue).getMessageCount();
        if (depth != count) {
            throw new IllegalStateException(queue + " holds " + depth + " messages, not the " + count + " prefilled");
        }
    }

    /** Deletes the queues this fixture declared and still has, then closes its connection. */
    @Override
    public void close() throws Exception {
        try {
            for (String queue : queues) {
                channel.queueDelete(queue);
            }
        } finally {
            connection.close();
        }
    }
}
