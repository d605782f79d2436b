package dev.warren.demo;

import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.ConnectionFactory;
import dev.warren.demo.Trial.Window;
import java.time.Duration;
import java.util.LinkedHashSet;
import java.util.Set;
import java.util.concurrent.ThreadFactory;

/**
 * The harness's own connection, for the broker-side set-up no side is timed on: it declares
 * the bench's queues (deleted again by {@link #close}), purges and prefills them. It also makes
 * every raw connection of the bench ({@link #connect}), set up the way that is fastest for a benchmark.
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

    /** A raw client's connection to {@code uri} named {@code name} (as the broker's management shows it). */
    static Connection connect(String uri, String name) throws Exception {
        return factory(uri).newConnection(name);
    }

    /** Builds a trial on a raw connection it is given, which the trial closes. */
    @FunctionalInterface
    interface OnConnection {
        /** Opens the trial on {@code connection}. */
        Trial open(Connection connection) throws Exception;
    }

    /**
     * A trial on a new raw connection to {@code uri} named {@code name}, built by {@code open}; if
     * building it fails the connection is aborted, since no trial exists to close it.
     */
    static Trial trialOn(String uri, String name, OnConnection open) throws Exception {
        Connection connection = connect(uri, name);
        try {
            return open.open(connection);
        } catch (Exception e) {
            connection.abort();
            throw e;
        }
    }

    /** Like {@link #connect(String, String)}, with the client's threads made by {@code threads}. */
    static Connection connect(String uri, String name, ThreadFactory threads) throws Exception {
        ConnectionFactory factory = factory(uri);
        factory.setThreadFactory(threads);
        return factory.newConnection(name);
    }

    // Automatic recovery wraps every channel and records every consumer and declaration:
    // overhead on each call, and a benchmark wants a broken run to fail rather than heal.
    private static ConnectionFactory factory(String uri) throws Exception {
        ConnectionFactory factory = new ConnectionFactory();
        factory.setUri(uri);
        factory.setAutomaticRecoveryEnabled(false);
        factory.setTopologyRecoveryEnabled(false);
        return factory;
    }

    private Channel channel() throws Exception {
        if (connection == null || !connection.isOpen()) {
            connection = connect(uri, "warren-bench-fixture");
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
